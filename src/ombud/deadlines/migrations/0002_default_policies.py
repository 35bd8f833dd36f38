import json

from django.db import migrations

from ombud.deadlines.policies import EU_DIRECTIVE, STRICT


def create(apps, schema_editor):
    DeadlinePolicy = apps.get_model("deadlines", "DeadlinePolicy")
    DeadlinePolicyUse = apps.get_model("deadlines", "DeadlinePolicyUse")
    eu, _ = DeadlinePolicy.objects.get_or_create(
        slug="eu-directive",
        defaults={"name": "EU directive (2019/1937)", "rules": json.dumps(EU_DIRECTIVE)},
    )
    strict, _ = DeadlinePolicy.objects.get_or_create(
        slug="strict", defaults={"name": "Strict", "rules": json.dumps(STRICT)}
    )
    DeadlinePolicyUse.objects.get_or_create(category="", defaults={"policy": strict})


class Migration(migrations.Migration):
    dependencies = [("deadlines", "0001_workflow")]
    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
