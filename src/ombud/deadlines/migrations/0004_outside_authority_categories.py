"""Each outside authority lists the categories it is for (empty: every category).

Authorities already configured keep being shown for every category until an
administrator ticks theirs; the demo's invented ones, recognised by name, get
theirs now."""

from django.db import migrations, models

# The demo organisation's invented authorities (ombud.deadlines.demo), as they were
# when this migration was written: a migration never imports code that may change.
DEMO = {
    "Avalmere Labour Inspectorate": [
        "sexual_assault",
        "sexual_harassment",
        "discrimination",
        "bullying",
        "retaliation",
        "safety",
        "other",
    ],
    "Avalmere Equal Treatment Commission": [
        "sexual_assault",
        "sexual_harassment",
        "discrimination",
        "retaliation",
    ],
    "Quillmouth Police, Community Safety Unit": ["sexual_assault", "sexual_harassment", "bullying"],
    "Avalmere Financial Conduct Office": ["fraud"],
}


def demo_categories(apps, schema_editor):
    OutsideChannel = apps.get_model("deadlines", "OutsideChannel")
    for channel in OutsideChannel.objects.filter(name__in=list(DEMO)):
        if not channel.categories:
            channel.categories = DEMO[channel.name]
            channel.save(update_fields=["categories"])


class Migration(migrations.Migration):
    dependencies = [("deadlines", "0003_field_labels")]

    operations = [
        migrations.AlterModelOptions(
            name="outsidechannel",
            options={
                "ordering": ["position", "name"],
                "verbose_name": "outside authority",
                "verbose_name_plural": "outside authorities",
            },
        ),
        migrations.AddField(
            model_name="outsidechannel",
            name="categories",
            field=models.JSONField(
                blank=True,
                default=list,
                help_text="The kinds of report it is for. None ticked: every kind.",
                verbose_name="categories",
            ),
        ),
        migrations.RunPython(demo_categories, migrations.RunPython.noop),
    ]
