"""Files given on the pages, a submission that fails, and reports a handler types."""

from __future__ import annotations

import hashlib
import io
import json

import pikepdf
import pytest
from django.test import Client
from PIL import Image

from ombud.access.models import RecoveryKey
from ombud.audit.models import AuditEntry
from ombud.cases.models import Attachment, Case
from ombud.cases.report import FILE_BYTES_MAX
from ombud.intake.models import Draft, DraftFile
from tests.access.test_vault import signed_in
from tests.intake.helpers import receipt_on, report_fields, reporter_signed_in, staff_open
from tests.intake.test_attachments import photo_in_a_pdf

pytestmark = pytest.mark.usefixtures("recovery_shares")


def photo_with_position() -> bytes:
    exif = Image.Exif()
    gps = {1: "N", 2: (53.0, 20.0, 10.0), 3: "W", 4: (6.0, 15.0, 30.0)}
    exif[0x8825] = gps
    exif[0x010F] = "CanaryCam Industries"
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(out, "JPEG", exif=exif)
    return out.getvalue()


def upload(name: str, data: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data)


def test_a_photo_is_kept_whole_as_evidence_and_shown_to_staff_without_its_metadata(cast):
    photo = photo_with_position()
    client = Client()
    page = client.post(
        "/report/new/", {**report_fields(), "action": "add_prior", "files": upload("me.jpg", photo)}
    )
    assert "me.jpg" in page.content.decode()  # listed as given, kept with the draft
    assert "hidden details removed" in page.content.decode()  # the page says what we do
    stored = bytes(DraftFile.objects.get().content)
    assert b"CanaryCam" not in stored and photo[:200] not in stored

    assert client.post("/report/new/", {**report_fields(), "action": "review"}).status_code == 302
    assert client.post("/report/review/", {"action": "submit"}).status_code == 201
    attachment = Attachment.objects.get()
    assert attachment.message is None
    assert b"CanaryCam" not in bytes(attachment.original) + bytes(attachment.stripped)
    assert DraftFile.objects.count() == 0

    handler = signed_in(cast.handler)
    case = attachment.case
    page = staff_open(handler, case).content.decode()
    assert "me.jpg" in page and hashlib.sha256(photo).hexdigest() in page
    stripped = handler.get(f"/cases/{case.public_id}/attachments/{attachment.id}/")
    assert stripped["Content-Type"] == "image/jpeg"
    assert stripped["Content-Disposition"].startswith("attachment;")
    shown = Image.open(io.BytesIO(stripped.content))
    assert shown.size == (64, 48) and not shown.getexif()
    assert AuditEntry.objects.filter(action="cases.attachment.opened").count() == 1
    original = handler.post(f"/cases/{case.public_id}/attachments/{attachment.id}/")
    assert original.content == photo
    entry = AuditEntry.objects.get(action="cases.attachment.original_opened")
    assert entry.actor == "user:hana"


def test_a_pdf_with_a_photo_reaches_staff_without_its_gps_and_the_original_is_evidence(cast):
    document, photo = photo_in_a_pdf()
    assert b"WGS-84" in document
    client = Client()
    client.post(
        "/report/new/",
        {**report_fields(), "action": "review", "files": upload("scan.pdf", document)},
    )
    assert client.post("/report/review/", {"action": "submit"}).status_code == 201
    attachment = Attachment.objects.get()

    handler = signed_in(cast.handler)
    staff_open(handler, attachment.case)
    base = f"/cases/{attachment.case.public_id}/attachments/{attachment.id}/"
    copy = handler.get(base)
    assert copy["Content-Type"] == "application/pdf"
    for secret in (b"Exif", b"WGS-84", b"Fjordcam", b"xmpmeta", photo[:64]):
        assert secret not in copy.content
    with pikepdf.open(io.BytesIO(copy.content)) as pdf:
        assert not pdf.attachments and len(pdf.pages) == 1
    assert handler.post(base).content == document  # the original, opened as evidence
    assert AuditEntry.objects.filter(action="cases.attachment.original_opened").count() == 1


def test_an_oversize_file_and_a_forbidden_type_are_refused_by_name_and_the_rest_kept(cast):
    client = Client()
    page = client.post(
        "/report/new/",
        {
            **report_fields(),
            "action": "review",
            "files": [
                upload("video.mov", b"\0" * (FILE_BYTES_MAX + 1)),
                upload("tool.exe", b"MZ\x90\x00\x03 binary"),
            ],
        },
    )
    assert page.status_code == 400
    text = page.content.decode()
    assert "“video.mov” is 10.1 MB; the limit is 10.0 MB per file." in text
    assert "tool.exe" in text and "not a type we accept" in text
    assert "Stock room, Ferndale depot" in text
    assert DraftFile.objects.count() == 0 and Case.objects.count() == 0


def test_a_submission_that_fails_stores_nothing_and_keeps_the_draft(cast):
    client = Client()
    client.post(
        "/report/new/",
        {**report_fields(), "action": "review", "files": upload("me.jpg", photo_with_position())},
    )
    RecoveryKey.objects.all().delete()  # a broken installation: no case can be sealed
    entries = AuditEntry.objects.count()
    response = client.post("/report/review/", {"action": "submit"})
    assert response.status_code == 503
    assert "Nothing you typed is lost" in response.content.decode()
    assert "cornered me in the stock room" in response.content.decode()
    assert Case.objects.count() == 0 and Attachment.objects.count() == 0
    assert AuditEntry.objects.count() == entries
    assert Draft.objects.count() == 1 and DraftFile.objects.count() == 1


def test_a_handler_enters_a_report_taken_by_phone_and_the_reporter_follows_it(cast):
    handler = signed_in(cast.handler)
    form = {
        **report_fields(mode="named", name="Rhea Solberg"),
        "channel": "phone",
        "received_on": "2026-11-20",
        "action": "save",
    }
    response = handler.post("/cases/oral/", form)
    assert response.status_code == 201, response.content.decode()[:3000]
    text = response.content.decode()
    assert "give the reporter her receipt" in text
    receipt = receipt_on(text)
    case = Case.objects.get()
    assert case.channel == "phone"
    entry = AuditEntry.objects.get(action="intake.report.submitted")
    assert entry.actor == "user:hana" and json.loads(entry.details)["channel"] == "phone"

    status = reporter_signed_in(receipt).get("/report/status/").content.decode()
    assert "cornered me in the stock room" in status
    assert "By phone, 20 Nov 2026" in status  # the day she called, as pages write dates
    assert "Hana Quill" not in status  # staff names stay with staff


def test_only_handlers_may_enter_oral_reports(cast):
    assert signed_in(cast.auditor).get("/cases/oral/").status_code == 404
    assert Client().get("/cases/oral/").status_code == 302  # to the sign-in page


def test_an_oral_report_that_cannot_be_stored_keeps_what_the_handler_typed(cast):
    handler = signed_in(cast.handler)
    RecoveryKey.objects.all().delete()
    form = {**report_fields(), "channel": "letter", "received_on": "2026-11-20", "action": "save"}
    response = handler.post("/cases/oral/", form)
    assert response.status_code == 503
    page = response.content.decode()
    assert "nothing was stored" in page and "Stock room, Ferndale depot" in page
    assert Case.objects.count() == 0


def test_an_api_report_that_cannot_be_stored_says_so_and_stores_nothing(cast):
    from tests.intake.test_api import post, report

    RecoveryKey.objects.all().delete()
    response = post("/api/v1/reports", report())
    assert response.status_code == 503 and "nothing was kept" in response.json()["detail"]
    assert Case.objects.count() == 0
