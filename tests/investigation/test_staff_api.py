"""The investigation in the staff API, tried as attacks: a token reads a case's
allegations, findings, minutes, evidence and measures through the same door and with
the same read entries as the pages; one of another level, of someone conflicted, an
expired or a revoked one reads and writes nothing; minutes and evidence added through
it land on the pages with their audit entries, refused fields are named and nothing is
written; a file's bytes never reach the database in clear; and a signed-in session's
write without its CSRF token is refused."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from ombud.audit.models import AuditEntry
from ombud.cases.models import Case
from ombud.directory.models import User
from ombud.investigation.models import Allegation, CustodyEntry, Evidence, Minutes
from ombud.investigation.reading import (
    ALLEGATIONS_READ,
    EVIDENCE_LISTED,
    MEASURES_READ,
    MINUTES_READ,
)
from ombud.investigation.tokens import token_create, token_revoke
from tests.access.reports import against
from tests.access.test_vault import private_of, signed_in
from tests.investigation.helpers import opened, tables_holding

pytestmark = pytest.mark.usefixtures("recovery_shares")

FILE = b"Hotel bar receipt, two glasses, 23:40. Marker-api-5c1e-file."
MINUTES = "She said he followed her to her room. Marker-api-minutes-8d2b."
TODAY = dt.date.today()  # noqa: DTZ011 - a day, as the form takes it
REVIEW = TODAY + dt.timedelta(days=30)
READS = {
    "allegations": ALLEGATIONS_READ,
    "evidence": EVIDENCE_LISTED,
    "measures": MEASURES_READ,
    "minutes": MINUTES_READ,
}


def token_of(user: User, *, days: int = 30) -> str:
    return token_create(actor=user, name="script", days=days, private=private_of(user)).text


def api(token: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}")


def url(case: Case, what: str) -> str:
    return f"/api/v1/staff/cases/{case.public_id}/{what}"


def minutes_payload(**overrides: str) -> dict[str, str]:
    return {
        "kind": "reporter_meeting",
        "held_at": "2026-11-20T10:00",
        "attendees": "Rhea, Hana",
        "text": MINUTES,
        **overrides,
    }


def post_minutes(client: Client, case: Case, **overrides: str):
    return client.post(url(case, "minutes"), minutes_payload(**overrides), "application/json")


def post_evidence(client: Client, case: Case, data: bytes = FILE, **fields):
    return client.post(
        url(case, "evidence"),
        {
            "description": "The hotel bar's receipt",
            "source": "Given by the hotel's manager",
            "file": SimpleUploadedFile("receipt.txt", data),
            **fields,
        },
    )


def investigated(user: User) -> tuple[Case, Client]:
    """A case at Hana's level with an allegation and its finding, an item of evidence,
    a measure and minutes, all written through the pages."""
    case = against("C004")
    hana = opened(user, case)
    pages = f"/cases/{case.public_id}"
    hana.post(
        f"{pages}/allegations/",
        {
            "action": "add",
            "name": "The client's buyer at the banquet",
            "category": "sexual_harassment",
            "summary": "He pressed her to drink at the banquet.",
        },
    )
    allegation = Allegation.objects.get(case=case)
    hana.post(
        f"{pages}/evidence/",
        {
            "description": "The hotel bar's receipt",
            "source": "The hotel",
            "files": SimpleUploadedFile("bar.txt", b"Two glasses."),
        },
    )
    hana.post(
        f"{pages}/allegations/",
        {
            "action": "finding",
            "target": str(allegation.id),
            "version": allegation.version,
            "outcome": "substantiated",
            "standard": "",
            "reasoning": "The receipt shows them together at 23:40.",
            "evidence": [str(Evidence.objects.get(case=case).id)],
            "sanctions": "Dismissal",
        },
    )
    hana.post(
        f"{pages}/measures/",
        {
            "kind": "suspension",
            "applies_to": "Jonas Weber",
            "starts_on": TODAY.isoformat(),
            "review_on": REVIEW.isoformat(),
        },
    )
    hana.post(f"{pages}/minutes/", minutes_payload())
    return case, hana


def entry_of(action: str) -> tuple[str, str, str, str]:
    entry = AuditEntry.objects.filter(action=action).latest("seq")
    return entry.actor, entry.object_type, entry.object_id, entry.details


# Reading ---------------------------------------------------------------------------


def test_a_token_reads_the_investigation_with_the_same_read_entries_as_the_pages(cast):
    case, hana = investigated(cast.handler)
    for page in ("allegations", "evidence", "measures", "minutes"):
        assert hana.get(f"/cases/{case.public_id}/{page}/").status_code == 200
    on_pages = {what: entry_of(action) for what, action in READS.items()}
    before = {
        what: AuditEntry.objects.filter(action=action).count() for what, action in READS.items()
    }
    token = token_of(cast.handler)

    answers = {what: api(token).get(url(case, what)) for what in READS}

    assert {what: answer.status_code for what, answer in answers.items()} == dict.fromkeys(
        READS, 200
    )
    for what, action in READS.items():
        assert entry_of(action) == on_pages[what], what
        assert AuditEntry.objects.filter(action=action).count() == before[what] + 1, what
    allegation = answers["allegations"].json()["allegations"][0]
    assert allegation["state"] == "substantiated"
    assert allegation["outsider"] == "The client's buyer at the banquet"
    finding = allegation["finding"]
    assert finding["outcome"] == "substantiated"
    assert finding["standard"] == "balance_of_probabilities"
    assert finding["reasoning"] == "The receipt shows them together at 23:40."
    assert finding["sanctions"] == "Dismissal"
    assert finding["evidence"] == [str(Evidence.objects.get(case=case).id)]
    item = answers["evidence"].json()["items"][0]
    assert item["description"] == "The hotel bar's receipt" and item["name"] == "bar.txt"
    assert item["sha256"] == hashlib.sha256(b"Two glasses.").hexdigest()
    assert item["size"] == len(b"Two glasses.") and item["added_by"]
    assert [line["action"] for line in item["custody"]] == ["added"]
    assert "Two glasses." not in answers["evidence"].content.decode()  # never the file
    measure = answers["measures"].json()["measures"][0]
    assert (measure["kind"], measure["applies_to"], measure["review_on"]) == (
        "suspension",
        "Jonas Weber",
        REVIEW.isoformat(),
    )
    assert measure["review_state"] == "open" and measure["decided_by"]
    minutes = answers["minutes"].json()["minutes"][0]
    assert minutes["text"] == MINUTES and minutes["status"] == "waiting"


def test_a_token_of_another_level_or_a_conflicted_handler_gets_the_same_404_everywhere(cast, story):
    case, _hana = investigated(cast.handler)  # Jonas (C004), a handler here, is the accused
    outsiders = {
        "conflicted": token_of(story.intake_member),
        "another level": token_of(story.head_of_ethics),
        "auditor": token_of(cast.auditor),
    }
    written = (Minutes.objects.count(), Evidence.objects.count())
    for who, token in outsiders.items():
        for what in READS:
            missing = api(token).get(f"/api/v1/staff/cases/no-such-case/{what}")
            answer = api(token).get(url(case, what))
            assert answer.status_code == missing.status_code == 404, (who, what)
            assert answer.content == missing.content
        assert post_minutes(api(token), case).status_code == 404, who
        assert post_evidence(api(token), case).status_code == 404, who
    assert (Minutes.objects.count(), Evidence.objects.count()) == written
    users = (story.intake_member, story.head_of_ethics, cast.auditor)
    assert not AuditEntry.objects.filter(
        actor__in=[f"user:{user.username}" for user in users],
        action__startswith="investigation.",
    ).exists()


def test_a_reader_who_broke_the_glass_reads_but_writes_nothing(cast, story):
    case, _hana = investigated(cast.handler)
    head = signed_in(story.head_of_ethics)
    head.post(
        f"/cases/{case.public_id}/break-glass/",
        {"justification": "The reporter phoned me in distress; the team is unreachable."},
    )
    opened(story.head_of_ethics, case)
    token = token_of(story.head_of_ethics)

    assert api(token).get(url(case, "evidence")).status_code == 200
    assert post_minutes(api(token), case).status_code == 404
    assert post_evidence(api(token), case).status_code == 404
    assert Minutes.objects.filter(case=case).count() == 1
    assert Evidence.objects.filter(case=case).count() == 1


def test_before_saying_she_has_no_conflict_a_token_reads_and_writes_nothing(cast):
    case = against("C004")
    token = token_of(cast.handler)
    for what in READS:
        assert api(token).get(url(case, what)).status_code == 409
    assert post_minutes(api(token), case).status_code == 409
    assert not Minutes.objects.exists()
    assert not AuditEntry.objects.filter(action__in=READS.values()).exists()


def test_an_expired_or_revoked_token_gets_401_and_writes_nothing(cast):
    case = against("C004")
    opened(cast.handler, case)
    expired = token_of(cast.handler, days=1)
    made = token_create(actor=cast.handler, name="old", days=30, private=private_of(cast.handler))
    token_revoke(actor=cast.handler, token=made.token)
    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(days=2)):
        for token in (expired, made.text):
            for what in READS:
                assert api(token).get(url(case, what)).status_code == 401
            assert post_minutes(api(token), case).status_code == 401
            assert post_evidence(api(token), case).status_code == 401
    assert not Minutes.objects.exists() and not Evidence.objects.exists()


# Writing ---------------------------------------------------------------------------


def test_minutes_added_through_the_api_are_on_the_page_with_their_audit_entry(cast):
    case = against("C004")
    hana = opened(cast.handler, case)

    response = post_minutes(api(token_of(cast.handler)), case)

    assert response.status_code == 201, response.content
    body = response.json()
    minutes = Minutes.objects.get(case=case)
    assert body["id"] == str(minutes.id) and body["version"] == 1
    assert body["confirm_by"] is not None  # hers to confirm: a deadline
    assert MINUTES in hana.get(f"/cases/{case.public_id}/minutes/").content.decode()
    entry = AuditEntry.objects.get(action="investigation.minutes.added")
    assert entry.actor == "user:hana" and str(minutes.id) in entry.details
    assert tables_holding(b"Marker-api-minutes-8d2b") == []


@pytest.mark.parametrize(
    ("field", "overrides", "message"),
    [
        ("text", {"text": "   "}, "Write the minutes."),
        ("held_at", {"held_at": "last Tuesday"}, ""),
        ("kind", {"kind": "gossip"}, ""),
        ("text", {"text": "x" * 50_001}, ""),
    ],
)
def test_bad_minutes_get_a_422_naming_the_field_and_nothing_is_written(
    cast, field, overrides, message
):
    case = against("C004")
    opened(cast.handler, case)

    response = post_minutes(api(token_of(cast.handler)), case, **overrides)

    assert response.status_code == 422
    errors = response.json()["detail"]
    assert [error["loc"][-1] for error in errors] == [field]
    assert message in errors[0]["msg"] and errors[0]["msg"]
    assert "Traceback" not in response.content.decode()
    assert not Minutes.objects.exists()
    assert not AuditEntry.objects.filter(action="investigation.minutes.added").exists()


def test_minutes_with_an_unknown_field_or_a_number_for_text_are_refused(cast):
    case = against("C004")
    opened(cast.handler, case)
    token = token_of(cast.handler)
    extra = api(token).post(
        url(case, "minutes"), {**minutes_payload(), "signed": True}, "application/json"
    )
    number = api(token).post(
        url(case, "minutes"), {**minutes_payload(), "text": 42}, "application/json"
    )
    assert extra.status_code == number.status_code == 422
    assert not Minutes.objects.exists()


def test_evidence_added_through_the_api_is_on_the_page_and_not_stored_in_clear(cast):
    case = against("C004")
    hana = opened(cast.handler, case)

    response = post_evidence(api(token_of(cast.handler)), case)

    assert response.status_code == 201, response.content
    item = Evidence.objects.get(case=case)
    assert response.json() == {
        "id": str(item.id),
        "sha256": hashlib.sha256(FILE).hexdigest(),
        "name": "receipt.txt",
        "size": len(FILE),
    }
    listed = hana.get(f"/cases/{case.public_id}/evidence/").content.decode()
    assert "The hotel bar&#x27;s receipt" in listed or "The hotel bar's receipt" in listed
    assert hana.post(f"/cases/{case.public_id}/evidence/{item.id}/download/").content == FILE
    entry = AuditEntry.objects.get(action="investigation.evidence.added")
    assert entry.actor == "user:hana" and str(item.id) in entry.details
    assert [(line.action, line.user) for line in CustodyEntry.objects.filter(evidence=item)][0] == (
        "added",
        cast.handler,
    )
    assert tables_holding(b"Marker-api-5c1e-file") == []
    assert tables_holding(hashlib.sha256(FILE).hexdigest().encode()) == []


def test_evidence_the_pages_checks_refuse_is_refused_with_its_field_named(cast):
    case = against("C004")
    opened(cast.handler, case)
    token = token_of(cast.handler)

    not_a_type = post_evidence(api(token), case, data=b"MZ\x90\x00\x03\x00\x00\x00\xff\xfe")
    no_description = post_evidence(api(token), case, description="  ")
    no_file = api(token).post(
        url(case, "evidence"), {"description": "A knife", "source": "The police"}
    )
    physical = api(token).post(
        url(case, "evidence"),
        {"description": "A knife", "source": "The police", "physical": "true"},
    )

    for refused, field in ((not_a_type, "file"), (no_description, "description")):
        assert refused.status_code == 422, refused.content
        assert [error["loc"][-1] for error in refused.json()["detail"]] == [field]
    assert no_file.status_code == 422
    assert [error["loc"][-1] for error in no_file.json()["detail"]] == ["file"]
    assert physical.status_code == 201 and physical.json()["sha256"] == ""
    assert Evidence.objects.count() == 1
    assert AuditEntry.objects.filter(action="investigation.evidence.added").count() == 1


def test_a_signed_in_sessions_write_without_its_csrf_token_is_refused(cast):
    case = against("C004")
    hana = opened(cast.handler, case)
    hana.handler.enforce_csrf_checks = True

    refused = post_minutes(hana, case)
    refused_file = post_evidence(hana, case)

    assert refused.status_code == refused_file.status_code == 403
    assert not Minutes.objects.exists() and not Evidence.objects.exists()
    # With it, as a page's script would send it, the same write goes through.
    hana.get(f"/cases/{case.public_id}/minutes/")
    token = hana.cookies["csrftoken"].value
    accepted = hana.post(
        url(case, "minutes"), minutes_payload(), "application/json", HTTP_X_CSRFTOKEN=token
    )
    assert accepted.status_code == 201
    assert Minutes.objects.count() == 1


def test_the_openapi_schema_describes_the_investigation_routes_and_the_bearer_scheme(db):
    schema = Client().get("/api/v1/openapi.json").json()
    paths = schema["paths"]
    base = "/api/v1/staff/cases/{public_id}/"
    for what in READS:
        assert "get" in paths[base + what], what
        assert paths[base + what]["get"]["security"] == [{"StaffAuth": []}]
    assert "post" in paths[base + "minutes"] and "post" in paths[base + "evidence"]
    assert "multipart/form-data" in paths[base + "evidence"]["post"]["requestBody"]["content"]
    assert schema["components"]["securitySchemes"]["StaffAuth"]["scheme"] == "bearer"


def test_the_api_lists_cost_the_same_queries_however_many_records(cast):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    case = against("C004")
    hana = opened(cast.handler, case)
    token = api(token_of(cast.handler))
    token.get("/api/v1/staff/cases")  # the token's use entry of the day, once

    def queries() -> dict[str, int]:
        counts = {}
        for what in READS:
            with CaptureQueriesContext(connection) as captured:
                assert token.get(url(case, what)).status_code == 200
            counts[what] = len(captured)
        return counts

    def more(number: int) -> None:
        for index in range(number):
            assert post_minutes(token, case, kind="witness_interview").status_code == 201
            assert post_evidence(token, case, data=FILE + str(index).encode()).status_code == 201
            hana.post(
                f"/cases/{case.public_id}/measures/",
                {"kind": "travel", "applies_to": "Jonas", "starts_on": TODAY.isoformat()},
            )
            hana.post(
                f"/cases/{case.public_id}/allegations/",
                {
                    "action": "add",
                    "name": f"Guest {index}",
                    "category": "sexual_harassment",
                    "summary": "He was there.",
                },
            )

    more(1)
    few = queries()
    more(3)
    many = queries()
    assert Minutes.objects.filter(case=case).count() == Allegation.objects.count() == 4
    assert many == few


def test_minutes_of_her_meeting_added_through_the_api_reach_her_and_her_confirmation_reads_back(
    cast,
):
    from tests.intake.helpers import reporter_signed_in
    from tests.investigation.test_minutes import answer_form, reported

    case, receipt = reported()
    opened(cast.handler, case)
    token = api(token_of(cast.handler))
    assert post_minutes(token, case).status_code == 201
    minutes = Minutes.objects.get(case=case)

    her = reporter_signed_in(receipt)
    page = her.get("/report/status/").content.decode()
    assert "Marker-api-minutes-8d2b" in page
    answered = her.post(
        "/report/status/minutes/", {**answer_form(page, minutes), "action": "confirm"}
    )

    assert answered.status_code == 302
    listed = token.get(url(case, "minutes")).json()["minutes"]
    assert [(one["id"], one["status"]) for one in listed] == [(str(minutes.id), "confirmed")]
