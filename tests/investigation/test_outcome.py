"""The written outcome: drafted from the findings, reviewed by a second reader,
published to the reporter's page and as a PDF in her language."""

from __future__ import annotations

import io

import pypdfium2
import pytest
from django.conf import settings
from django.db import connection
from django.test import Client

from ombud.audit.models import AuditEntry
from ombud.cases.models import Case, TimelineEvent
from ombud.investigation.models import WrittenOutcome
from tests.access.test_vault import signed_in
from tests.deadlines.test_workflow import move
from tests.intake.helpers import reporter_signed_in, staff_open
from tests.intake.test_api import post, report

pytestmark = pytest.mark.usefixtures("recovery_shares")

TEXT = "We found that the comments in team meetings happened as you described them."


def reported() -> tuple[Case, str]:
    receipt = post("/api/v1/reports", report()).json()["receipt"]
    return Case.objects.get(), receipt


def at_findings(client: Client, case: Case) -> None:
    staff_open(client, case)
    move(client, case, "acknowledge", message="Thank you; we have it.")
    move(client, case, "triage", severity="high", category="sexual_harassment", plan="Interviews")
    move(client, case, "investigate")
    move(client, case, "findings")


def drafted(client: Client, case: Case, text: str = TEXT, version: str = "") -> object:
    return client.post(
        f"/cases/{case.public_id}/outcome/",
        {"action": "draft", "text": text, "version": version},
    )


def act(client: Client, case: Case, action: str) -> object:
    version = WrittenOutcome.objects.get(case=case).version
    return client.post(
        f"/cases/{case.public_id}/outcome/", {"action": action, "version": str(version)}
    )


def pdf_text(data: bytes) -> str:
    document = pypdfium2.PdfDocument(io.BytesIO(data))
    return "".join(page.get_textpage().get_text_range() for page in document)


def test_a_second_reader_reviews_the_outcome_and_the_reporter_reads_it_and_its_pdf(cast, story):
    case, receipt = reported()
    hana, emil = signed_in(cast.handler), signed_in(cast.unrelated_handler)
    at_findings(hana, case)
    first = hana.get(f"/cases/{case.public_id}/outcome/").content.decode()
    assert "We have finished looking into your report" in first  # drafted from the findings
    assert drafted(hana, case).status_code == 302
    # She cannot approve what she wrote herself: a second reader must.
    refused = act(hana, case, "review")
    assert refused.status_code == 400
    assert "second reader" in refused.content.decode()
    assert act(hana, case, "publish").status_code == 400  # not reviewed yet
    mine = reporter_signed_in(receipt)
    assert TEXT not in mine.get("/report/status/").content.decode()
    assert mine.get("/report/status/outcome.pdf").status_code == 404

    staff_open(emil, case)
    assert act(emil, case, "review").status_code == 302
    assert act(hana, case, "publish").status_code == 302

    page = mine.get("/report/status/").content.decode()
    assert TEXT in page and "The outcome of your report" in page
    assert TimelineEvent.objects.filter(case=case, kind="outcome_written").exists()
    pdf = mine.get("/report/status/outcome.pdf")
    assert pdf["Content-Type"] == "application/pdf"
    assert f"outcome-{case.ref}.pdf" in pdf["Content-Disposition"]
    text = pdf_text(pdf.content)
    assert "Outcome of your report" in text and TEXT[:40] in text
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"investigation.outcome.drafted", "investigation.outcome.reviewed"} <= actions
    assert "investigation.outcome.published" in actions


def test_the_pdf_is_in_chinese_when_her_pages_are(cast, story):
    case, receipt = reported()
    hana, emil = signed_in(cast.handler), signed_in(cast.unrelated_handler)
    at_findings(hana, case)
    drafted(hana, case, text="经调查，你所描述的情况属实。")
    staff_open(emil, case)
    act(emil, case, "review")
    act(hana, case, "publish")
    mine = reporter_signed_in(receipt)
    mine.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    text = pdf_text(mine.get("/report/status/outcome.pdf").content)
    assert "经调查，你所描述的情况属实。" in text
    assert "Outcome of your report" not in text  # the headings are hers too


def test_an_edit_after_the_review_needs_a_new_review_and_an_old_page_loses_nothing(cast, story):
    case, _receipt = reported()
    hana, emil = signed_in(cast.handler), signed_in(cast.unrelated_handler)
    at_findings(hana, case)
    drafted(hana, case)
    staff_open(emil, case)
    act(emil, case, "review")
    drafted(hana, case, text=TEXT + " He has been moved.", version="1")
    outcome = WrittenOutcome.objects.get(case=case)
    assert outcome.version == 2 and outcome.reviewed_at is None
    assert act(hana, case, "publish").status_code == 400
    # Emil's page still shows version 1: his change is refused and shown back to him.
    stale = drafted(emil, case, text="An older text, typed with care.", version="1")
    assert stale.status_code == 400
    assert "An older text, typed with care." in stale.content.decode()
    assert "changed this outcome meanwhile" in stale.content.decode()


def test_the_outcome_is_not_published_before_the_findings(cast, story):
    case, _receipt = reported()
    hana, emil = signed_in(cast.handler), signed_in(cast.unrelated_handler)
    staff_open(hana, case)
    drafted(hana, case)
    staff_open(emil, case)
    act(emil, case, "review")
    refused = act(hana, case, "publish")
    assert refused.status_code == 400
    assert "once findings are written" in refused.content.decode()


def test_neither_an_administrator_nor_an_auditor_nor_the_accused_reads_the_outcome(cast, story):
    case, _receipt = reported()
    hana = signed_in(cast.handler)
    at_findings(hana, case)
    drafted(hana, case)
    for user in (cast.administrator, cast.auditor, story.intake_member):
        client = signed_in(user)
        assert client.get(f"/cases/{case.public_id}/outcome/").status_code == 404
        assert drafted(client, case, text="Nothing happened.").status_code == 404
    assert WrittenOutcome.objects.get(case=case).version == 1


def test_a_copy_of_the_database_holds_no_word_of_the_outcome(cast, story):
    case, _receipt = reported()
    hana = signed_in(cast.handler)
    at_findings(hana, case)
    drafted(hana, case)
    with connection.cursor() as cursor:
        cursor.execute("SELECT content FROM investigation_writtenoutcome")
        (blob,) = cursor.fetchone()
    assert b"comments in team meetings" not in bytes(blob)
