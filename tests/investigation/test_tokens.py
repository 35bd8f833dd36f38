"""Personal access tokens for the staff API, tried as attacks: a token reads what its
owner reads and nothing more, through the same door and with the same read entry as
her pages; it dies when it expires, is revoked, or its owner loses a role, her key
pair or her job; making one needs the password and the second factor again; and the
database never holds the token nor the key it wraps in a usable form."""

from __future__ import annotations

import base64
import datetime as dt

import pytest
import time_machine
from django.apps import apps
from django.db import transaction
from django.test import Client

from ombud.access.services import reset_by_owner
from ombud.audit.models import AuditEntry
from ombud.cases.models import Case
from ombud.crypto import tokens as crypto_tokens
from ombud.directory import roles
from ombud.directory.models import User
from ombud.directory.services import person_deactivate, role_revoke
from ombud.investigation.models import ApiToken
from ombud.investigation.tokens import token_create, tokens_expired_erase
from tests.access.reports import against
from tests.access.test_vault import private_of, signed_in
from tests.conftest import ACTOR, PASSWORD, code_for
from tests.intake.helpers import staff_open

pytestmark = pytest.mark.usefixtures("recovery_shares")

REPORT = "He kept commenting on my body"  # the description of tests.intake.test_api.report


def token_of(user: User, *, days: int = 30, name: str = "laptop script") -> str:
    return token_create(actor=user, name=name, days=days, private=private_of(user)).text


def api(token: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}")


def reads(token: str, case: Case) -> int:
    return api(token).get(f"/api/v1/staff/cases/{case.public_id}").status_code


def confirmed(user: User, case: Case) -> None:
    """She said, on the case page, that she has no conflict (and read it there once)."""
    page = staff_open(signed_in(user), case)
    assert REPORT in page.content.decode()


def stored_bytes() -> bytes:
    """Every value of every row of every table, as bytes."""
    chunks = []
    for model in apps.get_models():
        for row in model._base_manager.all().values_list():
            for value in row:
                if isinstance(value, bytes | memoryview):
                    chunks.append(bytes(value))
                else:
                    chunks.append(str(value).encode())
    return b"\x00".join(chunks)


# Reading through a token ---------------------------------------------------------


def test_a_token_reads_its_owners_case_with_the_same_read_entry_as_her_page(cast):
    case = against("C004")
    confirmed(cast.handler, case)
    page_entry = AuditEntry.objects.filter(action="cases.case.read").latest("seq")
    token = token_of(cast.handler)

    response = api(token).get(f"/api/v1/staff/cases/{case.public_id}")

    assert response.status_code == 200
    body = response.json()
    assert body["ref"] == case.ref and body["report"]["description"].startswith(REPORT)
    assert body["permission"] == "level"
    assert [deadline["name"] for deadline in body["deadlines"]]
    api_entry = AuditEntry.objects.filter(action="cases.case.read").latest("seq")
    assert api_entry.seq > page_entry.seq
    assert (api_entry.actor, api_entry.object_type, api_entry.object_id, api_entry.details) == (
        page_entry.actor,
        page_entry.object_type,
        page_entry.object_id,
        page_entry.details,
    )
    # Its list is her case list: this case, from the same selector.
    listed = api(token).get("/api/v1/staff/cases").json()
    assert [row["ref"] for row in listed["cases"]] == [case.ref] and listed["next"] is None
    # One use entry a day, whatever the number of calls; never the token's text.
    used = AuditEntry.objects.filter(action="access.api_token.used")
    assert used.count() == 1 and token not in used.get().details
    assert ApiToken.objects.get().last_used_at is not None


def test_a_token_of_a_handler_cannot_read_a_case_of_another_level(cast, story):
    board_case = against("C003")  # an executive: it starts at the board
    assert board_case.level.role.code == roles.BOARD_COMMITTEE
    confirmed(story.board[0], board_case)
    hana = token_of(cast.handler)

    assert reads(hana, board_case) == 404
    assert board_case.ref not in api(hana).get("/api/v1/staff/cases").content.decode()
    # The same request with a board member's token reads it: the 404 is the level's.
    assert reads(token_of(story.board[0]), board_case) == 200
    assert not AuditEntry.objects.filter(
        action="cases.case.read", actor="user:hana", object_id=str(board_case.pk)
    ).exists()


def test_a_token_of_a_handler_conflicted_on_a_case_gets_the_same_404(cast, story):
    case = against("C004")  # Jonas, a handler at this level, is the accused
    confirmed(cast.handler, case)
    jonas = token_of(story.intake_member)

    missing = api(jonas).get("/api/v1/staff/cases/no-such-case")
    conflicted = api(jonas).get(f"/api/v1/staff/cases/{case.public_id}")

    assert conflicted.status_code == missing.status_code == 404
    assert conflicted.content == missing.content
    assert api(jonas).get("/api/v1/staff/cases").json()["cases"] == []
    assert reads(token_of(cast.handler), case) == 200


