"""The overview's figures, kept as counters by the services in the transaction of
each change, and read back in a constant number of small queries.

Who writes what (each with an ``F()`` increment, never read-modify-write):

- a new case: ``open_cases`` + 1 (``ombud.access.services.case_create``);
- acknowledge, close, reopen (``ombud.cases.workflow.case_transition``): the
  duration counts, ``open_cases`` and ``at_top``;
- a deadline met or missed (``ombud.deadlines.services``): ``deadlines_met``,
  ``deadlines_missed``; a case reaching the top of the ladder: ``at_top``.

Lock order, so that two transactions never wait for each other in a circle: the
case's row first, then a duration count, then the case's figures row.
``ombud.deadlines.figures.figures_rebuild`` recounts everything from the tables.

The medians: each duration is counted in tenths of a day, rounded to the nearest
as the page rounds (it shows one decimal). The median of an odd number of cases is then the same
figure as the median of the exact durations rounded for the page. For an even number
it is the mean of the two middle counts' tenths, rounded: it can differ from the mean
of the two exact middle durations by a tenth of a day when these two fall in
different tenths (with many cases the two middle ones are seconds apart, so they
nearly always share their tenth).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from django.db import IntegrityError, connection, models, transaction
from django.db.models import F, Sum
from django.db.models.expressions import Combinable

from ombud.cases.models import CaseDuration, CaseFigures

SLOTS = 16
ACKNOWLEDGE = "acknowledge"
CLOSE = "close"
COUNTS = ("open_cases", "at_top", "deadlines_met", "deadlines_missed")


def figures_add(case_id: int, **deltas: int) -> None:
    """Add ``deltas`` (``open_cases=-1``…) to the figures, on the case's own row."""
    changes = {name: F(name) + delta for name, delta in deltas.items() if delta}
    if not changes:
        return
    _counter_add(CaseFigures, {"slot": case_id % SLOTS}, changes)


def _counter_add(
    model: type[models.Model], key: dict[str, object], changes: Mapping[str, Combinable]
) -> None:
    """Apply ``changes`` to the counter row ``key``, made on first use (after a flush
    of the table, say); a row made meanwhile by another transaction is added to."""
    rows = model._default_manager.filter(**key)
    while not rows.update(**changes):
        try:
            with transaction.atomic():
                model._default_manager.create(**key)
        except IntegrityError:
            pass


def tenths_of_a_day(start: dt.datetime, end: dt.datetime) -> int:
    """The duration from ``start`` to ``end`` in tenths of a day, to the nearest (a
    half to the even one, as the page's ``round(days, 1)`` does)."""
    return round((end - start).total_seconds() / 8640)


def duration_add(figure: str, start: dt.datetime, end: dt.datetime, delta: int) -> None:
    """Count one more (``delta`` 1) or one fewer (-1) case that took ``end - start``."""
    key = {"figure": figure, "tenths": tenths_of_a_day(start, end)}
    _counter_add(CaseDuration, key, {"cases": F("cases") + delta})


def figures_counts() -> dict[str, int]:
    """The counts, added up over their rows (one query)."""
    sums = CaseFigures.objects.aggregate(**{name: Sum(name) for name in COUNTS})
    return {name: int(sums[name] or 0) for name in COUNTS}


def figures_medians() -> dict[str, float | None]:
    """The median days to acknowledge and to close (None: no case yet), in one query
    over the duration counts: a running sum finds the one or two counts that hold the
    middle case(s). Its cost follows the number of distinct durations, not of cases."""
    table = connection.ops.quote_name(CaseDuration._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT figure, tenths, upto - cases, upto, total FROM ("  # noqa: S608 - a name
            " SELECT figure, tenths, cases,"
            "  SUM(cases) OVER (PARTITION BY figure ORDER BY tenths) AS upto,"
            "  SUM(cases) OVER (PARTITION BY figure) AS total"
            f" FROM {table} WHERE cases > 0) AS running"
            " WHERE upto >= (total + 1) / 2 AND upto - cases < total / 2 + 1"
        )
        rows = cursor.fetchall()
    medians: dict[str, float | None] = {ACKNOWLEDGE: None, CLOSE: None}
    for figure in medians:
        held = [row[1:] for row in rows if row[0] == figure]
        if not held:
            continue
        total = int(held[0][3])
        middle = [
            next(tenths for tenths, before, upto, _total in held if before < rank <= upto)
            for rank in ((total + 1) // 2, total // 2 + 1)
        ]
        medians[figure] = round(sum(middle) / 20, 1)
    return medians
