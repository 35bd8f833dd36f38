"""The overview's figures come from counters kept by the services in the transaction
of each change: after real reports, acknowledgements, escalations by the sweep, an
extension, closings and a reopening, the counters equal a fresh recount, and the page
shows what counting every case and deadline (the page before the counters) shows."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.db.models import Count, Q
from django.db.models.expressions import RawSQL
from django.template.loader import render_to_string

from ombud.cases.figures import figures_counts, figures_medians
from ombud.cases.models import Case, CaseDuration, State
from ombud.cases.workflow import case_transition
from ombud.deadlines.figures import figures_rebuild
from ombud.deadlines.models import Deadline
from ombud.deadlines.selectors import deadline_figures
from ombud.deadlines.services import deadlines_sweep
from tests.access.reports import against
from tests.access.test_vault import signed_in
from tests.intake.helpers import case_key_of, staff_open

pytestmark = pytest.mark.usefixtures("recovery_shares")

T0 = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)  # a Monday
TENTH = dt.timedelta(hours=2.4)  # a tenth of a day


def _median_days_counted(field: str) -> float | None:
    """The overview's median before the counters (its code as it was): the median of
    every case's duration, in the database."""
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


def figures_counted(now: dt.datetime) -> dict[str, Any]:
    """The overview's figures as the page computed them before the counters."""
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
        "median_days_to_acknowledge": _median_days_counted("acknowledged_at"),
        "median_days_to_close": _median_days_counted("closed_at"),
    }


def counters() -> tuple[dict[str, int], dict[str, float | None], list[tuple[str, int, int]]]:
    durations = CaseDuration.objects.filter(cases__gt=0).order_by("figure", "tenths")
    return (
        figures_counts(),
        figures_medians(),
        list(durations.values_list("figure", "tenths", "cases")),
    )


def figures_shown(page: str) -> str:
    found = re.search(r'<dl class="report">.*?</dl>', page, re.S)
    assert found is not None
    return found.group(0)


def move(user, case: Case, name: str, at: dt.datetime, **fields: str) -> None:
    """The transition made on the case's page at ``at``, signed in then."""
    case.refresh_from_db()
    with time_machine.travel(at, tick=False):
        client = signed_in(user)
        response = client.post(
            f"/cases/{case.public_id}/transition/",
            {"name": name, "version": str(case.version), **fields},
        )
    assert response.status_code == 302, response
    assert Case.objects.get(pk=case.pk).version == case.version + 1  # it moved


def test_the_counters_follow_real_operations_and_match_a_recount_and_the_old_page(cast, story):
    empty = signed_in(story.head_of_ethics).get("/cases/overview/").content.decode()
    assert "— (no case acknowledged yet)" in empty and "— (no case closed yet)" in empty

    made = []
    for hours in range(5):
        with time_machine.travel(T0 + dt.timedelta(hours=hours), tick=False):
            made.append(against("C004"))
    a, b, c, d, e = made
    hana = signed_in(cast.handler)
    for case in made:
        staff_open(hana, case)
    # Acknowledged after 1.1, 0.9, 1.5 and 0.4 days (2.4 hours a tenth); d is left to miss.
    for case, tenths in ((a, 11), (b, 9), (c, 15), (e, 4)):
        move(
            cast.handler, case, "acknowledge", case.created_at + tenths * TENTH, message="Received."
        )
    counted = figures_counted(T0 + dt.timedelta(days=3))
    assert counted["median_days_to_acknowledge"] == 1.0  # (0.9 + 1.1) / 2
    assert counted["median_days_to_close"] is None

    # d misses its acknowledgement: the sweep escalates it, then on to the top.
    assert deadlines_sweep(T0 + dt.timedelta(days=4)) >= 1
    with time_machine.travel(T0 + dt.timedelta(days=4, hours=1), tick=False):
        extended = signed_in(cast.handler).post(
            f"/cases/{c.public_id}/extend/",
            {"deadline": "close", "days": "30", "reason": "A key witness is abroad until March."},
        )
    assert extended.status_code == 302
    move(cast.handler, a, "close", a.created_at + 52 * TENTH, outcome="resolved", reason="Settled.")
    move(cast.handler, b, "close", b.created_at + 37 * TENTH, outcome="resolved", reason="Settled.")
    move(cast.handler, a, "reopen", a.created_at + 60 * TENTH, reason="The behaviour came back.")
    move(cast.handler, c, "close", c.created_at + 81 * TENTH, outcome="other", reason="Done.")
    far = dt.datetime(2028, 1, 10, 9, 0, tzinfo=dt.UTC)
    while deadlines_sweep(far):
        pass  # every open deadline missed, every open case up to the top
    a.refresh_from_db()
    d.refresh_from_db()
    assert a.at_top and d.at_top and a.state == State.ACKNOWLEDGED
    # A case closed at the top of the ladder leaves the "at the top" figure.
    with time_machine.travel(a.created_at + 401 * TENTH, tick=False):
        case_transition(
            actor=story.head_of_ethics,
            case=a,
            name="close",
            version=a.version,
            permission="level",
            case_key=case_key_of(a, cast.handler),
            outcome="other",
            reason="Closed at the top.",
        )
    move(cast.handler, b, "reopen", b.created_at + 90 * TENTH, reason="New information.")

    now = far + dt.timedelta(days=1)
    counted = figures_counted(now)
    assert counted["at_top"] >= 1 and counted["missed"] >= 2 and counted["met"] >= 4
    assert counted["median_days_to_close"] == 24.1  # c's 8.1 and a's 40.1 days
    kept = counters()
    figures_rebuild()
    assert counters() == kept  # the counters equal a fresh recount
    assert deadline_figures(now) == counted
    with time_machine.travel(now, tick=False):
        response = signed_in(story.head_of_ethics).get("/cases/overview/")
        before = render_to_string(
            "cases/overview.html", {"figures": counted}, request=response.wsgi_request
        )
    assert figures_shown(response.content.decode()) == figures_shown(before)


def test_a_recount_after_writing_around_the_services_gives_the_same_figures(cast, story):
    with time_machine.travel(T0, tick=False):
        case = against("C004")
    Case.objects.filter(pk=case.pk).update(
        acknowledged_at=T0 + dt.timedelta(hours=30), state=State.CLOSED, closed_at=T0 + 33 * TENTH
    )
    assert figures_counts()["open_cases"] == 1  # written around the services: not counted
    figures_rebuild()
    now = T0 + dt.timedelta(days=5)
    assert deadline_figures(now) == figures_counted(now)
    assert figures_counts()["open_cases"] == 0
