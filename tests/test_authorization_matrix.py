"""Every URL of Ombud against everyone in the story: who gets in, who is told
"not found", who is sent to sign in. The URLs are read from the URL configuration,
so a new URL without a classification here fails this test."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from ombud.access.four_eyes import ladder_propose
from ombud.cases.models import Attachment, Case
from ombud.deadlines.models import OutsideChannel
from ombud.directory import roles
from ombud.intake.models import Guidance
from ombud.investigation.models import Evidence, Measure, Minutes
from ombud.investigation.tokens import token_create
from tests.access.test_vault import signed_in
from tests.conftest import account, make_person, make_staff
from tests.intake.helpers import staff_open
from tests.intake.test_api import post, report

pytestmark = pytest.mark.usefixtures("recovery_shares")

OK, NOT_FOUND, LOGIN, FORBIDDEN, UNAUTHORISED = "ok", "not found", "sign in", "403", "401"

ACTORS = [
    "anonymous",
    "reporter of another case",
    "handler at the current level",
    "handler not on the case",
    "the accused (also staff)",
    "the accused's manager",
    "the reporter's manager",
    "assigned investigator",
    "higher level before escalation",
    "auditor",
    "administrator",
]
ANONYMOUS = {"anonymous", "reporter of another case"}
READERS = {"handler at the current level", "assigned investigator"}
HANDLERS = {
    "handler at the current level",
    "handler not on the case",
    "the accused (also staff)",
    "the accused's manager",
    "the reporter's manager",
}
LADDER = HANDLERS | {"higher level before escalation"}


def _staff(allowed: set[str]) -> Callable[[str], str]:
    return lambda actor: LOGIN if actor in ANONYMOUS else OK if actor in allowed else NOT_FOUND


def public(actor: str) -> str:
    return OK


def signed_in_only(actor: str) -> str:
    return LOGIN if actor in ANONYMOUS else OK


def receipt_holder(actor: str) -> str:
    return OK if actor == "reporter of another case" else UNAUTHORISED


def _staff_api(allowed: set[str] | None) -> Callable[[str], str]:
    """The staff API: a signed-in staff session works as a token does; without either
    (or with a receipt in the Authorization header) the answer is 401, not a sign-in
    page. ``allowed`` None: every staff member (a list of her own cases)."""

    def rule(actor: str) -> str:
        if actor in ANONYMOUS:
            return UNAUTHORISED
        return OK if allowed is None or actor in allowed else NOT_FOUND

    return rule


ADMIN_PAGE = "any answer but 'sign in'"  # some admin pages refuse even administrators


def administrators(actor: str) -> str:
    if actor in ANONYMOUS:
        return LOGIN
    return ADMIN_PAGE if actor == "administrator" else FORBIDDEN


# Every route, as the URL configuration writes it, and who may use it.
CLASSIFICATION: dict[str, Callable[[str], str]] = {
    "": public,
    "healthz": public,
    "favicon.ico": public,
    "language/": public,  # the language chooser of every page
    "operations/outbox/": _staff({"administrator"}),
    "cases/overview/": _staff({"higher level before escalation"}),
    "accounts/login/": public,
    "accounts/two-factor/": signed_in_only,
    # Only right after a sign-in's password proved itself; anyone else is sent to sign in.
    "accounts/two-factor/enrol/": lambda actor: LOGIN,
    "accounts/logout/": public,
    "accounts/password/": signed_in_only,
    "accounts/tokens/": signed_in_only,  # her own tokens; they read what she reads
    # Hana's token: someone else's is not found.
    "accounts/tokens/<int:token_id>/revoke/": _staff({"handler at the current level"}),
    "accounts/password/forgotten/": public,
    "accounts/password/forgotten/sent/": public,
    "accounts/password/reset/<uidb64>/<token>/": public,
    "accounts/password/reset/done/": public,
    "report/": public,
    "report/new/": public,
    "report/review/": public,
    "report/status/": public,
    "report/status/message/": receipt_holder,
    "report/status/minutes/": receipt_holder,
    "report/status/leave/": public,
    # The written outcome: the other case's reporter has none published, so "not
    # found"; without a receipt she is sent to give it (a redirect, so "in").
    "report/status/outcome.pdf": lambda actor: (
        NOT_FOUND if actor == "reporter of another case" else OK
    ),
    "report/exit/": public,  # the quick exit: ends only the reporter's own session
    "audit/": _staff({"auditor"}),
    "audit/verify/": _staff({"auditor"}),
    "audit/export.jsonl": _staff({"auditor"}),
    "audit/cases/<str:ref>/": _staff({"auditor"}),
    "rules/": _staff(LADDER | {"administrator"}),
    "rules/<int:change_id>/decide/": _staff(LADDER | {"administrator"}),
    "rules/ladder/": _staff(LADDER | {"administrator"}),
    "cases/": signed_in_only,
    "cases/oral/": _staff(HANDLERS),
    "cases/break-glass/": _staff({"higher level before escalation"}),
    "cases/<str:public_id>/": _staff(READERS),
    "cases/<str:public_id>/messages/": _staff(READERS),
    "cases/<str:public_id>/standing/": _staff(READERS),
    "cases/<str:public_id>/break-glass/": _staff({"higher level before escalation"}),
    "cases/<str:public_id>/notes/": _staff(READERS),
    "cases/<str:public_id>/links/": _staff(READERS),
    "cases/<str:public_id>/assign/": _staff(READERS),
    "cases/<str:public_id>/parties/": _staff(READERS),
    "cases/<str:public_id>/transition/": _staff(READERS),
    "cases/<str:public_id>/extend/": _staff(READERS),
    "cases/<str:public_id>/attachments/<uuid:attachment_id>/": _staff(READERS),
    "cases/<str:public_id>/minutes/": _staff(READERS),
    "cases/<str:public_id>/minutes/<uuid:minutes_id>/": _staff(READERS),
    "cases/<str:public_id>/outcome/": _staff(READERS),
    "cases/<str:public_id>/accused/": _staff(READERS),
    # No answer is released here: "not found" for all. Who reaches a released one:
    # tests/investigation/test_rights.py.
    "cases/<str:public_id>/accused/answers/<uuid:request_id>.pdf": _staff(set()),
    "cases/<str:public_id>/allegations/": _staff(READERS),
    "cases/<str:public_id>/evidence/": _staff(READERS),
    "cases/<str:public_id>/evidence/export/": _staff(READERS),
    "cases/<str:public_id>/evidence/<uuid:evidence_id>/": _staff(READERS),
    "cases/<str:public_id>/evidence/<uuid:evidence_id>/download/": _staff(READERS),
    "cases/<str:public_id>/measures/": _staff(READERS),
    "cases/<str:public_id>/measures/<uuid:measure_id>/": _staff(READERS),
    "api/v1/openapi.json": public,
    "api/v1/reports": public,
    "api/v1/authorities": public,
    "api/v1/reporter/case": receipt_holder,
    "api/v1/reporter/messages": receipt_holder,
    "api/v1/reporter/attachments": receipt_holder,
    "api/v1/staff/cases": _staff_api(None),
    "api/v1/staff/cases/<public_id>": _staff_api(READERS),
    "api/v1/staff/cases/<public_id>/allegations": _staff_api(READERS),
    "api/v1/staff/cases/<public_id>/minutes": _staff_api(READERS),
    "api/v1/staff/cases/<public_id>/evidence": _staff_api(READERS),
    "api/v1/staff/cases/<public_id>/measures": _staff_api(READERS),
    "api/v1/": lambda actor: NOT_FOUND,  # django-ninja's root: nothing there
}
# Django's admin: the administrators' own site, whatever the page.
PREFIXES = {"admin/": administrators}
# Ending a session goes last, so that it ends nothing another row needs.
LAST = ["admin/logout/", "report/exit/", "report/status/leave/", "accounts/logout/"]
CLASSIFICATION["admin/logout/"] = public  # anyone may end their own session


def routes() -> list[str]:
    def walk(patterns: list, prefix: str = "") -> list[str]:
        found = []
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                found += walk(pattern.url_patterns, prefix + str(pattern.pattern))
            elif isinstance(pattern, URLPattern):
                found.append(prefix + str(pattern.pattern))
        return found

    found = walk(get_resolver().url_patterns)
    return sorted(
        found, key=lambda route: (route in LAST, LAST.index(route) if route in LAST else 0)
    )


def classify(route: str) -> Callable[[str], str]:
    if route in CLASSIFICATION:
        return CLASSIFICATION[route]
    for prefix, rule in PREFIXES.items():
        if route.startswith(prefix):
            return rule
    raise AssertionError(f"{route!r} is not classified: say who may use it")


def test_every_url_is_classified():
    unclassified = []
    for route in routes():
        try:
            classify(route)
        except AssertionError:
            unclassified.append(route)
    assert unclassified == []
    stale = set(CLASSIFICATION) - set(routes())
    assert stale == set(), "classified routes that no longer exist"


def _path(route: str, values: dict[str, str]) -> str:
    def model_pk(match_route: str) -> str:
        app, model = match_route.split("/")[1:3]
        return str(apps.get_model(app, model).objects.order_by("pk").first().pk)

    path = route.replace("^", "").replace("$", "")
    path = re.sub(r"\(\?P<app_label>[^)]*\)/", "directory/", path)
    path = path.replace("(?P<url>.*)", "nowhere/")
    if "<path:object_id>" in path and not path.startswith("admin/r/"):
        path = path.replace("<path:object_id>", model_pk(route))
    for name, value in values.items():
        path = re.sub(rf"<(?:\w+:)?{name}>", value, path)
    assert "<" not in path, path
    return "/" + path


def _outcome(client: Client, response) -> str:
    if response.status_code == 302 and response["Location"].startswith("/accounts/login/"):
        return LOGIN
    if response.status_code == 302 and response["Location"].startswith("/admin/login/"):
        return _outcome(client, client.get(response["Location"]))  # the admin's own door
    return {404: NOT_FOUND, 403: FORBIDDEN, 401: UNAUTHORISED, 429: "rate limited"}.get(
        response.status_code, OK
    )


def test_who_reaches_what(cast, story):
    # The case: a confidential report accusing Jonas (who is on the intake team, as
    # is Victor, his manager); the reporter's manager is on the intake team too.
    reporters_manager = make_person("C071", "Tomas Ferreira", unit="Logistics")
    make_person("C070", "Mira Castell", manager=reporters_manager, unit="Logistics")
    tomas = account(reporters_manager, roles.HANDLER)
    investigator = make_staff("C061", "Bram Okafor", roles.INVESTIGATOR, "Ethics")
    newcomer = make_staff("C012", "Nell Ashdown", roles.HANDLER, "People")
    created = post(
        "/api/v1/reports",
        report(
            category="bullying",
            accused=[{"employee_id": "C004"}],
            identity={"mode": "confidential", "name": "Mira Castell", "employee_id": "C070"},
        ),
    )
    case = Case.objects.get(ref=created.json()["case_ref"])
    receipt_x = created.json()["receipt"]
    from tests.intake.test_api import receipt_header

    Client().post(
        "/api/v1/reporter/attachments",
        {"files": [_text_file()]},
        **receipt_header(receipt_x),
    )
    hana = signed_in(cast.handler)
    staff_open(hana, case)
    hana.post(f"/cases/{case.public_id}/assign/", {"user": "bram", "as": "investigator"})
    hana.post(
        f"/cases/{case.public_id}/minutes/",
        {"kind": "reporter_meeting", "held_at": "2026-11-20T10:00", "text": "Minutes."},
    )
    hana.post(
        f"/cases/{case.public_id}/evidence/",
        {"description": "The hotel's bill", "source": "The hotel", "files": _text_file()},
    )
    hana.post(
        f"/cases/{case.public_id}/measures/",
        {"kind": "no_contact", "applies_to": "Jonas", "starts_on": "2026-01-01"},
    )
    # Nell was on the intake team when it came in, and stepped off it (recused).
    signed_in(newcomer).post(
        f"/cases/{case.public_id}/standing/", {"action": "recuse", "conflict": "yes"}
    )
    other = post(
        "/api/v1/reports",
        report(
            description="Someone keeps taking my lunch.",
            accused=[{"name": "Someone", "relationship": "other"}],
        ),
    )
    receipt_y = other.json()["receipt"]
    change = ladder_propose(actor=cast.handler, codes=["handler", "head-of-ethics"])
    Guidance.objects.create()
    OutsideChannel.objects.create(name="Avalmere Labour Inspectorate")

    people = {
        "handler at the current level": cast.handler,
        "handler not on the case": newcomer,
        "the accused (also staff)": story.intake_member,
        "the accused's manager": story.executive,
        "the reporter's manager": tomas,
        "assigned investigator": investigator,
        "higher level before escalation": story.head_of_ethics,
        "auditor": cast.auditor,
        "administrator": cast.administrator,
    }
    clients: dict[str, Client] = {"anonymous": Client()}
    reporter = Client(HTTP_AUTHORIZATION=f"Receipt {receipt_y}")
    reporter.post("/report/status/", {"receipt": receipt_y})
    clients["reporter of another case"] = reporter
    for actor, user in people.items():
        clients[actor] = signed_in(user)
        if actor in READERS:
            clients[actor].post(f"/cases/{case.public_id}/standing/", {"action": "confirm"})

    for number, client in enumerate(clients.values()):
        client.defaults["REMOTE_ADDR"] = f"10.0.0.{number + 1}"  # each counted on its own
    values = {
        "public_id": case.public_id,
        "attachment_id": str(Attachment.objects.get(case=case).pk),
        "request_id": "00000000-0000-4000-8000-000000000000",
        "minutes_id": str(Minutes.objects.get(case=case).pk),
        "evidence_id": str(Evidence.objects.get(case=case).pk),
        "measure_id": str(Measure.objects.get(case=case).pk),
        "ref": case.ref,
        "change_id": str(change.pk),
        "uidb64": "MQ",
        "token": "not-a-token",
        "id": str(cast.handler.pk),
        "token_id": str(_token_of(cast.handler).pk),
        "content_type_id": str(ContentType.objects.get(app_label="directory", model="person").pk),
        "object_id": str(cast.reporter.pk),
    }
    wrong = []
    for route in routes():
        rule = classify(route)
        path = _path(route, values)
        for actor in ACTORS:
            client = clients[actor]
            response = client.get(path)
            if response.status_code == 405:
                response = client.post(path, {"action": ""})
            got, expected = _outcome(client, response), rule(actor)
            if expected == ADMIN_PAGE and got != LOGIN:
                continue
            if got != expected:
                wrong.append(
                    f"{path} as {actor}: {got} ({response.status_code}), expected {expected}"
                )
            assert response.status_code < 500 or route == "healthz", (path, actor)
            if actor == "reporter of another case" and response.status_code == 200:
                assert b"He kept commenting" not in getattr(response, "content", b""), path
    assert wrong == [], "\n".join(wrong[:40])


def test_the_staff_api_with_tokens_reaches_what_their_owners_reach(cast, story):
    """The same matrix for the staff API, with tokens in place of sessions: a token of
    the case's level reads it; one of another level, of someone conflicted, an
    expired one and a revoked one do not."""
    import datetime as dt

    import time_machine

    from ombud.investigation.tokens import token_revoke

    case = post("/api/v1/reports", report(accused=[{"employee_id": "C004"}])).json()
    case = Case.objects.get(ref=case["case_ref"])
    staff_open(signed_in(cast.handler), case)
    from tests.access.test_vault import private_of

    revoked = token_create(
        actor=cast.handler, name="old", days=30, private=private_of(cast.handler)
    )
    token_revoke(actor=cast.handler, token=revoked.token)
    tokens = {
        "handler at the current level": _token_text(cast.handler, days=30),
        "the accused (also staff)": _token_text(story.intake_member, days=30),
        "higher level before escalation": _token_text(story.head_of_ethics, days=30),
        "auditor": _token_text(cast.auditor, days=30),
        "administrator": _token_text(cast.administrator, days=30),
        "expired (the level's handler)": _token_text(cast.handler, days=1),
    }
    expected = {
        "handler at the current level": OK,
        "expired (the level's handler)": UNAUTHORISED,
    }
    wrong = []
    case_paths = [
        f"/api/v1/staff/cases/{case.public_id}",
        *(
            f"/api/v1/staff/cases/{case.public_id}/{what}"
            for what in ("allegations", "minutes", "evidence", "measures")
        ),
    ]
    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(days=2)):
        for who, text in tokens.items():
            for path, rule in (
                ("/api/v1/staff/cases", UNAUTHORISED if "expired" in who else OK),
                *((path, expected.get(who, NOT_FOUND)) for path in case_paths),
            ):
                got = _outcome(Client(), Client(HTTP_AUTHORIZATION=f"Bearer {text}").get(path))
                if got != rule:
                    wrong.append(f"{path} with the token of {who}: {got}, expected {rule}")
    # A revoked token: 401 on every path, its owner's level notwithstanding.
    for path in ("/api/v1/staff/cases", *case_paths):
        response = Client(HTTP_AUTHORIZATION=f"Bearer {revoked.text}").get(path)
        if response.status_code != 401:
            wrong.append(f"{path} with a revoked token: {response.status_code}")
    assert wrong == [], "\n".join(wrong)


def _token_text(user, *, days: int) -> str:
    from tests.access.test_vault import private_of

    return token_create(actor=user, name="matrix", days=days, private=private_of(user)).text


def _token_of(user):
    from tests.access.test_vault import private_of

    return token_create(actor=user, name="matrix", days=1, private=private_of(user)).token


def _text_file():
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("notes.txt", b"Things I wrote down at the time.")
