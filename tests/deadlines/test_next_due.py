"""A case keeps its next deadline in a column of its own (the case list sorts by it):
it follows the deadlines as they are opened, met, extended, missed and cancelled."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.test import Client

from ombud.cases.models import Case
from ombud.deadlines.models import Deadline
from ombud.deadlines.services import deadlines_sweep
from ombud.directory import roles
from tests.access.reports import against
from tests.access.test_vault import signed_in
from tests.intake.helpers import staff_open

pytestmark = pytest.mark.usefixtures("recovery_shares")

T0 = dt.datetime(2026, 11, 25, 10, 0, tzinfo=dt.UTC)


def earliest_open(case: Case) -> dt.datetime | None:
    return (
        Deadline.objects.filter(case=case, state=Deadline.State.OPEN)
        .order_by("due_at")
        .values_list("due_at", flat=True)
        .first()
    )


def next_due(case: Case) -> dt.datetime | None:
    return Case.objects.values_list("next_due", flat=True).get(pk=case.pk)


def move(client: Client, case: Case, name: str, **fields: str) -> None:
    case.refresh_from_db()
    response = client.post(
        f"/cases/{case.public_id}/transition/",
        {"name": name, "version": str(case.version), **fields},
    )
    assert response.status_code == 302


def test_next_due_follows_the_deadlines_as_they_are_met_extended_and_closed(cast, story):
    with time_machine.travel(T0, tick=False):
        case = against("C004")
    acknowledge = Deadline.objects.get(case=case, name="acknowledge")
    assert next_due(case) == acknowledge.due_at == earliest_open(case)

    hana = signed_in(cast.handler)
    staff_open(hana, case)
    move(hana, case, "acknowledge", message="Received.")
    assert Deadline.objects.get(pk=acknowledge.pk).state == Deadline.State.MET
    assert next_due(case) is not None
    assert next_due(case) == earliest_open(case) != acknowledge.due_at

    close = Deadline.objects.get(case=case, name="close", state=Deadline.State.OPEN)
    Deadline.objects.filter(case=case, state=Deadline.State.OPEN).exclude(pk=close.pk).update(
        state=Deadline.State.MET  # the close deadline alone is left, so it is the next
    )
    hana.post(
        f"/cases/{case.public_id}/extend/",
        {"deadline": "close", "days": "30", "reason": "A key witness is abroad until March."},
    )
    assert next_due(case) == close.due_at + dt.timedelta(days=30) == earliest_open(case)

    move(hana, case, "close", outcome="resolved", reason="Settled in a meeting with both.")
    assert not Deadline.objects.filter(case=case, state=Deadline.State.OPEN).exists()
    assert next_due(case) is None


def test_next_due_follows_a_missed_deadline_up_the_ladder_to_the_top(cast, story):
    with time_machine.travel(T0, tick=False):
        case = against("C004")
    first = next_due(case)
    later = dt.datetime(2026, 12, 16, 8, 0, tzinfo=dt.UTC)
    assert deadlines_sweep(later) == 1  # missed: the head of ethics gets it, and new time
    case.refresh_from_db()
    assert case.level.role.code == roles.HEAD_OF_ETHICS
    assert next_due(case) == earliest_open(case) == dt.datetime(2026, 12, 18, 8, 0, tzinfo=dt.UTC)
    assert next_due(case) != first

    while deadlines_sweep(dt.datetime(2027, 12, 1, tzinfo=dt.UTC)):
        pass  # every level misses until the top
    case.refresh_from_db()
    assert case.at_top and case.top_first == 1
    assert next_due(case) == earliest_open(case)
