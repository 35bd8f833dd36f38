"""Interim measures: who decided, from when, the review date a deadline that escalates
when it passes, the end; those that affect the reporter told to her in plain words."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.test import Client

from ombud.audit.models import AuditEntry
from ombud.cases.models import Case, TimelineEvent
from ombud.deadlines.models import Deadline
from ombud.deadlines.services import deadlines_sweep
from ombud.investigation.measures import review_deadline
from ombud.investigation.models import Measure
from tests.access.test_vault import signed_in
from tests.intake.helpers import reporter_signed_in
from tests.intake.test_api import receipt_header
from tests.investigation.helpers import case_with_receipt, opened, tables_holding

pytestmark = pytest.mark.usefixtures("recovery_shares")

T0 = dt.datetime(2026, 11, 25, 10, 0, tzinfo=dt.UTC)
DETAILS = "Suspended pending the hotel's CCTV, marker-details-55e1"
WORDS = "The person you reported may not contact you, in person or in writing."


def fields(**overrides: str) -> dict[str, str]:
    typed = {
        "kind": "suspension",
        "applies_to": "Jonas Amberley, and the client's buyer at the dinner",
        "details": DETAILS,
        "words_for_reporter": "",
        "starts_on": "2026-11-25",
        "review_on": "2026-11-27",
        "ends_on": "",
    }
    typed.update(overrides)
    return typed


def decide(client, case, **overrides: str) -> Measure:
    before = set(Measure.objects.filter(case=case).values_list("pk", flat=True))
    response = client.post(f"/cases/{case.public_id}/measures/", fields(**overrides))
    assert response.status_code == 302, response.content.decode()[:3000]
    return Measure.objects.filter(case=case).exclude(pk__in=before).get()


def test_a_measure_whose_review_date_passes_escalates_like_any_deadline(cast, story):
    with time_machine.travel(T0, tick=False):
        case, _receipt = case_with_receipt()
        hana = opened(cast.handler, case)
        measure = decide(hana, case, review_on="2026-11-25")  # to review today
        listed = hana.get(f"/cases/{case.public_id}/measures/").content.decode()
    assert "Suspension" in listed and "Hana Quill" in listed and "Jonas Amberley" in listed
    assert measure.decided_by == cast.handler
    deadline = Deadline.objects.get(case=case, name=review_deadline(measure))
    assert deadline.state == Deadline.State.OPEN
    assert deadline.label == "Review of an interim measure"
    level = Case.objects.get(pk=case.pk).level

    deadlines_sweep(T0 + dt.timedelta(hours=13))  # the review day has not ended
    assert Case.objects.get(pk=case.pk).level == level
    # The next morning (before the policy's own deadlines fall due).
    deadlines_sweep(T0 + dt.timedelta(days=1))

    case.refresh_from_db()
    assert case.level != level
    assert Deadline.objects.get(pk=deadline.pk).state == Deadline.State.MISSED
    assert TimelineEvent.objects.filter(
        case=case, kind=TimelineEvent.Kind.ESCALATED, detail="Review of an interim measure"
    ).exists()


def test_a_review_in_time_meets_the_deadline_and_opens_the_next_one(cast):
    with time_machine.travel(T0, tick=False):
        case, _receipt = case_with_receipt()
        hana = opened(cast.handler, case)
        measure = decide(hana, case)
        page = f"/cases/{case.public_id}/measures/{measure.id}/"
    with time_machine.travel(T0 + dt.timedelta(days=1), tick=False):
        hana = signed_in(cast.handler)  # another day, another sign-in
        reviewed = hana.post(
            page,
            {
                "action": "review",
                "version": "1",
                "review-note": "CCTV not yet received: keep it.",
                "review-review_on": "2026-12-10",
            },
        )
    assert reviewed.status_code == 302 and reviewed["Location"] == page
    level = Case.objects.get(pk=case.pk).level
    deadlines_sweep(T0 + dt.timedelta(days=5))
    assert Case.objects.get(pk=case.pk).level == level
    reviews = Deadline.objects.filter(case=case, name=review_deadline(measure)).order_by("pk")
    assert [d.state for d in reviews] == [Deadline.State.MET, Deadline.State.OPEN]
    assert Measure.objects.get(pk=measure.pk).review_on == dt.date(2026, 12, 10)
    shown = hana.get(page).content.decode()
    assert "CCTV not yet received: keep it." in shown and "Hana Quill" in shown

    with time_machine.travel(T0 + dt.timedelta(days=6), tick=False):
        hana = signed_in(cast.handler)
        ended = hana.post(
            page,
            {
                "action": "end",
                "version": "2",
                "end-reason": "The CCTV cleared nobody: he stays away.",
            },
        )
    assert ended.status_code == 302 and ended["Location"] == page
    assert [d.state for d in reviews.all()] == [Deadline.State.MET, Deadline.State.MET]
    measure.refresh_from_db()
    assert measure.ends_on == dt.date(2026, 12, 1) and measure.review_on is None
    assert "(ended)" in hana.get(page).content.decode()
    assert list(
        AuditEntry.objects.filter(action__startswith="investigation.measure.")
        .order_by("seq")
        .values_list("action", flat=True)
    ) == [
        "investigation.measure.added",
        "investigation.measure.reviewed",
        "investigation.measure.ended",
    ]


@pytest.mark.parametrize(
    ("typed", "error"),
    [
        ({"ends_on": "2026-11-20"}, "The end cannot come before the start"),
        ({"ends_on": "2026-11-26"}, "The review must come before the end"),
        ({"review_on": "2026-11-01"}, "The review cannot come before the start"),
        ({"starts_on": "2026-11-01", "review_on": "2026-11-10"}, "today or later"),
        ({"affects_reporter": "on"}, "write what she will read"),
        ({"applies_to": ""}, "This field is required"),
        ({"starts_on": "next week"}, "Enter a valid date"),
    ],
)
def test_a_measure_that_cannot_be_is_refused_with_what_was_typed_kept(cast, typed, error):
    with time_machine.travel(T0, tick=False):
        case, _receipt = case_with_receipt()
        hana = opened(cast.handler, case)
        response = hana.post(f"/cases/{case.public_id}/measures/", fields(**typed))
    assert response.status_code == 400
    text = response.content.decode()
    assert error in text
    assert "marker-details-55e1" in text  # what was typed is still there
    assert not Measure.objects.filter(case=case).exists()
    assert not Deadline.objects.filter(case=case, name__startswith="review:").exists()


def test_a_review_without_a_next_date_or_an_end_is_refused_with_the_note_kept(cast):
    with time_machine.travel(T0, tick=False):
        case, _receipt = case_with_receipt()
        hana = opened(cast.handler, case)
        measure = decide(hana, case)
        response = hana.post(
            f"/cases/{case.public_id}/measures/{measure.id}/",
            {"action": "review", "version": "1", "review-note": "Looked at it again."},
        )
    assert response.status_code == 400
    assert "Give the next review date, or an end date" in response.content.decode()
    assert "Looked at it again." in response.content.decode()
    assert Deadline.objects.get(case=case, name=review_deadline(measure)).state == "open"


def test_the_reporter_reads_a_measure_that_affects_her_in_plain_words_and_not_the_others(cast):
    with time_machine.travel(T0, tick=False):
        case, receipt = case_with_receipt()
        hana = opened(cast.handler, case)
        decide(hana, case)  # the suspension: not hers to read
        decide(
            hana,
            case,
            kind="no_contact",
            applies_to="Jonas Amberley",
            details="Told by the head of HR in person, marker-details-no-contact",
            affects_reporter="on",
            words_for_reporter=WORDS,
            review_on="",
            ends_on="2027-02-25",
        )
        page = reporter_signed_in(receipt).get("/report/status/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Someone has been told not to contact you." in text
    assert WORDS in text and "until" in text
    through_api = Client().get("/api/v1/reporter/case", **receipt_header(receipt)).json()
    assert [d["name"] for d in through_api["deadlines"] if d["name"].startswith("review:")] == []
    for hidden in (
        "Jonas Amberley",  # whom it applies to
        "marker-details",  # the details
        "suspended",  # the measure that does not affect her
        "Suspension",
        "Review of an interim measure",  # the suspension's review date
    ):
        assert hidden not in text, hidden


def test_an_administrator_an_auditor_and_the_accused_are_told_not_found(cast, story):
    with time_machine.travel(T0, tick=False):
        case, _receipt = case_with_receipt()
        measure = decide(opened(cast.handler, case), case)
    for user in (cast.administrator, cast.auditor, story.intake_member):
        client = signed_in(user)
        for path in ("", f"{measure.id}/"):
            assert client.get(f"/cases/{case.public_id}/measures/{path}").status_code == 404
            assert client.post(f"/cases/{case.public_id}/measures/{path}").status_code == 404
    assert Measure.objects.filter(case=case).count() == 1


def test_whom_a_measure_applies_to_and_its_details_are_not_stored_in_clear(cast):
    with time_machine.travel(T0, tick=False):
        case, _receipt = case_with_receipt()
        hana = opened(cast.handler, case)
        decide(
            hana,
            case,
            applies_to="marker-applies-to-0b9d",
            affects_reporter="on",
            words_for_reporter="marker-words-c4e2",
        )
    for marker in (b"marker-details-55e1", b"marker-applies-to-0b9d", b"marker-words-c4e2"):
        assert tables_holding(marker) == [], marker


def test_an_end_from_an_older_page_does_not_overwrite_a_review_made_meanwhile(cast):
    with time_machine.travel(T0, tick=False):
        case, _receipt = case_with_receipt()
        hana, emil = opened(cast.handler, case), opened(cast.unrelated_handler, case)
        measure = decide(hana, case)
        page = f"/cases/{case.public_id}/measures/{measure.id}/"
        # Both opened the measure at version 1; Emil reviews first.
        emil.post(page, {"action": "review", "version": "1", "review-note": "Keep it.",
                         "review-review_on": "2027-01-15"})  # fmt: skip
        stale = hana.post(
            page, {"action": "end", "version": "1", "end-reason": "He stays away for good."}
        )
    assert stale.status_code == 400
    assert "Someone changed this measure while you were writing" in stale.content.decode()
    assert "He stays away for good." in stale.content.decode()  # what she typed is kept
    measure.refresh_from_db()
    assert measure.review_on == dt.date(2027, 1, 15) and measure.ends_on is None


def test_a_review_date_centuries_away_is_refused_not_a_server_error(cast):
    with time_machine.travel(T0, tick=False):
        case, _receipt = case_with_receipt()
        hana = opened(cast.handler, case)
        response = hana.post(f"/cases/{case.public_id}/measures/", fields(review_on="9999-12-31"))
    assert response.status_code == 400
    assert "within the next ten years" in response.content.decode()
    assert not Measure.objects.filter(case=case).exists()
