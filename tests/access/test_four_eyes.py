"""Four eyes on the rules: nobody, administrators included, changes who may read
cases alone."""

from __future__ import annotations

import pytest
from django.test import Client

from ombud.access.models import CaseKeyGrant, LadderLevel, RuleChange
from ombud.audit.models import AuditEntry
from ombud.cases.models import Case
from ombud.directory import roles
from ombud.directory.models import Person
from ombud.directory.selectors import user_has_role
from tests.access.reports import against
from tests.access.test_vault import signed_in

pytestmark = pytest.mark.usefixtures("recovery_shares")


def admin_edits_accused(client: Client, cast, **changes) -> None:
    form = {
        "employee_id": "C003",
        "name": "Victor Hallgrim",
        "other_names": "",
        "email": cast.accused.email,
        "phone": "",
        "unit": cast.accused.unit_id,
        "manager": cast.accused_manager.pk,
        "title": "Head of Grocery",
        "grade": "",
        "is_active": "on",
        "is_executive": "on",
    }
    form.update(changes)
    response = client.post(f"/admin/directory/person/{cast.accused.pk}/change/", form)
    assert response.status_code == 302, response.content.decode()[:2000]


def test_an_administrator_who_unflags_the_accused_executive_changes_nothing_alone(cast, story):
    case = against("C003")
    admin = signed_in(cast.administrator)
    form = {"title": "Head of Fresh Grocery"}
    admin_edits_accused(admin, cast, is_executive="", **form)
    victor = Person.objects.get(employee_id="C003")
    assert victor.is_executive  # held back...
    assert victor.title == "Head of Fresh Grocery"  # ...while the rest is saved
    change = RuleChange.objects.get()
    assert change.state == "pending" and change.proposer == "user:milo"

    # She cannot approve it: she proposed it, and administrators are not on the ladder.
    admin.post(f"/rules/{change.pk}/decide/", {"action": "approve"})
    assert Person.objects.get(employee_id="C003").is_executive
    # A board member approves; only then is it applied.
    board = signed_in(story.board[0])
    page = board.get("/rules/").content.decode()
    assert "change Victor Hallgrim (C003): is_executive" in page
    board.post(f"/rules/{change.pk}/decide/", {"action": "approve"})
    assert not Person.objects.get(employee_id="C003").is_executive
    change.refresh_from_db()
    assert change.state == "approved" and change.decided_by == story.board[0]
    actions = list(
        AuditEntry.objects.filter(action__startswith="access.rule_change").values_list(
            "action", "actor"
        )
    )
    assert actions == [
        ("access.rule_change.proposed", "user:milo"),
        ("access.rule_change.approved", "user:orla"),
    ]
    assert case.pk


def test_an_administrator_who_adds_herself_to_the_board_never_gets_there(cast, story):
    admin = signed_in(cast.administrator)
    board_role = LadderLevel.objects.get(role__code=roles.BOARD_COMMITTEE).role
    response = admin.post(
        "/admin/directory/roleassignment/add/",
        {"user": cast.administrator.pk, "role": board_role.pk},
    )
    assert response.status_code == 302
    assert not user_has_role(user=cast.administrator, role=roles.BOARD_COMMITTEE)
    assert RuleChange.objects.count() == 0  # refused outright: administrators are off the ladder
    # A ladder member adding herself to the board waits for someone else.
    hana = signed_in(cast.handler)
    from ombud.directory.services import role_grant

    assert role_grant(actor=cast.handler, user=cast.handler, role=roles.BOARD_COMMITTEE) is None
    change = RuleChange.objects.get()
    hana.post(f"/rules/{change.pk}/decide/", {"action": "approve"})
    assert not user_has_role(user=cast.handler, role=roles.BOARD_COMMITTEE)
    signed_in(story.board[1]).post(f"/rules/{change.pk}/decide/", {"action": "approve"})
    assert user_has_role(user=cast.handler, role=roles.BOARD_COMMITTEE)


