from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ombud.audit.services import cli_actor
from ombud.directory.models import User
from ombud.signin.services import second_factor_reset_propose


class Command(BaseCommand):
    help = (
        "Propose taking away a user's authenticator and recovery codes (a lost phone): "
        "once a second ladder member approves at /rules/, they set up a new one at their "
        "next sign-in, with their password. Audited."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"no user {options['username']!r}")
        second_factor_reset_propose(actor=cli_actor(), user=user)
        self.stdout.write(
            f"Proposed: {user.get_username()}'s second factor goes when a ladder member "
            "approves it at /rules/ (after checking with them)."
        )
