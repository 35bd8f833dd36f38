"""The story's executive case, investigated through the pages to a written outcome:
two allegations (the executive, and a client's buyer at the same dinner), the
executive suspended with a review date, minutes of a meeting the reporter confirms,
findings on both, and the outcome she reads on her page and as a PDF."""

from __future__ import annotations

import html
import io

import pypdfium2
import pytest

from ombud.cases.models import Case
from ombud.deadlines.models import Deadline
from ombud.investigation.models import Allegation, Measure, Minutes, WrittenOutcome
from tests.access.test_vault import signed_in
from tests.deadlines.test_workflow import move
from tests.intake.helpers import reporter_signed_in, staff_open
from tests.intake.test_api import post, report
from tests.investigation.test_minutes import answer_form, section

pytestmark = pytest.mark.usefixtures("recovery_shares")

MEETING = "She told us about the banquet, the toast she was pressed to drink, and the car."
OUTCOME = (
    "Both allegations were examined. What you told us about the executive was found to be true."
)


def test_the_executive_case_is_investigated_to_a_written_outcome_she_reads(cast, story):
    receipt = post(
        "/api/v1/reports",
        report(
            category="sexual_assault",
            context="company_event",
            accused=[
                {"employee_id": "C003"},
                {"name": "A client's buyer", "relationship": "client"},
            ],
        ),
    ).json()["receipt"]
    case = Case.objects.get()
    assert case.level.role.code == "board-committee"  # against an executive: the board
    orla, piet = signed_in(story.board[0]), signed_in(story.board[1])
    staff_open(orla, case)
    move(orla, case, "acknowledge", message="We have your report; the board's committee has it.")
    move(orla, case, "triage", severity="critical", category="sexual_assault", plan="Interviews")
    move(orla, case, "investigate")
    allegations = f"/cases/{case.public_id}/allegations/"

    # Two allegations: the executive, and the client's buyer who was at the dinner.
    for fields in (
        {"person": "C003", "category": "sexual_assault", "summary": "After the banquet."},
        {"name": "A client's buyer", "category": "sexual_harassment", "summary": "The toast."},
    ):
        assert orla.post(allegations, {"action": "add", **fields}).status_code == 302
    executive = Allegation.objects.get(case=case, person__employee_id="C003")
    buyer = Allegation.objects.get(case=case, person__isnull=True)

    # The executive is suspended while it is looked into, with a review date.
    suspended = orla.post(
        f"/cases/{case.public_id}/measures/",
        {
            "kind": "suspension",
            "applies_to": "Victor Hallgrim",
            "details": "Suspended on full pay during the investigation.",
            "words_for_reporter": "",
            "starts_on": "2026-11-25",
            "review_on": "2026-12-09",
            "ends_on": "",
        },
    )
    assert suspended.status_code == 302, suspended.content.decode()[:2000]
    measure = Measure.objects.get(case=case)
    assert measure.kind == "suspension" and str(measure.review_on) == "2026-12-09"
    assert Deadline.objects.get(case=case, name__startswith="review:").state == "open"

    # Minutes of a meeting with her, which she confirms from her page.
    added = orla.post(
        f"/cases/{case.public_id}/minutes/",
        {
            "kind": "reporter_meeting",
            "held_at": "2026-11-26T10:00",
            "attendees": "Orla Brennagh, the reporter",
            "text": MEETING,
        },
    )
    assert added.status_code == 302
    meeting = Minutes.objects.get(case=case)
    her = reporter_signed_in(receipt)
    page = html.unescape(her.get("/report/status/").content.decode())
    assert MEETING in page
    confirmed = her.post(
        "/report/status/minutes/", {**answer_form(page, meeting), "action": "confirm"}
    )
    assert confirmed.status_code == 302
    staff_page = html.unescape(orla.get(f"/cases/{case.public_id}/minutes/").content.decode())
    assert "Confirmed by the reporter" in section(staff_page, meeting)

    # Findings on both, then the case moves on.
    for allegation, outcome in ((executive, "substantiated"), (buyer, "inconclusive")):
        allegation.refresh_from_db()
        found = orla.post(
            allegations,
            {
                "action": "finding",
                "target": str(allegation.id),
                "version": allegation.version,
                "outcome": outcome,
                "reasoning": "The minutes, the driver's account and the hotel's records.",
            },
        )
        assert found.status_code == 302, found.content.decode()[:2000]
    assert Allegation.objects.get(pk=executive.pk).state == "substantiated"
    assert Allegation.objects.get(pk=buyer.pk).state == "inconclusive"
    move(orla, case, "findings")

    # The written outcome: drafted from the findings, reviewed by a second board
    # member, published; she reads it on her page and as a PDF.
    draft = orla.get(f"/cases/{case.public_id}/outcome/").content.decode()
    assert "Sexual assault: Substantiated" in html.unescape(draft)
    outcome = f"/cases/{case.public_id}/outcome/"
    orla.post(outcome, {"action": "draft", "text": OUTCOME})
    staff_open(piet, case)
    version = str(WrittenOutcome.objects.get(case=case).version)
    assert piet.post(outcome, {"action": "review", "version": version}).status_code == 302
    assert orla.post(outcome, {"action": "publish", "version": version}).status_code == 302
    page = html.unescape(her.get("/report/status/").content.decode())
    assert OUTCOME in page
    assert "Victor Hallgrim" not in page  # whom the measure applies to is not hers to read
    pdf = her.get("/report/status/outcome.pdf")
    document = pypdfium2.PdfDocument(io.BytesIO(pdf.content))
    text = "".join(p.get_textpage().get_text_range() for p in document)
    assert OUTCOME[:40] in text
