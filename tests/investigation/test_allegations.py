"""Allegations, the accused's side and findings, through the page (and the services
where a page is not the point): written as the attacks they stop."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client

from ombud.access.models import CaseKeyGrant
from ombud.audit.models import AuditEntry
from ombud.cases.models import Case, CaseNote, Party, TimelineEvent
from ombud.config import STANDARDS_OF_PROOF
from ombud.deadlines.models import Deadline
from ombud.deadlines.services import deadlines_sweep
from ombud.directory import roles
from ombud.directory.models import User
from ombud.investigation.allegations import (
    accused_notice_draft,
    accused_notice_review,
    accused_notice_sent,
    allegation_add,
    finding_record,
    response_deadline_name,
)
from ombud.investigation.models import AccusedNotice, Allegation, Evidence, Finding
from ombud.investigation.records import seal_json
from tests.access.reports import against, against_client_by_rhea
from tests.access.test_vault import signed_in
from tests.conftest import account, make_person, make_staff
from tests.intake.helpers import case_key_of, staff_open
from tests.test_config import run_ombud

pytestmark = pytest.mark.usefixtures("recovery_shares")
T0 = dt.datetime(2026, 11, 25, 10, 0, tzinfo=dt.UTC)  # a Wednesday
SUMMARY = "He pressed her to drink at the banquet and followed her to her room."


def opened(user: User, case: Case) -> Client:
    """Signed in, said she has no conflict, and read the case once."""
    client = signed_in(user)
    assert staff_open(client, case).status_code == 200
    return client


def page(case: Case) -> str:
    return f"/cases/{case.public_id}/allegations/"


def add_against_outsider(client: Client, case: Case, **overrides: str):
    return client.post(
        page(case),
        {
            "action": "add",
            "name": "The client's buyer at the banquet",
            "category": "sexual_harassment",
            "summary": SUMMARY,
            **overrides,
        },
    )


def test_an_allegation_against_a_key_holder_takes_the_key_from_him_and_his_manager(cast):
    """Greta handles cases and reports to Odile, who handles them too: both hold the
    key of a new case and have read it. An allegation against Greta keeps them both
    away from the case, its page and its allegations from then on."""
    odile = make_staff("C090", "Odile Ferrant", roles.HANDLER, "People")
    greta = account(make_person("C091", "Greta Lunde", manager=odile.person), roles.HANDLER)
    case = against("C004")
    greta_page, odile_page = opened(greta, case), opened(odile, case)
    assert greta_page.get(page(case)).status_code == 200
    assert CaseKeyGrant.objects.filter(case=case, user__in=[greta, odile]).count() == 2

    hana = opened(cast.handler, case)
    response = hana.post(
        page(case),
        {"action": "add", "person": "", "person_other": "C091", "category": "bullying",
         "summary": SUMMARY},
    )  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:2000]

    allegation = Allegation.objects.get(case=case)
    assert allegation.person == greta.person and allegation.state == Allegation.State.OPEN
    assert Party.objects.filter(case=case, person=greta.person, role="accused").exists()
    assert not CaseKeyGrant.objects.filter(case=case, user__in=[greta, odile]).exists()
    for client in (greta_page, odile_page):
        assert client.get(page(case)).status_code == 404
        assert client.get(f"/cases/{case.public_id}/").status_code == 404
        refused = client.post(page(case), {"action": "state", "target": str(allegation.id)})
        assert refused.status_code == 404
    # Hana still reads it, and sees the allegation.
    shown = hana.get(page(case)).content.decode()
    assert "Greta Lunde (C091)" in shown and SUMMARY in shown
    assert AuditEntry.objects.filter(action="investigation.allegation.added").count() == 1


def test_an_outsider_accused_is_named_only_in_the_sealed_content(cast):
    case = against_client_by_rhea()
    hana = opened(cast.handler, case)
    assert add_against_outsider(hana, case).status_code == 302
    allegation = Allegation.objects.get(case=case)
    assert allegation.person is None
    assert not Party.objects.filter(case=case).exists()
    assert b"buyer" not in bytes(allegation.content)
    assert "The client&#x27;s buyer at the banquet" in hana.get(page(case)).content.decode()


def test_an_allegation_needs_an_accused_and_keeps_what_was_typed_when_refused(cast):
    case = against("C004")
    hana = opened(cast.handler, case)
    refused = add_against_outsider(hana, case, name="", category="bullying")
    assert refused.status_code == 400
    shown = refused.content.decode()
    assert "Choose a person of the directory, or describe the outsider." in shown
    assert SUMMARY in shown  # what she typed is still there
    assert not Allegation.objects.filter(case=case).exists()


def test_the_person_who_drafted_a_notice_cannot_review_it_herself(cast):
    case = against("C004")
    hana, emil = opened(cast.handler, case), opened(cast.unrelated_handler, case)
    assert add_against_outsider(hana, case).status_code == 302
    allegation = Allegation.objects.get(case=case)
    drafted = hana.post(
        page(case),
        {"action": "notice_draft", "target": str(allegation.id),
         "disclosed": "You are alleged to have pressed a colleague to drink at the banquet."},
    )  # fmt: skip
    assert drafted.status_code == 302
    notice = AccusedNotice.objects.get(allegation=allegation)
    shown = hana.get(page(case)).content.decode()
    assert "Confidential" in shown and "Nothing in this notice may reveal who reported" in shown

    own = hana.post(
        page(case),
        {"action": "notice_review", "target": str(notice.id), "version": notice.version,
         "checked": "yes"},
    )  # fmt: skip
    assert own.status_code == 400
    assert "someone other than the person who drafted it" in own.content.decode()
    notice.refresh_from_db()
    assert notice.state == AccusedNotice.State.DRAFT and notice.reviewed_by is None
    # Nor can it be recorded as sent without the review.
    early = hana.post(
        page(case), {"action": "notice_sent", "target": str(notice.id), "version": notice.version}
    )
    assert early.status_code == 400
    assert "A second reader must review the notice" in early.content.decode()
    assert not Deadline.objects.filter(case=case, name=response_deadline_name(notice)).exists()

    reviewed = emil.post(
        page(case),
        {"action": "notice_review", "target": str(notice.id), "version": notice.version,
         "checked": "yes"},
    )  # fmt: skip
    assert reviewed.status_code == 302
    notice.refresh_from_db()
    assert (
        notice.state == AccusedNotice.State.REVIEWED
        and notice.reviewed_by == cast.unrelated_handler
    )
    assert AuditEntry.objects.filter(
        action="investigation.notice.reviewed", actor_id=emil.session["_auth_user_id"]
    ).exists()


def test_someone_who_cannot_read_the_case_cannot_review_a_notice(cast, story):
    case = against("C004")
    notice = accused_notice_draft(
        actor=cast.handler,
        allegation=allegation_add(
            actor=cast.handler, case=case, case_key=case_key_of(case, cast.handler),
            person=None, name="A guest", category="other", summary=SUMMARY,
        ),
        case_key=case_key_of(case, cast.handler),
        disclosed="You are alleged to have behaved badly at the banquet.",
    )  # fmt: skip
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="Only someone who may read the case"):
        accused_notice_review(actor=story.head_of_ethics, notice=notice, version=notice.version)


def reviewed_notice(cast) -> tuple[Case, AccusedNotice]:
    """A case with an allegation against a guest, and its notice reviewed by a second
    reader, ready to be recorded as sent."""
    case = against("C004")
    key = case_key_of(case, cast.handler)
    allegation = allegation_add(
        actor=cast.handler, case=case, case_key=key, person=None, name="A guest",
        category="other", summary=SUMMARY,
    )  # fmt: skip
    notice = accused_notice_draft(
        actor=cast.handler, allegation=allegation, case_key=key, disclosed="You are alleged…"
    )
    accused_notice_review(actor=cast.unrelated_handler, notice=notice, version=notice.version)
    return case, notice


def test_a_missed_response_from_the_accused_escalates_the_case(cast, story):
    with time_machine.travel(T0, tick=False):
        case, notice = reviewed_notice(cast)
        accused_notice_sent(
            actor=cast.handler,
            notice=notice,
            version=notice.version,
            respond_by=T0 + dt.timedelta(days=1),
        )
    deadline = Deadline.objects.get(case=case, name=response_deadline_name(notice))
    assert deadline.label == "The accused's response" and deadline.due_at == T0 + dt.timedelta(
        days=1
    )
    before = Case.objects.get(pk=case.pk).level
    deadlines_sweep(T0 + dt.timedelta(days=2))
    case.refresh_from_db()
    assert case.level != before
    assert Deadline.objects.get(pk=deadline.pk).state == Deadline.State.MISSED
    assert TimelineEvent.objects.filter(
        case=case, kind=TimelineEvent.Kind.ESCALATED, detail="The accused's response"
    ).exists()


def test_the_response_is_due_in_ten_business_days_and_recording_it_meets_the_deadline(cast):
    with time_machine.travel(T0, tick=False):
        case, notice = reviewed_notice(cast)
        notice = accused_notice_sent(actor=cast.handler, notice=notice, version=notice.version)
    # Two weeks of working days: Wednesday 25 November to Wednesday 9 December.
    assert notice.told_at == T0 and notice.respond_by == dt.datetime(
        2026, 12, 9, 10, 0, tzinfo=dt.UTC
    )
    hana = opened(cast.handler, case)
    answered = hana.post(
        page(case),
        {"action": "response", "target": str(notice.id), "version": notice.version,
         "response": "I deny it; I left the banquet at ten."},
    )  # fmt: skip
    assert answered.status_code == 302
    notice.refresh_from_db()
    assert notice.state == AccusedNotice.State.ANSWERED and notice.answered_at is not None
    deadline = Deadline.objects.get(case=case, name=response_deadline_name(notice))
    assert deadline.state == Deadline.State.MET
    assert "I deny it; I left the banquet at ten." in hana.get(page(case)).content.decode()
    deadlines_sweep(T0 + dt.timedelta(days=30))
    assert Deadline.objects.get(pk=deadline.pk).state == Deadline.State.MET


def test_an_edit_from_an_out_of_date_page_is_refused_not_lost(cast):
    case = against("C004")
    hana, emil = opened(cast.handler, case), opened(cast.unrelated_handler, case)
    assert add_against_outsider(hana, case).status_code == 302
    allegation = Allegation.objects.get(case=case)
    seen = allegation.version
    first = emil.post(
        page(case),
        {"action": "state", "target": str(allegation.id), "version": seen,
         "state": "under_investigation"},
    )  # fmt: skip
    assert first.status_code == 302
    late = hana.post(
        page(case),
        {"action": "state", "target": str(allegation.id), "version": seen,
         "state": "withdrawn", "reason": "The reporter asked us to stop."},
    )  # fmt: skip
    assert late.status_code == 400
    shown = late.content.decode()
    assert "Someone else changed it meanwhile" in shown
    assert "The reporter asked us to stop." in shown  # what she typed is kept
    assert Allegation.objects.get(pk=allegation.pk).state == Allegation.State.INVESTIGATING


def test_withdrawing_needs_a_reason_and_outcomes_come_only_from_a_finding(cast):
    case = against("C004")
    hana = opened(cast.handler, case)
    assert add_against_outsider(hana, case).status_code == 302
    allegation = Allegation.objects.get(case=case)
    for fields in ({"state": "withdrawn"}, {"state": "substantiated"}):
        refused = hana.post(
            page(case),
            {"action": "state", "target": str(allegation.id), "version": allegation.version,
             **fields},
        )  # fmt: skip
        assert refused.status_code == 400
    assert Allegation.objects.get(pk=allegation.pk).state == Allegation.State.OPEN


def _evidence(case: Case, user: User, description: str) -> Evidence:
    item = Evidence(case=case, added_by=user)
    item.meta = seal_json(
        case=case,
        case_key=case_key_of(case, user),
        record=item,
        data={"description": description},
        field="meta",
    )
    item.save(force_insert=True)
    return item


def test_a_finding_cites_only_evidence_of_its_own_case(cast):
    case, other = against("C004"), against("C004")
    mine = _evidence(case, cast.handler, "Hotel corridor camera log")
    theirs = _evidence(other, cast.handler, "Another case's statement")
    hana = opened(cast.handler, case)
    assert add_against_outsider(hana, case).status_code == 302
    allegation = Allegation.objects.get(case=case)
    fields = {
        "action": "finding", "target": str(allegation.id), "version": allegation.version,
        "outcome": "substantiated", "standard": "", "reasoning": "The log shows him at her door.",
    }  # fmt: skip
    refused = hana.post(page(case), {**fields, "evidence": [str(mine.id), str(theirs.id)]})
    assert refused.status_code == 400
    assert "Rely only on evidence of this case." in refused.content.decode()
    assert "The log shows him at her door." in refused.content.decode()
    assert not Finding.objects.exists()
    assert Allegation.objects.get(pk=allegation.pk).state == Allegation.State.OPEN

    recorded = hana.post(page(case), {**fields, "evidence": [str(mine.id)]})
    assert recorded.status_code == 302
    finding = Finding.objects.get(allegation=allegation)
    assert finding.outcome == "substantiated" and finding.standard == "balance_of_probabilities"
    assert Allegation.objects.get(pk=allegation.pk).state == Allegation.State.SUBSTANTIATED
    shown = hana.get(page(case)).content.decode()
    assert "The log shows him at her door." in shown and str(mine.id) in shown
    assert "Hotel corridor camera log" in shown


def test_the_standard_of_proof_comes_from_the_setting(cast, settings):
    settings.OMBUD_STANDARD_OF_PROOF = "clear_and_convincing"
    case = against("C004")
    key = case_key_of(case, cast.handler)
    allegation = allegation_add(
        actor=cast.handler, case=case, case_key=key, person=None, name="A guest",
        category="other", summary=SUMMARY,
    )  # fmt: skip
    finding = finding_record(
        actor=cast.handler, allegation=allegation, case_key=key, version=allegation.version,
        outcome="inconclusive", reasoning="Nobody else saw it.",
    )  # fmt: skip
    assert finding.standard == "clear_and_convincing"
    assert set(STANDARDS_OF_PROOF) == set(Finding.Standard.values)


def test_a_bad_standard_of_proof_stops_startup_naming_the_variable(tmp_path):
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith(("OMBUD_", "DATABASE_URL"))}
    env["OMBUD_DATA_DIR"] = str(tmp_path / "data")
    result = run_ombud({**env, "OMBUD_STANDARD_OF_PROOF": "gut_feeling"})
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr
    assert lines[0].startswith("ombud: configuration error: OMBUD_STANDARD_OF_PROOF: ")
    assert "'gut_feeling' is not one of balance_of_probabilities" in lines[0]


def _acknowledged(client: Client, case: Case) -> None:
    response = client.post(
        f"/cases/{case.public_id}/transition/",
        {"name": "acknowledge", "version": case.version, "message": "We have your report."},
    )
    assert response.status_code == 302
    case.refresh_from_db()


def test_closing_with_an_open_allegation_needs_a_reason_and_keeps_what_was_typed(cast):
    case = against("C004")
    hana = opened(cast.handler, case)
    _acknowledged(hana, case)
    assert add_against_outsider(hana, case).status_code == 302
    assert "1 allegation has no finding" in hana.get(f"/cases/{case.public_id}/").content.decode()
    closing = {
        "name": "close", "version": case.version, "outcome": "other",
        "reason": "We could not reach the guest's employer.",
    }  # fmt: skip
    refused = hana.post(f"/cases/{case.public_id}/transition/", closing)
    assert refused.status_code == 400
    shown = refused.content.decode()
    assert "1 allegation has no finding yet" in shown
    assert "We could not reach the guest&#x27;s employer." in shown
    assert Case.objects.get(pk=case.pk).state == "acknowledged"
    assert not CaseNote.objects.filter(case=case).exists()

    reason = "The guest left the country; his employer does not answer."
    closed = hana.post(
        f"/cases/{case.public_id}/transition/", {**closing, "no_finding_reason": reason}
    )
    assert closed.status_code == 302
    assert Case.objects.get(pk=case.pk).state == "closed"
    note = CaseNote.objects.get(case=case)
    assert reason.encode() not in bytes(note.body)  # sealed, not in clear
    assert reason in hana.get(f"/cases/{case.public_id}/").content.decode()
    assert AuditEntry.objects.filter(
        action="investigation.allegations.closed_without_finding"
    ).exists()


def test_a_case_whose_allegations_all_have_findings_closes_without_a_reason(cast):
    case = against("C004")
    hana = opened(cast.handler, case)
    _acknowledged(hana, case)
    key = case_key_of(case, cast.handler)
    allegation = allegation_add(
        actor=cast.handler, case=case, case_key=key, person=None, name="A guest",
        category="other", summary=SUMMARY,
    )  # fmt: skip
    finding_record(
        actor=cast.handler, allegation=allegation, case_key=key, version=allegation.version,
        outcome="not_substantiated", reasoning="Two witnesses place him elsewhere.",
    )  # fmt: skip
    closed = hana.post(
        f"/cases/{case.public_id}/transition/",
        {"name": "close", "version": case.version, "outcome": "not_substantiated",
         "reason": "The allegation was not substantiated."},
    )  # fmt: skip
    assert closed.status_code == 302 and Case.objects.get(pk=case.pk).state == "closed"


def test_an_administrator_or_auditor_without_the_key_is_told_not_found(cast):
    case = against("C004")
    hana = opened(cast.handler, case)
    assert add_against_outsider(hana, case).status_code == 302
    allegation = Allegation.objects.get(case=case)
    for user in (cast.administrator, cast.auditor):
        client = signed_in(user)
        assert client.get(page(case)).status_code == 404
        attempt = client.post(
            page(case),
            {"action": "state", "target": str(allegation.id), "version": allegation.version,
             "state": "withdrawn", "reason": "nothing"},
        )  # fmt: skip
        assert attempt.status_code == 404
    assert Allegation.objects.get(pk=allegation.pk).state == Allegation.State.OPEN


MARKER = "Quokka-7731"


def _rows_holding(marker: bytes) -> list[str]:
    """Every table, every row, every column, as someone with a copy of the database
    reads them: the tables where ``marker`` shows in clear."""
    found = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            for row in cursor.fetchall():
                for value in row:
                    raw = (
                        bytes(value)
                        if isinstance(value, bytes | memoryview)
                        else str(value).encode()
                    )
                    if marker in raw:
                        found.append(table)
    return found


def test_an_operator_with_the_database_finds_no_allegation_text_in_clear(cast):
    case = against("C004")
    hana, emil = opened(cast.handler, case), opened(cast.unrelated_handler, case)
    assert (
        add_against_outsider(
            hana, case, name=f"Guest {MARKER}", summary=f"Summary {MARKER}"
        ).status_code
        == 302
    )
    allegation = Allegation.objects.get(case=case)
    hana.post(
        page(case),
        {"action": "notice_draft", "target": str(allegation.id), "disclosed": f"Told {MARKER}"},
    )
    notice = AccusedNotice.objects.get(allegation=allegation)
    emil.post(
        page(case),
        {"action": "notice_review", "target": str(notice.id), "version": 1, "checked": "yes"},
    )
    hana.post(page(case), {"action": "notice_sent", "target": str(notice.id), "version": 1})
    hana.post(
        page(case),
        {"action": "response", "target": str(notice.id), "version": 1,
         "response": f"Answer {MARKER}"},
    )  # fmt: skip
    allegation.refresh_from_db()
    hana.post(
        page(case),
        {"action": "finding", "target": str(allegation.id), "version": allegation.version,
         "outcome": "inconclusive", "reasoning": f"Reasoning {MARKER}",
         "sanctions": f"Sanction {MARKER}", "changes": f"Change {MARKER}"},
    )  # fmt: skip
    # Everything was stored, and reads back for a reader of the case.
    shown = hana.get(page(case)).content.decode()
    for what in ("Guest", "Summary", "Told", "Answer", "Reasoning", "Sanction", "Change"):
        assert f"{what} {MARKER}" in shown, what
    assert AccusedNotice.objects.get(pk=notice.pk).state == AccusedNotice.State.ANSWERED
    assert _rows_holding(MARKER.encode()) == []
    assert Case._meta.db_table in _rows_holding(case.ref.encode())  # the search reads rows


def test_withdrawing_an_allegation_stops_waiting_for_the_accuseds_response(cast):
    case = against("C004")
    key = case_key_of(case, cast.handler)
    allegation = allegation_add(
        actor=cast.handler, case=case, case_key=key, person=None, name="A guest",
        category="other", summary=SUMMARY,
    )  # fmt: skip
    notice = accused_notice_draft(
        actor=cast.handler, allegation=allegation, case_key=key, disclosed="You are alleged…"
    )
    accused_notice_review(actor=cast.unrelated_handler, notice=notice, version=notice.version)
    accused_notice_sent(actor=cast.handler, notice=notice, version=notice.version)
    hana = opened(cast.handler, case)
    withdrawn = hana.post(
        page(case),
        {"action": "state", "target": str(allegation.id), "version": allegation.version,
         "state": "withdrawn", "reason": "The reporter withdrew this part of her report."},
    )  # fmt: skip
    assert withdrawn.status_code == 302
    assert Allegation.objects.get(pk=allegation.pk).state == Allegation.State.WITHDRAWN
    deadline = Deadline.objects.get(case=case, name=response_deadline_name(notice))
    assert deadline.state == Deadline.State.CANCELLED
    assert "The reporter withdrew this part of her report." in hana.get(page(case)).content.decode()


def test_the_auditor_reads_what_was_done_to_allegations_as_sentences_never_their_text(cast):
    case = against("C004")
    hana = opened(cast.handler, case)
    assert add_against_outsider(hana, case).status_code == 302
    allegation = Allegation.objects.get(case=case)
    hana.post(
        page(case),
        {"action": "finding", "target": str(allegation.id), "version": allegation.version,
         "outcome": "inconclusive", "reasoning": "Nobody else saw it."},
    )  # fmt: skip
    assert hana.get(page(case)).status_code == 200
    log = signed_in(cast.auditor).get("/audit/").content.decode()
    link = f'<a href="/audit/?case={case.ref}">{case.ref}</a>'
    assert f"Hana Quill added an allegation of Sexual harassment to case {link}" in log
    assert f"Hana Quill recorded a finding on an allegation of case {link}: Inconclusive" in log
    assert (
        f"Hana Quill read the allegations and findings of case {link} (as a member of its level)"
        in log
    )
    assert "recorded “investigation." not in log
    assert SUMMARY not in log and "Nobody else saw it." not in log and "buyer" not in log


def test_the_page_costs_the_same_queries_however_many_allegations_it_shows(cast):
    from django.test.utils import CaptureQueriesContext

    case = against("C004")
    hana = opened(cast.handler, case)
    key = case_key_of(case, cast.handler)

    def one_more(number: int) -> None:
        allegation = allegation_add(
            actor=cast.handler, case=case, case_key=key, person=None, name=f"Guest {number}",
            category="other", summary=SUMMARY,
        )  # fmt: skip
        notice = accused_notice_draft(
            actor=cast.handler, allegation=allegation, case_key=key, disclosed="You are alleged…"
        )
        accused_notice_review(actor=cast.unrelated_handler, notice=notice, version=notice.version)
        finding_record(
            actor=cast.handler, allegation=allegation, case_key=key, version=allegation.version,
            outcome="inconclusive", reasoning="Nobody else saw it.",
            evidence_ids=[_evidence(case, cast.handler, f"Item {number}").id],
        )  # fmt: skip

    def counted() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert hana.get(page(case)).status_code == 200
        return len(queries)

    one_more(1)
    once = counted()
    one_more(2)
    one_more(3)
    assert counted() == once


def test_a_notice_told_before_the_report_or_due_already_cannot_force_an_escalation(cast):
    with time_machine.travel(T0, tick=False):
        case, notice = reviewed_notice(cast)
        for told_at, respond_by in (
            (dt.datetime(1, 1, 1, 12, tzinfo=dt.UTC), None),  # long before the report
            (T0 - dt.timedelta(hours=2), T0 - dt.timedelta(hours=1)),  # due already
        ):
            with pytest.raises(ValidationError):
                accused_notice_sent(
                    actor=cast.handler,
                    notice=notice,
                    version=notice.version,
                    told_at=told_at,
                    respond_by=respond_by,
                )
    assert not Deadline.objects.filter(case=case, name=response_deadline_name(notice)).exists()
    level = Case.objects.get(pk=case.pk).level
    deadlines_sweep(T0 + dt.timedelta(minutes=1))
    assert Case.objects.get(pk=case.pk).level == level
