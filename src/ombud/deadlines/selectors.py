"""What the deadlines app shows: figures for the heads on how the organisation keeps
its deadlines (no content), and the outside authorities a reporter may turn to."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import connection
from django.db.models import Count, Q
from django.db.models.expressions import RawSQL

from ombud.cases.models import Case, State, TimelineEvent
from ombud.deadlines.models import Deadline, OutsideChannel


def _median_days(field: str) -> float | None:
    """The median of ``field`` minus the case's ``created_at``, in days, computed in
    the database (never every case's dates in Python); None when no case has it."""
    table = connection.ops.quote_name(Case._meta.db_table)
    end, start = connection.ops.quote_name(field), connection.ops.quote_name("created_at")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT percentile_cont(0.5) WITHIN GROUP "  # noqa: S608 - names, not input
                f"(ORDER BY EXTRACT(EPOCH FROM {end} - {start})) "
                f"FROM {table} WHERE {end} IS NOT NULL"
            )
            seconds = cursor.fetchone()[0]
        return None if seconds is None else round(float(seconds) / 86400, 1)
    # Elsewhere (SQLite): the middle one or two durations, found by ORDER BY with
    # LIMIT and OFFSET: a count, then one row or two.
    count = Case.objects.filter(**{f"{field}__isnull": False}).count()
    if not count:
        return None
    duration = RawSQL(f"julianday({end}) - julianday({start})", [])  # noqa: S611 - names
    middle = (
        Case.objects.filter(**{f"{field}__isnull": False})
        .annotate(days=duration)
        .order_by("days")
        .values_list("days", flat=True)[(count - 1) // 2 : count // 2 + 1]
    )
    days = list(middle)
    return round(sum(days) / len(days), 1)


def deadline_figures(now: dt.datetime) -> dict[str, Any]:
    """The overview's figures: two conditional aggregates and two medians, each
    computed in the database whatever the number of cases."""
    decided = [Deadline.State.MET, Deadline.State.MISSED]
    deadlines = Deadline.objects.exclude(state=Deadline.State.CANCELLED).aggregate(
        met=Count("pk", filter=Q(state=Deadline.State.MET)),
        decided=Count("pk", filter=Q(state__in=decided)),
        overdue_now=Count("pk", filter=Q(state=Deadline.State.OPEN, due_at__lt=now)),
    )
    cases = Case.objects.exclude(state=State.CLOSED).aggregate(
        open_cases=Count("pk"), at_top=Count("pk", filter=Q(at_top=True))
    )
    met, decided_count = deadlines["met"], deadlines["decided"]
    return {
        "met": met,
        "missed": decided_count - met,
        "met_share": round(100 * met / decided_count) if decided_count else None,
        "overdue_now": deadlines["overdue_now"],
        "open_cases": cases["open_cases"],
        "at_top": cases["at_top"],
        "median_days_to_acknowledge": _median_days("acknowledged_at"),
        "median_days_to_close": _median_days("closed_at"),
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
