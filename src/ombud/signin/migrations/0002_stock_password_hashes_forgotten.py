import secrets

from django.db import migrations

PEPPERED = "ombud_argon2_peppered$"
UNUSABLE = "!"  # how Django marks an unusable password


def forget_stock_hashes(apps, schema_editor):
    # A stock Django hash lets a copy of the database confirm guessed passwords. Key
    # holders sign in by opening their key, so their hash can go now: the next
    # sign-in stores the peppered one. (An unusable password starts with "!".)
    User = apps.get_model("directory", "User")
    holders = (
        User.objects.filter(staff_key__isnull=False)
        .exclude(password__startswith=PEPPERED)
        .exclude(password__startswith=UNUSABLE)
    )
    for pk in holders.values_list("pk", flat=True):
        User.objects.filter(pk=pk).update(password=UNUSABLE + secrets.token_urlsafe(30))


class Migration(migrations.Migration):
    dependencies = [
        ("signin", "0001_sessions_hold_only_hashed_ids"),
        ("access", "0001_initial"),
        ("directory", "0001_initial"),
    ]

    operations = [migrations.RunPython(forget_stock_hashes, migrations.RunPython.noop)]
