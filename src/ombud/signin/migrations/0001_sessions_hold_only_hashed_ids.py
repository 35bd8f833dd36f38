from django.db import migrations


def forget_sessions(apps, schema_editor):
    # Sessions stored before this held their ids in clear: a copy of the database could
    # present them. Everyone signs in again.
    apps.get_model("sessions", "Session").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("sessions", "0001_initial")]

    operations = [migrations.RunPython(forget_sessions, migrations.RunPython.noop)]
