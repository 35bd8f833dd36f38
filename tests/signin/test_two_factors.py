"""Two factors for staff (issue 10): a password alone, from a phishing page or a
reused leak, signs nobody in and unlocks no key; the authenticator is set up at the
first sign-in; a mailbox alone does not reset a password; and the database holds
neither the seeds nor the recovery codes."""

from __future__ import annotations

import base64
import datetime as dt
import re

import pytest
import time_machine
from django.test import Client
from django_otp.oath import hotp

from ombud.access.models import PendingGrant
from ombud.access.services import case_create
from ombud.access.session import COOKIE_NAME
from ombud.audit.models import AuditEntry
from ombud.directory.services import user_create
from ombud.signin.models import RecoveryCode, TOTPDevice
from ombud.signin.services import STEP
from tests.access.test_vault import encodings, private_of
from tests.conftest import PASSWORD, code_for, make_person, sign_in


def post_sign_in(username: str, password: str, code: str = "") -> Client:
    client = Client()
    client.response = client.post(  # type: ignore[attr-defined]
        "/accounts/login/", {"username": username, "password": password, "otp_token": code}
    )
    return client


def seed_from(secret: str) -> bytes:
    text = secret.replace(" ", "")
    return base64.b32decode(text + "=" * (-len(text) % 8))


def code_from_secret(secret: str, *, steps_ahead: int = 0) -> str:
    import time

    seed = seed_from(secret)
    return f"{hotp(seed, int(time.time()) // STEP + steps_ahead):06d}"


def owed_to_newcomer(holder, recovery_shares_unused=None):
    """A case ``holder`` holds, and a newcomer owed its key: the holder's next real
    sign-in seals it to the newcomer."""
    case, case_key = case_create(actor="test", readers=[holder])
    newcomer = user_create(
        actor="test",
        username="noor",
        password="a fresh long password",
        person=make_person("C060", "Noor Haddad"),
    )
    from ombud.access.services import case_key_grant
    from ombud.directory.services import role_grant

    role_grant(actor="test", user=newcomer, role="handler")  # at the terminal: at once

    newcomer_key = newcomer.staff_key
    newcomer_key.delete()  # no key pair yet: what is owed waits as a pending grant
    case_key_grant(actor="test", case=case, user=newcomer, case_key=case_key)
    from ombud.access.services import staff_key_create

    staff_key_create(actor="test", user=newcomer, password="a fresh long password")
    assert PendingGrant.objects.filter(user=newcomer).exists()
    return newcomer


def test_a_stolen_password_alone_signs_no_staff_member_in_and_unlocks_nothing(
    cast, recovery_shares
):
    code_for(cast.handler)  # Hana has her authenticator
    newcomer = owed_to_newcomer(cast.handler)
    for code in ("", "000000", "not-a-code"):
        thief = post_sign_in("hana", PASSWORD, code)
        assert thief.response.status_code == 200  # type: ignore[attr-defined]
        assert "Please enter a correct user name, password and code" in (
            thief.response.content.decode()  # type: ignore[attr-defined]
        )
        assert "_auth_user_id" not in thief.session and COOKIE_NAME not in thief.cookies
    # Her key was never unwrapped for the thief: nothing owed was fulfilled.
    assert PendingGrant.objects.filter(user=newcomer).exists()
    failures = AuditEntry.objects.filter(action="access.sign_in.failed")
    assert failures.count() == 3 and all('"reason":"code"' in e.details for e in failures)
    # Each wrong code makes the next wait longer (1, 2, 4 s...); after that, with both
    # factors in one request, she is in and the owed key is sealed.
    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(seconds=5)):
        sign_in(Client(), cast.handler)
    assert not PendingGrant.objects.filter(user=newcomer).exists()


def test_a_code_seen_over_a_shoulder_does_not_sign_in_again(cast):
    code = code_for(cast.handler)
    first = post_sign_in("hana", PASSWORD, code)
    assert first.response.status_code == 302  # type: ignore[attr-defined]
    replay = post_sign_in("hana", PASSWORD, code)
    assert replay.response.status_code == 200  # type: ignore[attr-defined]
    assert "_auth_user_id" not in replay.session


