"""The auditors' pages: the log without content, verification, export, and who
looked at a case under which permission."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import time_machine
from django.test import Client

from ombud.audit.models import AuditEntry, audit_day
from ombud.audit.services import audit_checkpoint_daily
from tests.access.reports import against
from tests.access.test_vault import signed_in
from tests.intake.helpers import staff_open

pytestmark = pytest.mark.usefixtures("recovery_shares")


def test_an_auditor_sees_who_looked_at_a_case_and_under_which_permission(cast, story):
    case = against("C004")
    staff_open(signed_in(cast.handler), case)
    head = signed_in(story.head_of_ethics)
    head.post(
        f"/cases/{case.public_id}/break-glass/",
        {"justification": "The reporter called me directly and is at risk tonight."},
    )
    staff_open(head, case)
    auditor = signed_in(cast.auditor)
    page = auditor.get(f"/audit/cases/{case.ref}/").content.decode()
    assert "<td>Hana Quill</td><td>read the report</td><td>as a member of its level</td>" in page
    assert "<td>Sunniva Hale</td><td>opened early (break-glass)</td>" in page
    assert (
        "<td>Sunniva Hale</td><td>read the report</td>"
        "<td>opened early, with a written reason</td>" in page
    )
    assert "commenting on my body" not in page  # never content
    log = auditor.get("/audit/", {"action": "access"}).content.decode()
    assert "Sunniva Hale opened case" in log and "access.case.break_glass" in log
    assert "commenting" not in log


def test_an_auditor_verifies_the_log_from_the_page_and_sees_a_broken_one(cast):
    against("C004")
    auditor = signed_in(cast.auditor)
    ok = auditor.post("/audit/verify/").content.decode()
    assert "The log is intact" in ok
    entry = AuditEntry.objects.filter(action="intake.report.submitted").get()
    AuditEntry.objects.filter(pk=entry.pk).update(details='{"case":"forged"}')
    broken = auditor.post("/audit/verify/").content.decode()
    assert f"The log is broken at entry {entry.seq}" in broken


def test_an_auditor_sees_a_day_left_unsigned_and_then_the_day_signed_late(cast):
    today = audit_day(AuditEntry.objects.get(seq=1).at)  # the cast's entries
    later = dt.datetime.combine(today + dt.timedelta(days=1), dt.time(3), tzinfo=dt.UTC)
    with time_machine.travel(later, tick=False):  # the worker was down at midnight
        auditor = signed_in(cast.auditor)
        broken = auditor.post("/audit/verify/").content.decode()
        assert f"The log is broken: the daily checkpoint for {today.isoformat()} is missing" in (
            broken
        )
        audit_checkpoint_daily()  # the worker is back
        page = auditor.post("/audit/verify/").content.decode()
    assert "The log is intact" in page
    assert "These days were signed late" in page
    assert f"{today.day} {today:%b %Y}" in page  # the day as the page writes dates


def test_an_auditor_exports_the_log_and_the_export_is_audited(cast):
    against("C004")
    auditor = signed_in(cast.auditor)
    response = auditor.get("/audit/export.jsonl")
    lines = [json.loads(line) for line in b"".join(response.streaming_content).splitlines()]
    assert lines[0]["seq"] == 1 and all("hash" in line for line in lines)
    assert any(line["action"] == "intake.report.submitted" for line in lines)
    assert AuditEntry.objects.filter(action="audit.exported", actor="user:ada").exists()


def test_only_auditors_reach_the_audit_pages(cast):
    for user in (cast.handler, cast.administrator):
        assert signed_in(user).get("/audit/").status_code == 404
    assert Client().get("/audit/").status_code == 302
