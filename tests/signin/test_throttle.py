"""Sign-in and reset throttling (issue 10, item 12), tried as the attacker: a guesser
with many addresses, one address trying many accounts, someone timing the reset
page or flooding an inbox with reset mail."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from ombud.audit.models import AuditEntry
from ombud.directory.models import User
from ombud.operations.models import OutboxMessage
from ombud.operations.worker import BackgroundWorker
from tests.conftest import PASSWORD, code_for


def attempt(username: str, password: str, address: str = "10.1.2.3") -> int:
    """A sign-in with the account's right code: the password is what is guessed."""
    user = User.objects.filter(username=username).first()
    code = code_for(user) if user is not None else "123456"
    response = Client(REMOTE_ADDR=address).post(
        "/accounts/login/", {"username": username, "password": password, "otp_token": code}
    )
    return response.status_code


def test_a_guesser_with_many_addresses_is_locked_out_of_the_account(cast):
    for guess in range(9):
        assert attempt("hana", f"guess {guess}", address=f"10.0.0.{guess + 1}") == 200
    assert attempt("hana", "guess 10", address="10.0.0.10") == 429  # the tenth locks
    failed = AuditEntry.objects.filter(action="access.sign_in.failed").count()
    assert failed == 10
    # Locked: even the right password, from a fresh address, is refused, before any
    # key derivation (no new failure reaches the backend).
    response = Client(REMOTE_ADDR="10.9.9.9").post(
        "/accounts/login/",
        {"username": "hana", "password": PASSWORD, "otp_token": code_for(cast.handler)},
    )
    assert response.status_code == 429
    assert "Too many failed sign-ins" in response.content.decode()
    assert "_auth_user_id" not in response.client.session
    assert attempt("hana", "guess 11", address="10.9.9.10") == 429
    assert AuditEntry.objects.filter(action="access.sign_in.failed").count() == failed
    locked = AuditEntry.objects.filter(action="access.sign_in.locked_out")
    assert locked.count() == 1 and '"username":"hana"' in locked.get().details
    # Others are not held up; and after the cool-off she signs in.
    assert attempt("emil", PASSWORD, address="10.9.9.11") == 302
    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(minutes=16)):
        assert attempt("hana", PASSWORD, address="10.9.9.12") == 302


def test_one_address_trying_many_accounts_is_locked_out(cast):
    for number in range(9):
        assert attempt(f"someone{number}", "a guess", address="10.1.2.3") == 200
    assert attempt("someone9", "a guess", address="10.1.2.3") == 429
    assert attempt("hana", PASSWORD, address="10.1.2.3") == 429
    assert attempt("hana", PASSWORD, address="10.1.2.4") == 302


def test_the_throttle_keeps_no_address_in_the_cache_or_the_log(cast, caplog):
    for guess in range(12):
        attempt("hana", f"guess {guess}", address="203.0.113.77")
    assert attempt("hana", PASSWORD, address="203.0.113.77") == 429  # it did count
    kept = cache_contents()
    assert "203.0.113" not in kept and "203.0.113" not in caplog.text
    assert "ombud-tests" not in caplog.text  # nor the browser's name


def cache_contents() -> str:
    """Everything the shared cache holds, keys and values, as text."""
    if hasattr(cache, "_cache") and hasattr(cache._cache, "get_client"):  # Redis
        client = cache._cache.get_client(None)
        return repr([(key, client.get(key)) for key in client.keys("*")])
    with connection.cursor() as cursor:  # the database cache
        cursor.execute("SELECT cache_key, value FROM ombud_cache")
        return repr(cursor.fetchall())


# The forgotten-password page ---------------------------------------------------------


def shapes(queries: list[dict]) -> list[str]:
    """The statements run, without their values."""
    return [re.sub(r"'[^']*'|\b\d+\b", "?", query["sql"]) for query in queries]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # the worker's own connections
def test_the_reset_page_answers_a_known_and_an_unknown_address_alike(cast, mailoutbox):
    answers = []
    # From two addresses, so each request counts first against its own limit.
    for address, remote in (
        (cast.handler.email, "10.4.4.4"),
        ("nobody.here@cast.example", "10.4.4.5"),
    ):
        client = Client(REMOTE_ADDR=remote)
        with CaptureQueriesContext(connection) as queries:
            response = client.post("/accounts/password/forgotten/", {"email": address})
        answers.append(
            (response.status_code, response["Location"], shapes(queries.captured_queries))
        )
    assert answers[0] == answers[1]
    assert answers[0][:2] == (302, "/accounts/password/forgotten/sent/")
    # The same work: no look-up of the account, no mail, while the page answers.
    assert not any("directory_user" in query for query in answers[0][2])
    assert mailoutbox == [] and not OutboxMessage.objects.exists()
    BackgroundWorker().tick()  # the worker looks up and mails
    BackgroundWorker().tick()
    assert [message.to for message in mailoutbox] == [[cast.handler.email]]
    assert AuditEntry.objects.filter(action="access.password_reset.mailed").count() == 1


def test_reset_mail_is_limited_by_address_and_by_the_address_typed(cast, mailoutbox):
    def ask(email: str, source: str) -> int:
        client = Client(REMOTE_ADDR=source)
        return client.post("/accounts/password/forgotten/", {"email": email}).status_code

    for number in range(5):
        assert ask(f"guess{number}@cast.example", "10.5.5.5") == 302
    assert ask(cast.handler.email, "10.5.5.5") == 429  # this address has used its five
    for number in range(5):
        assert ask(cast.auditor.email, f"10.6.6.{number + 1}") == 302
    refused = Client(REMOTE_ADDR="10.6.6.99").post(
        "/accounts/password/forgotten/", {"email": cast.auditor.email}
    )
    assert refused.status_code == 429  # her inbox has had its five this hour
    assert "Too many requests for a new password" in refused.content.decode()
    assert AuditEntry.objects.filter(action="access.password_reset.limited").count() == 2
    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(minutes=61)):
        assert ask(cast.auditor.email, "10.6.6.99") == 302
