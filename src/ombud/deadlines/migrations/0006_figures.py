from django.db import migrations


def figures_fill(apps, schema_editor):
    """The overview's counters start from a recount of the cases and deadlines there."""
    from ombud.deadlines.figures import figures_rebuild

    figures_rebuild(apps, using=schema_editor.connection.alias)


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0012_figures"),
        ("deadlines", "0005_case_next_deadline_index"),
    ]

    operations = [migrations.RunPython(figures_fill, migrations.RunPython.noop)]
