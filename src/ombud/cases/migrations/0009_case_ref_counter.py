"""Case references from a counter per year instead of "highest + 1" with retries,
which collided under concurrent reports. The counter starts where the cases are."""

from django.db import migrations, models
from django.db.models.functions import Length, Substr


def counters_seeded(apps, schema_editor):
    """Each year's counter at its highest reference, so the next follows it without
    a gap or a duplicate. Read by the database: a longer number is a larger one."""
    Case = apps.get_model("cases", "Case")
    CaseRefCounter = apps.get_model("cases", "CaseRefCounter")
    refs = Case.objects.filter(ref__regex=r"^OMB-[0-9]{4}-[0-9]+$")
    years = (
        refs.annotate(year=Substr("ref", 5, 4)).values_list("year", flat=True).order_by().distinct()
    )
    for year in sorted(set(years)):
        last = (
            refs.filter(ref__startswith=f"OMB-{year}-")
            .annotate(length=Length("ref"))
            .order_by("-length", "-ref")
            .values_list("ref", flat=True)
            .first()
        )
        CaseRefCounter.objects.update_or_create(
            year=int(year), defaults={"last": int(last.rsplit("-", 1)[1])}
        )


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0008_case_named_record"),
    ]

    operations = [
        migrations.CreateModel(
            name="CaseRefCounter",
            fields=[
                ("year", models.PositiveIntegerField(primary_key=True, serialize=False)),
                ("last", models.PositiveIntegerField(default=0)),
            ],
        ),
        migrations.RunPython(counters_seeded, migrations.RunPython.noop),
    ]