def test_the_right_code_with_a_wrong_password_signs_nobody_in_and_is_not_spent(cast):
    code = code_for(cast.handler)
    assert post_sign_in("hana", "a guess", code).response.status_code == 200  # type: ignore[attr-defined]
    assert post_sign_in("hana", PASSWORD, code).response.status_code == 302  # type: ignore[attr-defined]


def enrol_through_the_pages(username: str, password: str) -> tuple[Client, str, list[str]]:
    client = Client()
    response = client.post("/accounts/login/", {"username": username, "password": password})
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/two-factor/enrol/")
    assert "_auth_user_id" not in client.session and COOKIE_NAME not in client.cookies
    page = client.get(response["Location"]).content.decode()
    assert re.search(r'<img class="qr" src="data:image/svg\+xml', page)
    secret = re.search(r'<code class="secret">([A-Z2-7 ]+)</code>', page)
    assert secret
    done = client.post(
        response["Location"],
        {"password": password, "otp_token": code_from_secret(secret[1])},
    )
    assert done.status_code == 200, done.content.decode()[:800]
    codes = re.findall(r"<li><code>([a-z2-9]{5}-[a-z2-9]{5})</code></li>", done.content.decode())
    assert len(codes) == 10
    return client, secret[1], codes


def test_the_first_sign_in_sets_up_the_app_and_only_then_opens_the_key(cast, recovery_shares):
    newcomer = owed_to_newcomer(cast.handler)
    # A password alone reaches the set-up page, and nothing else: no session, no key.
    wrong = Client().post("/accounts/login/", {"username": "hana", "password": "a guess"})
    assert wrong.status_code == 200
    client, secret, codes = enrol_through_the_pages("hana", PASSWORD)
    assert client.session.get("_auth_user_id") == str(cast.handler.pk)
    assert COOKIE_NAME in client.cookies
    assert "Signed in as Hana Quill" in client.get("/").content.decode()
    assert not PendingGrant.objects.filter(user=newcomer).exists()
    assert TOTPDevice.objects.get(user=cast.handler).confirmed
    assert AuditEntry.objects.filter(action="access.second_factor.enrolled").count() == 1
    # From now on, the app's code is asked for.
    later = code_from_secret(secret, steps_ahead=1)
    assert post_sign_in("hana", PASSWORD).response.status_code == 200  # type: ignore[attr-defined]
    assert post_sign_in("hana", PASSWORD, later).response.status_code == 302  # type: ignore[attr-defined]


def test_enrolment_needs_the_password_again_and_a_code_of_the_new_app(cast):
    client = Client()
    start = client.post("/accounts/login/", {"username": "hana", "password": PASSWORD})
    page = client.get(start["Location"]).content.decode()
    secret = re.search(r'<code class="secret">([A-Z2-7 ]+)</code>', page)
    assert secret
    wrong = client.post(
        start["Location"], {"password": "a guess", "otp_token": code_from_secret(secret[1])}
    )
    assert wrong.status_code == 200 and "_auth_user_id" not in client.session
    assert not TOTPDevice.objects.filter(user=cast.handler, confirmed=True).exists()
    # Someone else's browser, without the set-up step, is sent to sign in.
    assert Client().get(start["Location"])["Location"] == "/accounts/login/"


def test_a_recovery_code_stands_in_for_the_app_once(cast):
    _client, _secret, codes = enrol_through_the_pages("hana", PASSWORD)
    assert post_sign_in("hana", PASSWORD, codes[3].upper()).response.status_code == 302  # type: ignore[attr-defined]
    assert post_sign_in("hana", PASSWORD, codes[3]).response.status_code == 200  # type: ignore[attr-defined]
    assert AuditEntry.objects.filter(action="access.second_factor.recovery_code_used").count() == 1
    assert RecoveryCode.objects.filter(user=cast.handler, used_at__isnull=True).count() == 9


