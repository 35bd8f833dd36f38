from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from ombud.audit.models import AuditEntry
from ombud.directory.models import Person, User
from ombud.operations.models import WorkerHeartbeat
from ombud.operations.worker import heartbeat_record
from tests.conftest import code_for, sign_in

PAGES = [
    "/",
    "/accounts/login/",
    "/healthz",
    "/admin/",
    "/admin/directory/person/",
    "/no-such-page/",
    "/static/ombud/ombud.css",
]


def assert_protective_headers(response) -> None:
    csp = response["Content-Security-Policy"]
    assert re.search(r"default-src '(self|none)'", csp) and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "no-referrer"
    assert response["X-Content-Type-Options"] == "nosniff"


def assert_no_inline_code(html: str) -> None:
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "inline script"
    assert not re.search(r"\sstyle=", html), "inline style attribute"
    assert "<style" not in html
    assert not re.search(r"\son[a-z]+=", html), "inline event handler"


@pytest.mark.parametrize("path", PAGES)
def test_every_page_sends_the_protective_headers_signed_out(client, db, path):
    assert_protective_headers(client.get(path))


@pytest.mark.parametrize("path", PAGES)
def test_every_page_sends_the_protective_headers_to_an_administrator(client, cast, path):
    sign_in(client, cast.administrator)
    assert_protective_headers(client.get(path))


@pytest.mark.parametrize(
    "path", ["/", "/accounts/login/", "/accounts/password/forgotten/", "/no-such-page/"]
)
def test_our_pages_carry_no_inline_script_or_style(client, db, path):
    assert_no_inline_code(client.get(path).content.decode())


def test_the_home_page_invites_staff_to_sign_in(client, db):
    response = client.get("/")
    assert response.status_code == 200
    assert "Speak up safely" in response.content.decode()
    assert 'href="/accounts/login/"' in response.content.decode()


def test_a_signed_in_handler_sees_her_role(client, cast):
    sign_in(client, cast.handler)
    page = client.get("/").content.decode()
    assert "Signed in as Hana Quill" in page
    assert "<li>Handler</li>" in page
    assert "Manage the directory" not in page


def test_a_wrong_password_reshows_the_form_with_the_name_typed(client, cast):
    response = client.post("/accounts/login/", {"username": "hana", "password": "wrong"})
    assert response.status_code == 200
    page = response.content.decode()
    assert 'value="hana"' in page
    assert "Please enter a correct" in page


def test_a_missing_page_says_not_found_without_a_stack_trace(client, db):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "Not found" in response.content.decode()
    assert "Traceback" not in response.content.decode()


def test_the_admin_is_for_administrators_only(client, cast):
    assert client.get("/admin/").status_code == 302
    response = client.get("/admin/", follow=True)
    assert response.redirect_chain[-1][0] == "/accounts/login/?next=%2Fadmin%2F"
    response = sign_in(Client(), cast.handler).get("/admin/", follow=True)
    assert response.status_code == 403
    assert "Your account may not do this" in response.content.decode()
    auditor = sign_in(Client(), cast.auditor)
    assert auditor.get("/admin/directory/person/", follow=True).status_code == 403
    response = sign_in(Client(), cast.administrator).get("/admin/directory/person/")
    assert response.status_code == 200
    assert "Victor Hallgrim" in response.content.decode()


def test_an_administrator_changing_a_manager_in_the_admin_is_audited(client, cast):
    sign_in(client, cast.administrator)
    url = f"/admin/directory/person/{cast.reporter.pk}/change/"
    form = {
        "employee_id": "C005",
        "name": "Rhea Solberg",
        "other_names": "",
        "email": cast.reporter.email,
        "phone": "",
        "unit": cast.reporter.unit_id,
        "manager": cast.accused_manager.pk,
        "title": "",
        "grade": "",
        "is_active": "on",
    }
    response = client.post(url, form)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Person.objects.get(pk=cast.reporter.pk).manager == cast.accused_manager
    entry = AuditEntry.objects.filter(action="directory.person.updated").last()
    assert entry.actor == "user:milo"
    assert '"manager":{"from":"C004","to":"C002"}' in entry.details


def test_the_admin_refuses_a_manager_cycle_and_keeps_what_was_typed(client, cast):
    sign_in(client, cast.administrator)
    url = f"/admin/directory/person/{cast.accused.pk}/change/"
    form = {
        "employee_id": "C003",
        "name": "Victor Hallgrim (typed)",
        "other_names": "",
        "email": cast.accused.email,
        "phone": "",
        "unit": cast.accused.unit_id,
        "manager": cast.reporter.pk,
        "title": "",
        "grade": "",
        "is_active": "on",
        "is_executive": "on",
    }
    response = client.post(url, form)
    assert response.status_code == 200
    page = response.content.decode()
    assert "cycle" in page
    assert "Victor Hallgrim (typed)" in page
    assert Person.objects.get(pk=cast.accused.pk).manager == cast.accused_manager


