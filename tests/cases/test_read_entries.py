"""A reader sees a case's content only with a read entry in the audit log: one door
decrypts it and writes the entry, whatever page she was sent to, and no other
module can open case content."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, URLResolver

import ombud
from ombud.audit.models import AuditEntry
from ombud.cases.models import Attachment, Case, Message
from ombud.directory.models import User
from ombud.investigation.models import AccessRequest, Evidence, Measure, Minutes
from ombud.web.audit.views import LOOKING
from ombud.web.cases import urls as case_urls
from tests.access.reports import against
from tests.access.test_vault import signed_in
from tests.intake.helpers import reporter_signed_in, staff_open
from tests.intake.test_api import post, receipt_header, report

pytestmark = pytest.mark.usefixtures("recovery_shares")

SRC = Path(ombud.__file__).parent
REPORT = "He kept commenting on my body"  # the description of tests.intake.test_api.report
NOTE = "Spoke to the colleague from logistics."
REPLY = "Could you tell us which meetings?"
FILE = b"Things I wrote down at the time."
ALLEGATION = "Pressed her to drink at the banquet."
OUTCOME = "We found that it happened as you told us."
ANSWER = "Your name appears in two notes of the case."
MINUTES = "We spoke by phone about the banquet."
EVIDENCE = "Receipt of the hotel bar"
EVIDENCE_FILE = b"Room 1204, two guests, 23:40."
MEASURE = "Jonas Amberley, while the CCTV is checked"
MARKERS = (
    REPORT.encode(),
    NOTE.encode(),
    REPLY.encode(),
    FILE,
    ALLEGATION.encode(),
    OUTCOME.encode(),
    ANSWER.encode(),
    MINUTES.encode(),
    EVIDENCE.encode(),
    EVIDENCE_FILE,
    MEASURE.encode(),
)


def looks(case: Case) -> list[AuditEntry]:
    """The entries that say someone looked at the case's content."""
    return list(
        AuditEntry.objects.filter(
            object_type="cases.case", object_id=str(case.pk), action__in=LOOKING
        ).order_by("seq")
    )


def looks_during(case: Case, request) -> tuple[object, list[tuple[str, str]]]:
    before = len(looks(case))
    response = request()
    return response, [(entry.action, entry.actor) for entry in looks(case)[before:]]


def opened_by(user: User, case: Case) -> Client:
    """Signed in, confirmed having no conflict, and read the case once."""
    client = signed_in(user)
    staff_open(client, case)
    return client


# The attack: a reader who wants to see the case without it being logged -----------


def test_a_reader_cannot_see_the_case_unlogged_by_sending_an_empty_reply(cast):
    case = against("C004")
    hana = opened_by(cast.handler, case)
    refused, entries = looks_during(
        case, lambda: hana.post(f"/cases/{case.public_id}/messages/", {"body": ""})
    )
    assert refused.status_code == 400
    assert REPORT in refused.content.decode()  # the whole case is shown again
    assert entries == [("cases.case.read", "user:hana")]
    assert '"permission":"level"' in looks(case)[-1].details
    assert not Message.objects.filter(case=case).exists()


@pytest.mark.parametrize(
    "fields",
    [
        {"name": "findings"},  # a move this state does not allow
        {"name": "acknowledge", "message": ""},  # the acknowledgement needs a message
        {"name": "no-such-move"},
    ],
)
def test_a_reader_cannot_see_the_case_unlogged_by_asking_for_a_refused_transition(cast, fields):
    case = against("C004")
    hana = opened_by(cast.handler, case)
    refused, entries = looks_during(
        case,
        lambda: hana.post(
            f"/cases/{case.public_id}/transition/", {"version": str(case.version), **fields}
        ),
    )
    assert refused.status_code == 400
    assert REPORT in refused.content.decode()
    assert entries == [("cases.case.read", "user:hana")]
    case.refresh_from_db()
    assert case.state == "received"


