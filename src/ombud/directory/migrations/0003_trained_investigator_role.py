from django.db import migrations

from ombud.directory.roles import STANDARD_ROLES


def create_roles(apps, schema_editor):
    StaffRole = apps.get_model("directory", "StaffRole")
    for code, name, description in STANDARD_ROLES:
        StaffRole.objects.get_or_create(
            code=code, defaults={"name": name, "description": description}
        )


class Migration(migrations.Migration):
    dependencies = [("directory", "0002_standard_roles")]
    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
