"""The key vault in-process: who holds which key, through a whole staff life."""

from __future__ import annotations

import base64
import json
import re

import pytest
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from ombud.access.models import (
    CaseKeyGrant,
    CaseRecoverySeal,
    PendingGrant,
    RuleChange,
    StaffKey,
)
from ombud.access.services import (
    case_create,
    case_key_grant,
    case_key_open,
    case_private_key,
    staff_key_unlock,
)
from ombud.access.session import COOKIE_NAME, SESSION_FIELD
from ombud.audit.models import AuditEntry
from ombud.cases.models import Case
from ombud.crypto import aead, boxes
from ombud.crypto.errors import DecryptionFailed
from ombud.directory.models import User
from ombud.directory.services import person_deactivate, role_grant, user_create
from tests.conftest import code_for, make_person, sign_in, signs_in

PASSWORD = "correct horse"


def encodings(secret: bytes) -> list[bytes]:
    """Every way a key could sit in a file: raw, hex, base64 (both alphabets, any padding)."""
    forms = [secret, secret.hex().encode(), secret.hex().upper().encode()]
    for encoder in (base64.b64encode, base64.urlsafe_b64encode):
        encoded = encoder(secret)
        forms += [encoded, encoded.rstrip(b"=")]
    return forms


def private_of(user: User, password: str = PASSWORD) -> bytes:
    private = staff_key_unlock(user=user, password=password)
    assert private is not None
    return private


def signed_in(user: User, password: str = PASSWORD) -> Client:
    return sign_in(Client(), user, password)


def test_setting_a_first_password_gives_the_account_a_key_pair(cast):
    staff_key = StaffKey.objects.get(user=cast.handler)
    assert boxes.public_of(private_of(cast.handler)) == bytes(staff_key.public_key)
    assert AuditEntry.objects.filter(
        action="access.staff_key.created", object_id=str(cast.handler.pk)
    ).exists()


def test_a_signed_in_handler_has_her_key_unlocked_for_this_sign_in_only(cast):
    client = signed_in(cast.handler)
    assert "Your key is unlocked for this sign-in" in client.get("/").content.decode()
    cookie = client.cookies[COOKIE_NAME]
    assert cookie["httponly"] and cookie["samesite"] == "Strict"
    # Another real sign-in has its own sealed key; the first cookie does not open it,
    # and a session whose key does not open ends.
    other = signed_in(cast.handler)
    other.cookies[COOKIE_NAME] = cookie.value
    assert "Signed in as" not in other.get("/").content.decode()
    # And so does the session without its cookie.
    del client.cookies[COOKIE_NAME]
    assert "Signed in as" not in client.get("/").content.decode()


def test_neither_the_session_store_nor_the_cookie_holds_the_private_key(cast):
    client = signed_in(cast.handler)
    private = private_of(cast.handler)
    # Sessions are signed, not encrypted: read them as anyone with the database could.
    stored = b"".join(
        json.dumps(row.get_decoded()).encode() + row.session_key.encode()
        for row in Session.objects.all()
    )
    sealed = Session.objects.get().get_decoded()[SESSION_FIELD]  # ciphertext is there
    assert len(base64.b64decode(sealed)) == len(private) + aead.OVERHEAD
    cookie = client.cookies[COOKIE_NAME].value.encode()
    for form in encodings(private):
        assert form not in stored
        assert form not in cookie
    for row in StaffKey.objects.all():
        for form in encodings(private):
            assert form not in bytes(row.wrapped_private_key)


def test_a_substituted_public_key_refuses_the_sign_in_and_is_audited(cast):
    code = code_for(cast.handler)
    StaffKey.objects.filter(user=cast.handler).update(public_key=boxes.keypair().public)
    client = Client()
    response = client.post(
        "/accounts/login/", {"username": "hana", "password": PASSWORD, "otp_token": code}
    )
    assert response.status_code == 200
    assert "Please enter a correct" in response.content.decode()
    assert AuditEntry.objects.filter(action="access.staff_key.substituted").exists()


def test_signing_out_destroys_the_key(cast):
    client = signed_in(cast.handler)
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert response.cookies[COOKIE_NAME].value == ""
    assert not any(SESSION_FIELD in s.get_decoded() for s in Session.objects.all())