def test_every_case_page_that_shows_content_writes_exactly_one_read_entry(cast):
    """Every route of the case pages, read from the URL configuration (so a new one is
    covered), asked with GET and with an empty or refused POST by a reader of the case.
    Whatever shows the report, a note, a message or a file has exactly one entry;
    whatever shows none has none."""
    created = post("/api/v1/reports", report(accused=[{"employee_id": "C004"}]))
    case = Case.objects.get(ref=created.json()["case_ref"])
    Client().post(
        "/api/v1/reporter/attachments",
        {"files": [SimpleUploadedFile("notes.txt", FILE)]},
        **receipt_header(created.json()["receipt"]),
    )
    hana = opened_by(cast.handler, case)
    hana.post(f"/cases/{case.public_id}/notes/", {"body": NOTE})
    hana.post(f"/cases/{case.public_id}/messages/", {"body": REPLY})
    hana.post(
        f"/cases/{case.public_id}/allegations/",
        {"action": "add", "name": "A guest", "category": "other", "summary": ALLEGATION},
    )
    hana.post(f"/cases/{case.public_id}/outcome/", {"action": "draft", "text": OUTCOME})
    hana.post(
        f"/cases/{case.public_id}/accused/",
        {"action": "access", "person": "C004", "received_on": "2026-11-20"},
    )
    answer = AccessRequest.objects.get(case=case)
    hana.post(
        f"/cases/{case.public_id}/accused/",
        {"action": "draft", "request": str(answer.id), "version": "1", "text": ANSWER},
    )
    hana.post(
        f"/cases/{case.public_id}/minutes/",
        {"kind": "oral_report", "held_at": "2026-11-20T10:00", "text": MINUTES},
    )
    hana.post(
        f"/cases/{case.public_id}/evidence/",
        {
            "description": EVIDENCE,
            "source": "The hotel",
            "files": SimpleUploadedFile("bar.txt", EVIDENCE_FILE),
        },
    )
    hana.post(
        f"/cases/{case.public_id}/measures/",
        {"kind": "suspension", "applies_to": MEASURE, "starts_on": "2026-01-01"},
    )
    values = {
        "public_id": case.public_id,
        "attachment_id": str(Attachment.objects.get(case=case).pk),
        "request_id": str(answer.id),
        "minutes_id": str(Minutes.objects.get(case=case).pk),
        "evidence_id": str(Evidence.objects.get(case=case).pk),
        "measure_id": str(Measure.objects.get(case=case).pk),
    }
    attempts = [("GET", {}), ("POST", {}), ("POST", {"name": "findings", "body": ""})]

    shown, wrong = set(), []
    for route in _case_routes():
        path = _path(route, values)
        for method, data in attempts:
            response, entries = looks_during(
                case,
                lambda path=path, method=method, data=data: (
                    hana.get(path) if method == "GET" else hana.post(path, data)
                ),
            )
            content = getattr(response, "content", b"")
            showing = any(marker in content for marker in MARKERS)
            if showing:
                shown.add((route, method))
            if len(entries) != (1 if showing else 0):
                wrong.append(f"{method} {path}: {response.status_code}, entries {entries}")
    assert wrong == []
    # Not vacuous: the pages known to show content were among them.
    assert {
        ("<str:public_id>/", "GET"),
        ("<str:public_id>/messages/", "POST"),
        ("<str:public_id>/transition/", "POST"),
        ("<str:public_id>/attachments/<uuid:attachment_id>/", "GET"),
        ("<str:public_id>/attachments/<uuid:attachment_id>/", "POST"),
        ("<str:public_id>/allegations/", "GET"),
        ("<str:public_id>/allegations/", "POST"),
        ("<str:public_id>/outcome/", "GET"),
        ("<str:public_id>/outcome/", "POST"),
        ("<str:public_id>/accused/", "GET"),
        ("<str:public_id>/accused/", "POST"),
        ("<str:public_id>/evidence/", "GET"),
        ("<str:public_id>/evidence/<uuid:evidence_id>/", "GET"),
        ("<str:public_id>/evidence/<uuid:evidence_id>/download/", "POST"),
        ("<str:public_id>/evidence/export/", "POST"),
        ("<str:public_id>/measures/", "GET"),
        ("<str:public_id>/measures/<uuid:measure_id>/", "GET"),
    } <= shown


