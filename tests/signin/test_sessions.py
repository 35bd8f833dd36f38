"""Sessions against someone who copied the database (issue 10, item 5): the session
table holds no id that can be presented, and a session id alone, without the
session's own key cookie, ends the session."""

from __future__ import annotations

from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client

from ombud.access.four_eyes import ladder_propose
from ombud.access.models import RuleChange, StaffKey
from ombud.access.session import COOKIE_NAME
from ombud.audit.models import AuditEntry
from ombud.crypto import boxes
from tests.access.test_vault import signed_in


def presenting(session_id: str, **cookies: str) -> Client:
    client = Client()
    client.cookies[settings.SESSION_COOKIE_NAME] = session_id
    for name, value in cookies.items():
        client.cookies[name] = value
    return client


def test_an_operator_with_a_copy_of_the_database_cannot_use_the_sessions_in_it(
    cast, story, recovery_shares
):
    change = ladder_propose(actor=cast.handler, codes=["handler", "head-of-ethics"])
    signed_in(story.board[0])  # a ladder member, who could approve it, is signed in
    admin = signed_in(cast.administrator)
    assert admin.get("/admin/").status_code == 200
    # The operator copies the session table and presents each row's id as the cookie.
    copied = list(Session.objects.values_list("session_key", flat=True))
    assert len(copied) == 2
    for session_id in copied:
        stolen = presenting(session_id)
        assert "Signed in as" not in stolen.get("/").content.decode()
        response = stolen.get("/admin/")
        assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
        response = stolen.post(f"/rules/{change.pk}/decide/", {"action": "approve"})
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")
    change.refresh_from_db()
    assert change.state == RuleChange.State.PENDING
    # What the table holds is not what the browser holds.
    assert admin.cookies[settings.SESSION_COOKIE_NAME].value not in copied


def test_a_session_id_without_its_key_cookie_ends_the_session(cast, story, recovery_shares):
    change = ladder_propose(actor=cast.handler, codes=["handler", "head-of-ethics"])
    member = signed_in(story.board[0])
    session_id = member.cookies[settings.SESSION_COOKIE_NAME].value  # from a log, say
    stolen = presenting(session_id)
    response = stolen.post(f"/rules/{change.pk}/decide/", {"action": "approve"})
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    change.refresh_from_db()
    assert change.state == RuleChange.State.PENDING
    ended = AuditEntry.objects.get(action="access.session.ended")
    assert ended.actor == "user:orla" and '"reason":"no key"' in ended.details
    # The session is gone for its owner too: it must sign in again.
    assert "Signed in as" not in member.get("/").content.decode()


def test_a_session_whose_key_is_not_the_accounts_ends(cast):
    client = signed_in(cast.handler)
    assert "Signed in as Hana Quill" in client.get("/").content.decode()
    # The stored public key is replaced (as by someone who writes to the database):
    # the session's key is no longer the account's.
    StaffKey.objects.filter(user=cast.handler).update(public_key=boxes.keypair().public)
    assert "Signed in as" not in client.get("/").content.decode()
    ended = AuditEntry.objects.get(action="access.session.ended")
    assert '"reason":"not the account\'s key"' in ended.details


def test_a_key_cookie_from_another_session_opens_nothing(cast):
    first = signed_in(cast.handler)
    second = signed_in(cast.handler)
    thief = presenting(
        second.cookies[settings.SESSION_COOKIE_NAME].value,
        **{COOKIE_NAME: first.cookies[COOKIE_NAME].value},
    )
    assert "Signed in as" not in thief.get("/").content.decode()
