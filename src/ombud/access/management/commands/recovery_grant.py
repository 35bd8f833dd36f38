import getpass
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ombud.access.models import RecoveryKey
from ombud.access.recovery import RecoveryRefused, recovery_grant
from ombud.access.services import ConflictedReader
from ombud.audit.services import cli_actor
from ombud.cases.models import Case
from ombud.crypto.errors import SharesInvalid
from ombud.directory.models import User


class Command(BaseCommand):
    help = "The recovery ceremony: K officers type their shares to give USER a case's key."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--case", required=True, help="the case reference, OMB-2026-000123")
        parser.add_argument("--to", required=True, help="the user name of the new reader")

    def _read_share(self, prompt: str) -> str:
        if sys.stdin.isatty():
            return getpass.getpass(prompt)  # not echoed: others may be in the room
        self.stderr.write(prompt, ending="")
        return sys.stdin.readline()

    def handle(self, *args: Any, **options: Any) -> None:
        recovery = RecoveryKey.objects.filter(pk=1).first()
        if recovery is None:
            raise CommandError("there is no recovery key: ombud recovery init", returncode=1)
        case = Case.objects.filter(ref=options["case"]).first()
        if case is None:
            raise CommandError(f"no case {options['case']!r}", returncode=1)
        user = User.objects.filter(username=options["to"]).first()
        if user is None:
            raise CommandError(f"no user {options['to']!r}", returncode=1)
        self.stderr.write(
            f"Recovery key {recovery.fingerprint}: {recovery.threshold} officers type their "
            "shares; an empty line ends early."
        )
        shares = []
        for number in range(1, recovery.threshold + 1):
            text = self._read_share(f"Share {number} of {recovery.threshold}: ").strip()
            if not text:
                break
            shares.append(text)
        try:
            recovery_grant(actor=cli_actor(), case=case, user=user, share_texts=shares)
        except ConflictedReader as refused:
            raise CommandError(
                f"{user.get_username()} may not hold {case.ref} ({str(refused).split(': ')[-1]}); "
                "nothing was granted",
                returncode=1,
            ) from None
        except (RecoveryRefused, SharesInvalid) as refused:
            raise CommandError(f"{refused}; nothing was granted", returncode=1) from None
        self.stdout.write(f"{user.get_username()} now holds the key to {case.ref}.")
