from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ombud.access.recovery import RecoveryRefused, recovery_key_create
from ombud.audit.services import cli_actor


class Command(BaseCommand):
    help = "Create the organisation's recovery key and print its private half as shares."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--shares", type=int, required=True, help="N: how many officers")
        parser.add_argument("--threshold", type=int, required=True, help="K: how many together")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            made = recovery_key_create(
                actor=cli_actor(), shares=options["shares"], threshold=options["threshold"]
            )
        except RecoveryRefused as refused:
            raise CommandError(str(refused), returncode=1) from None
        out = self.stdout
        out.write(f"Recovery key {made.fingerprint} created.")
        out.write(
            f"Any {made.threshold} of these {len(made.shares)} shares open it. They are shown "
            "this once and stored nowhere: give each to one officer, on paper, to keep offline."
        )
        for number, share in enumerate(made.shares, 1):
            out.write(f"\nShare {number} of {len(made.shares)} (recovery key {made.fingerprint}):")
            out.write(f"  {share}")
