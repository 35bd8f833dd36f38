"""A fresh install before `ombud recovery init`: no report could be stored, so the
reporter is told so before she writes one, instead of after."""

from __future__ import annotations

from django.test import Client

from ombud.access.recovery import recovery_key_create
from ombud.cases.models import Case
from ombud.intake.models import Draft
from tests.intake.helpers import report_fields
from tests.intake.test_api import post, report

NOT_YET = "Reports are not accepted yet"


def test_before_the_recovery_key_exists_reporters_are_told_reports_are_not_accepted_yet(cast):
    reporter = Client()
    landing = reporter.get("/report/")
    assert landing.status_code == 200
    assert NOT_YET in landing.content.decode()
    assert 'href="/report/new/"' not in landing.content.decode()
    form = reporter.get("/report/new/")
    assert form.status_code == 503 and NOT_YET in form.content.decode()
    sent = reporter.post("/report/new/", {**report_fields(), "action": "review"})
    assert sent.status_code == 503 and NOT_YET in sent.content.decode()
    assert Draft.objects.count() == 0  # nothing she typed was taken in to be lost later
    api = post("/api/v1/reports", report())
    assert api.status_code == 503
    assert api.json()["detail"].startswith("reports are not accepted yet")
    assert Case.objects.count() == 0

    recovery_key_create(actor="test:officers", shares=3, threshold=2)
    landing = reporter.get("/report/")
    assert NOT_YET not in landing.content.decode()
    assert 'href="/report/new/"' in landing.content.decode()
    assert reporter.get("/report/new/").status_code == 200
    assert post("/api/v1/reports", report()).status_code == 201
