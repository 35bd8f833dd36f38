"""The staff side as handlers use it every day: the page where a reader says whether
she is conflicted, the header, the case list, and the small things users noticed."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.template.loader import render_to_string
from django.test import Client

from ombud.access.models import CaseKeyGrant, Conflict
from ombud.access.reading import case_parties_read
from ombud.audit.models import AuditEntry
from ombud.cases.models import Case
from ombud.directory.services import person_save, user_create
from tests.access.reports import against
from tests.access.test_vault import signed_in
from tests.cases.test_read_entries import REPORT, looks
from tests.conftest import ACTOR, PASSWORD, code_for, sign_in
from tests.intake.helpers import (
    report_fields,
    reporter_signed_in,
    staff_open,
    submit_through_pages,
)
from tests.intake.test_api import post, report

pytestmark = pytest.mark.usefixtures("recovery_shares")


def reported(**overrides) -> Case:
    response = post("/api/v1/reports", report(**overrides))
    assert response.status_code == 201, response.content
    return Case.objects.get(ref=response.json()["case_ref"])


def people_table(page: str) -> str:
    start = page.index("People the case involves")
    return page[start : page.index("</table>", start)]


# Recuse or confirm, knowing who ------------------------------------------------------


def test_a_reader_sees_who_the_case_names_with_units_and_the_category_before_confirming(cast):
    case = reported()  # Jonas (C004) by his employee id, and a client's buyer by name
    response = signed_in(cast.handler).get(f"/cases/{case.public_id}/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Before you open this case" in page
    people = people_table(page)
    assert "Jonas Amberley" in people and "Retail/Grocery" in people
    assert "A client&#x27;s buyer" in people and "a client" in people.lower()
    assert "Sexual harassment" in page and "At the office or workplace" in page
    # Nothing else of the report.
    assert REPORT not in page and "Third floor" not in page and "A colleague" not in page


@pytest.mark.parametrize(
    "identity",
    [
        {"mode": "confidential", "name": "Rhea Solberg", "employee_id": "C005"},
        {"mode": "anonymous"},
    ],
)
def test_a_confidential_or_anonymous_reporter_is_not_on_the_page(cast, identity):
    case = reported(identity=identity)
    page = signed_in(cast.handler).get(f"/cases/{case.public_id}/").content.decode()
    assert "Jonas Amberley" in people_table(page)
    assert "Rhea Solberg" not in page and "C005" not in page


def test_a_named_reporter_is_shown_so_a_friend_of_hers_can_recuse(cast):
    case = reported(identity={"mode": "named", "name": "Rhea Solberg", "employee_id": "C005"})
    people = people_table(signed_in(cast.handler).get(f"/cases/{case.public_id}/").content.decode())
    assert "Rhea Solberg" in people and "reporter (named)" in people


def test_only_who_the_case_names_is_read_and_the_audit_log_says_so(cast):
    case = reported()
    hana = signed_in(cast.handler)
    hana.get(f"/cases/{case.public_id}/")
    assert [(entry.action, entry.actor) for entry in looks(case)] == [
        ("cases.parties.read", "user:hana")
    ]
    assert '"record":"parties"' in looks(case)[0].details
    assert not AuditEntry.objects.filter(action="cases.case.read").exists()
    # Once she confirms, the report itself is read, with its own entry.
    hana.post(f"/cases/{case.public_id}/standing/", {"action": "confirm"})
    assert REPORT in hana.get(f"/cases/{case.public_id}/").content.decode()
    assert [entry.action for entry in looks(case)] == ["cases.parties.read", "cases.case.read"]


def test_a_case_from_before_the_names_were_kept_apart_shows_the_directory_links_only(cast):
    case = reported()
    Case.objects.filter(pk=case.pk).update(named=None)
    page = signed_in(cast.handler).get(f"/cases/{case.public_id}/").content.decode()
    people = people_table(page)
    assert "Jonas Amberley" in people and "buyer" not in people
    assert "Only the people linked to the directory are listed" in page
    assert '"record":"directory"' in looks(case)[0].details


def test_a_reader_who_became_the_reporters_manager_does_not_see_who_is_accused(cast):
    case = reported()  # confidential, by Rhea (C005)
    cast.reporter.manager = cast.unrelated_handler.person  # Emil becomes her manager
    person_save(actor=ACTOR, person=cast.reporter)
    # Only the report says who the reporter is: nothing has taken his key yet.
    assert CaseKeyGrant.objects.filter(case=case, user=cast.unrelated_handler).exists()
    response = signed_in(cast.unrelated_handler).get(f"/cases/{case.public_id}/")
    assert response.status_code == 404
    assert "Jonas Amberley" not in response.content.decode()
    assert not CaseKeyGrant.objects.filter(case=case, user=cast.unrelated_handler).exists()


def test_on_a_case_from_before_the_names_were_kept_apart_a_new_manager_sees_nobody(cast):
    case = reported()  # confidential, by Rhea (C005)
    Case.objects.filter(pk=case.pk).update(named=None)
    cast.reporter.manager = cast.unrelated_handler.person  # Emil becomes her manager
    person_save(actor=ACTOR, person=cast.reporter)
    response = signed_in(cast.unrelated_handler).get(f"/cases/{case.public_id}/")
    assert response.status_code == 404
    assert "Jonas Amberley" not in response.content.decode()


def test_without_her_key_a_reader_is_shown_nobody_since_her_managers_cannot_be_checked(cast):
    case = reported()
    parties = case_parties_read(user=cast.handler, public_id=case.public_id, private=None)
    assert parties.people == [] and not parties.checked
    assert '"record":"none"' in looks(case)[0].details
    page = render_to_string("cases/confirm.html", {"case": case, "checked": False})
    assert "Your key is locked" in page and "Jonas Amberley" not in page


def test_the_two_answers_look_different_and_recusing_asks_for_a_tick(cast):
    case = against("C004")
    page = signed_in(cast.handler).get(f"/cases/{case.public_id}/").content.decode()
    assert '<button type="submit" name="action" value="confirm">' in page  # primary
    assert '<button type="submit" class="danger">Recuse me</button>' in page
    assert '<input type="checkbox" name="conflict" value="yes" required>' in page


def test_recusing_without_ticking_the_box_changes_nothing_and_says_why(cast):
    case = against("C004")
    hana = signed_in(cast.handler)
    refused = hana.post(f"/cases/{case.public_id}/standing/", {"action": "recuse"})
    assert refused.status_code == 400
    page = refused.content.decode()
    assert "Tick “I confirm I have a conflict” to recuse yourself." in page
    assert "Jonas Amberley" in people_table(page)  # the choice is still in front of her
    assert CaseKeyGrant.objects.filter(case=case, user=cast.handler).exists()
    assert not Conflict.objects.filter(case=case, user=cast.handler).exists()
    assert not AuditEntry.objects.filter(action="access.case.recused").exists()

    recused = hana.post(
        f"/cases/{case.public_id}/standing/", {"action": "recuse", "conflict": "yes"}
    )
    assert recused.status_code == 302 and recused["Location"] == "/cases/"
    assert not CaseKeyGrant.objects.filter(case=case, user=cast.handler).exists()
    assert AuditEntry.objects.filter(action="access.case.recused", actor="user:hana").exists()


# The header -----------------------------------------------------------------------


def staff_nav(page: str) -> str:
    start = page.find('<nav class="staff"')
    return page[start : page.index("</nav>", start)] if start >= 0 else ""


def test_the_header_offers_a_handler_her_pages_and_marks_the_one_she_is_on(cast):
    hana = signed_in(cast.handler)
    nav = staff_nav(hana.get("/cases/").content.decode())
    assert 'aria-label="Staff pages"' in nav
    assert '<a href="/cases/" aria-current="page">Cases</a>' in nav
    assert '<a href="/cases/oral/">Oral report</a>' in nav
    assert '<a href="/rules/">Rules</a>' in nav
    for other in ("Overview", "Audit log", "Outbox", "Directory"):
        assert other not in nav
    assert '<a href="/rules/" aria-current="page">Rules</a>' in staff_nav(
        hana.get("/rules/").content.decode()
    )
    case = against("C004")
    below = staff_nav(hana.get(f"/cases/{case.public_id}/").content.decode())
    assert '<a href="/cases/" aria-current="true">Cases</a>' in below  # inside the cases


@pytest.mark.parametrize(
    ("who", "offered", "withheld"),
    [
        ("auditor", ["Audit log"], ["Cases", "Rules", "Outbox", "Directory", "Oral report"]),
        ("administrator", ["Rules", "Outbox", "Directory"], ["Cases", "Audit log", "Overview"]),
        ("head_of_ethics", ["Cases", "Overview", "Rules"], ["Oral report", "Audit log", "Outbox"]),
    ],
)
def test_the_header_offers_each_role_its_own_pages(cast, story, who, offered, withheld):
    user = getattr(story, who, None) or getattr(cast, who)
    nav = staff_nav(signed_in(user).get("/").content.decode())
    assert [label for label in offered if f">{label}</a>" in nav] == offered
    assert [label for label in withheld if f">{label}</a>" in nav] == []


def test_signing_in_lands_a_handler_on_the_cases_and_an_auditor_at_home(cast):
    for user, landing in ((cast.handler, "/cases/"), (cast.auditor, "/")):
        response = Client().post(
            "/accounts/login/",
            {"username": user.username, "password": PASSWORD, "otp_token": code_for(user)},
        )
        assert response.status_code == 302 and response["Location"] == landing


def test_an_employee_without_a_staff_role_sees_no_staff_pages_or_figures(cast):
    case = against("C004")
    Case.objects.filter(pk=case.pk).update(at_top=True)
    # The accused, with a sign-in but no staff role.
    victor = user_create(actor=ACTOR, username="victor", password=PASSWORD, person=cast.accused)
    client = sign_in(Client(), victor)
    for path in ("/", "/cases/"):
        page = client.get(path).content.decode()
        assert staff_nav(page) == ""
        assert "missed a deadline" not in page and "overdue" not in page.lower()
    # A handler sees it, on her own case.
    assert "1 of your open cases missed a deadline at the top of the ladder." in (
        signed_in(cast.handler).get("/cases/").content.decode()
    )


def test_the_accused_as_staff_is_not_told_about_the_case_against_him(cast, story):
    case = against("C003")  # Victor, who is also a handler
    Case.objects.filter(pk=case.pk).update(at_top=True)
    page = signed_in(story.executive).get("/cases/").content.decode()
    assert "missed a deadline" not in page and case.ref not in page
    assert "0 overdue now" in page


def test_every_page_starts_with_a_skip_link_to_the_content(cast):
    for page in (
        signed_in(cast.handler).get("/cases/").content.decode(),
        Client().get("/report/").content.decode(),
    ):
        body = page[page.index("<body>") + len("<body>") :].lstrip()
        assert body.startswith('<a class="skip-link" href="#main">Skip to content</a>')
        assert '<main id="main"' in page


def test_the_icon_is_linked_and_served_also_where_browsers_guess(db):
    page = Client().get("/").content.decode()
    assert '<link rel="icon" href="/static/ombud/favicon.svg" type="image/svg+xml">' in page
    guessed = Client().get("/favicon.ico")
    assert guessed.status_code == 302 and guessed["Location"] == "/static/ombud/favicon.svg"
    icon = Client().get("/static/ombud/favicon.svg")
    assert icon.status_code == 200 and icon["Content-Type"] == "image/svg+xml"
    assert b"<svg" in b"".join(icon.streaming_content)


# The case list ---------------------------------------------------------------------

T0 = dt.datetime(2026, 11, 25, 10, 0, tzinfo=dt.UTC)  # a Wednesday


def refs_in(page: str) -> list[str]:
    return re.findall(r'<tr><td><a href="/cases/[^/"]+/">([^<]+)</a>', page)


def test_the_list_puts_the_top_of_the_ladder_first_then_the_overdue_then_the_next_deadline(
    cast,
):
    with time_machine.travel(T0, tick=False):
        overdue = against("C004")
    with time_machine.travel(T0 + dt.timedelta(days=1), tick=False):
        due_later = against("C004")
    with time_machine.travel(T0 + dt.timedelta(days=1, hours=1), tick=False):
        at_top = against("C004")  # due last, but the top of the ladder missed a deadline
    Case.objects.filter(pk=at_top.pk).update(at_top=True)
    with time_machine.travel(dt.datetime(2026, 11, 27, 12, 0, tzinfo=dt.UTC), tick=False):
        page = signed_in(cast.handler).get("/cases/").content.decode()
    assert refs_in(page) == [at_top.ref, overdue.ref, due_later.ref]
    assert "1 overdue now" in page
    assert page.count('<strong class="overdue">Overdue</strong>') == 1


def test_the_list_is_filtered_by_state_category_and_level_and_searched_by_reference(cast):
    harassment = against("C004")
    fraud = against("C004", category="fraud")
    acknowledged = against("C004")
    Case.objects.filter(pk=acknowledged.pk).update(state="acknowledged")
    hana = signed_in(cast.handler)

    def listed(**query) -> list[str]:
        response = hana.get("/cases/", query)
        assert response.status_code == 200
        return sorted(refs_in(response.content.decode()))

    assert listed() == sorted([harassment.ref, fraud.ref, acknowledged.ref])
    assert listed(category="fraud") == [fraud.ref]
    assert listed(state="acknowledged") == [acknowledged.ref]
    assert listed(state="received", category="sexual_harassment") == [harassment.ref]
    assert listed(level="handler") == sorted([harassment.ref, fraud.ref, acknowledged.ref])
    assert listed(level="head-of-ethics") == []
    assert listed(ref=fraud.ref[-4:].lower()) == [fraud.ref]


def test_the_filters_keep_their_values_and_a_wrong_one_is_said_without_losing_the_others(cast):
    fraud = against("C004", category="fraud")
    against("C004")
    page = signed_in(cast.handler).get(
        "/cases/", {"category": "fraud", "state": "no-such-state", "ref": "OMB"}
    )
    assert page.status_code == 200
    html = page.content.decode()
    assert '<option value="fraud" selected>' in html
    assert 'name="ref" value="OMB"' in html
    assert "Select a valid choice" in html
    assert refs_in(html) == [fraud.ref]  # the category still applies
    assert '<form method="get" action="/cases/"' in html and "Clear the filters" in html


# Small things users noticed ----------------------------------------------------------


def test_the_oral_report_form_speaks_to_the_handler_about_the_reporter(cast):
    hana = signed_in(cast.handler)
    page = hana.get("/cases/oral/").content.decode()
    assert "Record what the reporter told you" in page
    for wording in (
        "About the reporter",
        "The reporter&#x27;s name",
        "Whom did the reporter tell?",
    ):
        assert wording in page
    for wording in ("About you", "Your name", "Who are you?", "Whom did you tell?"):
        assert wording not in page
    form = {
        **report_fields(name="Rhea Solberg"),  # anonymous, yet named
        "channel": "phone",
        "received_on": "2026-11-20",
        "action": "save",
    }
    refused = hana.post("/cases/oral/", form).content.decode()
    assert "details that identify the reporter were typed" in refused
    assert "The reporter chose" not in refused and "You chose" not in refused
    # The reporter's own form still speaks to her.
    assert "Your name" in Client().get("/report/new/").content.decode()


def test_the_rules_page_names_roles_and_a_new_ladder_is_chosen_from_a_list(cast, story):
    from ombud.access.models import RuleChange
    from ombud.directory.services import role_grant

    role_grant(actor=story.head_of_ethics, user=cast.unrelated_handler, role="head-of-ethics")
    hana = signed_in(cast.handler)
    page = hana.get("/rules/").content.decode()
    assert "give the role Head of ethics: emil" in page
    assert "<code>head-of-ethics</code>" not in page and 'name="ladder"' not in page
    assert '<select name="level" id="id_level_1">' in page
    assert '<option value="handler" selected>Handler</option>' in page
    assert '<option value="administrator"' not in page  # never on a ladder
    hana.post("/rules/ladder/", {"level": ["handler", "board-committee", "head-of-ethics", ""]})
    change = RuleChange.objects.get(kind="ladder")
    assert change.summary == "the ladder becomes: Handler → Board committee → Head of ethics"
    assert '"ladder": ["handler", "board-committee", "head-of-ethics"]' in change.payload


def test_a_note_a_reply_and_a_transition_each_say_they_were_done(cast):
    case = against("C004")
    hana = signed_in(cast.handler)
    staff_open(hana, case)
    url = f"/cases/{case.public_id}/"
    said = hana.post(url + "notes/", {"body": "Called the reporter back."}, follow=True)
    assert "Note added. Only the case&#x27;s readers see it." in said.content.decode()
    said = hana.post(url + "messages/", {"body": "Thank you for telling us."}, follow=True)
    assert "Sent. The reporter sees it on her page." in said.content.decode()
    said = hana.post(
        url + "transition/",
        {"name": "acknowledge", "version": "1", "message": "We have your report."},
        follow=True,
    )
    assert "Done: the case is now “Acknowledged”." in said.content.decode()
    assert '<div class="messages" role="status">' in said.content.decode()


def test_the_receipt_page_has_a_button_to_follow_the_report(db, recovery_shares):
    _receipt, page = submit_through_pages(Client())
    assert '<a class="button" href="/report/status/">Follow your report</a>' in page


def test_the_case_timeline_shows_each_date_once(cast):
    with time_machine.travel(T0, tick=False):
        case = against("C004")
        hana = signed_in(cast.handler)
        staff_open(hana, case)
        hana.post(f"/cases/{case.public_id}/messages/", {"body": "Are you safe?"})
    with time_machine.travel(T0 + dt.timedelta(hours=1), tick=False):
        hana = signed_in(cast.handler)
        hana.post(f"/cases/{case.public_id}/messages/", {"body": "We will call."})
    with time_machine.travel(T0 + dt.timedelta(days=1), tick=False):
        hana = signed_in(cast.handler)
        hana.post(f"/cases/{case.public_id}/messages/", {"body": "Tomorrow then."})
        page = hana.get(f"/cases/{case.public_id}/").content.decode()
    timeline = page[page.index('<ol class="timeline days">') :]
    timeline = timeline[: timeline.index("</ol>")]
    days = re.findall(r'<h3><time datetime="([0-9-]+)">', timeline)
    assert days == ["2026-11-25", "2026-11-26"]
    assert timeline.count("<li><time") == 4  # received, and three messages
    assert timeline.count("Message to the reporter") == 3


def test_the_reporter_is_told_every_level_missed_only_when_every_level_did(cast, story):
    from ombud.deadlines.services import deadlines_sweep

    with time_machine.travel(T0, tick=False):
        created = post("/api/v1/reports", report(accused=[{"employee_id": "C003"}]))
    case = Case.objects.get(ref=created.json()["case_ref"])
    assert case.level.role.code == "board-committee"  # an executive: the top from the start
    deadlines_sweep(dt.datetime(2026, 12, 8, tzinfo=dt.UTC))
    case.refresh_from_db()
    assert case.at_top
    page = reporter_signed_in(created.json()["receipt"]).get("/report/status/").content.decode()
    assert "The highest level here has missed a deadline on your case." in page
    assert "Every level here" not in page
