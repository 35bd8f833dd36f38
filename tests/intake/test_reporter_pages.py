"""A reporter's whole path through the pages, with no JavaScript: Django's test client."""

from __future__ import annotations

import pytest
from django.test import Client

from ombud.audit.models import AuditEntry
from ombud.cases.models import Case, Message, Party, TimelineEvent
from ombud.intake.drafts import LIFETIME as DRAFT_LIFETIME
from ombud.intake.models import Draft
from tests.access.test_vault import signed_in
from tests.intake.helpers import (
    report_fields,
    reporter_signed_in,
    staff_open,
    submit_through_pages,
)

pytestmark = pytest.mark.usefixtures("recovery_shares")


def test_a_reporter_submits_follows_and_talks_with_the_handler_without_javascript(cast):
    reporter = Client()
    page = reporter.get("/report/new/")
    assert page.status_code == 200 and page["Cache-Control"] == "no-store"
    assert "<script>" not in page.content.decode()  # nothing inline; the form needs no script

    fields = report_fields(**{"accused-0-name": ""})
    reporter.post("/report/new/", {**fields, "find": "amberley", "action": "find"})
    page = reporter.post("/report/new/", {**fields, "pick": "C004"}).content.decode()
    assert 'value="C004"' in page
    fields.update({"accused-0-name": "Jonas Amberley", "accused-0-employee_id": "C004"})
    response = reporter.post("/report/new/", {**fields, "action": "review"})
    assert response.status_code == 302
    review = reporter.get("/report/review/")
    assert "cornered me in the stock room" in review.content.decode()
    assert Case.objects.count() == 0  # nothing is sent before she says so

    response = reporter.post("/report/review/", {"action": "submit"})
    assert response.status_code == 201
    text = response.content.decode()
    assert "shown only this once" in text
    assert "Help now" in text and "Keeping evidence" in text
    case = Case.objects.get()
    assert case.acknowledge_by is not None
    assert case.acknowledge_by.strftime("%Y") in text
    assert case.category == "sexual_harassment" and case.channel == "web"
    assert b"cornered" not in bytes(case.report)
    assert Draft.objects.get().sent_at is not None  # kept briefly for a double click
    assert list(Party.objects.values_list("person__employee_id", "role")) == [("C004", "accused")]
    assert AuditEntry.objects.filter(action="intake.report.submitted", actor="reporter").exists()
    from tests.intake.helpers import receipt_on

    receipt = receipt_on(text)
    assert receipt not in str(list(AuditEntry.objects.values_list("details", flat=True)))

    # She comes back later with the receipt, typed carelessly.
    later = reporter_signed_in(receipt.lower().replace("-", " "))
    status = later.get("/report/status/")
    assert status.status_code == 200 and status["Cache-Control"] == "no-store"
    assert "cornered me in the stock room" in status.content.decode()
    assert "Report received" in status.content.decode()
    response = later.post(
        "/report/status/message/",
        {"body": "He has started messaging me again.", "action": "message"},
    )
    assert response.status_code == 302

    handler = signed_in(cast.handler)
    inbox = handler.get("/cases/")
    assert case.ref in inbox.content.decode()
    case_page = staff_open(handler, case)
    body = case_page.content.decode()
    assert "cornered me in the stock room" in body and "messaging me again" in body
    response = handler.post(
        f"/cases/{case.public_id}/messages/", {"body": "Thank you. Can we call you on Tuesday?"}
    )
    assert response.status_code == 302
    assert Message.objects.filter(case=case).count() == 2

    status = later.get("/report/status/").content.decode()
    assert "Can we call you on Tuesday?" in status
    assert "Message from the case handlers" in status
    assert list(TimelineEvent.objects.filter(case=case).values_list("kind", flat=True)) == [
        "received",
        "message_from_reporter",
        "message_to_reporter",
    ]


