"""The case's states: one door, clear refusals, nothing lost to a concurrent edit."""

from __future__ import annotations

import pytest
from django.test import Client

from ombud.audit.models import AuditEntry
from ombud.cases.models import Case, TimelineEvent
from tests.access.reports import against
from tests.access.test_vault import signed_in
from tests.intake.helpers import staff_open
from tests.intake.test_api import receipt_header

pytestmark = pytest.mark.usefixtures("recovery_shares")


def move(client: Client, case: Case, name: str, **fields: str):
    case.refresh_from_db()
    return client.post(
        f"/cases/{case.public_id}/transition/",
        {"name": name, "version": str(case.version), **fields},
    )


def test_a_case_goes_through_its_states_and_the_reporter_sees_each_step(cast, story):
    from tests.intake.test_api import post, report

    created = post("/api/v1/reports", report(accused=[{"employee_id": "C004"}]))
    case = Case.objects.get()
    hana = signed_in(cast.handler)
    staff_open(hana, case)
    assert move(hana, case, "acknowledge", message="Thank you; we have it.").status_code == 302
    move(hana, case, "triage", severity="high", category="sexual_harassment", plan="Interview A.")
    move(hana, case, "investigate")
    move(hana, case, "findings")
    closed = move(
        hana,
        case,
        "close",
        outcome="substantiated",
        reason="The behaviour was confirmed; he has been moved and warned.",
    )
    assert closed.status_code == 302
    case.refresh_from_db()
    assert case.state == "closed" and case.outcome == "substantiated" and case.closed_at
    kinds = list(TimelineEvent.objects.filter(case=case).values_list("kind", flat=True))
    assert [k for k in kinds if k not in ("message_to_reporter",)] == [
        "received",
        "acknowledged",
        "triaged",
        "investigating",
        "findings",
        "closed",
    ]
    mine = Client().get("/api/v1/reporter/case", **receipt_header(created.json()["receipt"])).json()
    bodies = [m["body"] for m in mine["messages"]]
    assert "Thank you; we have it." in bodies
    assert any("he has been moved and warned" in body for body in bodies)
    assert "Interview A." not in str(mine)  # the plan is an internal note
    assert AuditEntry.objects.filter(action="cases.case.transitioned").count() == 5


def test_closing_without_a_reason_is_refused_and_keeps_what_was_typed(cast, story):
    case = against("C004")
    hana = signed_in(cast.handler)
    staff_open(hana, case)
    move(hana, case, "acknowledge", message="Received.")
    refused = move(hana, case, "close", outcome="withdrawn", reason="")
    assert refused.status_code == 400
    page = refused.content.decode()
    assert "Closing needs the reason, written for the reporter." in page
    assert '<option value="withdrawn" selected>' in page
    case.refresh_from_db()
    assert case.state == "acknowledged"


def test_an_invalid_transition_is_refused_with_a_clear_message(cast, story):
    case = against("C004")
    hana = signed_in(cast.handler)
    staff_open(hana, case)
    refused = move(hana, case, "findings")
    assert refused.status_code == 400
    assert "A case that is “Received” cannot be moved that way." in refused.content.decode()


def test_two_people_acting_at_the_same_moment_never_lose_an_update(cast, story):
    from ombud.access.services import case_key_open
    from ombud.cases.workflow import TransitionRefused, case_transition
    from tests.access.test_vault import private_of

    case = against("C004")
    key = case_key_open(case=case, user=cast.handler, private=private_of(cast.handler))
    # Both requests read the case before either wrote: the same state and version.
    seen_by_hana = Case.objects.get(pk=case.pk)
    seen_by_emil = Case.objects.get(pk=case.pk)
    before = seen_by_emil.version
    common = {"name": "acknowledge", "permission": "level", "case_key": key}
    case_transition(
        actor=cast.handler,
        case=seen_by_hana,
        version=seen_by_hana.version,
        message="From Hana.",
        **common,
    )
    with pytest.raises(TransitionRefused, match="Someone else changed this case"):
        case_transition(
            actor=cast.unrelated_handler,
            case=seen_by_emil,
            version=seen_by_emil.version,
            message="From Emil.",
            **common,
        )
    case.refresh_from_db()
    assert case.state == "acknowledged" and case.version == before + 1
    assert AuditEntry.objects.filter(action="cases.case.transitioned").count() == 1


def test_only_the_current_level_closes_a_case(cast, story):
    from ombud.directory import roles
    from tests.conftest import make_staff

    case = against("C004")
    hana = signed_in(cast.handler)
    staff_open(hana, case)
    move(hana, case, "acknowledge", message="Received.")
    move(hana, case, "triage", severity="low", category="bullying", plan="Talk to both.")
    investigator = make_staff("C061", "Bram Okafor", roles.INVESTIGATOR, "Ethics")
    hana.post(f"/cases/{case.public_id}/assign/", {"user": "bram", "as": "investigator"})
    bram = signed_in(investigator)
    staff_open(bram, case)
    assert move(bram, case, "investigate").status_code == 302
    refused = move(bram, case, "close", outcome="other", reason="Done.")
    assert refused.status_code == 400
    case.refresh_from_db()
    assert case.state == "investigating"


def test_closing_later_needs_a_reason_the_reporter_reads(cast, story):
    from ombud.deadlines.models import Deadline
    from tests.intake.test_api import post, report

    created = post("/api/v1/reports", report(accused=[{"employee_id": "C004"}]))
    case = Case.objects.get()
    hana = signed_in(cast.handler)
    staff_open(hana, case)
    close = Deadline.objects.get(case=case, name="close")
    before = close.due_at
    hana.post(f"/cases/{case.public_id}/extend/", {"deadline": "close", "days": "30", "reason": ""})
    close.refresh_from_db()
    assert close.due_at == before
    hana.post(
        f"/cases/{case.public_id}/extend/",
        {"deadline": "close", "days": "30", "reason": "A key witness is abroad until March."},
    )
    close.refresh_from_db()
    assert (close.due_at - before).days == 30
    mine = Client().get("/api/v1/reporter/case", **receipt_header(created.json()["receipt"]))
    assert "A key witness is abroad until March." in mine.content.decode()
    refused = hana.post(
        f"/cases/{case.public_id}/extend/", {"deadline": "acknowledge", "days": "5", "reason": "x"}
    )
    assert refused.status_code == 302
    assert Deadline.objects.get(case=case, name="acknowledge").due_at < before


def test_closing_meets_the_close_deadline_and_reopening_sets_new_ones(cast, story):
    from ombud.deadlines.models import Deadline

    case = against("C004")
    hana = signed_in(cast.handler)
    staff_open(hana, case)
    move(hana, case, "acknowledge", message="Received.")
    move(hana, case, "close", outcome="resolved", reason="Settled in a meeting with both.")
    assert Deadline.objects.get(case=case, name="close").state == "met"
    assert not Deadline.objects.filter(case=case, state="open").exists()
    move(hana, case, "reopen", reason="It started again.")
    case.refresh_from_db()
    assert case.state == "acknowledged"
    reopened = set(Deadline.objects.filter(case=case, state="open").values_list("name", flat=True))
    assert reopened == {"triage", "update", "close"}