def test_a_copy_of_the_database_holds_no_seed_and_no_recovery_code(cast):
    _client, secret, codes = enrol_through_the_pages("hana", PASSWORD)
    seed = seed_from(secret)
    stored = b"".join(
        bytes(device.sealed_key) + str(device.__dict__).encode()
        for device in TOTPDevice.objects.all()
    ) + b"".join(
        bytes(row.digest) + str(row.__dict__).encode() for row in RecoveryCode.objects.all()
    )
    for form in encodings(seed) + [secret.encode(), secret.replace(" ", "").encode()]:
        assert form not in stored
    for code in codes:
        assert code.encode() not in stored and code.replace("-", "").encode() not in stored


@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # the worker's own connections
def test_a_forgotten_password_link_alone_does_not_reset_the_password(cast, mailoutbox):
    from ombud.operations.worker import BackgroundWorker

    code_for(cast.handler)  # enrolled
    # Someone who reads her mailbox (or typed it in the admin) asks for the link.
    Client().post("/accounts/password/forgotten/", {"email": cast.handler.email})
    BackgroundWorker().tick()
    BackgroundWorker().tick()
    link = re.search(r"http://127.0.0.1:8000(/accounts/password/reset/\S+)", mailoutbox[0].body)
    assert link
    intruder = Client()
    form = intruder.get(link[1], follow=True)
    target = form.redirect_chain[-1][0]
    chosen = {"new_password1": "the intruder's choice", "new_password2": "the intruder's choice"}
    response = intruder.post(target, chosen)
    assert response.status_code == 200
    assert "Code from your authenticator app" in response.content.decode()
    response = intruder.post(target, {**chosen, "otp_token": "123456"})
    assert response.status_code == 200
    assert "is needed and this one is not right" in response.content.decode()
    assert private_of(cast.handler)  # her password still opens her key
    assert not AuditEntry.objects.filter(action="access.staff_key.replaced").exists()
    # She, with her app, can (once the back-off after the wrong code has passed).
    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(seconds=2)):
        response = intruder.post(
            target,
            {
                "new_password1": "remembered now",
                "new_password2": "remembered now",
                "otp_token": code_for(cast.handler),
            },
        )
    assert response.status_code == 302
    assert AuditEntry.objects.filter(action="access.staff_key.replaced").exists()


def test_new_recovery_codes_need_a_code_and_replace_the_old(cast):
    client, secret, codes = enrol_through_the_pages("hana", PASSWORD)
    assert "10 recovery codes are left" in client.get("/accounts/two-factor/").content.decode()
    refused = client.post("/accounts/two-factor/", {"otp_token": "000000"})
    assert "This code is not right" in refused.content.decode()
    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(seconds=2)):
        renewed = client.post(
            "/accounts/two-factor/", {"otp_token": code_from_secret(secret, steps_ahead=1)}
        )
    fresh = re.findall(r"<li><code>([a-z2-9]{5}-[a-z2-9]{5})</code></li>", renewed.content.decode())
    assert len(fresh) == 10 and not set(fresh) & set(codes)
    assert post_sign_in("hana", PASSWORD, fresh[0]).response.status_code == 302  # type: ignore[attr-defined]
    assert post_sign_in("hana", PASSWORD, codes[0]).response.status_code == 200  # type: ignore[attr-defined]


def test_a_lost_authenticator_goes_only_when_a_ladder_member_approves_and_the_password_still_counts(
    cast, story
):
    from django.core.management import call_command

    from ombud.access.models import RuleChange
    from tests.access.test_vault import signed_in

    code_for(cast.handler)
    call_command("second_factor_reset", "hana")  # the operator, alone: nothing yet
    assert TOTPDevice.objects.filter(user=cast.handler).exists()
    change = RuleChange.objects.get(kind="second_factor", user=cast.handler)
    signed_in(story.head_of_ethics).post(f"/rules/{change.pk}/decide/", {"action": "approve"})
    assert not TOTPDevice.objects.filter(user=cast.handler).exists()
    assert AuditEntry.objects.filter(action="access.second_factor.reset").exists()
    guess = Client().post("/accounts/login/", {"username": "hana", "password": "a guess"})
    assert guess.status_code == 200  # no way round the password
    enrol_through_the_pages("hana", PASSWORD)
