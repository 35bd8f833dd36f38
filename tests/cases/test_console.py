"""The staff side as handlers use it every day: the page where a reader says whether
she is conflicted, the header, the case list, and the small things users noticed."""

from __future__ import annotations

import pytest

from ombud.access.models import CaseKeyGrant, Conflict
from ombud.audit.models import AuditEntry
from ombud.cases.models import Case
from ombud.directory.services import person_save
from tests.access.reports import against
from tests.access.test_vault import signed_in
from tests.cases.test_read_entries import REPORT, looks
from tests.conftest import ACTOR
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
