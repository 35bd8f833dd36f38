"""Evidence: each item keeps the SHA-256 taken when its file arrived, its custody log
lists every view, download and export with who and when, and a file changed after
intake fails its check where everyone looking at it sees it."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from ombud.audit.models import AuditEntry
from ombud.cases.models import Attachment
from ombud.directory import roles
from ombud.investigation.models import CustodyEntry, Evidence
from ombud.investigation.records import seal, seal_json
from ombud.web.audit.views import LOOKING
from tests.access.test_vault import signed_in
from tests.conftest import make_staff
from tests.intake.helpers import case_key_of
from tests.intake.test_api import receipt_header
from tests.investigation.helpers import case_with_receipt, opened, tables_holding

pytestmark = pytest.mark.usefixtures("recovery_shares")

FILE = b"Hotel receipt, room 1204, two guests, 23:40. Marker-7f3a-evidence."
DESCRIPTION = "Receipt of the hotel bar, marker-description-91c2"


def add_item(client: Client, case, data: bytes = FILE, name: str = "receipt.txt") -> Evidence:
    response = client.post(
        f"/cases/{case.public_id}/evidence/",
        {
            "description": DESCRIPTION,
            "source": "Given by the hotel's manager",
            "files": SimpleUploadedFile(name, data),
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    item = Evidence.objects.get(case=case)
    assert response["Location"] == f"/cases/{case.public_id}/evidence/{item.id}/"
    return item


def custody(item: Evidence) -> list[tuple[str, str]]:
    return [
        (entry.action, entry.user.username if entry.user else "")
        for entry in CustodyEntry.objects.filter(evidence=item).order_by("at", "id")
    ]


def actions(case, prefix: str = "investigation.evidence.") -> list[tuple[str, str]]:
    return [
        (entry.action, entry.actor)
        for entry in AuditEntry.objects.filter(
            object_id=str(case.pk), action__startswith=prefix
        ).order_by("seq")
    ]


def test_the_custody_log_lists_every_view_download_and_export_with_who_and_when(cast):
    case, _receipt = case_with_receipt()
    hana = opened(cast.handler, case)
    item = add_item(hana, case)
    sha = hashlib.sha256(FILE).hexdigest()

    page = hana.get(f"/cases/{case.public_id}/evidence/{item.id}/")
    assert page.status_code == 200
    assert DESCRIPTION in page.content.decode() and sha in page.content.decode()
    assert "Checked now" in page.content.decode()
    download = hana.post(f"/cases/{case.public_id}/evidence/{item.id}/download/")
    assert download.status_code == 200 and download.content == FILE
    assert "receipt.txt" in download["Content-Disposition"]

    # Bram, the investigator, exports everything for the police.
    bram = make_staff("C061", "Bram Okafor", roles.INVESTIGATOR, "Ethics")
    hana.post(f"/cases/{case.public_id}/assign/", {"user": "bram", "as": "investigator"})
    bram_client = opened(bram, case)
    export = bram_client.post(f"/cases/{case.public_id}/evidence/export/")
    assert export.status_code == 200 and export["Content-Type"] == "application/zip"
    bundle = zipfile.ZipFile(io.BytesIO(export.content))
    manifest = json.loads(bundle.read("manifest.json"))
    (entry,) = manifest["items"]
    assert entry["sha256"] == sha and entry["check"] == "passed"
    assert bundle.read(entry["file"]) == FILE
    assert f"{sha}  {entry['file']}" in bundle.read("SHA256SUMS").decode()

    assert custody(item) == [
        ("added", "hana"),
        ("viewed", "hana"),
        ("downloaded", "hana"),
        ("exported", "bram"),
    ]
    # The log is on the item, with who and when.
    again = bram_client.get(f"/cases/{case.public_id}/evidence/{item.id}/").content.decode()
    for who, what in (
        ("Hana Quill", "added"),
        ("Hana Quill", "viewed"),
        ("Hana Quill", "downloaded"),
        ("Bram Okafor", "exported"),
        ("Bram Okafor", "viewed"),
    ):
        assert f"<td>{who}</td><td>{what}</td>" in again
    assert again.count("<time datetime=") >= 6
    # Each touch is a read entry in the audit log too, in the auditors' "who looked".
    assert actions(case) == [
        ("investigation.evidence.added", "user:hana"),
        ("investigation.evidence.viewed", "user:hana"),
        ("investigation.evidence.downloaded", "user:hana"),
        ("investigation.evidence.exported", "user:bram"),
        ("investigation.evidence.viewed", "user:bram"),
    ]
    assert all(action in LOOKING for action, _ in actions(case)[1:])
    # The auditor reads them as sentences, without the item's content.
    log = signed_in(cast.auditor).get(f"/audit/?case={case.ref}").content.decode()
    link = f'<a href="/audit/?case={case.ref}">{case.ref}</a>'
    assert f"Hana Quill downloaded an item of evidence of case {link}" in log
    assert f"Bram Okafor exported the evidence of case {link}" in log
    assert DESCRIPTION not in log and "receipt.txt" not in log


def test_a_file_changed_after_intake_fails_its_check_visibly_and_is_logged(cast):
    """The attack: someone holding the case key (a reader, or whoever has her session)
    puts another file in the item's place, encrypted validly, and leaves the record of
    the hash alone."""
    case, _receipt = case_with_receipt()
    hana = opened(cast.handler, case)
    item = add_item(hana, case)
    case_key = case_key_of(case, cast.handler)
    forged = b"Hotel receipt, room 1204, one guest, 22:10."
    Evidence.objects.filter(pk=item.pk).update(
        file=seal(case=case, case_key=case_key, record=item, data=forged, field="file")
    )

    page = hana.get(f"/cases/{case.public_id}/evidence/{item.id}/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "This item failed its integrity check" in text
    assert hashlib.sha256(forged).hexdigest() in text  # what is there now
    assert "Someone changed it after intake" in text
    assert "Download the file" not in text
    download = hana.post(f"/cases/{case.public_id}/evidence/{item.id}/download/")
    assert download.status_code == 409 and forged not in download.content
    assert "failed its integrity check" in download.content.decode()
    export = hana.post(f"/cases/{case.public_id}/evidence/export/")
    bundle = zipfile.ZipFile(io.BytesIO(export.content))
    assert bundle.namelist() == ["manifest.json", "SHA256SUMS"]  # the forgery is left out
    assert json.loads(bundle.read("manifest.json"))["items"][0]["check"] == "failed: changed"
    listed = hana.get(f"/cases/{case.public_id}/evidence/").content.decode()
    assert "Failed its check" in listed

    assert custody(item) == [
        ("added", "hana"),
        ("viewed", "hana"),
        ("check_failed", "hana"),
        ("downloaded", "hana"),
        ("check_failed", "hana"),
        ("exported", "hana"),
        ("check_failed", "hana"),
    ]
    failed = AuditEntry.objects.filter(action="investigation.evidence.check_failed")
    assert failed.count() == 3 and '"problem":"changed"' in failed.first().details


def test_a_file_and_its_recorded_hash_both_replaced_still_fail_against_the_audit_log(cast):
    """The same attacker rewrites the item's record too, with the new file's SHA-256:
    the hash-chained audit log kept the item's keyed fingerprint when it was added."""
    case, _receipt = case_with_receipt()
    hana = opened(cast.handler, case)
    item = add_item(hana, case)
    case_key = case_key_of(case, cast.handler)
    forged = b"Nothing happened that night."
    meta = {
        "description": DESCRIPTION,
        "source": "Given by the hotel's manager",
        "name": "receipt.txt",
        "mime": "text/plain",
        "size": len(forged),
        "sha256": hashlib.sha256(forged).hexdigest(),
        "attachment": "",
    }
    Evidence.objects.filter(pk=item.pk).update(
        file=seal(case=case, case_key=case_key, record=item, data=forged, field="file"),
        meta=seal_json(case=case, case_key=case_key, record=item, data=meta, field="meta"),
    )
    page = hana.get(f"/cases/{case.public_id}/evidence/{item.id}/").content.decode()
    assert "This item failed its integrity check" in page
    assert ("check_failed", "hana") in custody(item)


