"""The story's extra people: the accused's report on the intake team, his manager as
general counsel, the executive himself with a staff account, a board, a head of ethics."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from ombud.cases.models import Case
from ombud.directory import roles
from ombud.directory.models import Person, User
from ombud.directory.services import role_grant, user_create
from tests.conftest import ACTOR, Cast, make_staff
from tests.intake.test_api import post, report


def account(person: Person, role: str) -> User:
    """Give someone of the directory a staff account and a role."""
    user = user_create(
        actor=ACTOR,
        username=person.name.split()[0].lower(),
        password="correct horse",
        person=person,
    )
    role_grant(actor=ACTOR, user=user, role=role)
    return user


@dataclass
class Story:
    intake_member: User  # Jonas, who reports to the accused
    general_counsel: User  # Celeste, the accused's manager
    executive: User  # Victor himself, who also has a staff account
    board: list[User]
    head_of_ethics: User


@pytest.fixture
def story(cast: Cast) -> Story:
    return Story(
        intake_member=account(cast.team_lead, roles.HANDLER),
        general_counsel=account(cast.accused_manager, roles.GENERAL_COUNSEL),
        executive=account(cast.accused, roles.HANDLER),
        board=[
            make_staff("C040", "Orla Brennagh", roles.BOARD_COMMITTEE, "Board"),
            make_staff("C041", "Piet Vandermolen", roles.BOARD_COMMITTEE, "Board"),
        ],
        head_of_ethics=make_staff("C050", "Sunniva Hale", roles.HEAD_OF_ETHICS, "Ethics"),
    )


def against(employee_id: str, **overrides) -> Case:
    response = post("/api/v1/reports", report(accused=[{"employee_id": employee_id}], **overrides))
    assert response.status_code == 201, response.content
    return Case.objects.get(ref=response.json()["case_ref"])


def against_client_by_rhea() -> Case:
    response = post(
        "/api/v1/reports",
        report(accused=[{"name": "A client's buyer", "relationship": "client"}]),
    )
    return Case.objects.get(ref=response.json()["case_ref"])
