# The counters are filled by deadlines 0006 (a recount needs the deadlines too).
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0011_next_due"),
    ]

    operations = [
        migrations.CreateModel(
            name="CaseFigures",
            fields=[
                ("slot", models.PositiveSmallIntegerField(primary_key=True, serialize=False)),
                ("open_cases", models.BigIntegerField(default=0)),
                ("at_top", models.BigIntegerField(default=0)),
                ("deadlines_met", models.BigIntegerField(default=0)),
                ("deadlines_missed", models.BigIntegerField(default=0)),
            ],
        ),
        migrations.CreateModel(
            name="CaseDuration",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("figure", models.CharField(max_length=12)),
                ("tenths", models.IntegerField()),
                ("cases", models.IntegerField(default=0)),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("figure", "tenths"), name="one_count_per_duration"
                    )
                ],
            },
        ),
    ]