def test_people_cannot_be_deleted_from_the_admin(client, cast):
    sign_in(client, cast.administrator)
    response = client.get(f"/admin/directory/person/{cast.reporter.pk}/delete/")
    assert response.status_code == 403
    assert Person.objects.filter(pk=cast.reporter.pk).exists()


def test_health_is_503_until_a_worker_has_beaten(recovery_shares):
    response = Client().get("/healthz")
    assert response.status_code == 503
    assert response.json() == {
        "database": "ok",
        "worker": "never started",
        "recovery_key": "ok",
        "mail": "folder",  # development without a mail server
    }


def test_health_is_503_while_no_recovery_key_exists(db):
    # A fresh install before `ombud recovery init`: no report could be stored.
    heartbeat_record(worker_id="w1", started_at=timezone.now())
    response = Client().get("/healthz")
    assert response.status_code == 503
    assert response.json() == {
        "database": "ok",
        "worker": "ok",
        "recovery_key": "missing",
        "mail": "folder",
    }


def test_health_is_200_with_a_recent_heartbeat_and_503_when_it_goes_stale(recovery_shares):
    with time_machine.travel("2026-11-25 10:00 +00:00", tick=False):
        heartbeat_record(worker_id="w1", started_at=timezone.now())
        assert Client().get("/healthz").status_code == 200
    with time_machine.travel("2026-11-25 10:01:59 +00:00", tick=False):
        assert Client().get("/healthz").json()["worker"] == "ok"
    with time_machine.travel("2026-11-25 10:02:01 +00:00", tick=False):
        response = Client().get("/healthz")
        assert response.status_code == 503
        assert response.json()["worker"].startswith("silent since 2026-11-25T10:00:00")
    assert WorkerHeartbeat.objects.get().beat_at == dt.datetime(2026, 11, 25, 10, tzinfo=dt.UTC)


def _login_with_origin(origin: str, fetch_site: str):
    browser = Client(enforce_csrf_checks=True)
    form = browser.get("/accounts/login/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.content.decode())
    assert token
    return browser.post(
        "/accounts/login/",
        {
            "username": "hana",
            "password": "correct horse",
            "otp_token": code_for(User.objects.get(username="hana")),
            "csrfmiddlewaretoken": token[1],
        },
        headers={"Origin": origin, **({"Sec-Fetch-Site": fetch_site} if fetch_site else {})},
    )


def test_a_same_site_form_sent_with_a_null_origin_is_accepted(cast):
    # What browsers send under Referrer-Policy: no-referrer.
    response = _login_with_origin("null", "same-origin")
    assert response.status_code == 302
    assert response["Location"] == "/cases/"  # Hana handles cases: she lands on them


def test_a_cross_site_form_with_a_null_origin_is_refused(cast):
    response = _login_with_origin("null", "cross-site")
    assert response.status_code == 403


def test_a_form_from_another_origin_is_refused(cast):
    response = _login_with_origin("https://evil.example", "cross-site")
    assert response.status_code == 403


def test_a_null_origin_without_fetch_metadata_is_refused(cast):
    response = _login_with_origin("null", "")
    assert response.status_code == 403
    assert "This form could not be accepted" in response.content.decode()


def test_revoking_ladder_roles_in_bulk_from_the_admin_waits_for_approval_one_by_one(client, cast):
    from ombud.access.models import RuleChange
    from ombud.directory.models import RoleAssignment

    sign_in(client, cast.administrator)
    handlers = RoleAssignment.objects.filter(role__code="handler")
    response = client.post(
        "/admin/directory/roleassignment/",
        {"action": "delete_selected", "_selected_action": [a.pk for a in handlers], "post": "yes"},
    )
    assert response.status_code == 302
    assert RoleAssignment.objects.filter(role__code="handler").count() == 2  # nothing yet
    proposed = AuditEntry.objects.filter(action="access.rule_change.proposed", actor="user:milo")
    assert proposed.count() == 2
    assert sorted(change.summary for change in RuleChange.objects.all()) == [
        "take away the role Handler: emil",
        "take away the role Handler: hana",
    ]


def test_an_administrator_sends_a_password_link_and_it_is_audited(client, cast, mailoutbox):
    sign_in(client, cast.administrator)
    response = client.post(
        "/admin/directory/user/",
        {"action": "send_password_link", "_selected_action": [cast.auditor.pk]},
    )
    assert response.status_code == 302
    assert [m.to for m in mailoutbox] == [[cast.auditor.email]]
    entry = AuditEntry.objects.get(action="directory.user.password_link_sent")
    assert entry.actor == "user:milo" and entry.object_id == str(cast.auditor.pk)
    cast.auditor.refresh_from_db()
    assert cast.auditor.check_password("correct horse")  # nothing changed until she acts
