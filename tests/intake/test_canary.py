"""Acceptance: what a reporter writes is never stored or logged in clear.

A random canary goes into a report, a message, an attachment and a handler's reply,
through the pages and through the API of a real ``ombud serve``. Then the database
(the SQLite file with its write-ahead log and the decoded sessions, or a pg_dump),
the whole data folder, the server's temporary-files folder and its log output are
searched for the canary, its hex and its base64 forms. The requests come from an
unusual loopback address with an unusual user agent, and neither is kept either.
"""

from __future__ import annotations

import base64
import io
import re
import secrets
from pathlib import Path

import pytest
from PIL import Image

from tests.access.test_keys_at_rest import database_bytes, session_payloads
from tests.conftest import Authenticator
from tests.intake.helpers import receipt_on, report_fields
from tests.live import LiveClient
from tests.test_serve import start, stop, wait_for_health

pytestmark = pytest.mark.slow

SETUP = """
from ombud.access.recovery import recovery_key_create
from ombud.directory.models import Person
from ombud.directory.services import person_save, role_grant, user_create
recovery_key_create(actor="test", shares=3, threshold=2)
person = person_save(actor="test", person=Person(employee_id="C010", name="Hana Quill"))
hana = user_create(actor="test", username="hana", password="correct horse battery", person=person)
role_grant(actor="test", user=hana, role="handler")
from ombud.signin.services import totp_device_create
print(totp_device_create(actor="test", user=hana))
"""
ADDRESS = "127.83.91.17"