def test_a_case_key_is_sealed_to_its_readers_and_the_recovery_key_and_nobody_else(
    cast, recovery_shares
):
    case, case_key = case_create(actor="test", readers=[cast.handler])
    assert case.ref.startswith("OMB-") and len(case.public_id) >= 22
    grant = CaseKeyGrant.objects.get(case=case)
    assert grant.user == cast.handler
    assert case_key_open(case=case, user=cast.handler, private=private_of(cast.handler)) == case_key
    assert CaseRecoverySeal.objects.filter(case=case).exists()
    entry = AuditEntry.objects.get(action="access.case_key.granted")
    assert entry.details == f'{{"case":"{case.ref}","to":"hana"}}'


def test_an_administrator_holds_no_key_that_opens_any_case(cast, recovery_shares):
    for readers in ([cast.handler], [cast.unrelated_handler], [cast.handler, cast.auditor]):
        case_create(actor="test", readers=readers)
    admin_private = private_of(cast.administrator)
    sealed = [bytes(g.sealed_case_key) for g in CaseKeyGrant.objects.all()]
    sealed += [bytes(s.sealed_case_key) for s in CaseRecoverySeal.objects.all()]
    assert len(sealed) == 7
    for box in sealed:
        with pytest.raises(DecryptionFailed):
            boxes.unseal(admin_private, box)
    assert not CaseKeyGrant.objects.filter(user=cast.administrator).exists()


def test_what_the_worker_seals_to_a_case_opens_with_the_case_key(cast, recovery_shares):
    case, case_key = case_create(actor="test", readers=[cast.handler])
    note = boxes.seal(bytes(case.public_key), b"Deadline missed on 2026-12-02.")
    reopened = Case.objects.get(pk=case.pk)
    private = case_private_key(case=reopened, case_key=case_key)
    assert boxes.unseal(private, note) == b"Deadline missed on 2026-12-02."
    with pytest.raises(DecryptionFailed):
        case_private_key(case=reopened, case_key=aead.random_key())


def test_a_grant_to_someone_without_a_key_pair_waits_for_a_holder_to_sign_in(cast, recovery_shares):
    case, case_key = case_create(actor="test", readers=[cast.handler])
    newcomer = user_create(
        actor="test", username="noor", password=None, person=make_person("C060", "Noor Haddad")
    )
    role_grant(actor="test", user=newcomer, role="handler")  # at the terminal: at once
    assert isinstance(
        case_key_grant(actor="test", case=case, user=newcomer, case_key=case_key), PendingGrant
    )
    newcomer.set_password("a fresh long password")
    newcomer.save()
    assert PendingGrant.objects.filter(user=newcomer).exists()  # nobody holding signed in yet
    signed_in(cast.handler)
    assert not PendingGrant.objects.filter(user=newcomer).exists()
    opened = case_key_open(
        case=case, user=newcomer, private=private_of(newcomer, "a fresh long password")
    )
    assert opened == case_key
    assert AuditEntry.objects.filter(
        action="access.case_key.pending_fulfilled", actor="user:hana"
    ).exists()


def test_a_holder_owed_to_a_newcomer_on_many_cases_checks_her_standing_once_not_per_case(
    cast, recovery_shares
):
    # A new head of ethics is owed a key for every case below her: at a million cases
    # the holder's sign-in must not read her whole standing again for each of them.
    cases = [case_create(actor="test", readers=[cast.handler]) for _ in range(5)]
    newcomer = user_create(
        actor="test", username="noor", password=None, person=make_person("C060", "Noor Haddad")
    )
    role_grant(actor="test", user=newcomer, role="handler")
    for case, case_key in cases:
        case_key_grant(actor="test", case=case, user=newcomer, case_key=case_key)
    newcomer.set_password("a fresh long password")
    newcomer.save()
    with CaptureQueriesContext(connection) as queries:
        signed_in(cast.handler)
    assert not PendingGrant.objects.filter(user=newcomer).exists()
    standing_reads = [q for q in queries if 'FROM "access_categoryrule"' in q["sql"]]
    assert len(standing_reads) == 1


