"""An operator with write access to the database, but not the server's pepper, writes
rows straight into it to be handed a case key. Every such row fails its integrity tag
and is never used; the failure is audited and mailed."""

from __future__ import annotations

import pytest
from django.db import connection
from django.utils import timezone

from ombud.access.models import CaseKeyGrant, PendingGrant, StaffKey
from ombud.access.services import case_key_open
from ombud.audit.models import AuditEntry
from ombud.cases.models import Case
from ombud.directory import roles
from ombud.directory.selectors import user_has_role
from ombud.operations.models import OutboxMessage
from tests.access.reports import against
from tests.access.test_vault import private_of, signed_in

pytestmark = pytest.mark.usefixtures("recovery_shares")


def sql(statement: str, params: list) -> None:
    """Straight into the database, as an operator with a copy of the credentials would."""
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def alarms() -> list[str]:
    return list(
        OutboxMessage.objects.filter(subject__contains="written around Ombud").values_list(
            "to", flat=True
        )
    )


def test_a_pending_grant_inserted_in_the_database_is_never_fulfilled(cast, story):
    case = against("C004")
    milo = cast.administrator  # holds a key pair, as every staff member does
    sql(
        "INSERT INTO access_pendinggrant (case_id, user_id, reason, held_for_key, created_at) "
        "VALUES (%s, %s, %s, %s, %s)",
        [case.pk, milo.pk, "joined handler", False, timezone.now()],
    )
    signed_in(cast.handler)  # a holder signs in: the forged grant would be fulfilled now
    assert not CaseKeyGrant.objects.filter(case=case, user=milo).exists()
    assert not PendingGrant.objects.filter(case=case, user=milo).exists()
    failed = AuditEntry.objects.get(action="access.integrity.failed")
    assert '"row":"access.PendingGrant"' in failed.details
    assert sorted(alarms()) == sorted([story.head_of_ethics.email, milo.email])


def test_a_public_key_swapped_in_the_database_is_never_sealed_to(cast, story):
    """The attack of the review: replace a reader's public key with one's own, owe
    that reader the case, and wait for a holder to sign in."""
    case = against("C004")
    milo = cast.administrator
    emil = cast.unrelated_handler
    CaseKeyGrant.objects.filter(case=case, user=emil).delete()  # as if he joined later
    mine = bytes(StaffKey.objects.get(user=milo).public_key)
    sql("UPDATE access_staffkey SET public_key = %s WHERE user_id = %s", [mine, emil.pk])
    PendingGrant.objects.create(case=case, user=emil, reason="joined handler")
    signed_in(cast.handler)
    assert not CaseKeyGrant.objects.filter(case=case, user=emil).exists()
    refused = AuditEntry.objects.get(action="access.case_key.refused")
    assert "integrity" in refused.details
    # Had it been sealed, Milo could open it with his own key: it was not.
    with pytest.raises(Exception):  # noqa: B017 - no grant row at all
        case_key_open(case=case, user=emil, private=private_of(milo))


def test_a_role_assignment_inserted_in_the_database_gives_no_role(cast, story):
    from ombud.directory.models import StaffRole

    board = StaffRole.objects.get(code=roles.BOARD_COMMITTEE)
    sql(
        "INSERT INTO directory_roleassignment (role_id, user_id, granted_at) VALUES (%s, %s, %s)",
        [board.pk, cast.auditor.pk, timezone.now()],
    )
    assert not user_has_role(user=cast.auditor, role=roles.BOARD_COMMITTEE)
    case = against("C003")  # against an executive: starts at the board
    assert not CaseKeyGrant.objects.filter(case=case, user=cast.auditor).exists()
    assert (
        AuditEntry.objects.filter(
            action="access.integrity.failed", details__contains="directory.RoleAssignment"
        ).count()
        == 1
    )  # reported once, however often it is looked at


def test_a_manager_link_cut_in_the_database_stops_routing_instead_of_reaching_his_manager(
    cast, story
):
    # Celeste (general counsel) manages Victor, who manages Jonas: a case against Jonas
    # keeps her away. The operator cuts Jonas's manager link to bring her in.
    sql("UPDATE directory_person SET manager_id = NULL WHERE id = %s", [cast.team_lead.pk])
    case = against("C004")
    assert Case.objects.filter(pk=case.pk).exists()  # the report is kept...
    assert not CaseKeyGrant.objects.filter(case=case).exists()  # ...for the recovery key alone
    assert not CaseKeyGrant.objects.filter(case=case, user=story.general_counsel).exists()
    assert AuditEntry.objects.filter(action="access.case.routing_refused").exists()
    assert alarms()


def test_an_account_relinked_in_the_database_to_an_innocent_person_is_refused_the_key(cast, story):
    from tests.conftest import make_person

    innocent = make_person("C090", "Ilse Moreau", unit="People")
    # Victor holds a handler account: the operator points it at someone unrelated.
    sql("UPDATE directory_user SET person_id = %s WHERE id = %s", [innocent.pk, story.executive.pk])
    case = against("C004")  # against Victor's report: Victor would be kept away
    assert not CaseKeyGrant.objects.filter(case=case, user=story.executive).exists()
    assert AuditEntry.objects.filter(
        action="access.integrity.failed", details__contains="directory.User"
    ).exists()


def test_a_forged_pending_grant_is_not_blessed_by_the_owners_password_reset(cast, story):
    from ombud.access.services import staff_key_replace

    case = against("C004")
    milo = cast.administrator
    sql(
        "INSERT INTO access_pendinggrant (case_id, user_id, reason, held_for_key, created_at) "
        "VALUES (%s, %s, %s, %s, %s)",
        [case.pk, milo.pk, "joined handler", False, timezone.now()],
    )
    staff_key_replace(actor=milo, user=milo, password="a new password of his")
    assert not PendingGrant.objects.filter(case=case, user=milo).exists()


def test_an_accused_turned_into_a_witness_in_the_database_stops_every_sealing_of_the_case(
    cast, story
):
    from ombud.access.services import case_key_grant
    from tests.intake.helpers import case_key_of

    case = against("C004")  # Jonas accused: Victor and Celeste above him are kept away
    case_key = case_key_of(case, cast.handler)
    sql("UPDATE cases_party SET role = 'witness' WHERE case_id = %s", [case.pk])
    CaseKeyGrant.objects.filter(case=case, user=cast.unrelated_handler).delete()
    assert (
        case_key_grant(actor="test", case=case, user=cast.unrelated_handler, case_key=case_key)
        is None
    )
    assert AuditEntry.objects.filter(
        action="access.integrity.failed", details__contains="cases.Party"
    ).exists()
