"""Minutes of the reporter's meetings: she reads them on her page and confirms them
(an Ed25519 signature from her receipt) or asks for corrections; the minutes page
says which, and catches a forged confirmation even when the stored public key is
replaced too."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest
import time_machine
from django.db import connection
from django.test import Client

from ombud.audit.models import AuditEntry
from ombud.cases.models import Case, TimelineEvent
from ombud.cases.reporter_key import reporter_sign_key_set
from ombud.crypto import receipts, signing
from ombud.deadlines.models import Deadline
from ombud.deadlines.services import deadlines_sweep
from ombud.investigation.minutes import minutes_add
from ombud.investigation.models import Minutes, MinutesReply
from ombud.investigation.reading import minutes_document
from ombud.investigation.records import seal_json
from tests.access.reports import against
from tests.access.test_vault import signed_in
from tests.intake.helpers import (
    case_key_of,
    reporter_signed_in,
    staff_open,
    submit_through_pages,
)

pytestmark = pytest.mark.usefixtures("recovery_shares")

MEETING = "We met at the Ferndale office. She described the banquet and the drive back."
ORAL = "By phone: she reported that the director followed her to her room."
CORRECTION = "It was the hotel bar, not my room."
T0 = dt.datetime(2026, 11, 25, 10, 0, tzinfo=dt.UTC)


def reported() -> tuple[Case, str]:
    receipt, _page = submit_through_pages(Client())
    return Case.objects.get(receipt_lookup=receipts.receipt_lookup_id(receipt)), receipt


def minutes_added(client: Client, case: Case, kind: str, text: str) -> Minutes:
    response = client.post(
        f"/cases/{case.public_id}/minutes/",
        {
            "kind": kind,
            "held_at": "2026-11-20T10:00",
            "attendees": "Hana Quill, the reporter",
            "text": text,
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    return Minutes.objects.filter(case=case).latest("created_at")


def answer_form(page: str, minutes: Minutes) -> dict[str, str]:
    """The hidden fields of her answer to ``minutes``, as her page gives them."""
    start = page.index(f'id="minutes-{minutes.id}"')
    form = page[start : page.index("</form>", start)]
    return dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', form))


def section(page: str, minutes: Minutes) -> str:
    start = page.index(f'id="minutes-{minutes.id}"')
    return page[start : page.index("</section>", start)]


@pytest.fixture
def handled(cast):
    """A case reported through the pages, opened by its handler, with her receipt."""
    case, receipt = reported()
    hana = signed_in(cast.handler)
    staff_open(hana, case)
    return case, receipt, hana


def confirmed_meeting(handled) -> tuple[Case, Client, Minutes]:
    case, receipt, hana = handled
    meeting = minutes_added(hana, case, "reporter_meeting", MEETING)
    her = reporter_signed_in(receipt)
    form = answer_form(her.get("/report/status/").content.decode(), meeting)
    response = her.post("/report/status/minutes/", {**form, "action": "confirm"})
    assert response.status_code == 302
    return case, hana, meeting


def test_the_reporter_confirms_one_set_of_minutes_and_asks_corrections_to_another(handled):
    case, receipt, hana = handled
    meeting = minutes_added(hana, case, "reporter_meeting", MEETING)
    oral = minutes_added(hana, case, "oral_report", ORAL)
    witness = minutes_added(hana, case, "witness_interview", "The witness saw them leave.")

    her = reporter_signed_in(receipt)
    page = html.unescape(her.get("/report/status/").content.decode())
    assert "Minutes of your meetings" in page
    assert MEETING in page and ORAL in page
    assert "The witness saw them leave." not in page  # not her meeting
    assert "Please answer by" in page

    confirm = her.post(
        "/report/status/minutes/", {**answer_form(page, meeting), "action": "confirm"}
    )
    assert confirm.status_code == 302
    correct = her.post(
        "/report/status/minutes/",
        {**answer_form(page, oral), "action": "correct", "corrections": CORRECTION},
    )
    assert correct.status_code == 302
    page = html.unescape(her.get("/report/status/").content.decode())
    assert "You confirmed these minutes on" in section(page, meeting)
    assert "You asked for corrections on" in section(page, oral)

    staff = html.unescape(hana.get(f"/cases/{case.public_id}/minutes/").content.decode())
    assert "Confirmed by the reporter" in section(staff, meeting)
    assert "Corrections asked" in section(staff, oral) and CORRECTION in section(staff, oral)
    assert "Not shown to the reporter" in section(staff, witness)
    assert "does not verify" not in staff
    # Stored: her answers, her deadlines met, and the log says what happened, not what.
    assert MinutesReply.objects.get(minutes=meeting).answer == "confirmed"
    assert MinutesReply.objects.get(minutes=oral).answer == "corrections"
    assert set(
        Deadline.objects.filter(case=case, name__startswith="minutes:").values_list(
            "state", flat=True
        )
    ) == {"met"}
    actions = set(
        AuditEntry.objects.filter(object_id=str(case.pk)).values_list("action", flat=True)
    )
    assert {
        "investigation.minutes.added",
        "investigation.minutes.confirmed",
        "investigation.minutes.corrections_asked",
        "investigation.minutes.read",
    } <= actions
    assert AuditEntry.objects.filter(action="investigation.minutes.confirmed").get().actor == (
        "reporter"
    )


def test_the_reporter_is_told_about_minutes_on_her_timeline(handled):
    case, receipt, hana = handled
    minutes_added(hana, case, "reporter_interview", MEETING)
    page = reporter_signed_in(receipt).get("/report/status/").content.decode()
    assert "Minutes of a meeting with you to read" in page
    assert TimelineEvent.objects.filter(case=case, kind="minutes_to_confirm").count() == 1


def test_editing_confirmed_minutes_voids_the_confirmation_and_asks_her_again(handled):
    case, hana, meeting = confirmed_meeting(handled)
    response = hana.post(
        f"/cases/{case.public_id}/minutes/{meeting.id}/",
        {
            "kind": "reporter_meeting",
            "held_at": "2026-11-20T10:00",
            "attendees": "Hana Quill, the reporter",
            "text": MEETING + " Added later.",
            "version": "1",
        },
    )
    assert response.status_code == 302
    staff = html.unescape(hana.get(f"/cases/{case.public_id}/minutes/").content.decode())
    assert "Confirmed by the reporter" not in staff
    assert "Waiting for the reporter (answer by" in section(staff, meeting)
    assert "Version 2" in section(staff, meeting)
    assert (
        Deadline.objects.filter(case=case, state="open", name__startswith="minutes:").count() == 1
    )


def test_an_edit_made_on_an_older_page_is_refused_and_what_was_typed_is_kept(handled):
    case, _receipt, hana = handled
    meeting = minutes_added(hana, case, "reporter_meeting", MEETING)
    fields = {"kind": "reporter_meeting", "held_at": "2026-11-20T10:00", "version": "1"}
    first = hana.post(
        f"/cases/{case.public_id}/minutes/{meeting.id}/", {**fields, "text": "First edit."}
    )
    assert first.status_code == 302
    late = hana.post(
        f"/cases/{case.public_id}/minutes/{meeting.id}/", {**fields, "text": "A late edit."}
    )
    assert late.status_code == 409
    page = html.unescape(late.content.decode())
    assert "Someone changed these minutes since you opened them" in page
    assert "A late edit." in page
    meeting.refresh_from_db()
    assert meeting.version == 2


def test_a_reporter_cannot_confirm_minutes_changed_while_she_read_them(handled):
    case, receipt, hana = handled
    meeting = minutes_added(hana, case, "reporter_meeting", MEETING)
    her = reporter_signed_in(receipt)
    form = answer_form(her.get("/report/status/").content.decode(), meeting)
    hana.post(
        f"/cases/{case.public_id}/minutes/{meeting.id}/",
        {
            "kind": "reporter_meeting",
            "held_at": "2026-11-20T10:00",
            "version": "1",
            "text": "Other.",
        },
    )
    response = her.post("/report/status/minutes/", {**form, "action": "confirm"})
    assert response.status_code == 409
    assert "were changed while you were reading them" in response.content.decode()
    assert not MinutesReply.objects.filter(minutes=meeting).exists()


def test_an_empty_request_for_corrections_is_refused_on_her_page(handled):
    case, receipt, hana = handled
    meeting = minutes_added(hana, case, "reporter_meeting", MEETING)
    her = reporter_signed_in(receipt)
    form = answer_form(her.get("/report/status/").content.decode(), meeting)
    response = her.post(
        "/report/status/minutes/", {**form, "action": "correct", "corrections": " "}
    )
    assert response.status_code == 400
    assert "Write what should be corrected" in response.content.decode()
    assert not MinutesReply.objects.exists()


def test_a_forged_confirmation_with_the_public_key_replaced_too_is_shown_as_not_verified(
    handled, cast
):
    case, _receipt, hana = handled
    meeting = minutes_added(hana, case, "reporter_meeting", MEETING)
    # The operator writes to the database: his own key in place of hers, and a reply
    # signed with it over exactly what her page would show (he has a case key too).
    case_key = case_key_of(case, cast.handler)
    forger = receipts.receipt_signing_seed(receipts.receipt_new())
    sha256 = signing.text_sha256(
        minutes_document(
            kind=meeting.kind,
            held_at=meeting.held_at,
            attendees="Hana Quill, the reporter",
            text=MEETING,
        )
    )
    message = signing.confirmation_message(
        case_id=case.public_id, record_id=str(meeting.id), version=1, sha256=sha256
    )
    reply = MinutesReply(minutes=meeting, minutes_version=1, answer="confirmed")
    reply.content = seal_json(
        case=case,
        case_key=case_key,
        record=reply,
        data={"sha256": sha256, "signature": signing.sign(forger, message)},
    )
    reply.save()
    Case.objects.filter(pk=case.pk).update(reporter_sign_key=signing.public_key(forger))

    staff = html.unescape(hana.get(f"/cases/{case.public_id}/minutes/").content.decode())
    assert "Confirmed by the reporter" not in staff
    assert "Signature does not verify" in section(staff, meeting)
    assert "fails its integrity check" in section(staff, meeting)
    assert AuditEntry.objects.filter(
        action="access.integrity.failed", object_id=str(case.pk)
    ).exists()
    # What the MAC stops: the same forgery with the tag right (someone holding the
    # pepper, docs/threat-model.md) would pass.
    case.refresh_from_db()
    reporter_sign_key_set(case=case, public_key=signing.public_key(forger))
    staff = hana.get(f"/cases/{case.public_id}/minutes/").content.decode()
    assert "Confirmed by the reporter" in staff


def test_a_confirmation_signed_with_another_key_is_shown_as_not_verified(handled, cast):
    case, _receipt, hana = handled
    meeting = minutes_added(hana, case, "reporter_meeting", MEETING)
    forger = receipts.receipt_signing_seed(receipts.receipt_new())
    sha256 = signing.text_sha256(
        minutes_document(
            kind=meeting.kind,
            held_at=meeting.held_at,
            attendees="Hana Quill, the reporter",
            text=MEETING,
        )
    )
    message = signing.confirmation_message(
        case_id=case.public_id, record_id=str(meeting.id), version=1, sha256=sha256
    )
    reply = MinutesReply(minutes=meeting, minutes_version=1, answer="confirmed")
    reply.content = seal_json(
        case=case,
        case_key=case_key_of(case, cast.handler),
        record=reply,
        data={"sha256": sha256, "signature": signing.sign(forger, message)},
    )
    reply.save()
    staff = html.unescape(hana.get(f"/cases/{case.public_id}/minutes/").content.decode())
    assert "Confirmed by the reporter" not in staff
    assert "Her signature does not verify." in section(staff, meeting)


def test_minutes_text_swapped_after_her_confirmation_is_shown_as_not_verified(handled, cast):
    case, hana, meeting = confirmed_meeting(handled)
    # Someone with the case key re-seals other text at the same version, around Ombud.
    meeting.refresh_from_db()
    body = seal_json(
        case=case,
        case_key=case_key_of(case, cast.handler),
        record=meeting,
        field="body",
        data={"text": "She said nothing happened.", "attendees": "Hana Quill, the reporter"},
    )
    Minutes.objects.filter(pk=meeting.pk).update(body=body)
    staff = html.unescape(hana.get(f"/cases/{case.public_id}/minutes/").content.decode())
    assert "Confirmed by the reporter" not in staff
    assert "The text changed after she confirmed it." in section(staff, meeting)


def test_a_missed_answer_deadline_escalates_the_case(cast, story):
    with time_machine.travel(T0, tick=False):
        case = against("C004")
        minutes = minutes_add(
            actor=cast.handler,
            case=case,
            case_key=case_key_of(case, cast.handler),
            kind="oral_report",
            held_at=T0,
            text=ORAL,
        )
    assert minutes.confirm_by == T0 + dt.timedelta(days=10)
    level = Case.objects.get(pk=case.pk).level
    deadlines_sweep(T0 + dt.timedelta(days=11))
    case.refresh_from_db()
    assert case.level != level
    assert Deadline.objects.get(case=case, name__startswith="minutes:").state == "missed"
    assert TimelineEvent.objects.filter(
        case=case, kind="escalated", detail="The reporter's answer to minutes"
    ).exists()


def test_an_older_case_gets_her_public_key_at_her_next_receipt_use(handled):
    case, receipt, _hana = handled
    assert case.reporter_sign_key is not None  # given at intake
    Case.objects.filter(pk=case.pk).update(reporter_sign_key=None, reporter_sign_key_mac=None)
    reporter_signed_in(receipt)
    case.refresh_from_db()
    expected = signing.public_key(receipts.receipt_signing_seed(receipt))
    assert bytes(case.reporter_sign_key) == expected
    assert AuditEntry.objects.filter(action="intake.reporter.sign_key_set").exists()


def test_minutes_and_her_corrections_are_in_no_column_in_clear(handled):
    case, receipt, hana = handled
    meeting = minutes_added(hana, case, "reporter_meeting", "Marker-7f3a minutes text")
    her = reporter_signed_in(receipt)
    form = answer_form(her.get("/report/status/").content.decode(), meeting)
    her.post("/report/status/minutes/", {**form, "action": "correct", "corrections": "Marker-9c1d"})
    assert MinutesReply.objects.filter(minutes=meeting).exists()
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            for row in cursor.fetchall():
                for value in row:
                    data = value if isinstance(value, bytes | memoryview) else str(value).encode()
                    assert b"Marker-7f3a" not in bytes(data), table
                    assert b"Marker-9c1d" not in bytes(data), table


def test_minutes_whose_text_was_written_around_ombud_are_flagged_and_not_shown_to_her(handled):
    case, receipt, hana = handled
    meeting = minutes_added(hana, case, "reporter_meeting", MEETING)
    other = minutes_added(hana, case, "reporter_meeting", ORAL)
    # A ciphertext moved from other minutes does not open here.
    Minutes.objects.filter(pk=meeting.pk).update(body=Minutes.objects.get(pk=other.pk).body)
    response = hana.get(f"/cases/{case.public_id}/minutes/")
    assert response.status_code == 200
    assert "These minutes do not open" in html.unescape(response.content.decode())
    page = reporter_signed_in(receipt).get("/report/status/").content.decode()
    assert f"minutes-{meeting.id}" not in page and f"minutes-{other.id}" in page


def test_the_minutes_page_asks_the_database_as_often_for_one_set_as_for_four(handled):
    from django.test.utils import CaptureQueriesContext

    case, receipt, hana = handled
    first = minutes_added(hana, case, "reporter_meeting", MEETING)
    her = reporter_signed_in(receipt)
    her.post(
        "/report/status/minutes/",
        {**answer_form(her.get("/report/status/").content.decode(), first), "action": "confirm"},
    )

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert hana.get(f"/cases/{case.public_id}/minutes/").status_code == 200
        return len(captured)

    one = queries()
    for kind in ("oral_report", "witness_interview", "reporter_interview"):
        minutes_added(hana, case, kind, ORAL)
    assert queries() == one


def test_a_witness_statement_never_becomes_minutes_she_is_asked_to_confirm(handled):
    case, receipt, hana = handled
    witness = minutes_added(hana, case, "witness_interview", "The witness saw them leave.")
    edited = hana.post(
        f"/cases/{case.public_id}/minutes/{witness.id}/",
        {
            "kind": "reporter_meeting",
            "held_at": "2026-11-20T10:00",
            "attendees": "Hana Quill, the witness",
            "text": "The witness saw them leave.",
            "version": str(witness.version),
        },
    )
    assert edited.status_code == 400
    assert "write new minutes instead" in html.unescape(edited.content.decode())
    assert Minutes.objects.get(pk=witness.pk).kind == "witness_interview"
    her = reporter_signed_in(receipt).get("/report/status/").content.decode()
    assert "The witness saw them leave." not in her