def test_a_password_change_keeps_the_same_key_and_signs_the_user_out(cast, recovery_shares):
    case, case_key = case_create(actor="test", readers=[cast.handler])
    client = signed_in(cast.handler)
    response = client.post(
        "/accounts/password/",
        {
            "old_password": PASSWORD,
            "new_password1": "an even longer passphrase",
            "new_password2": "an even longer passphrase",
        },
    )
    assert response.status_code == 302 and response["Location"] == "/accounts/login/"
    assert "Your key is" not in client.get("/").content.decode()  # signed out
    private = private_of(cast.handler, "an even longer passphrase")
    assert case_key_open(case=case, user=cast.handler, private=private) == case_key
    assert AuditEntry.objects.filter(action="access.staff_key.rewrapped").exists()
    assert not PendingGrant.objects.exists()


def test_a_wrong_old_password_reshows_the_form_and_changes_nothing(cast):
    client = signed_in(cast.handler)
    response = client.post(
        "/accounts/password/",
        {
            "old_password": "wrong",
            "new_password1": "an even longer passphrase",
            "new_password2": "an even longer passphrase",
        },
    )
    assert response.status_code == 200
    assert "Your old password was entered incorrectly" in response.content.decode()
    assert private_of(cast.handler)  # the old password still opens the key


def test_an_administrator_cannot_choose_a_key_holders_password(cast, recovery_shares):
    shared, shared_key = case_create(actor="test", readers=[cast.handler])
    admin = signed_in(cast.administrator)
    response = admin.post(
        f"/admin/directory/user/{cast.handler.pk}/password/",
        {
            "password1": "the admin knows this",
            "password2": "the admin knows this",
            "usable_password": "true",
        },
    )
    assert response.status_code == 403
    assert not signs_in("hana", "the admin knows this")
    assert (
        case_key_open(case=shared, user=cast.handler, private=private_of(cast.handler))
        == shared_key
    )
    assert not PendingGrant.objects.exists()


def test_no_code_path_may_quietly_replace_a_key_holders_password(cast):
    from ombud.access.services import KeyHolderPasswordRefused

    cast.handler.set_password("chosen by someone else")
    with pytest.raises(KeyHolderPasswordRefused):
        cast.handler.save()
    cast.handler.refresh_from_db()
    assert cast.handler.check_password(PASSWORD)


def test_an_administrator_makes_an_account_whose_owner_chooses_the_password(
    cast, mailoutbox, django_capture_on_commit_callbacks
):
    admin = signed_in(cast.administrator)
    noor_person = make_person("C060", "Noor Haddad")
    with django_capture_on_commit_callbacks(execute=True):
        response = admin.post(
            "/admin/directory/user/add/", {"username": "noor", "person": noor_person.pk}
        )
    assert response.status_code == 302, response.content.decode()[:1500]
    noor = User.objects.get(username="noor")
    assert not noor.has_usable_password()
    assert not StaffKey.objects.filter(user=noor).exists()
    assert [m.to for m in mailoutbox] == [["noor.haddad@cast.example"]]
    link = re.search(r"http://testserver(/accounts/password/reset/\S+)", mailoutbox[0].body)
    assert link
    owner = Client()
    form = owner.get(link[1], follow=True)
    owner.post(
        form.redirect_chain[-1][0],
        {"new_password1": "noor chose this one", "new_password2": "noor chose this one"},
    )
    assert private_of(User.objects.get(username="noor"), "noor chose this one")
    assert AuditEntry.objects.filter(action="access.staff_key.created", actor="user:noor").exists()


def test_an_administrator_cannot_redirect_someones_password_link(cast):
    admin = signed_in(cast.administrator)
    page = admin.get(f"/admin/directory/user/{cast.handler.pk}/change/").content.decode()
    assert 'name="email"' not in page  # shown, not editable