@pytest.mark.parametrize("field", ["file", "meta"])
def test_a_tampered_ciphertext_fails_its_check_without_a_server_error(cast, field):
    case, _receipt = case_with_receipt()
    hana = opened(cast.handler, case)
    item = add_item(hana, case)
    stored = bytearray(getattr(item, field))
    stored[-1] ^= 0x01
    Evidence.objects.filter(pk=item.pk).update(**{field: bytes(stored)})

    page = hana.get(f"/cases/{case.public_id}/evidence/{item.id}/")
    assert page.status_code == 200
    assert "This item failed its integrity check" in page.content.decode()
    assert "does not open with the case key" in page.content.decode()
    download = hana.post(f"/cases/{case.public_id}/evidence/{item.id}/download/")
    assert download.status_code == 409 and FILE not in download.content
    listed = hana.get(f"/cases/{case.public_id}/evidence/")
    assert listed.status_code == 200 and "Failed its check" in listed.content.decode()
    assert custody(item).count(("check_failed", "hana")) == 2


def test_a_reporters_file_made_evidence_keeps_the_hash_taken_when_she_sent_it(cast):
    case, receipt = case_with_receipt()
    Client().post(
        "/api/v1/reporter/attachments",
        {"files": [SimpleUploadedFile("notes.txt", FILE)]},
        **receipt_header(receipt),
    )
    attachment = Attachment.objects.get(case=case)
    hana = opened(cast.handler, case)
    assert "Make it an item of evidence" in hana.get(f"/cases/{case.public_id}/").content.decode()
    response = hana.post(f"/cases/{case.public_id}/evidence/", {"attachment": attachment.id})
    item = Evidence.objects.get(case=case)
    assert response["Location"] == f"/cases/{case.public_id}/evidence/{item.id}/"
    page = hana.get(response["Location"]).content.decode()
    assert hashlib.sha256(FILE).hexdigest() in page
    assert "a file the reporter sent" in page and "The reporter" in page
    assert hana.post(f"/cases/{case.public_id}/evidence/{item.id}/download/").content == FILE
    assert "attachment" in AuditEntry.objects.get(action="investigation.evidence.added").details