def test_opening_a_file_is_logged_once_with_the_permission_and_a_missing_file_is_not(cast):
    created = post("/api/v1/reports", report(accused=[{"employee_id": "C004"}]))
    case = Case.objects.get(ref=created.json()["case_ref"])
    Client().post(
        "/api/v1/reporter/attachments",
        {"files": [SimpleUploadedFile("notes.txt", FILE)]},
        **receipt_header(created.json()["receipt"]),
    )
    hana = opened_by(cast.handler, case)
    url = f"/cases/{case.public_id}/attachments/{Attachment.objects.get(case=case).pk}/"
    opened, entries = looks_during(case, lambda: hana.post(url))
    assert opened.status_code == 200 and FILE in opened.content
    assert entries == [("cases.attachment.original_opened", "user:hana")]
    assert '"permission":"level"' in looks(case)[-1].details
    missing = f"/cases/{case.public_id}/attachments/00000000-0000-0000-0000-000000000000/"
    refused, entries = looks_during(case, lambda: hana.get(missing))
    assert refused.status_code == 404 and entries == []


def test_a_reader_who_has_not_confirmed_sees_only_who_is_named_and_its_read_entry(cast):
    case = against("C004")
    hana = signed_in(cast.handler)
    for request, logged in (
        (lambda: hana.get(f"/cases/{case.public_id}/"), [("cases.parties.read", "user:hana")]),
        (lambda: hana.post(f"/cases/{case.public_id}/messages/", {"body": ""}), []),
        (lambda: hana.post(f"/cases/{case.public_id}/transition/", {"name": "findings"}), []),
    ):
        response, entries = looks_during(case, request)
        assert REPORT not in response.content.decode() and entries == logged


def test_the_reporter_reading_her_own_case_leaves_no_read_entry(cast):
    """Her reads were never logged and are not now: the log is every auditor's, and
    an entry per visit would time an anonymous reporter's looks."""
    created = post("/api/v1/reports", report(accused=[{"employee_id": "C004"}]))
    case = Case.objects.get(ref=created.json()["case_ref"])
    receipt = created.json()["receipt"]
    opened_by(cast.handler, case)
    through_api, entries = looks_during(
        case, lambda: Client().get("/api/v1/reporter/case", **receipt_header(receipt))
    )
    assert REPORT in through_api.json()["report"]["description"] and entries == []
    her_page, entries = looks_during(
        case, lambda: reporter_signed_in(receipt).get("/report/status/")
    )
    assert REPORT in her_page.content.decode() and entries == []


# The structure: nothing but the door opens case content --------------------------

