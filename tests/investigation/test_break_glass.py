"""Breaking the glass lets a higher level read a case, audited; it never lets her
write in its investigation, approve what others wrote, or take the case up to her
own level with an appeal. And the reporter's page does not list the accused's
deadlines: that he was told, appealed, or asked for his data."""

from __future__ import annotations

import pytest
from django.test import Client

from ombud.cases.models import Case
from ombud.investigation.models import AccessRequest, Appeal, Minutes, WrittenOutcome
from tests.access.test_vault import signed_in
from tests.intake.helpers import reporter_signed_in, staff_open
from tests.intake.test_api import post, receipt_header, report
from tests.investigation.test_rights import found, reported, rights

pytestmark = pytest.mark.usefixtures("recovery_shares")

REASON = "The reporter phoned me in distress; the intake team is unreachable tonight."


def test_a_break_glass_reader_reads_and_writes_nothing(cast, story):
    case = reported()
    hana = signed_in(cast.handler)
    staff_open(hana, case)
    finding = found(case, cast.handler, cast.team_lead)
    hana.post(f"/cases/{case.public_id}/outcome/", {"action": "draft", "text": "Hana's draft."})
    head = signed_in(story.head_of_ethics)
    head.post(f"/cases/{case.public_id}/break-glass/", {"justification": REASON})
    staff_open(head, case)
    assert head.get(f"/cases/{case.public_id}/minutes/").status_code == 200  # she reads

    attempts = [
        ("minutes/", {"kind": "witness_interview", "held_at": "2026-11-20T10:00", "text": "x"}),
        ("outcome/", {"action": "review", "version": "1"}),
        ("outcome/", {"action": "draft", "text": "Hers.", "version": "1"}),
        ("accused/", {"action": "appeal", "finding": str(finding.id), "filed_on": "2026-11-20",
                      "grounds": "Made up."}),
        ("accused/", {"action": "access", "person": "C004", "received_on": "2026-11-20"}),
    ]  # fmt: skip
    for path, fields in attempts:
        assert head.post(f"/cases/{case.public_id}/{path}", fields).status_code == 404, path
    assert not Minutes.objects.exists() and not Appeal.objects.exists()
    assert not AccessRequest.objects.exists()
    outcome = WrittenOutcome.objects.get()
    assert outcome.reviewed_by is None and outcome.drafted_by == cast.handler
    assert Case.objects.get(pk=case.pk).level.role.code == "handler"  # still the intake's


def test_the_reporter_is_not_shown_the_accuseds_deadlines(cast, story):
    make = post(
        "/api/v1/reports",
        report(accused=[{"employee_id": "C004"}], witnesses=["Odile Brenner"]),
    )
    receipt = make.json()["receipt"]
    case = Case.objects.get()
    hana = signed_in(cast.handler)
    staff_open(hana, case)
    finding = found(case, cast.handler, cast.team_lead)
    rights(hana, case, action="access", person="C004", received_on="2026-11-24")
    rights(hana, case, action="appeal", finding=str(finding.id), filed_on="2026-11-24",
           grounds="It was about the rota.")  # fmt: skip
    assert case.deadlines.filter(name__startswith="appeal:").exists()
    page = reporter_signed_in(receipt).get("/report/status/").content.decode()
    assert "Decision on an appeal" not in page
    assert "Answer to a data-access request" not in page
    api = Client().get("/api/v1/reporter/case", **receipt_header(receipt))
    names = [deadline["name"] for deadline in api.json()["deadlines"]]
    assert not [name for name in names if name.startswith(("appeal:", "access:", "accused:"))]
