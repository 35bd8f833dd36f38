import re
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ombud.audit.selectors import audit_verify
from ombud.audit.services import public_key

_EXPECT = re.compile(r"^(\d+):([0-9a-f]{64})$")


def _expectation(value: str) -> tuple[int, str]:
    match = _EXPECT.match(value.strip().lower())
    if not match:
        raise CommandError(f"--expect {value!r}: write it as ENTRY:HASH (64 hex digits)")
    return int(match.group(1)), match.group(2)


class Command(BaseCommand):
    help = "Recompute the audit log's hash chain and check its signed checkpoints."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--expect",
            action="append",
            default=[],
            metavar="ENTRY:HASH",
            help="A checkpoint hash kept elsewhere (such as the daily e-mail); repeatable.",
        )
        parser.add_argument(
            "--public-key",
            metavar="HEX",
            help="The server's checkpoint key as you recorded it (default: this server's).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        expect = dict(_expectation(value) for value in options["expect"])
        key = (options["public_key"] or public_key()).lower()
        result = audit_verify(public_key=key, expect=expect)
        if not result.ok:
            where = "" if result.seq is None else f" at entry {result.seq}"
            self.stderr.write(f"Audit log does not verify{where}: {result.problem}")
            self.stderr.write(f"({result.entries} entries verified before the problem was found.)")
            raise CommandError("audit verification failed", returncode=1)
        self.stdout.write(
            f"Audit log verified: {result.entries} entries and {result.checkpoints} signed "
            f"checkpoints; the chain is intact."
        )
        if result.late_days:
            days = ", ".join(day.isoformat() for day in result.late_days[:10])
            more = len(result.late_days) - 10
            if more > 0:
                days += f" and {more} more"
            self.stdout.write(
                f"Signed late (the worker was not running when these days ended): {days}. "
                "A change made to their entries before they were signed shows only against "
                "the checkpoints mailed to the auditors (--expect)."
            )
