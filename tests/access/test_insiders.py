"""Insiders who try to read a case they were never routed to: an administrator who
makes herself an account, accounts that change after a case was routed, and roles
that are taken away. Each test is the attack; each failed before its fix."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from ombud.access.models import CaseKeyGrant, CaseReader, Conflict, PendingGrant, RuleChange
from ombud.access.selectors import cases_for_user
from ombud.audit.models import AuditEntry
from ombud.cases.models import Case
from ombud.directory import roles
from ombud.directory.models import AccountChangeRefused, Person, User
from ombud.directory.selectors import user_has_role
from ombud.directory.services import role_grant, role_revoke, user_create
from ombud.integrity import rows_retag
from tests.access.reports import against
from tests.access.test_vault import signed_in
from tests.conftest import ACTOR, make_person, make_staff
from tests.intake.helpers import staff_open

pytestmark = pytest.mark.usefixtures("recovery_shares")


def admin_client(cast) -> Client:
    return signed_in(cast.administrator)


def approve(user: User, change: RuleChange) -> None:
    response = signed_in(user).post(f"/rules/{change.pk}/decide/", {"action": "approve"})
    assert response.status_code == 302


# 1. An administrator who makes herself an account that reads reports -----------


def test_an_administrator_cannot_type_the_e_mail_a_new_accounts_password_link_goes_to(
    cast, mailoutbox, django_capture_on_commit_callbacks
):
    admin = admin_client(cast)
    noor = make_person("C060", "Noor Haddad", unit="People")
    with django_capture_on_commit_callbacks(execute=True):
        admin.post(
            "/admin/directory/user/add/",
            {"username": "noor", "person": noor.pk, "email": "milo.private@elsewhere.example"},
        )
    account = User.objects.get(username="noor")
    assert account.email == "noor.haddad@cast.example"  # the directory's, not what she typed
    assert [m.to for m in mailoutbox] == [["noor.haddad@cast.example"]]


def test_an_administrator_cannot_make_an_account_outside_the_directory(cast):
    admin = admin_client(cast)
    response = admin.post(
        "/admin/directory/user/add/",
        {"username": "puppet", "person": "", "email": "milo.private@elsewhere.example"},
    )
    assert response.status_code == 200  # the form again, with its error
    assert "This field is required" in response.content.decode()
    assert not User.objects.filter(username="puppet").exists()


def test_a_username_and_its_person_never_change_after_the_account_is_made(cast):
    admin = admin_client(cast)
    hana = cast.handler
    admin.post(
        f"/admin/directory/user/{hana.pk}/change/",
        {"username": "hana2", "person": cast.unrelated_handler.person_id, "is_active": "on"},
    )
    hana.refresh_from_db()
    assert hana.username == "hana" and hana.person_id != cast.unrelated_handler.person_id
    # Not even through the model, whatever form or script tries.
    hana.username = "someone-else"
    with pytest.raises(AccountChangeRefused):
        hana.save()
    hana.refresh_from_db()
    hana.person = None
    with pytest.raises(AccountChangeRefused):
        hana.save()


def test_a_role_proposal_applies_to_the_account_it_was_made_for_not_to_whoever_has_its_name(
    cast, story
):
    # The administrator proposes the handler role for an innocent-looking account...
    noor = user_create(
        actor=ACTOR, username="noor", password=None, person=make_person("C060", "Noor Haddad")
    )
    puppet = user_create(
        actor=ACTOR, username="puppet", password=None, person=make_person("C061", "Pip Pett")
    )
    assert role_grant(actor=cast.administrator, user=noor, role=roles.HANDLER) is None
    change = RuleChange.objects.get(kind="role_grant")
    # ...then swaps the usernames behind the approver's back (straight in the table).
    User.objects.filter(pk=noor.pk).update(username="swap")
    User.objects.filter(pk=puppet.pk).update(username="noor")
    approve(story.head_of_ethics, change)
    assert not user_has_role(user=puppet, role=roles.HANDLER)
    change.refresh_from_db()
    assert change.state == "pending"  # refused: the account it named is not the one now


def test_every_role_that_reads_cases_waits_for_a_second_ladder_member_even_from_an_administrator(
    cast, story
):
    noor = user_create(
        actor=ACTOR,
        username="noor",
        password=None,
        person=make_person("C060", "Noor Haddad", unit="People"),
    )
    admin = admin_client(cast)
    for code in (roles.INVESTIGATOR, roles.TRAINED_INVESTIGATOR, roles.HANDLER):
        role = noor.role_assignments.model.role.field.related_model.objects.get(code=code)
        admin.post("/admin/directory/roleassignment/add/", {"user": noor.pk, "role": role.pk})
        assert not user_has_role(user=noor, role=code)
    assert sorted(json.loads(c.payload)["role"] for c in RuleChange.objects.all()) == sorted(
        [roles.INVESTIGATOR, roles.TRAINED_INVESTIGATOR, roles.HANDLER]
    )
    # A ladder member giving a colleague a reading role waits too.
    assert role_grant(actor=cast.handler, user=noor, role=roles.INVESTIGATOR) is None
    # Whoever decides sees who the change is about.
    page = signed_in(story.head_of_ethics).get("/rules/").content.decode()
    assert "Noor Haddad" in page and "noor.haddad@cast.example" in page and "People" in page
    change = RuleChange.objects.filter(kind="role_grant").first()
    assert change is not None
    approve(story.head_of_ethics, change)
    assert user_has_role(user=noor, role=json.loads(change.payload)["role"])


def test_someone_added_by_hand_to_the_directory_waits_for_a_second_ladder_member(cast, story):
    admin = admin_client(cast)
    response = admin.post(
        "/admin/directory/person/add/",
        {
            "kind": "external",
            "employee_id": "X-0001",
            "name": "Wendeline Osei",
            "other_names": "",
            "email": "milo.private@elsewhere.example",
            "phone": "",
            "title": "External board member",
            "grade": "",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    assert not Person.objects.filter(employee_id="X-0001").exists()
    change = RuleChange.objects.get(kind="external")
    assert (
        "milo.private@elsewhere.example"
        in signed_in(story.board[0]).get("/rules/").content.decode()
    )
    approve(story.board[0], change)
    added = Person.objects.get(employee_id="X-0001")
    assert added.kind == "external" and added.email == "milo.private@elsewhere.example"


def test_changing_a_staff_members_work_e_mail_waits_for_a_second_ladder_member(cast, story):
    admin = admin_client(cast)
    hana = cast.handler.person
    response = admin.post(
        f"/admin/directory/person/{hana.pk}/change/",
        {
            "employee_id": hana.employee_id,
            "name": hana.name,
            "other_names": "",
            "email": "milo.private@elsewhere.example",
            "phone": "",
            "unit": hana.unit_id,
            "title": "",
            "grade": "",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    cast.handler.refresh_from_db()
    assert cast.handler.email == "hana.quill@cast.example"  # her reset link stays hers
    change = RuleChange.objects.get(kind="person")
    approve(story.head_of_ethics, change)
    cast.handler.refresh_from_db()
    assert cast.handler.email == "milo.private@elsewhere.example"


def test_a_staff_members_e_mail_changed_by_the_directory_import_waits_too(cast, story, tmp_path):
    from ombud.directory.importer import directory_import

    path = tmp_path / "people.csv"
    path.write_text(
        "employee_id,name,other_names,email,phone,unit,manager_id,title,grade,executive\n"
        "C010,Hana Quill,,milo.private@elsewhere.example,,People,,,,no\n"
    )
    assert directory_import(actor="cli:root", path=path).ok
    assert User.objects.get(pk=cast.handler.pk).email == "hana.quill@cast.example"
    assert RuleChange.objects.filter(kind="person", state="pending").count() == 1


# 2. Accounts that change after a case was routed -------------------------------


def test_an_account_made_after_routing_for_a_direct_report_of_the_accused_never_reads_it(
    cast, story
):
    case = against("C004")  # Jonas, not an executive: the intake team reads it
    assert case.level.role.code == roles.HANDLER
    # Kenji reports to Jonas, the accused; he joins the intake team afterwards.
    kenji_person = make_person("C070", "Kenji Marlowe", manager=cast.team_lead, unit="Retail")
    kenji = user_create(
        actor=cast.administrator, username="kenji", password="correct horse", person=kenji_person
    )
    assert Conflict.objects.filter(case=case, user=kenji).exists()  # known at creation
    assert role_grant(actor=cast.administrator, user=kenji, role=roles.HANDLER) is None
    approve(story.head_of_ethics, RuleChange.objects.get(kind="role_grant"))
    signed_in(cast.handler)  # a holder signs in: any pending grant would be fulfilled now
    assert not CaseKeyGrant.objects.filter(case=case, user=kenji).exists()
    assert not PendingGrant.objects.filter(case=case, user=kenji).exists()
    assert signed_in(kenji).get(f"/cases/{case.public_id}/").status_code == 404


def test_a_key_is_refused_at_sealing_to_someone_the_directory_now_says_is_conflicted(cast, story):
    from ombud.access.services import case_key_grant
    from tests.intake.helpers import case_key_of

    case = against("C004")
    case_key = case_key_of(case, cast.handler)
    # The directory moved Emil under the accused, and nothing recomputed it yet (a
    # bulk write of Ombud's own, tagged, that sent no signal).
    moved = Person.objects.filter(pk=cast.unrelated_handler.person_id)
    moved.update(manager=cast.team_lead)
    rows_retag(moved)
    CaseKeyGrant.objects.filter(case=case, user=cast.unrelated_handler).delete()
    assert (
        case_key_grant(actor="test", case=case, user=cast.unrelated_handler, case_key=case_key)
        is None
    )
    assert not CaseKeyGrant.objects.filter(case=case, user=cast.unrelated_handler).exists()
    refusal = AuditEntry.objects.get(action="access.case_key.refused")
    assert '"reason":"conflict of interest"' in refusal.details


def test_an_account_cut_from_its_directory_person_reads_nothing(cast, story):
    case = against("C004")
    # An operator or an old admin form unlinks Emil from his directory entry.
    User.objects.filter(pk=cast.unrelated_handler.pk).update(person=None)
    emil = User.objects.get(pk=cast.unrelated_handler.pk)
    assert not cases_for_user(emil).filter(pk=case.pk).exists()
    assert signed_in(emil).get(f"/cases/{case.public_id}/").status_code == 404


def test_the_managers_of_someone_who_ignored_the_complaint_are_kept_away_but_a_witnesss_are_not(
    cast, story
):
    """In the story her complaints to HR were ignored: the HR officer's management
    answers for that, so they are kept away too. A witness's managers are not."""
    from ombud.access.routing import case_party_add
    from tests.intake.helpers import case_key_of

    hr_head = story.head_of_ethics  # Sunniva runs ethics and HR
    hr_officer = make_person("C080", "Greta Lunde", manager=hr_head.person, unit="Ethics")
    witness_boss = make_staff("C081", "Odile Ferrant", roles.HEAD_OF_ETHICS, "Ethics")
    witness = make_person("C082", "Tomas Reyes", manager=witness_boss.person, unit="Ethics")
    case = against("C004", category="sexual_harassment")
    case_key = case_key_of(case, cast.handler)
    assert CaseKeyGrant.objects.filter(case=case, user=hr_head).exists()
    case_party_add(actor=cast.handler, case=case, case_key=case_key, person=witness, role="witness")
    assert CaseKeyGrant.objects.filter(case=case, user=witness_boss).exists()
    case_party_add(
        actor=cast.handler, case=case, case_key=case_key, person=hr_officer, role="reported_to"
    )
    assert not CaseKeyGrant.objects.filter(case=case, user=hr_head).exists()
    assert Conflict.objects.filter(case=case, user=hr_head, reason="chain").exists()
    # The case page says the same thing the code does.
    page = staff_open(signed_in(cast.handler), case).content.decode()
    assert "everyone above them" in page and "witness alone" in page