def test_a_manager_change_for_someone_named_in_a_case_waits_even_from_the_import(
    cast, story, tmp_path
):
    from ombud.directory.importer import directory_import

    against("C004")  # Jonas is named
    path = tmp_path / "people.csv"
    rows = [
        "employee_id,name,other_names,email,phone,unit,manager_id,title,grade,executive",
        f"C001,Aurelio Thane,,{cast.ceo.email},,Executive Office,,,,yes",
        f"C002,Celeste Marbury,,{cast.accused_manager.email},,Retail,C001,,,yes",
        f"C003,Victor Hallgrim,,{cast.accused.email},,Retail/Grocery,C002,Head of Grocery,,yes",
        f"C004,Jonas Amberley,,{cast.team_lead.email},,Retail/Grocery,C002,,,no",
    ]
    path.write_text("\n".join(rows) + "\n")
    result = directory_import(actor="cli:root", path=path)
    assert result.ok
    assert Person.objects.get(employee_id="C004").manager.employee_id == "C003"  # held
    change = RuleChange.objects.get()
    assert change.proposer == "cli:root" and '"manager": "C002"' in change.payload
    signed_in(story.head_of_ethics).post(f"/rules/{change.pk}/decide/", {"action": "approve"})
    assert Person.objects.get(employee_id="C004").manager.employee_id == "C002"


def test_the_ladder_changes_only_with_a_second_member(cast, story):
    hana = signed_in(cast.handler)
    hana.post("/rules/ladder/", {"level": ["handler", "head-of-ethics", "board-committee", ""]})
    change = RuleChange.objects.get()
    assert LadderLevel.objects.count() == 4
    hana.post(f"/rules/{change.pk}/decide/", {"action": "approve"})
    assert LadderLevel.objects.count() == 4  # not by the one who proposed it
    signed_in(story.head_of_ethics).post(f"/rules/{change.pk}/decide/", {"action": "approve"})
    change.refresh_from_db()
    # The general counsel's level goes, unless cases or rules still stand on it.
    assert change.state == "approved"
    assert list(LadderLevel.objects.values_list("role__code", flat=True)) == [
        "handler",
        "head-of-ethics",
        "board-committee",
    ]
    case = against("C004")
    assert CaseKeyGrant.objects.filter(case=case, user=story.general_counsel).count() == 0
    assert Case.objects.count() == 1


def test_a_level_left_empty_below_a_chosen_one_is_refused_not_closed_up(cast, story):
    hana = signed_in(cast.handler)
    page = hana.post(
        "/rules/ladder/", {"level": ["handler", "", "board-committee", ""]}, follow=True
    ).content.decode()
    assert "Level 2 is empty but a level above it is not" in page
    assert not RuleChange.objects.exists()


def test_people_who_are_not_on_the_ladder_see_no_rules_page(cast):
    assert signed_in(cast.auditor).get("/rules/").status_code == 404
    assert Client().get("/rules/").status_code == 302


def test_nobody_approves_a_change_about_themselves(cast, story):
    from ombud.directory.services import role_grant

    assert (
        role_grant(actor=cast.unrelated_handler, user=cast.handler, role="board-committee") is None
    )
    change = RuleChange.objects.get()
    signed_in(cast.handler).post(f"/rules/{change.pk}/decide/", {"action": "approve"})
    assert not user_has_role(user=cast.handler, role="board-committee")
    signed_in(story.board[0]).post(f"/rules/{change.pk}/decide/", {"action": "approve"})
    assert user_has_role(user=cast.handler, role="board-committee")


def test_an_executive_flag_waits_for_approval_for_anyone_not_only_parties(cast, story):
    from ombud.directory.services import person_save

    ceo = Person.objects.get(employee_id="C001")
    ceo.is_executive = False
    person_save(actor=cast.administrator, person=ceo)
    assert Person.objects.get(employee_id="C001").is_executive
    assert RuleChange.objects.get().state == "pending"
