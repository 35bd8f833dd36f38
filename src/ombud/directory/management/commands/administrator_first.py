"""The first administrator of a fresh install: the one account made without four eyes.

Every staff account belongs to a person of the directory. Before the directory is
imported there is nobody to link to and no ladder member to approve an external
entry, so this command, run by whoever operates the server, may create the
administrator's directory entry itself (kind ``external``). It is audited as the
exception it is, and refuses to run once any administrator exists.
"""

from __future__ import annotations

import getpass
import sys
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from ombud.audit.services import audit_record, cli_actor
from ombud.directory import roles
from ombud.directory.models import Person, User
from ombud.directory.services import person_save, role_grant, user_create


class Command(BaseCommand):
    help = (
        "Create the first administrator (once): linked to a directory person given by "
        "--employee-id, or to a new external entry from --name and --email. The password "
        "is typed at the prompt (or read from standard input)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--employee-id", default="")
        parser.add_argument("--name", default="")
        parser.add_argument("--email", default="")

    def _password(self) -> str:
        if not sys.stdin.isatty():
            return sys.stdin.readline().rstrip("\n")
        first = getpass.getpass("Password (you choose it; nobody else ever will): ")
        if getpass.getpass("Again: ") != first:
            raise CommandError("the two passwords differ; nothing was created")
        return first

    def handle(self, *args: Any, **options: Any) -> None:
        if User.objects.filter(role_assignments__role__code=roles.ADMINISTRATOR).exists():
            raise CommandError(
                "an administrator exists already: add others in the admin, linked to the directory"
            )
        if User.objects.filter(username=options["username"]).exists():
            raise CommandError(f"the username {options['username']!r} is taken")
        person: Person | None
        if options["employee_id"]:
            person = Person.objects.filter(employee_id=options["employee_id"]).first()
            if person is None:
                raise CommandError(f"nobody in the directory has id {options['employee_id']!r}")
        elif options["name"] and options["email"]:
            person = None
        else:
            raise CommandError("give --employee-id, or --name and --email for an external entry")
        password = self._password()
        if len(password) < 12:
            raise CommandError("choose a password of 12 characters or more; nothing was created")
        try:
            with transaction.atomic():
                if person is None:
                    person = person_save(
                        actor=cli_actor(),
                        person=Person(
                            employee_id=f"external-{options['username']}",
                            name=options["name"],
                            email=options["email"],
                            kind=Person.Kind.EXTERNAL,
                        ),
                    )
                    audit_record(
                        actor=cli_actor(),
                        action="directory.person.external_without_approval",
                        obj=person,
                        details={
                            "employee_id": person.employee_id,
                            "why": "first administrator of a fresh install",
                        },
                    )
                user = user_create(
                    actor=cli_actor(),
                    username=options["username"],
                    password=password,
                    person=person,
                )
                role_grant(actor=cli_actor(), user=user, role=roles.ADMINISTRATOR)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        self.stdout.write(f"{user.get_username()} is the first administrator ({person.name}).")