# Who may use each way of opening something, and for what. Everything else in
# src/ombud (ombud.crypto aside, which defines them) must not even name them.
OPENERS: dict[str, dict[str, str]] = {
    "case_key_open": {
        "ombud.access.services": "defines it; re-seals keys owed by pending grants",
        "ombud.access.reading": "the door",
    },
    "case_private_key": {"ombud.access.services": "defines it"},
    "case_key_open_by_reporter": {
        "ombud.access.services": "defines it",
        "ombud.intake.services": "the reporter's receipt",
        "ombud.intake.reporter_session": "the reporter's signed-in state",
    },
    "reporter_case_content": {
        "ombud.access.reading": "defines it",
        "ombud.web.intake.views": "the reporter's status page",
        "ombud.api.api": "the reporter's API",
    },
    "decrypt": {
        "ombud.access.reading": "the door: case records",
        "ombud.investigation.reading": "the investigation's records, behind case_open_to_read",
        "ombud.access.services": "the reporter's sealed copy of a case key",
        "ombud.access.session": "a staff key kept in the session",
        "ombud.intake.reporter_session": "a reporter's key kept in the session",
        "ombud.intake.drafts": "a draft, not yet a case, under its own cookie's key",
        "ombud.signin.services": "a TOTP seed, under a key derived from the pepper",
    },
    "unseal": {
        "ombud.access.services": "a case key sealed to a staff key",
        "ombud.access.recovery": "the recovery ceremony: a case key, never content",
        "ombud.operations.outbox": "a reporter's e-mail address, under the notification key",
        "ombud.signin.reset": "an address typed on the reset page, under the notification key",
    },
    "nacl": {},
}
DOORS = {
    "case_open_for_action",
    "case_read",
    # The investigation's pages: the entry they name, then their own records.
    "case_open_to_read",
    # Who the case names, alone, for the page where a reader says whether she is
    # conflicted: its own read entry (cases.parties.read).
    "case_parties_read",
    "case_attachment_read",
    "reporter_case_content",
    # Shows nothing to anyone: who the reporter is, for a conflict check when a key
    # holder fulfils a pending grant (access.services).
    "case_reporter_for_conflicts",
    # The reporter's mode alone, for the warning on the accused's notice, on a page
    # that wrote its read entry first (investigation.reading).
    "case_reporter_mode",
}


def _modules() -> dict[str, ast.Module]:
    found = {}
    for path in sorted(SRC.rglob("*.py")):
        name = ".".join(("ombud", *path.relative_to(SRC).with_suffix("").parts))
        name = name.removesuffix(".__init__")
        if not name.startswith("ombud.crypto"):
            found[name] = ast.parse(path.read_text(), filename=str(path))
    return found


def _names(tree: ast.Module) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            names.add(node.id)
        elif isinstance(node, ast.Attribute):
            names.add(node.attr)
        elif isinstance(node, ast.alias):
            names.update(part for part in node.name.split("."))
            names.add(node.asname or "")
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.update(node.module.split("."))
    return names


def test_no_module_but_the_door_opens_case_content():
    modules = _modules()
    assert "ombud.web.cases.views" in modules and "ombud.api.api" in modules  # the walk works
    wrong = [
        f"{module} uses {name}"
        for module, tree in modules.items()
        for name in sorted(_names(tree) & set(OPENERS))
        if module not in OPENERS[name]
    ]
    assert wrong == []


def test_the_door_has_no_other_public_way_to_content_and_its_helpers_stay_inside():
    modules = _modules()
    door = modules["ombud.access.reading"]
    functions = {node.name for node in door.body if isinstance(node, ast.FunctionDef)}
    assert {name for name in functions if not name.startswith("_")} == DOORS
    private = {name for name in functions if name.startswith("_")}
    wrong = []
    for module, tree in modules.items():
        if module == "ombud.access.reading":
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module == "ombud.access.reading":
                wrong += [f"{module} imports {a.name}" for a in node.names if a.name in private]
            if isinstance(node, ast.Attribute) and node.attr in private:
                wrong.append(f"{module} uses {node.attr}")
    assert wrong == []


def _case_routes() -> list[str]:
    def walk(patterns: list, prefix: str = "") -> list[str]:
        found = []
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                found += walk(pattern.url_patterns, prefix + str(pattern.pattern))
            elif isinstance(pattern, URLPattern):
                found.append(prefix + str(pattern.pattern))
        return found

    return walk(case_urls.urlpatterns)


def _path(route: str, values: dict[str, str]) -> str:
    path = route
    for name, value in values.items():
        path = path.replace(f"<str:{name}>", value).replace(f"<uuid:{name}>", value)
    assert "<" not in path, path
    return "/cases/" + path
