from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from ombud.audit.services import cli_actor
from ombud.directory.models import StaffRole, User
from ombud.directory.services import role_grant, role_revoke


class Command(BaseCommand):
    help = "Give a user a staff role (or take it away with --revoke). Audited."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("role", help="a role code, such as administrator or handler")
        parser.add_argument("--revoke", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        codes = list(StaffRole.objects.values_list("code", flat=True))
        if options["role"] not in codes:
            raise CommandError(f"no role {options['role']!r}; the roles are: {', '.join(codes)}")
        try:
            user = User.objects.get(username=options["username"])
        except User.DoesNotExist:
            raise CommandError(f"no user {options['username']!r}") from None
        if options["revoke"]:
            role_revoke(actor=cli_actor(), user=user, role=options["role"])
            self.stdout.write(f"{user.get_username()} no longer holds {options['role']}.")
        else:
            try:
                role_grant(actor=cli_actor(), user=user, role=options["role"])
            except ValidationError as exc:
                raise CommandError(" ".join(exc.messages)) from None
            self.stdout.write(f"{user.get_username()} now holds {options['role']}.")
