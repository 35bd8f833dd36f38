"""Routing: where a case starts, who is kept away, who holds the key, who may read now."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client

from ombud.access.models import CaseKeyGrant, CaseReader, Conflict, RoutingPolicy
from ombud.audit.models import AuditEntry
from ombud.cases.models import Case, CaseNote
from ombud.directory import roles
from ombud.directory.models import Person, User
from ombud.directory.services import person_save
from ombud.integrity import rows_retag
from tests.access.reports import against, against_client_by_rhea
from tests.access.test_vault import signed_in
from tests.conftest import ACTOR, account, make_staff
from tests.intake.helpers import staff_open
from tests.intake.test_api import post, report

pytestmark = pytest.mark.usefixtures("recovery_shares")


def test_a_report_against_an_executive_goes_to_the_board_and_nobody_conflicted_holds_its_key(
    cast, story
):
    case = against("C003")  # Victor Hallgrim, an executive
    assert case.start_level.role.code == roles.BOARD_COMMITTEE
    assert case.level.role.code == roles.BOARD_COMMITTEE

    for user in (story.intake_member, story.general_counsel, story.executive):
        client = signed_in(user)
        assert client.get(f"/cases/{case.public_id}/").status_code == 404
        assert case.ref not in client.get("/cases/").content.decode()
        assert not CaseKeyGrant.objects.filter(case=case, user=user).exists()
    # Hana is on the intake team but this case starts above her: no key either.
    assert not CaseKeyGrant.objects.filter(case=case, user=cast.handler).exists()

    member = signed_in(story.board[0])
    first = member.get(f"/cases/{case.public_id}/")
    assert "Before you open this case" in first.content.decode()
    assert "commenting on my body" not in first.content.decode()  # nothing before confirming
    page = staff_open(member, case).content.decode()
    assert "He kept commenting on my body" in page
    read = AuditEntry.objects.filter(action="cases.case.read").latest("seq")
    assert '"permission":"level"' in read.details
    assert AuditEntry.objects.filter(action="access.case.no_conflict_confirmed").count() == 1

    call_command("audit_verify")  # raises SystemExit on a broken chain


def test_the_reporters_own_managers_are_kept_away_from_a_confidential_report(cast, story):
    # Rhea (C005) reports confidentially about a client; Jonas is her team lead.
    case = against_client_by_rhea()
    assert case.level.role.code == roles.HANDLER
    assert Conflict.objects.filter(case=case, user=story.intake_member).exists()
    assert not CaseKeyGrant.objects.filter(case=case, user=story.intake_member).exists()
    assert CaseKeyGrant.objects.filter(case=case, user=cast.handler).exists()


def test_a_grade_at_or_above_the_executive_grades_counts_as_executive(cast, story):
    policy = RoutingPolicy.objects.get()
    policy.executive_grades = "M1, E1"
    policy.save()
    graded = Person.objects.filter(pk=cast.team_lead.pk)
    graded.update(grade="M1")  # as HR set it long ago, through an import
    rows_retag(graded)
    assert against("C004").level.role.code == roles.BOARD_COMMITTEE


def test_sexual_assault_starts_at_the_head_of_ethics_with_trained_investigators_only(cast, story):
    case = against("C004", category="sexual_assault")
    assert case.level.role.code == roles.HEAD_OF_ETHICS
    trained = make_staff("C060", "Tove Lindqvist", roles.TRAINED_INVESTIGATOR, "Ethics")
    untrained = make_staff("C061", "Bram Okafor", roles.INVESTIGATOR, "Ethics")
    head = signed_in(story.head_of_ethics)
    page = staff_open(head, case).content.decode()
    assert "Tove Lindqvist" in page and "Bram Okafor" not in page
    refused = head.post(
        f"/cases/{case.public_id}/assign/", {"user": untrained.username, "as": "investigator"}
    )
    assert refused.status_code == 302
    assert not CaseKeyGrant.objects.filter(case=case, user=untrained).exists()
    head.post(f"/cases/{case.public_id}/assign/", {"user": trained.username, "as": "investigator"})
    assert CaseKeyGrant.objects.filter(case=case, user=trained).exists()
    investigator = signed_in(trained)
    assert "commenting on my body" in staff_open(investigator, case).content.decode()


def test_a_level_with_nobody_who_can_read_is_skipped(cast, story):
    # Both intake handlers are conflicted: Hana is made the accused's direct report.
    cast.handler.person.manager = cast.team_lead
    person_save(actor=ACTOR, person=cast.handler.person)
    cast.unrelated_handler.person.manager = cast.team_lead
    person_save(actor=ACTOR, person=cast.unrelated_handler.person)
    # Jonas, the third intake member, is the accused.
    case = against("C004")
    assert case.level.role.code == roles.HEAD_OF_ETHICS


def test_with_nobody_at_all_the_case_is_kept_for_the_recovery_key_and_the_alarm_goes_out(cast):
    for user in User.objects.all():
        user.role_assignments.all().delete()
    case = against("C004")
    assert case.level is None
    assert case.recovery_seal is not None
    assert AuditEntry.objects.filter(action="access.case.no_other_holder").exists()


def test_a_higher_level_holds_the_key_but_reads_only_after_breaking_the_glass(cast, story):
    case = against("C004")
    assert case.level.role.code == roles.HANDLER
    head = signed_in(story.head_of_ethics)
    assert CaseKeyGrant.objects.filter(case=case, user=story.head_of_ethics).exists()
    assert head.get(f"/cases/{case.public_id}/").status_code == 404
    assert case.ref in head.get("/cases/").content.decode()  # listed as held below her level
    short = head.post(f"/cases/{case.public_id}/break-glass/", {"justification": "urgent"})
    assert short.status_code == 400
    reason = "The reporter phoned me in distress; the intake team is unreachable tonight."
    head.post(f"/cases/{case.public_id}/break-glass/", {"justification": reason})
    assert "commenting on my body" in staff_open(head, case).content.decode()
    assert reason in head.get("/cases/break-glass/").content.decode()
    assert AuditEntry.objects.filter(action="access.case.break_glass").count() == 1
    assert signed_in(cast.handler).get("/cases/break-glass/").status_code == 404


def test_a_handler_who_recuses_loses_the_key_for_good(cast, story):
    case = against("C004")
    hana = signed_in(cast.handler)
    hana.post(f"/cases/{case.public_id}/standing/", {"action": "recuse", "conflict": "yes"})
    assert not CaseKeyGrant.objects.filter(case=case, user=cast.handler).exists()
    assert Conflict.objects.filter(case=case, user=cast.handler, reason="declared").exists()
    assert hana.get(f"/cases/{case.public_id}/").status_code == 404
    assert AuditEntry.objects.filter(action="access.case.recused").count() == 1


def test_someone_found_conflicted_later_loses_the_key_through_the_vault(cast, story):
    case = against("C004")
    assert CaseKeyGrant.objects.filter(case=case, user=cast.unrelated_handler).exists()
    emil = cast.unrelated_handler.person
    emil.manager = cast.team_lead  # Emil now reports to the accused
    person_save(actor=ACTOR, person=emil)
    assert not CaseKeyGrant.objects.filter(case=case, user=cast.unrelated_handler).exists()
    revoked = AuditEntry.objects.get(action="access.case_key.revoked")
    assert "conflict of interest" in revoked.details


def test_linking_a_witness_keeps_them_and_their_managers_away(cast, story):
    case = against_client_by_rhea()
    hana = signed_in(cast.handler)
    staff_open(hana, case)
    hana.post(f"/cases/{case.public_id}/parties/", {"person": "C011", "role": "witness"})
    assert not CaseKeyGrant.objects.filter(case=case, user=cast.unrelated_handler).exists()
    # Linking an executive as accused sends the case to the board, away from Hana.
    response = hana.post(f"/cases/{case.public_id}/parties/", {"person": "C003", "role": "accused"})
    assert response["Location"] == "/cases/"
    case.refresh_from_db()
    assert case.level.role.code == roles.BOARD_COMMITTEE
    assert hana.get(f"/cases/{case.public_id}/").status_code == 404


def test_notes_are_encrypted_and_never_reach_the_reporter(cast, story):
    response = post("/api/v1/reports", report(accused=[{"employee_id": "C004"}]))
    receipt = response.json()["receipt"]
    case = Case.objects.get()
    hana = signed_in(cast.handler)
    staff_open(hana, case)
    hana.post(f"/cases/{case.public_id}/notes/", {"body": "Check the rota for 4 March."})
    note = CaseNote.objects.get()
    assert b"rota" not in bytes(note.body)
    assert "Check the rota for 4 March." in hana.get(f"/cases/{case.public_id}/").content.decode()
    mine = Client().get("/api/v1/reporter/case", HTTP_AUTHORIZATION=f"Receipt {receipt}")
    assert "rota" not in mine.content.decode()


def test_linked_cases_stay_behind_their_own_doors(cast, story):
    ordinary = against("C004")
    executive = against("C003")
    hana = signed_in(cast.handler)
    staff_open(hana, ordinary)
    hana.post(f"/cases/{ordinary.public_id}/links/", {"other": executive.ref, "kind": "related"})
    assert not ordinary.links_from.exists()  # she cannot read the other: no link
    other = against("C004")
    hana.post(f"/cases/{ordinary.public_id}/links/", {"other": other.ref, "kind": "duplicate"})
    assert ordinary.links_from.get().other == other


def test_a_case_is_assigned_within_its_level(cast, story):
    case = against("C004")
    hana = signed_in(cast.handler)
    staff_open(hana, case)
    hana.post(f"/cases/{case.public_id}/assign/", {"user": "emil", "as": "handler"})
    assert CaseReader.objects.get(case=case, standing="assigned").user == cast.unrelated_handler
    hana.post(f"/cases/{case.public_id}/assign/", {"user": "orla", "as": "handler"})
    assert CaseReader.objects.get(case=case, standing="assigned").user == cast.unrelated_handler


def test_a_handler_who_becomes_the_reporters_manager_loses_the_case_when_it_is_next_opened(
    cast, story
):
    case = against_client_by_rhea()  # confidential, by Rhea (C005)
    emil = signed_in(cast.unrelated_handler)
    assert "commenting on my body" in staff_open(emil, case).content.decode()
    cast.reporter.manager = cast.unrelated_handler.person  # Emil becomes her manager
    person_save(actor=ACTOR, person=cast.reporter)
    hana = signed_in(cast.handler)
    staff_open(hana, case)  # a reader opens it: her managers are checked again
    assert not CaseKeyGrant.objects.filter(case=case, user=cast.unrelated_handler).exists()
    assert emil.get(f"/cases/{case.public_id}/").status_code == 404


def test_a_level_the_case_has_left_cannot_break_the_glass(cast, story):
    import datetime as dt

    import time_machine

    from ombud.deadlines.services import deadlines_sweep

    with time_machine.travel(dt.datetime(2026, 11, 25, 10, 0, tzinfo=dt.UTC), tick=False):
        case = against("C004")
    deadlines_sweep(dt.datetime(2026, 11, 30, tzinfo=dt.UTC))  # escalated to the head of ethics
    hana = signed_in(cast.handler)
    assert CaseKeyGrant.objects.filter(case=case, user=cast.handler).exists()
    assert hana.get(f"/cases/{case.public_id}/").status_code == 404
    assert hana.get(f"/cases/{case.public_id}/break-glass/").status_code == 404


def test_someone_who_joins_a_level_later_is_owed_its_cases_keys(cast, story):
    from ombud.access.models import PendingGrant
    from ombud.directory.services import role_grant
    from tests.conftest import make_person

    case = against("C004")
    newcomer_person = make_person("C080", "Lior Benami", unit="Ethics")
    newcomer = account(newcomer_person, roles.TRAINED_INVESTIGATOR)
    role_grant(actor=ACTOR, user=newcomer, role=roles.HEAD_OF_ETHICS)  # bootstrap, at the terminal
    assert PendingGrant.objects.filter(case=case, user=newcomer).exists()
    signed_in(story.head_of_ethics)  # a holder signs in: the pending grant is fulfilled
    assert CaseKeyGrant.objects.filter(case=case, user=newcomer).exists()
    # Jonas, the accused, joining the board is owed nothing.
    jonas = story.intake_member
    role_grant(actor=ACTOR, user=jonas, role=roles.BOARD_COMMITTEE)
    assert not PendingGrant.objects.filter(case=case, user=jonas).exists()


@pytest.fixture
def few_sql_variables():
    """SQLite as built elsewhere: Debian's allows 250,000 variables in a statement,
    the library's own default is 32,766, and a head of ethics at a million cases is
    owed more than either. Here the limit is 1,000, so 1,200 cases go over it."""
    if connection.vendor != "sqlite":
        yield
        return
    import sqlite3

    connection.ensure_connection()
    raw = connection.connection
    before = raw.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 1000)
    yield
    raw.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, before)


def test_a_new_head_of_ethics_is_owed_more_cases_than_a_statement_can_name(
    cast, story, few_sql_variables
):
    from ombud.access.models import PendingGrant
    from ombud.directory.services import role_grant, role_revoke
    from tests.cases.test_paging import copies
    from tests.conftest import make_person

    made = copies(against("C004"), 1_200)
    newcomer = account(make_person("C081", "Ines Varga", unit="Ethics"), roles.TRAINED_INVESTIGATOR)
    role_grant(actor=ACTOR, user=newcomer, role=roles.HEAD_OF_ETHICS)
    assert PendingGrant.objects.filter(user=newcomer).count() == len(made) + 1
    # Her role taken away again before any holder signed in: she is owed nothing.
    role_revoke(actor=ACTOR, user=newcomer, role=roles.HEAD_OF_ETHICS)
    assert not PendingGrant.objects.filter(user=newcomer).exists()