def test_a_leaver_gives_up_keys_that_others_still_hold(cast, recovery_shares):
    shared, _key = case_create(actor="test", readers=[cast.handler, cast.unrelated_handler])
    person_deactivate(actor=cast.administrator, person=cast.handler.person)
    assert list(
        CaseKeyGrant.objects.filter(case=shared).values_list("user__username", flat=True)
    ) == ["emil"]
    revoked = AuditEntry.objects.get(action="access.case_key.revoked")
    assert '"reason":"left"' in revoked.details


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_case_whose_only_holder_leaves_keeps_the_key_and_alarms_ethics_and_admins(
    cast, recovery_shares, mailoutbox
):
    from ombud.directory import roles
    from ombud.directory.services import role_grant
    from ombud.operations.worker import BackgroundWorker
    from tests.conftest import make_staff

    ethics = make_staff("C040", "Ines Harrow", roles.HEAD_OF_ETHICS, "Ethics")
    role_grant(actor="test", user=ethics, role=roles.HEAD_OF_ETHICS)
    alone, _key = case_create(actor="test", readers=[cast.handler])
    person_deactivate(actor=cast.administrator, person=cast.handler.person)
    assert CaseKeyGrant.objects.filter(case=alone, user=cast.handler).exists()
    assert AuditEntry.objects.filter(action="access.case.no_other_holder").exists()
    BackgroundWorker().tick()
    alarms = [m for m in mailoutbox if "no other key holder" in m.subject]
    assert sorted(m.to[0] for m in alarms) == sorted([ethics.email, cast.administrator.email])
    for alarm in alarms:
        assert alone.ref in alarm.body
        assert "Rhea" not in alarm.body and "Victor" not in alarm.body


@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # the worker's own connections
def test_a_forgotten_password_is_reset_by_e_mail_and_access_comes_back(
    cast, recovery_shares, mailoutbox
):
    shared, shared_key = case_create(actor="test", readers=[cast.handler, cast.unrelated_handler])
    from ombud.operations.worker import BackgroundWorker

    client = Client()
    response = client.post("/accounts/password/forgotten/", {"email": cast.handler.email})
    assert response.status_code == 302
    BackgroundWorker().tick()  # the worker finds the account and queues the mail...
    BackgroundWorker().tick()  # ...and sends it
    assert len(mailoutbox) == 1 and mailoutbox[0].to == [cast.handler.email]
    link = re.search(r"http://127.0.0.1:8000(/accounts/password/reset/\S+)", mailoutbox[0].body)
    assert link
    form = client.get(link[1], follow=True)
    assert "Choose a new password" in form.content.decode()
    response = client.post(
        form.redirect_chain[-1][0],
        {"new_password1": "remembered this time", "new_password2": "remembered this time"},
    )
    assert response.status_code == 302
    assert PendingGrant.objects.filter(user=cast.handler, case=shared).exists()
    # Whoever answered the mail may not be her: nothing comes back until a second
    # ladder member has checked the new key's fingerprint with her.
    emil = signed_in(cast.unrelated_handler)
    assert PendingGrant.objects.filter(user=cast.handler, case=shared, held_for_key=True).exists()
    change = RuleChange.objects.get(kind="staff_key", user=cast.handler)
    fingerprint = boxes.fingerprint(bytes(StaffKey.objects.get(user=cast.handler).public_key))
    assert fingerprint in emil.get("/rules/").content.decode()
    hana = signed_in(cast.handler, "remembered this time")
    assert fingerprint in hana.get("/").content.decode()  # she reads it out to Emil
    emil.post(f"/rules/{change.pk}/decide/", {"action": "approve"})
    signed_in(cast.unrelated_handler)
    private = private_of(cast.handler, "remembered this time")
    assert case_key_open(case=shared, user=cast.handler, private=private) == shared_key


def test_a_replaced_pepper_file_stops_sign_ins_and_says_which_file(cast, settings, caplog):
    from ombud.access import services

    pepper_file = settings.CONFIG.pepper_file
    kept = pepper_file.read_text()
    pepper_file.write_text(bytes(range(1, 33)).hex())  # someone replaced the pepper file
    services._pepper.cache_clear()
    try:
        assert not signs_in("hana", PASSWORD)
    finally:
        pepper_file.write_text(kept)
        services._pepper.cache_clear()
    assert f"the pepper file ({pepper_file}) is not the one" in caplog.text
    assert signs_in("hana", PASSWORD)


def test_a_password_written_into_the_table_opens_nothing_and_the_try_is_audited(cast):
    from django.contrib.auth.hashers import make_password

    # A password written around Ombud, straight into the table: the key is the check.
    User.objects.filter(pk=cast.handler.pk).update(password=make_password("written around"))
    assert not signs_in("hana", "written around")
    entry = AuditEntry.objects.get(action="access.sign_in.failed")
    assert entry.object_id == str(cast.handler.pk) and '"reason":"password"' in entry.details
    assert signs_in("hana", PASSWORD)  # her own password still opens her key
