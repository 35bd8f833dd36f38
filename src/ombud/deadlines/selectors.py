"""What the deadlines app shows: figures for the heads on how the organisation keeps
its deadlines (no content), and the outside authorities a reporter may turn to."""

from __future__ import annotations

import datetime as dt
import statistics
from typing import Any

from ombud.cases.models import Case, State, TimelineEvent
from ombud.deadlines.models import Deadline, OutsideChannel


def _median_days(pairs: list[tuple[dt.datetime, dt.datetime | None]]) -> float | None:
    days = [(end - start).total_seconds() / 86400 for start, end in pairs if end and start]
    return round(statistics.median(days), 1) if days else None


def deadline_figures(now: dt.datetime) -> dict[str, Any]:
    deadlines = Deadline.objects.exclude(state=Deadline.State.CANCELLED)
    decided = deadlines.filter(state__in=[Deadline.State.MET, Deadline.State.MISSED])
    met = decided.filter(state=Deadline.State.MET).count()
    return {
        "met": met,
        "missed": decided.count() - met,
        "met_share": round(100 * met / decided.count()) if decided.count() else None,
        "overdue_now": deadlines.filter(state=Deadline.State.OPEN, due_at__lt=now).count(),
        "open_cases": Case.objects.exclude(state=State.CLOSED).count(),
        "at_top": Case.objects.filter(at_top=True).exclude(state=State.CLOSED).count(),
        "median_days_to_acknowledge": _median_days(
            list(
                Case.objects.filter(acknowledged_at__isnull=False).values_list(
                    "created_at", "acknowledged_at"
                )
            )
        ),
        "median_days_to_close": _median_days(
            list(
                Case.objects.filter(closed_at__isnull=False).values_list("created_at", "closed_at")
            )
        ),
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
