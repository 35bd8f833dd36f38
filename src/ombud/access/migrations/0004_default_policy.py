"""The starting routing policy: intake team, head of ethics, general counsel, board
committee; cases against executives start at the board committee; sexual assault
starts at the head of ethics with trained investigators only. Changed afterwards
only with a second ladder member's approval."""

from django.db import migrations

LADDER = ["handler", "head-of-ethics", "general-counsel", "board-committee"]


def create_policy(apps, schema_editor):
    StaffRole = apps.get_model("directory", "StaffRole")
    LadderLevel = apps.get_model("access", "LadderLevel")
    RoutingPolicy = apps.get_model("access", "RoutingPolicy")
    CategoryRule = apps.get_model("access", "CategoryRule")
    if LadderLevel.objects.exists():
        return
    levels = {
        code: LadderLevel.objects.create(position=position, role=StaffRole.objects.get(code=code))
        for position, code in enumerate(LADDER, start=1)
    }
    RoutingPolicy.objects.create(pk=1, executive_level=levels["board-committee"])
    CategoryRule.objects.create(
        category="sexual_assault",
        start_level=levels["head-of-ethics"],
        investigator_role=StaffRole.objects.get(code="trained-investigator"),
    )


class Migration(migrations.Migration):
    dependencies = [
        ("access", "0003_routing"),
        ("directory", "0003_trained_investigator_role"),
    ]
    operations = [migrations.RunPython(create_policy, migrations.RunPython.noop)]
