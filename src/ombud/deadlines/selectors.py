"""What the deadlines app shows: figures for the heads on how the organisation keeps
its deadlines (no content), and the outside authorities a reporter may turn to."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ombud.cases.figures import ACKNOWLEDGE, CLOSE, figures_counts, figures_medians
from ombud.cases.models import Case, TimelineEvent
from ombud.deadlines.models import Deadline, OutsideChannel


def deadline_figures(now: dt.datetime) -> dict[str, Any]:
    """The overview's figures, in three queries whatever the number of cases: the
    counters kept by the services (``ombud.cases.figures``), their medians, and the
    deadlines overdue now, counted through the index on (state, due_at) (a figure of
    the clock, so it cannot be kept: its cost follows the overdue deadlines alone)."""
    counts = figures_counts()
    medians = figures_medians()
    met, missed = counts["deadlines_met"], counts["deadlines_missed"]
    decided = met + missed
    return {
        "met": met,
        "missed": missed,
        "met_share": round(100 * met / decided) if decided else None,
        "overdue_now": Deadline.objects.filter(state=Deadline.State.OPEN, due_at__lt=now).count(),
        "open_cases": counts["open_cases"],
        "at_top": counts["at_top"],
        "median_days_to_acknowledge": medians[ACKNOWLEDGE],
        "median_days_to_close": medians[CLOSE],
    }


def every_level_missed(case: Case) -> bool:
    """Whether every level of the ladder had the case and missed a deadline on it, as
    opposed to the top alone: a case against an executive starts at the top, and a
    level where nobody may hold the key (all conflicted) is passed over. The reporter
    is told "every level" only when it is true."""
    from ombud.access.routing import ladder

    if not case.at_top:
        return False
    escalations = TimelineEvent.objects.filter(case=case, kind=TimelineEvent.Kind.ESCALATED).count()
    return 1 + escalations >= len(ladder())


def outside_channels_for(category: str) -> list[OutsideChannel]:
    """The outside authorities that take reports of ``category``, in their order.
    Filtered here rather than in SQL: a handful of rows, and SQLite cannot look
    inside a JSON list."""
    return [channel for channel in OutsideChannel.objects.all() if channel.takes(category)]