def test_a_token_before_its_owner_confirmed_having_no_conflict_reads_nothing(cast):
    case = against("C004")
    response = api(token_of(cast.handler)).get(f"/api/v1/staff/cases/{case.public_id}")
    assert response.status_code == 409
    assert REPORT not in response.content.decode()
    assert not AuditEntry.objects.filter(action="cases.case.read").exists()


# Refused tokens: one 401 for all ---------------------------------------------------


def test_a_missing_unknown_malformed_or_other_scheme_token_gets_the_same_401(cast):
    case = against("C004")
    answers = [
        Client().get(f"/api/v1/staff/cases/{case.public_id}"),
        api(crypto_tokens.token_new()).get(f"/api/v1/staff/cases/{case.public_id}"),
        api("ombud_pat_not-a-token").get(f"/api/v1/staff/cases/{case.public_id}"),
        Client(HTTP_AUTHORIZATION="Receipt ABCD-EFGH-JKMN-PQRS-TVWX-YZ01").get(
            "/api/v1/staff/cases"
        ),
    ]
    assert {answer.status_code for answer in answers} == {401}
    assert len({answer.content for answer in answers}) == 1
    assert answers[0]["WWW-Authenticate"].startswith("Bearer")


def test_an_expired_token_gets_401(cast):
    case = against("C004")
    confirmed(cast.handler, case)
    token = token_of(cast.handler, days=30)
    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(days=29)):
        assert reads(token, case) == 200
    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(days=30, minutes=1)):
        assert reads(token, case) == 401
        page = signed_in(cast.handler).get("/accounts/tokens/").content.decode()
        assert "Expired" in page
        # The worker erases its wrapped key: the old text and a later copy of the
        # database (with the pepper) unwrap nothing.
        assert ApiToken.objects.get().wrapped_private_key
        assert tokens_expired_erase() == 1
        assert bytes(ApiToken.objects.get().wrapped_private_key) == b""
        erased = AuditEntry.objects.get(action="access.api_token.expired_erased")
        assert erased.actor == "system:worker" and '"tokens":1' in erased.details
        assert tokens_expired_erase() == 0  # nothing left to erase, nothing recorded
        assert AuditEntry.objects.filter(action="access.api_token.expired_erased").count() == 1
        assert reads(token, case) == 401


def test_an_expiry_pushed_back_in_the_database_opens_nothing(cast):
    case = against("C004")
    confirmed(cast.handler, case)
    token = token_of(cast.handler, days=1)
    ApiToken.objects.update(expires_at=dt.datetime.now(dt.UTC) + dt.timedelta(days=400))
    assert reads(token, case) == 401


def test_a_revoked_token_gets_401_and_only_its_owner_revokes_it(cast):
    case = against("C004")
    confirmed(cast.handler, case)
    token = token_of(cast.handler)
    assert reads(token, case) == 200
    stored = ApiToken.objects.get()

    emil = signed_in(cast.unrelated_handler)
    assert emil.post(f"/accounts/tokens/{stored.pk}/revoke/").status_code == 404
    assert reads(token, case) == 200

    hana = signed_in(cast.handler)
    response = hana.post(f"/accounts/tokens/{stored.pk}/revoke/", follow=True)

    assert "it opens nothing now" in response.content.decode()
    assert reads(token, case) == 401
    stored.refresh_from_db()
    assert stored.revoked_at is not None and bytes(stored.wrapped_private_key) == b""
    entry = AuditEntry.objects.get(action="access.api_token.revoked")
    assert entry.actor == "user:hana" and "revoked by its owner" in entry.details
    # Put back in the database, it still opens nothing: its copy of her key is gone.
    ApiToken.objects.update(revoked_at=None)
    assert reads(token, case) == 401


# Tokens die with a role, a key pair, a job -------------------------------------------


def test_a_token_stops_working_when_its_owner_loses_her_role(cast):
    case = against("C004")
    confirmed(cast.handler, case)
    token = token_of(cast.handler)
    assert reads(token, case) == 200

    role_revoke(actor=ACTOR, user=cast.handler, role=roles.HANDLER)

    assert reads(token, case) == 401
    assert ApiToken.objects.get().revoked_reason == "role removed"