# 3. A role taken away takes its access with it ---------------------------------


def test_an_investigator_whose_role_is_removed_no_longer_reads_the_case(cast, story):
    from ombud.access.standing import investigator_assign
    from tests.intake.helpers import case_key_of

    bram = make_staff("C061", "Bram Okafor", roles.INVESTIGATOR, "Ethics")
    case = against("C004")
    investigator_assign(
        actor=cast.handler, case=case, case_key=case_key_of(case, cast.handler), user=bram
    )
    client = signed_in(bram)
    assert staff_open(client, case).status_code == 200
    role_revoke(actor=cast.administrator, user=bram, role=roles.INVESTIGATOR)
    assert client.get(f"/cases/{case.public_id}/").status_code == 404
    assert not CaseKeyGrant.objects.filter(case=case, user=bram).exists()
    assert not CaseReader.objects.filter(case=case, user=bram, standing="investigator").exists()
    revoked = AuditEntry.objects.get(action="access.case_key.revoked", object_id=str(case.pk))
    assert '"reason":"no role that reads it"' in revoked.details


def test_a_ladder_member_whose_role_is_removed_loses_the_keys_it_gave(cast, story):
    case = against("C004")
    assert CaseKeyGrant.objects.filter(case=case, user=story.head_of_ethics).exists()
    assert (
        role_revoke(actor=cast.handler, user=story.head_of_ethics, role=roles.HEAD_OF_ETHICS)
        is False
    )
    approve(story.board[0], RuleChange.objects.get(kind="role_revoke"))
    assert not CaseKeyGrant.objects.filter(case=case, user=story.head_of_ethics).exists()
    assert Case.objects.get(pk=case.pk).key_grants.filter(user=cast.handler).exists()


