from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db.models import ProtectedError

from ombud.audit.models import AuditEntry
from ombud.directory.models import Person, Unit
from ombud.directory.selectors import (
    person_direct_reports,
    person_management_chain,
    unit_members,
)
from ombud.directory.services import person_deactivate, person_save


def test_management_chain_runs_from_the_manager_to_the_top(cast):
    chain = person_management_chain(person=cast.reporter)
    assert chain == [cast.team_lead, cast.accused, cast.accused_manager, cast.ceo]


def test_the_top_of_the_organisation_has_an_empty_chain(cast):
    assert person_management_chain(person=cast.ceo) == []


def test_direct_reports_are_only_the_people_one_level_down(cast):
    assert list(person_direct_reports(person=cast.accused)) == [cast.team_lead]
    assert list(person_direct_reports(person=cast.reporter)) == []


def test_unit_members_include_subunits_unless_asked_not_to(cast):
    retail = Unit.objects.get(path="Retail")
    everyone = set(unit_members(unit=retail))
    assert {cast.accused_manager, cast.accused, cast.team_lead, cast.reporter} == everyone
    assert set(unit_members(unit=retail, include_subunits=False)) == {cast.accused_manager}


def test_making_the_accused_report_to_his_own_report_is_refused_as_a_cycle(cast):
    accused = Person.objects.get(pk=cast.accused.pk)
    accused.manager = cast.reporter
    with pytest.raises(ValidationError, match="cycle"):
        person_save(actor="test", person=accused)
    accused.refresh_from_db()
    assert accused.manager == cast.accused_manager


def test_nobody_may_be_their_own_manager(cast):
    cast.reporter.manager = cast.reporter
    with pytest.raises(ValidationError, match="cycle"):
        person_save(actor="test", person=cast.reporter)


def test_a_new_manager_is_audited_with_old_and_new(cast):
    cast.reporter.manager = cast.accused
    person_save(actor=cast.administrator, person=cast.reporter, changed=["manager"])
    entry = AuditEntry.objects.filter(action="directory.person.updated").last()
    assert entry is not None
    assert entry.actor == f"user:{cast.administrator.username}"
    assert '"manager":{"from":"C004","to":"C003"}' in entry.details


def test_a_leaver_is_kept_inactive_and_loses_the_sign_in(cast):
    person = cast.handler.person
    person_deactivate(actor=cast.administrator, person=person)
    cast.handler.refresh_from_db()
    assert Person.objects.get(pk=person.pk).is_active is False
    assert cast.handler.is_active is False
    assert AuditEntry.objects.filter(
        action="directory.person.deactivated", object_id=str(person.pk)
    ).exists()


def test_people_cannot_be_deleted_while_others_refer_to_them(cast):
    with pytest.raises(ProtectedError):
        cast.accused.delete()


def test_unticking_active_in_any_way_stops_the_sign_in(cast):
    person = cast.handler.person
    person.is_active = False
    person_save(actor=cast.administrator, person=person, changed=["is_active"])
    cast.handler.refresh_from_db()
    assert cast.handler.is_active is False
    entry = AuditEntry.objects.filter(action="directory.person.updated").last()
    assert '"is_active":{"from":true,"to":false}' in entry.details
    assert '"sign_ins_stopped":1' in entry.details
