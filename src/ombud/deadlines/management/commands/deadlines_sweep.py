import datetime as dt
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from ombud.deadlines.services import deadlines_sweep
from ombud.operations.models import Outcome
from ombud.operations.outbox import mail_outcome, outbox_send


class Command(BaseCommand):
    help = "Handle every deadline due by now (or by --now): escalate, notify, tell the reporter."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--now", help="the instant to sweep for, ISO 8601 (default: now)")

    def handle(self, *args: Any, **options: Any) -> None:
        now = timezone.now()
        if options["now"]:
            try:
                now = dt.datetime.fromisoformat(options["now"])
            except ValueError:
                raise CommandError(
                    f"--now {options['now']!r} is not an ISO 8601 instant, "
                    "such as 2026-12-01T09:00:00+00:00"
                ) from None
            if timezone.is_naive(now):
                now = timezone.make_aware(now)
        missed = deadlines_sweep(now)
        left = outbox_send(now)
        outcome = mail_outcome()
        if outcome == Outcome.FOLDER:
            mail = f"{left} e-mail(s) written to {settings.OMBUD_MAIL_FOLDER} (none sent)"
        elif outcome == Outcome.OFF:
            mail = f"{left} e-mail(s) not sent: mail is off (OMBUD_MAIL=off)"
        else:
            mail = f"{left} e-mail(s) sent"
        self.stdout.write(f"{missed} deadline(s) missed and handled; {mail}.")