def test_the_reporters_own_manager_given_a_role_after_routing_is_refused_the_key_when_owed_it(
    cast,
):
    """Only a key holder can see who a confidential reporter is: the holder who
    fulfils a pending grant checks the reporter's managers before sealing."""
    from tests.access.reports import against_client_by_rhea

    ethics = make_staff("C050", "Sunniva Hale", roles.HEAD_OF_ETHICS, "Ethics")
    case = against_client_by_rhea()  # Rhea, confidentially; her team lead has no account yet
    lead = user_create(
        actor=cast.administrator, username="jonas", password="correct horse", person=cast.team_lead
    )
    assert role_grant(actor=cast.administrator, user=lead, role=roles.HANDLER) is None
    approve(ethics, RuleChange.objects.get(kind="role_grant"))
    assert PendingGrant.objects.filter(case=case, user=lead).exists()  # owed, as a new member
    signed_in(cast.handler)  # Hana holds the case and signs in
    assert not CaseKeyGrant.objects.filter(case=case, user=lead).exists()
    refusal = AuditEntry.objects.get(action="access.case_key.refused")
    assert '"to":"jonas"' in refusal.details


def test_an_administrator_cannot_redirect_a_new_hires_e_mail_before_making_her_account(cast, story):
    admin = admin_client(cast)
    noor = make_person("C060", "Noor Haddad", unit="People")  # no account yet
    form = {
        "employee_id": "C060",
        "name": "Noor Haddad",
        "other_names": "",
        "email": "noor.haddad@cast-example.example",  # a look-alike of the administrator's
        "phone": "",
        "unit": noor.unit_id,
        "title": "",
        "grade": "",
        "is_active": "on",
    }
    admin.post(f"/admin/directory/person/{noor.pk}/change/", form)
    assert Person.objects.get(pk=noor.pk).email == "noor.haddad@cast.example"
    assert RuleChange.objects.filter(kind="person", person=noor).exists()


def test_an_employee_id_never_changes_so_a_proposal_cannot_be_steered_to_another_person(
    cast, story
):
    admin = admin_client(cast)
    victor = cast.accused
    admin.post(
        f"/admin/directory/person/{victor.pk}/change/",
        {
            "employee_id": "C999",
            "name": victor.name,
            "other_names": "",
            "email": victor.email,
            "phone": "",
            "unit": victor.unit_id,
            "manager": victor.manager_id,
            "title": victor.title,
            "grade": "",
            "is_executive": "on",
            "is_active": "on",
        },
    )
    assert Person.objects.get(pk=victor.pk).employee_id == "C003"
