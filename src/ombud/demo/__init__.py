"""The invented demo organisation, Quillfern Group. No real people, companies or places."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction

from ombud.directory import roles
from ombud.directory.importer import directory_import
from ombud.directory.models import Person, User
from ombud.directory.services import role_grant, user_create

PEOPLE_CSV = Path(__file__).with_name("people.csv")
DEMO_PASSWORD = "quillfern-demo"  # noqa: S105 - printed on the terminal by `ombud demo`; demo only
ACTOR = "system:demo"

STAFF = [
    ("Q0030", roles.HANDLER),
    ("Q0031", roles.HANDLER),
    ("Q0040", roles.INVESTIGATOR),
    ("Q0041", roles.INVESTIGATOR),
    ("Q0040", roles.TRAINED_INVESTIGATOR),
    ("Q0039", roles.HEAD_OF_ETHICS),
    ("Q0007", roles.GENERAL_COUNSEL),
    ("Q0901", roles.BOARD_COMMITTEE),
    ("Q0902", roles.BOARD_COMMITTEE),
    ("Q0007", roles.ESCROW_OFFICER),
    ("Q0901", roles.ESCROW_OFFICER),
    ("Q0050", roles.AUDITOR),
    ("Q0060", roles.ADMINISTRATOR),
]


@dataclass(frozen=True)
class SignIn:
    username: str
    name: str
    roles: list[str]
    totp_secret: str = ""  # what the demo's authenticator app is given


class DemoRefused(Exception):
    pass


def username_for(person: Person) -> str:
    return person.email.split("@", 1)[0]


def demo_recovery_shares(data_dir: Path) -> tuple[str, list[str], int]:
    """The demo's recovery key: made on first load. Its shares are kept in the data
    folder so every `ombud demo` can print them: acceptable for invented data only."""
    from ombud.access.models import RecoveryKey
    from ombud.access.recovery import recovery_key_create

    path = data_dir / "demo-recovery-shares.txt"
    if not RecoveryKey.objects.filter(pk=1).exists():
        made = recovery_key_create(actor=ACTOR, shares=3, threshold=2)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write("\n".join(made.shares) + "\n")
    recovery = RecoveryKey.objects.get(pk=1)
    shares = path.read_text().split("\n") if path.exists() else []
    return recovery.fingerprint, [share for share in shares if share], recovery.threshold


def demo_load() -> list[SignIn]:
    """Load Quillfern Group (again: it is idempotent) and return the staff sign-ins."""
    with transaction.atomic():
        result = directory_import(actor=ACTOR, path=PEOPLE_CSV)
        if not result.ok:  # the shipped file is checked by the tests; this is a guard
            raise DemoRefused("; ".join(str(error) for error in result.errors))
        for person in Person.objects.filter(
            account__isnull=True, is_active=True, employee_id__startswith="Q"
        ):
            user_create(
                actor=ACTOR, username=username_for(person), password=DEMO_PASSWORD, person=person
            )
        staff: dict[str, SignIn] = {}
        for employee_id, role in STAFF:
            user = User.objects.select_related("person").get(person__employee_id=employee_id)
            role_grant(actor=ACTOR, user=user, role=role)
            entry = staff.setdefault(
                employee_id,
                SignIn(user.get_username(), user.display_name(), [], demo_totp_secret(user)),
            )
            entry.roles.append(role)
    return list(staff.values())


def demo_totp_secret(user: User) -> str:
    """The demo staff account's authenticator secret, made on first load (so every
    `ombud demo` prints the same one): staff sign in with two factors."""
    from ombud.signin.services import confirmed_device, seed_of, seed_text, totp_device_create

    device = confirmed_device(user)
    if device is None:
        return totp_device_create(actor=ACTOR, user=user)
    return seed_text(seed_of(device))