def forms_of(secret: bytes) -> list[bytes]:
    """The secret as it could sit in a file: raw, hex, and base64 at every alignment."""
    found = [secret, secret.hex().encode(), secret.hex().upper().encode()]
    for shift in range(3):
        chunk = secret[shift:]
        chunk = chunk[: len(chunk) // 3 * 3]
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            found.append(encode(chunk))
    return found


def photo_saying(text: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(out, "JPEG", comment=f"Taken by {text}")
    return out.getvalue()


def files_under(*folders: Path) -> bytes:
    return b"".join(
        path.read_bytes() for folder in folders for path in folder.rglob("*") if path.is_file()
    )


def assert_nowhere(secret: bytes, haystack: bytes, where: str) -> None:
    for form in forms_of(secret):
        assert form not in haystack, f"{secret!r} found in {where} as {form!r}"


def test_a_canary_in_a_report_message_and_attachment_is_nowhere_in_clear(instance, tmp_path):
    canary = ("canary" + secrets.token_hex(10)).encode()
    agent = "CanaryBrowser/" + secrets.token_hex(6)
    temporary = tmp_path / "server-tmp"
    temporary.mkdir()
    instance.env["TMPDIR"] = str(temporary)
    app = Authenticator(instance.python(SETUP))
    process, url = start(instance, "serve")
    out = err = ""
    try:
        wait_for_health(url, process)
        text = canary.decode()
        reporter = LiveClient(url, source_address=ADDRESS, user_agent=agent)
        fields = report_fields(
            mode="confidential",
            name=f"Rhea {text}",
            email=f"{text}@mail.example",
            description=f"It happened again. {text}",
            location=f"Meeting room {text}",
            witnesses=f"Someone called {text}",
            wants=f"I want {text}",
            **{
                "accused-0-name": f"The visiting auditor {text}",
                "accused-0-employee_id": "",
                "prior-0-outcome": f"Nothing came of {text}",
            },
        )
        # A first try with an answer missing is shown back, and a file refused.
        refused = [("files", f"run-{text}.exe", b"MZ\x90\x00" + canary, "application/x-msdos")]
        reply = reporter.post_form(
            "/report/new/", {**fields, "category": "", "action": "review"}, refused
        )
        assert reply.status == 400 and text in reply.text
        evidence = [
            ("files", f"notes-{text}.txt", f"My notes: {text}\n".encode(), "text/plain"),
            # Cleaned by a child process: it too leaves nothing in clear, nor in the logs.
            ("files", f"photo-{text}.jpg", photo_saying(text), "image/jpeg"),
        ]
        reply = reporter.post_form("/report/new/", {**fields, "action": "review"}, evidence)
        assert reply.status == 302, reply.text[:3000]
        reply = reporter.post_form("/report/review/", {"action": "submit"})
        assert reply.status == 201, reply.text[:2000]
        receipt = receipt_on(reply.text)

        reporter = LiveClient(url, source_address=ADDRESS, user_agent=agent)
        assert reporter.post_form("/report/status/", {"receipt": receipt}).status == 302
        reply = reporter.post_form(
            "/report/status/message/",
            {"body": f"One more thing: {text}", "action": "message"},
            [("files", "more.txt", f"Another file {text}".encode(), "text/plain")],
            token_from="/report/status/",
        )
        assert reply.status == 302, reply.text[:2000]

        api = LiveClient(url, source_address=ADDRESS, user_agent=agent)
        created = api.post_json(
            "/api/v1/reports",
            {
                "category": "fraud",
                "description": f"Invoices were split. {text}",
                "occurred_period": "this year",
                "context": "office",
                "accused": [{"name": f"A supplier {text}", "relationship": "contractor"}],
                "identity": {"mode": "anonymous"},
            },
        )
        assert created.status == 201, created.text
        auth = {"Authorization": f"Receipt {created.json()['receipt']}"}
        assert api.post_json("/api/v1/reporter/messages", {"body": text}, auth).status == 201
        attached = api.post_files(
            "/api/v1/reporter/attachments",
            [("files", "ledger.txt", f"Ledger {text}".encode(), "text/plain")],
            auth,
        )
        assert attached.status == 201, attached.text
        assert text in api.get("/api/v1/reporter/case", headers=auth).text
        # Requests the web server refuses before Ombud sees them: too long a line,
        # too large a header. Servers like to log who sent those.
        assert api.get("/report/?" + "x" * 6000).status >= 400
        assert api.get("/report/", headers={"X-Padding": "y" * 9000}).status >= 400

        handler = LiveClient(url)
        reply = handler.post_form(
            "/accounts/login/",
            {"username": "hana", "password": "correct horse battery", "otp_token": app.code()},
        )
        assert reply.status == 302
        inbox = handler.get("/cases/").text
        case_paths = sorted(set(re.findall(r'href="(/cases/[^/"]+/)"', inbox)) - {"/cases/oral/"})
        assert len(case_paths) == 2
        for path in case_paths:  # recusal first: she says she has no conflict
            handler.post_form(path + "standing/", {"action": "confirm"}, token_from=path)
        pages = [handler.get(path).text for path in case_paths]
        # The handler does read it all: the canary is really there, only encrypted.
        assert all(text in page for page in pages)
        assert "My notes" not in "".join(pages)  # attachments are downloads, not inline
        handler.post_form(
            case_paths[0] + "messages/", {"body": f"Noted, {text}"}, token_from=case_paths[0]
        )

        stored = database_bytes(instance) + session_payloads(instance)
        assert len(stored) > 50_000
        assert b"intake.report.submitted" in stored  # the right database was read
        for secret, what in (
            (canary, "the canary"),
            (ADDRESS.encode(), "the address"),
            (agent.encode(), "the user agent"),
        ):
            assert_nowhere(secret, stored, f"the database ({what})")
            # The data folder holds the SQLite file, now with its log written back into it.
        assert_nowhere(secret, files_under(instance.data_dir, temporary), "the files")
    finally:
        code, out, err = stop(process)
    assert code == 0, err
    logs = (out + err).encode()
    for secret in (canary, ADDRESS.encode(), agent.encode()):
        assert_nowhere(secret, logs, "the log output")
        # The data folder holds the SQLite file, now with its log written back into it.
        assert_nowhere(secret, files_under(instance.data_dir, temporary), "the files")
