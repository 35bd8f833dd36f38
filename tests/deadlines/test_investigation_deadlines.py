"""Deadlines the investigation opens (a measure's review, the accused's response) are
swept and escalated like the policy's, and close when they are met."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from ombud.cases.models import Case, TimelineEvent
from ombud.deadlines.models import Deadline
from ombud.deadlines.services import deadline_close, deadline_open, deadlines_sweep
from tests.access.reports import against
from tests.conftest import ACTOR

pytestmark = pytest.mark.usefixtures("recovery_shares")
T0 = dt.datetime(2026, 11, 25, 10, 0, tzinfo=dt.UTC)


def test_a_review_date_that_passes_escalates_the_case_and_tells_the_reporter(cast, story):
    with time_machine.travel(T0, tick=False):
        case = against("C004")
        deadline_open(
            actor=ACTOR,
            case=case,
            name="review:1",
            label="Review of an interim measure",
            due_at=T0 + dt.timedelta(days=1),
        )
    before = Case.objects.get(pk=case.pk).level
    assert Case.objects.get(pk=case.pk).next_due == T0 + dt.timedelta(days=1)
    deadlines_sweep(T0 + dt.timedelta(days=2))
    case.refresh_from_db()
    assert case.level != before
    assert Deadline.objects.get(case=case, name="review:1").state == Deadline.State.MISSED
    assert TimelineEvent.objects.filter(
        case=case, kind=TimelineEvent.Kind.ESCALATED, detail="Review of an interim measure"
    ).exists()


def test_a_deadline_met_in_time_is_not_swept(cast):
    with time_machine.travel(T0, tick=False):
        case = against("C004")
        deadline_open(
            actor=ACTOR,
            case=case,
            name="review:2",
            label="Review of an interim measure",
            due_at=T0 + dt.timedelta(days=1),
        )
        assert deadline_close(actor=ACTOR, case=case, name="review:2")
        assert not deadline_close(actor=ACTOR, case=case, name="review:2")
    level = Case.objects.get(pk=case.pk).level
    deadlines_sweep(T0 + dt.timedelta(days=2))
    assert Case.objects.get(pk=case.pk).level == level
    assert Deadline.objects.get(case=case, name="review:2").state == Deadline.State.MET