def test_a_token_stops_working_when_her_password_is_reset_and_her_key_replaced(cast):
    case = against("C004")
    confirmed(cast.handler, case)
    token = token_of(cast.handler)

    with transaction.atomic(), reset_by_owner():  # the forgotten-password link
        user = User.objects.get(pk=cast.handler.pk)
        user.set_password("a brand new password")
        user.save()

    assert AuditEntry.objects.filter(action="access.staff_key.replaced").exists()
    assert reads(token, case) == 401
    assert ApiToken.objects.get().revoked_reason == "key pair replaced"


def test_a_token_outlives_a_password_change_that_keeps_her_key(cast):
    case = against("C004")
    confirmed(cast.handler, case)
    token = token_of(cast.handler)
    user = User.objects.get(pk=cast.handler.pk)
    user._ombud_previous_private = private_of(user)
    user.set_password("another good password")
    user.save()
    assert reads(token, case) == 200


def test_a_token_stops_working_when_its_owner_leaves(cast):
    case = against("C004")
    confirmed(cast.handler, case)
    token = token_of(cast.handler)

    person_deactivate(actor=ACTOR, person=cast.handler.person)

    assert reads(token, case) == 401
    assert ApiToken.objects.get().revoked_reason == "left"


# Making a token: the password and the second factor again -----------------------------


def make(client: Client, user: User, **overrides: str):
    fields = {
        "name": "weekly export",
        "days": "30",
        "password": PASSWORD,
        "otp_token": code_for(user),
        **overrides,
    }
    return client.post("/accounts/tokens/", fields)


def test_a_token_is_made_with_the_password_and_a_code_and_shown_once(cast):
    case = against("C004")
    confirmed(cast.handler, case)
    hana = signed_in(cast.handler)

    response = make(hana, cast.handler)

    assert response.status_code == 200
    page = response.content.decode()
    assert "shown only this once" in page
    made = ApiToken.objects.get()
    text = page.split('id="made-token" type="text" readonly value="')[1].split('"')[0]
    assert text.startswith("ombud_pat_")
    assert reads(text, case) == 200
    assert (made.expires_at - made.created_at).days == 30
    # Changing the language would ask for the page again and lose the token: not offered.
    assert 'action="/language/"' not in page
    again = hana.get("/accounts/tokens/").content.decode()
    assert text not in again and "weekly export" in again and 'action="/language/"' in again
    entry = AuditEntry.objects.get(action="access.api_token.created")
    assert entry.actor == "user:hana" and text not in entry.details


@pytest.mark.parametrize("wrong", ["password", "otp_token"])
def test_a_wrong_password_or_second_factor_code_makes_no_token(cast, wrong):
    hana = signed_in(cast.handler)
    code_for(cast.handler)  # the sign-in's code is spent: a later step is next
    typed = {"password": "not her password"} if wrong == "password" else {"otp_token": "000000"}

    response = make(hana, cast.handler, **typed)

    assert response.status_code == 400
    page = response.content.decode()
    assert "Nothing was made" in page
    assert 'value="weekly export"' in page  # what she typed comes back, but no secret
    assert "not her password" not in page and 'value="000000"' not in page
    assert not ApiToken.objects.exists()
    assert AuditEntry.objects.filter(action="access.api_token.refused").exists()


def test_a_token_lives_at_most_90_days(cast):
    hana = signed_in(cast.handler)
    response = make(hana, cast.handler, days="91")
    assert response.status_code == 400
    assert not ApiToken.objects.exists()


# What the database keeps ---------------------------------------------------------------


def test_the_database_holds_neither_the_token_nor_the_private_key_it_wraps(cast):
    case = against("C004")
    confirmed(cast.handler, case)
    private = private_of(cast.handler)
    token = token_of(cast.handler)
    assert reads(token, case) == 200  # used once: its use is recorded too

    stored = stored_bytes()
    secret = crypto_tokens.token_secret(token)
    for needle in (
        token.encode(),
        token.removeprefix("ombud_pat_").encode(),
        secret,
        secret.hex().encode(),
        private,
        private.hex().encode(),
        base64.b64encode(private),
        base64.urlsafe_b64encode(private),
    ):
        assert needle not in stored
    assert len(bytes(ApiToken.objects.get().wrapped_private_key)) > len(private)


def test_the_case_list_costs_the_same_queries_however_many_cases_it_holds(cast):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    token = token_of(cast.handler)
    against("C004")

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            response = api(token).get("/api/v1/staff/cases")
        assert response.status_code == 200
        return len(captured)

    api(token).get("/api/v1/staff/cases")  # the day's use entry is written once, before
    one = queries()
    against("C004")
    against("C004")
    assert len(api(token).get("/api/v1/staff/cases").json()["cases"]) == 3
    assert queries() == one