def test_a_handler_who_does_not_hold_the_key_gets_not_found(cast):
    receipt, _page = submit_through_pages(Client())
    case = Case.objects.get()
    auditor = signed_in(cast.auditor)
    assert auditor.get(f"/cases/{case.public_id}/").status_code == 404
    assert auditor.get("/cases/no-such-case/").status_code == 404
    assert case.ref not in auditor.get("/cases/").content.decode()


def test_missing_answers_reshow_the_form_with_everything_typed_and_store_nothing(cast):
    client = Client()
    response = client.post(
        "/report/new/",
        {**report_fields(category="", description="", occurred_period=""), "action": "review"},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "This field is required." in page
    assert "Give a date, or roughly when it happened" in page
    assert "Stock room, Ferndale depot" in page  # what she typed is still there
    assert Case.objects.count() == 0


def test_a_one_megabyte_description_is_refused_with_the_limit_and_nothing_is_stored(cast):
    response = Client().post(
        "/report/new/", {**report_fields(description="x" * 1_000_000), "action": "review"}
    )
    assert response.status_code == 400
    assert "Ensure this value has at most 20000 characters" in response.content.decode()
    assert Case.objects.count() == 0


def test_an_anonymous_reporter_who_types_her_name_is_warned_before_anything_is_sent(cast):
    response = Client().post(
        "/report/new/", {**report_fields(name="Rhea Solberg"), "action": "review"}
    )
    assert response.status_code == 400
    assert "You chose to report anonymously" in response.content.decode()


def test_a_malformed_and_an_unknown_receipt_get_the_same_answer(cast):
    submit_through_pages(Client())
    malformed = Client().post("/report/status/", {"receipt": "not a receipt"})
    unknown = Client().post("/report/status/", {"receipt": "0000-0000-0000-0000-0000-0000"})
    assert malformed.status_code == unknown.status_code == 401
    message = "No report answers to this receipt."
    assert message in malformed.content.decode() and message in unknown.content.decode()


def test_the_directory_picker_needs_three_letters_and_shows_at_most_five(cast):
    client = Client()
    short = client.post("/report/new/", {**report_fields(find="Vi"), "action": "find"})
    assert "Type at least three letters" in short.content.decode()
    found = client.post("/report/new/", {**report_fields(find="hallg"), "action": "find"})
    page = found.content.decode()
    assert 'name="pick" value="C003"' in page and "Head of Grocery" in page
    assert "Stock room, Ferndale depot" in page  # the search keeps what was typed
    # "a" matches everyone in the cast; only five are listed.
    many = client.post("/report/new/", {**report_fields(find="ane"), "action": "find"})
    assert many.content.decode().count('name="pick"') <= 5


def test_picking_someone_from_the_directory_adds_them_linked(cast):
    client = Client()
    fields = report_fields(**{"accused-0-name": "", "accused-0-employee_id": ""})
    client.post("/report/new/", {**fields, "find": "marbury", "action": "find"})
    response = client.post("/report/new/", {**fields, "pick": "C002"})
    page = response.content.decode()
    assert 'value="Celeste Marbury"' in page and 'value="C002"' in page
    assert "Linked to the directory." in page


def test_ids_no_search_offered_neither_link_nor_reveal_anyone(cast):
    client = Client()
    fields = report_fields(**{"accused-0-name": "", "accused-0-employee_id": ""})
    picked = client.post("/report/new/", {**fields, "pick": "C001"}).content.decode()
    assert "Aurelio Thane" not in picked and 'value="C001"' not in picked
    forged = report_fields(**{"accused-0-name": "", "accused-0-employee_id": "C001"})
    page = client.post("/report/new/", {**forged, "action": "review"})
    assert "Aurelio Thane" not in client.get("/report/review/").content.decode()
    assert 'value="C001"' not in page.content.decode()


def test_the_inbox_costs_the_same_queries_for_three_cases_as_for_six(
    cast, django_assert_num_queries
):
    handler = signed_in(cast.handler)
    for _index in range(3):
        submit_through_pages(Client())
    # Session, user, roles (twice), her cases' ids (for the list and for those held
    # below her level), the cases readable and held, the two counts (at the top,
    # overdue): never one per case.
    with django_assert_num_queries(13):
        page = handler.get("/cases/")
    assert page.content.decode().count('<tr><td><a href="/cases/') == 3
    for _index in range(3):
        submit_through_pages(Client())
    with django_assert_num_queries(13):
        page = handler.get("/cases/")
    assert page.content.decode().count('<tr><td><a href="/cases/') == 6


def test_the_organisation_edits_the_advice_every_reporter_reads(cast):
    admin = signed_in(cast.administrator)
    response = admin.post(
        "/admin/intake/guidance/add/",
        {
            "help_now": "Call the Quillfern care line on 0800 555 0100.",
            "preserve_evidence": "Keep it.",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert AuditEntry.objects.filter(action="intake.guidance.saved").exists()
    _receipt, page = submit_through_pages(Client())
    assert "Call the Quillfern care line on 0800 555 0100." in page


def test_adding_a_person_adds_one_empty_row_and_keeps_the_others(cast):
    response = Client().post("/report/new/", {**report_fields(), "action": "add_accused"})
    page = response.content.decode()
    assert 'name="accused-TOTAL_FORMS" value="2"' in page
    assert 'value="Victor Hallgrim"' in page and 'name="accused-1-name"' in page
    assert 'name="accused-2-name"' not in page


def test_a_tampered_row_count_is_answered_with_the_form_not_an_error(cast):
    fields = report_fields(**{"accused-TOTAL_FORMS": "lots", "prior-TOTAL_FORMS": "999999999"})
    for action in ("add_accused", "add_prior", "review"):
        response = Client().post("/report/new/", {**fields, "action": action})
        assert response.status_code in (200, 302, 400)
        assert "Something went wrong" not in response.content.decode()


def test_a_double_click_on_send_shows_the_same_receipt_and_makes_one_case(cast):
    client = Client()
    client.post("/report/new/", {**report_fields(), "action": "review"})
    first = client.post("/report/review/", {"action": "submit"})
    second = client.post("/report/review/", {"action": "submit"})
    assert first.status_code == 201 and second.status_code == 200
    from tests.intake.helpers import receipt_on

    assert receipt_on(first.content.decode()) == receipt_on(second.content.decode())
    assert Case.objects.count() == 1
    # Starting a new report forgets the sent one.
    assert "cornered me" not in client.get("/report/new/").content.decode()
    assert client.get("/report/review/").status_code == 302


def test_a_reporter_signed_out_while_writing_keeps_her_message(cast):
    receipt, _page = submit_through_pages(Client())
    reporter = reporter_signed_in(receipt)
    from django.contrib.sessions.models import Session

    Session.objects.all().delete()  # 30 idle minutes later, her session is gone
    lost = reporter.post("/report/status/message/", {"body": "It happened again on Monday."})
    assert lost.status_code == 401
    assert "It happened again on Monday." in lost.content.decode()
    assert Message.objects.count() == 0
    back = reporter.post(
        "/report/status/", {"receipt": receipt, "unsent": "It happened again on Monday."}
    )
    assert back.status_code == 200
    assert "It happened again on Monday.</textarea>" in back.content.decode()


def test_no_cookie_the_reporter_gets_outlives_her_draft(cast):
    """A cookie kept for a year on her device could tell someone that she reported:
    each ends with the browser session, but her draft's, which lasts as long as the draft."""
    reporter = Client()
    reporter.get("/report/new/")
    reporter.post("/report/new/", {**report_fields(), "action": "review"})
    assert {"csrftoken", "ombud_draft"} <= set(reporter.cookies)
    for name, cookie in reporter.cookies.items():
        lifetime = DRAFT_LIFETIME.total_seconds() if name == "ombud_draft" else 0
        assert int(cookie["max-age"] or 0) <= lifetime, name
