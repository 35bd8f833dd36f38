"""The reporter's JSON API, through Django's test client."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from django.test import Client
from PIL import Image

from ombud.audit.models import AuditEntry
from ombud.cases.models import Attachment, Case, Message
from tests.access.test_vault import signed_in
from tests.intake.helpers import staff_open

pytestmark = pytest.mark.usefixtures("recovery_shares")


def report(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "category": "sexual_harassment",
        "description": "He kept commenting on my body in team meetings.",
        "occurred_on": "2026-03-04",
        "location": "Third floor",
        "context": "office",
        "accused": [
            {"employee_id": "C004"},
            {"name": "A client's buyer", "relationship": "client"},
        ],
        "witnesses": ["A colleague"],
        "prior_reports": [{"to": "my team lead", "when": "April", "outcome": "told to ignore it"}],
        "identity": {"mode": "confidential", "name": "Rhea Solberg", "employee_id": "C005"},
        "wants": "An apology and for it to stop.",
        "contact_ok": True,
    }
    body.update(overrides)
    return body


def post(path: str, data: Any, **headers: str) -> Any:
    return Client().post(path, json.dumps(data), content_type="application/json", **headers)


def receipt_header(receipt: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Receipt {receipt}"}


def test_a_report_through_the_api_gives_a_receipt_and_the_case_follows_it(cast):
    response = post("/api/v1/reports", report())
    assert response.status_code == 201, response.content
    answer = response.json()
    assert set(answer) == {"case_ref", "receipt", "acknowledge_by"}
    case = Case.objects.get(ref=answer["case_ref"])
    assert case.channel == "api" and case.acknowledge_by.isoformat() == answer["acknowledge_by"]
    assert AuditEntry.objects.filter(action="intake.report.submitted").count() == 1

    auth = receipt_header(answer["receipt"])
    mine = Client().get("/api/v1/reporter/case", **auth)
    assert mine.status_code == 200 and mine["Cache-Control"] == "no-store"
    data = mine.json()
    assert data["case_ref"] == case.ref and data["state"] == "received"
    assert data["report"]["description"].startswith("He kept commenting")
    # She gets back what she sent; the directory's name is not told to the sender.
    assert data["report"]["accused"][0] == {
        "name": "",
        "relationship": "employee",
        "employee_id": "C004",
    }
    # The strict policy: acknowledge within 2 business days, news every 30 days,
    # close within 90 days.
    assert [(d["name"], d["met"]) for d in data["deadlines"]] == [
        ("acknowledge", None),
        ("update", None),
        ("close", None),
    ]
    assert data["deadlines"][0]["due"].startswith(answer["acknowledge_by"])
    assert [event["event"] for event in data["timeline"]] == ["received"]

    sent = post("/api/v1/reporter/messages", {"body": "I have the chat logs."}, **auth)
    assert sent.status_code == 201
    # The handler replies on the case page; the reporter reads it through the API.
    handler = signed_in(cast.handler)
    assert "Jonas Amberley" in staff_open(handler, case).content.decode()
    handler.post(f"/cases/{case.public_id}/messages/", {"body": "Please send them."})
    messages = Client().get("/api/v1/reporter/case", **auth).json()["messages"]
    assert [(m["sender"], m["body"]) for m in messages] == [
        ("reporter", "I have the chat logs."),
        ("handlers", "Please send them."),
    ]


def test_values_are_not_coerced_and_each_bad_field_is_named(cast):
    response = post(
        "/api/v1/reports",
        report(category="harassment", contact_ok="yes", occurred_on="04/03/2026", extra=1),
    )
    assert response.status_code == 422
    problems = {tuple(item["loc"][-1:]): item["msg"] for item in response.json()["detail"]}
    assert ("category",) in problems and ("contact_ok",) in problems
    assert ("occurred_on",) in problems and ("extra",) in problems
    assert Case.objects.count() == 0


def test_missing_fields_a_huge_description_and_an_anonymous_name_are_refused(cast):
    missing = post("/api/v1/reports", {"category": "fraud"})
    assert missing.status_code == 422
    named = {item["loc"][-1] for item in missing.json()["detail"]}
    assert {"description", "context", "identity"} <= named
    huge = post("/api/v1/reports", report(description="x" * 1_000_000))
    assert huge.status_code == 422
    assert "at most 20000 characters" in huge.content.decode()
    anonymous = post(
        "/api/v1/reports", report(identity={"mode": "anonymous", "name": "Rhea Solberg"})
    )
    assert anonymous.status_code == 422 and "anonymous" in anonymous.content.decode()
    unknown = post("/api/v1/reports", report(accused=[{"employee_id": "NOBODY"}]))
    assert unknown.status_code == 422 and "nobody in the directory" in unknown.content.decode()
    assert Case.objects.count() == 0


def test_an_unknown_and_a_malformed_receipt_get_the_same_401(cast):
    post("/api/v1/reports", report())
    answers = [
        Client().get("/api/v1/reporter/case", **receipt_header(receipt))
        for receipt in ("0000-0000-0000-0000-0000-0000", "nonsense", "")
    ]
    answers.append(Client().get("/api/v1/reporter/case"))
    assert {answer.status_code for answer in answers} == {401}
    assert len({answer.content for answer in answers}) == 1


def test_files_added_through_the_api_are_kept_whole_and_shown_stripped(cast):
    receipt = post("/api/v1/reports", report()).json()["receipt"]
    picture = io.BytesIO()
    exif = Image.Exif()
    exif[0x010F] = "CanaryCam Industries"  # the camera's maker
    Image.new("RGB", (40, 30), "red").save(picture, "JPEG", exif=exif)
    response = Client().post(
        "/api/v1/reporter/attachments",
        {"files": [_named(picture.getvalue(), "photo.jpg")]},
        **receipt_header(receipt),
    )
    assert response.status_code == 201, response.content
    attachment = Attachment.objects.get()
    assert Message.objects.get().attachments.get() == attachment
    case = attachment.case

    handler = signed_in(cast.handler)
    staff_open(handler, case)
    stripped = handler.get(f"/cases/{case.public_id}/attachments/{attachment.id}/")
    assert stripped.status_code == 200 and stripped["Content-Type"] == "image/jpeg"
    assert b"CanaryCam" not in stripped.content
    original = handler.post(f"/cases/{case.public_id}/attachments/{attachment.id}/")
    assert original.content == picture.getvalue()
    assert AuditEntry.objects.filter(action="cases.attachment.original_opened").count() == 1

    refused = Client().post(
        "/api/v1/reporter/attachments",
        {"files": [_named(b"MZ\x90\x00 not really a program", "setup.exe")]},
        **receipt_header(receipt),
    )
    assert refused.status_code == 422 and "setup.exe" in refused.content.decode()
    assert Attachment.objects.count() == 1


def test_the_schema_describes_the_reporter_endpoints(cast):
    schema = Client().get("/api/v1/openapi.json").json()
    assert {"/api/v1/reports", "/api/v1/reporter/case", "/api/v1/reporter/messages"} <= set(
        schema["paths"]
    )


def _named(data: bytes, name: str) -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data)
