"""The shared cast and the helpers every test uses.

The cast (all invented): Rhea Solberg reports; her team lead Jonas Amberley
reports to Victor Hallgrim, the accused executive, who reports to Celeste
Marbury, his manager, who reports to Aurelio Thane, the chief executive. Hana
Quill and Emil Brask are handlers (Emil has nothing to do with the case),
Ada Okonkwo-Reyes audits and Milo Fairbairn administers.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from ombud.directory import roles
from ombud.directory.models import Person, User
from ombud.directory.services import person_save, role_grant, unit_ensure, user_create

OMBUD = str(Path(sys.executable).with_name("ombud"))
ACTOR = "test:setup"


@dataclass
class Cast:
    ceo: Person
    accused_manager: Person
    accused: Person
    team_lead: Person
    reporter: Person
    handler: User
    unrelated_handler: User
    auditor: User
    administrator: User


def make_person(
    employee_id: str,
    name: str,
    *,
    manager: Person | None = None,
    unit: str = "",
    executive: bool = False,
    title: str = "",
) -> Person:
    person = Person(
        employee_id=employee_id,
        name=name,
        manager=manager,
        is_executive=executive,
        email=f"{name.lower().replace(' ', '.')}@cast.example",
        title=title,
        unit=unit_ensure(actor=ACTOR, path=unit) if unit else None,
    )
    return person_save(actor=ACTOR, person=person)


def make_staff(employee_id: str, name: str, role: str, unit: str) -> User:
    person = make_person(employee_id, name, unit=unit)
    user = user_create(
        actor=ACTOR, username=name.split()[0].lower(), password="correct horse", person=person
    )
    role_grant(actor=ACTOR, user=user, role=role)
    return user


@pytest.fixture
def cast(db) -> Cast:
    ceo = make_person("C001", "Aurelio Thane", unit="Executive Office", executive=True)
    accused_manager = make_person(
        "C002", "Celeste Marbury", manager=ceo, unit="Retail", executive=True
    )
    accused = make_person(
        "C003",
        "Victor Hallgrim",
        manager=accused_manager,
        unit="Retail/Grocery",
        executive=True,
        title="Head of Grocery",
    )
    team_lead = make_person("C004", "Jonas Amberley", manager=accused, unit="Retail/Grocery")
    reporter = make_person("C005", "Rhea Solberg", manager=team_lead, unit="Retail/Grocery")
    return Cast(
        ceo=ceo,
        accused_manager=accused_manager,
        accused=accused,
        team_lead=team_lead,
        reporter=reporter,
        handler=make_staff("C010", "Hana Quill", roles.HANDLER, "People"),
        unrelated_handler=make_staff("C011", "Emil Brask", roles.HANDLER, "People"),
        auditor=make_staff("C020", "Ada Okonkwo-Reyes", roles.AUDITOR, "Finance/Audit"),
        administrator=make_staff("C030", "Milo Fairbairn", roles.ADMINISTRATOR, "IT"),
    )


def account(person: Person, role: str) -> User:
    """Give someone of the directory a staff account and a role."""
    user = user_create(
        actor=ACTOR,
        username=person.name.split()[0].lower(),
        password="correct horse",
        person=person,
    )
    role_grant(actor=ACTOR, user=user, role=role)
    return user


PASSWORD = "correct horse"  # every account of the cast


def code_for(user: User) -> str:
    """The code the user's authenticator app shows now, read from the stored seed as
    the app holds it. An account without one is enrolled first (a setup shortcut:
    people do it on the enrolment page). A code is accepted once, for its 30-second
    step and one step either side; a test that signs the same person in more often
    than that forgets the last step used, as waiting half a minute would."""
    import time

    from django_otp.oath import hotp

    from ombud.signin.models import TOTPDevice
    from ombud.signin.services import (
        STEP,
        TOLERANCE,
        confirmed_device,
        seed_of,
        totp_device_create,
    )

    device = confirmed_device(user)
    if device is None:
        totp_device_create(actor=ACTOR, user=user)
        device = confirmed_device(user)
    assert device is not None
    now = int(time.time()) // STEP
    # Never the step before: the server's clock may pass into the next step meanwhile.
    step = max(now, device.last_t + 1)
    if step > now + TOLERANCE:
        TOTPDevice.objects.filter(pk=device.pk).update(last_t=now - 1)
        step = now
    return f"{hotp(seed_of(device), step):06d}"


class Authenticator:
    """An authenticator app given ``secret`` (as printed by the demo or shown on the
    enrolment page), for sign-ins against a running server: each code it gives is
    for a step it has not given before, as the server accepts a step only once."""

    def __init__(self, secret: str) -> None:
        import base64

        text = "".join(secret.split())
        self.seed = base64.b32decode(text + "=" * (-len(text) % 8))
        self.last = -1

    def code(self, *, spent: bool = True) -> str:
        """The code to type; ``spent=False`` for a sign-in meant to fail (the server
        spends a code only when the password is right too)."""
        import time

        from django_otp.oath import hotp

        from ombud.signin.services import STEP, TOLERANCE

        now = int(time.time()) // STEP
        # Never the step before: the server's clock may pass into the next step meanwhile.
        step = max(now, self.last + 1)
        assert step <= now + TOLERANCE, "more sign-ins of one account than 30 s allow"
        if spent:
            self.last = step
        return f"{hotp(self.seed, step):06d}"


def sign_in(client, user: User, password: str = PASSWORD):
    """Sign ``client`` in through the sign-in form, as a person does (password and the
    authenticator's code): only such a session carries the key cookie every signed-in
    request needs."""
    response = client.post(
        "/accounts/login/",
        {"username": user.get_username(), "password": password, "otp_token": code_for(user)},
    )
    assert response.status_code == 302, response.content.decode()[:500]
    assert client.session.get("_auth_user_id") == str(user.pk), "signed in as someone else"
    return client


def signs_in(username: str, password: str) -> bool:
    """Whether a sign-in through the form with these (and the right code) succeeds."""
    from django.test import Client

    user = User.objects.filter(username=username).first()
    code = code_for(user) if user is not None else "123456"
    response = Client().post(
        "/accounts/login/", {"username": username, "password": password, "otp_token": code}
    )
    return response.status_code == 302


@dataclass
class Story:
    """The story's extra people: the accused's report on the intake team, his manager
    as general counsel, the executive himself with a staff account, a board, and a
    head of ethics."""

    intake_member: User  # Jonas, who reports to the accused
    general_counsel: User  # Celeste, the accused's manager
    executive: User  # Victor himself
    board: list[User]
    head_of_ethics: User


@pytest.fixture
def story(cast: Cast) -> Story:
    return Story(
        intake_member=account(cast.team_lead, roles.HANDLER),
        general_counsel=account(cast.accused_manager, roles.GENERAL_COUNSEL),
        executive=account(cast.accused, roles.HANDLER),
        board=[
            make_staff("C040", "Orla Brennagh", roles.BOARD_COMMITTEE, "Board"),
            make_staff("C041", "Piet Vandermolen", roles.BOARD_COMMITTEE, "Board"),
        ],
        head_of_ethics=make_staff("C050", "Sunniva Hale", roles.HEAD_OF_ETHICS, "Ethics"),
    )


@pytest.fixture
def recovery_shares(db) -> list[str]:
    """The organisation's recovery key, 2 of 3; the shares as the officers hold them."""
    from ombud.access.recovery import recovery_key_create

    return recovery_key_create(actor=ACTOR, shares=3, threshold=2).shares


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Real algorithms at the cheapest costs: tests sign in hundreds of times.
    settings.OMBUD_ARGON2_MEMORY_MIB = 8
    settings.OMBUD_ARGON2_PASSES = 1


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Instance:
    """A fresh data folder (and, on PostgreSQL, a fresh database) for the ``ombud`` command."""

    env: dict[str, str]
    data_dir: Path

    def run(
        self, *args: str, timeout: float = 120, input: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [OMBUD, *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            input=input,
        )

    def python(self, code: str) -> str:
        """Run Python inside Ombud (``ombud manage shell``); its last printed line."""
        result = self.run("manage", "shell", "-c", code)
        assert result.returncode == 0, result.stderr
        return result.stdout.strip().splitlines()[-1]

    def query(self, statement: str) -> list[tuple]:
        url = self.env.get("DATABASE_URL")
        if url:
            import psycopg

            with psycopg.connect(url) as connection:
                return list(connection.execute(statement).fetchall())  # type: ignore[arg-type]
        import sqlite3

        connection = sqlite3.connect(self.data_dir / "ombud.sqlite3")
        try:
            return list(connection.execute(statement).fetchall())
        finally:
            connection.close()

    def sql(self, statement: str) -> None:
        """Run SQL straight against the database, as someone with a copy of it could."""
        url = self.env.get("DATABASE_URL")
        if url:
            import psycopg

            with psycopg.connect(url, autocommit=True) as connection:
                connection.execute(statement)  # type: ignore[arg-type]
        else:
            import sqlite3

            connection = sqlite3.connect(self.data_dir / "ombud.sqlite3")
            with connection:
                connection.execute(statement)
            connection.close()


@contextlib.contextmanager
def fresh_instance(folder: Path) -> Iterator[Instance]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("OMBUD_", "DATABASE_URL"))
    }
    env["OMBUD_DATA_DIR"] = str(folder / "data")
    env["OMBUD_ARGON2_MEMORY_MIB"] = "8"
    base = os.environ.get("DATABASE_URL")
    name = f"ombud_cli_{secrets.token_hex(4)}"
    if base:
        import psycopg

        with psycopg.connect(base, autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')  # type: ignore[arg-type]
        env["DATABASE_URL"] = base.rsplit("/", 1)[0] + "/" + name
    try:
        yield Instance(env=env, data_dir=folder / "data")
    finally:
        if base:
            import psycopg

            with psycopg.connect(base, autocommit=True) as connection:
                connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')  # type: ignore[arg-type]


@pytest.fixture
def instance(tmp_path) -> Iterator[Instance]:
    with fresh_instance(tmp_path) as made:
        yield made


@pytest.fixture(autouse=True)
def _rate_limits_forgotten(settings):
    # Rate-limit counts live in a shared cache (a table of the database, or Redis with
    # OMBUD_REDIS_URL): each test counts under a key prefix of its own, so it starts
    # afresh and never meets the counts of another test or of another run using the
    # same Redis. (Clearing would need the database, or empty all of Redis's db.)
    settings.CACHES = {
        alias: {**options, "KEY_PREFIX": f"ombud-test-{secrets.token_hex(8)}"}
        for alias, options in settings.CACHES.items()
    }


class Inbox:
    """A real SMTP server on loopback (aiosmtpd) that keeps what it receives; with
    ``refuse`` set it answers like a server that is away for a while."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], str]] = []
        self.refuse = False

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        if self.refuse:
            return "451 4.3.0 Mail server busy, try again later"
        self.messages.append((list(envelope.rcpt_tos), envelope.content.decode()))
        return "250 OK"


@pytest.fixture
def smtp(settings):
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.OMBUD_MAIL_CONFIGURED = True
    settings.OMBUD_MAIL = "smtp"
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    yield inbox
    controller.stop()