def test_a_file_the_reporters_checks_refuse_is_not_added_and_the_form_keeps_what_was_typed(cast):
    case, _receipt = case_with_receipt()
    hana = opened(cast.handler, case)
    response = hana.post(
        f"/cases/{case.public_id}/evidence/",
        {
            "description": DESCRIPTION,
            "source": "A USB stick",
            "files": SimpleUploadedFile("run.exe", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\xff\xff"),
        },
    )
    assert response.status_code == 400
    text = response.content.decode()
    assert "is not a type we accept" in text
    assert DESCRIPTION in text and "A USB stick" in text
    assert not Evidence.objects.filter(case=case).exists()
    # Neither file nor physical item: said so, with what was typed kept.
    response = hana.post(
        f"/cases/{case.public_id}/evidence/", {"description": DESCRIPTION, "source": "Her"}
    )
    assert response.status_code == 400 and "A physical item, without a file" in (
        response.content.decode()
    )
    assert DESCRIPTION in response.content.decode()
    # A physical item needs no file, and has nothing to download.
    hana.post(
        f"/cases/{case.public_id}/evidence/",
        {"description": "The dress she wore", "source": "Her", "physical": "on"},
    )
    item = Evidence.objects.get(case=case)
    page = hana.get(f"/cases/{case.public_id}/evidence/{item.id}/").content.decode()
    assert "none (a physical item)" in page and "failed its integrity check" not in page
    assert hana.post(f"/cases/{case.public_id}/evidence/{item.id}/download/").status_code == 404


def test_an_administrator_an_auditor_and_the_accused_are_told_not_found(cast, story):
    case, _receipt = case_with_receipt()
    item = add_item(opened(cast.handler, case), case)
    for user in (cast.administrator, cast.auditor, story.intake_member):
        client = signed_in(user)
        client.post(f"/cases/{case.public_id}/standing/", {"action": "confirm"})
        for path in ("", f"{item.id}/"):
            assert client.get(f"/cases/{case.public_id}/evidence/{path}").status_code == 404
        for path in (f"{item.id}/download/", "export/"):
            assert client.post(f"/cases/{case.public_id}/evidence/{path}").status_code == 404
    assert custody(item) == [("added", "hana")]


def test_an_items_file_and_description_are_not_stored_in_clear(cast):
    case, _receipt = case_with_receipt()
    hana = opened(cast.handler, case)
    item = add_item(hana, case)
    hana.get(f"/cases/{case.public_id}/evidence/{item.id}/")
    assert hana.post(f"/cases/{case.public_id}/evidence/{item.id}/download/").content == FILE
    for marker in (b"Marker-7f3a-evidence", b"marker-description-91c2", b"hotel's manager"):
        assert tables_holding(marker) == [], marker
    assert tables_holding(hashlib.sha256(FILE).hexdigest().encode()) == []


def test_the_evidence_and_measures_lists_cost_the_same_queries_however_many_items(cast):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    case, _receipt = case_with_receipt()
    hana = opened(cast.handler, case)

    def queries(path: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert hana.get(path).status_code == 200
        return len(captured)

    def more(number: int) -> None:
        for _ in range(number):
            hana.post(
                f"/cases/{case.public_id}/evidence/",
                {
                    "description": DESCRIPTION,
                    "source": "Her",
                    "files": SimpleUploadedFile("a.txt", FILE),
                },
            )
            hana.post(
                f"/cases/{case.public_id}/measures/",
                {"kind": "travel", "applies_to": "Jonas", "starts_on": "2026-01-01"},
            )

    more(1)
    few = (
        queries(f"/cases/{case.public_id}/evidence/"),
        queries(f"/cases/{case.public_id}/measures/"),
    )
    more(3)
    many = (
        queries(f"/cases/{case.public_id}/evidence/"),
        queries(f"/cases/{case.public_id}/measures/"),
    )
    assert Evidence.objects.filter(case=case).count() == 4
    assert many == few


def test_a_reporters_file_altered_where_it_is_kept_is_not_made_evidence(cast):
    case, receipt = case_with_receipt()
    Client().post(
        "/api/v1/reporter/attachments",
        {"files": [SimpleUploadedFile("notes.txt", FILE)]},
        **receipt_header(receipt),
    )
    attachment = Attachment.objects.get(case=case)
    stored = bytearray(attachment.original)
    stored[-1] ^= 0x01
    Attachment.objects.filter(pk=attachment.pk).update(original=bytes(stored))
    hana = opened(cast.handler, case)
    response = hana.post(f"/cases/{case.public_id}/evidence/", {"attachment": attachment.id})
    assert response.status_code == 409
    assert "does not open with the case key" in response.content.decode()
    assert not Evidence.objects.filter(case=case).exists()


def test_a_file_removed_where_it_is_kept_fails_its_check_and_is_not_taken_for_a_physical_item(
    cast,
):
    """The attack needs no key: clear the item's file column in the database."""
    case, _receipt = case_with_receipt()
    hana = opened(cast.handler, case)
    item = add_item(hana, case)
    Evidence.objects.filter(pk=item.pk).update(file=None)
    text = hana.get(f"/cases/{case.public_id}/evidence/{item.id}/").content.decode()
    assert "This item failed its integrity check" in text
    assert "is no longer stored" in text
    assert custody(item)[-1] == ("check_failed", "hana")
