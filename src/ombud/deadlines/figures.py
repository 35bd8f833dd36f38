"""Recount the overview's figures (``ombud.cases.figures``) from the tables: after a
bulk load that wrote cases and deadlines around the services (bench/generate.py),
and in the migration that made the counters. Here because it counts deadlines too."""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.apps import apps as installed_apps
from django.db import connections, router, transaction
from django.db.models import Count, Q

from ombud.cases.figures import SLOTS, tenths_of_a_day


def figures_rebuild(apps: Any = installed_apps, using: str | None = None) -> None:
    """Every counter recounted, in one transaction. ``apps``: a migration's
    historical models, ``using`` its database. The counters' rows are locked first
    (durations, then the figures, in the services' order): a change made meanwhile
    waits and is added to the recount, rather than lost."""
    case_model = apps.get_model("cases", "Case")
    deadline_model = apps.get_model("deadlines", "Deadline")
    figures_model = apps.get_model("cases", "CaseFigures")
    duration_model = apps.get_model("cases", "CaseDuration")
    alias = using or router.db_for_write(figures_model)
    connection = connections[alias]
    with transaction.atomic(using=alias):
        list(duration_model.objects.using(alias).select_for_update().values_list("pk"))
        list(figures_model.objects.using(alias).select_for_update().values_list("pk"))
        deadlines = deadline_model.objects.using(alias).aggregate(
            met=Count("pk", filter=Q(state="met")), missed=Count("pk", filter=Q(state="missed"))
        )
        cases = (
            case_model.objects.using(alias)
            .exclude(state="closed")
            .aggregate(open_cases=Count("pk"), at_top=Count("pk", filter=Q(at_top=True)))
        )
        figures_model.objects.using(alias).all().delete()
        # The totals on the first row; every row made now, so that no service
        # has to make one.
        figures_model.objects.using(alias).bulk_create(
            [
                figures_model(
                    slot=0,
                    open_cases=cases["open_cases"],
                    at_top=cases["at_top"],
                    deadlines_met=deadlines["met"],
                    deadlines_missed=deadlines["missed"],
                ),
                *(figures_model(slot=slot) for slot in range(1, SLOTS)),
            ]
        )
        duration_model.objects.using(alias).all().delete()
        for figure, end in (("acknowledge", "acknowledged_at"), ("close", "closed_at")):
            _durations_recount(connection, case_model, duration_model, figure, end)


def _durations_recount(
    connection: Any, case_model: Any, duration_model: Any, figure: str, end: str
) -> None:
    """The duration counts of ``figure`` from every case's dates, rounded as
    ``ombud.cases.figures.tenths_of_a_day`` rounds them (a half to even)."""
    if connection.vendor == "postgresql":
        quote = connection.ops.quote_name
        table, durations = quote(case_model._meta.db_table), quote(duration_model._meta.db_table)
        # round() of a double rounds a half to even, as Python does.
        tenths = f"ROUND(EXTRACT(EPOCH FROM ({end} - created_at))::float8 / 8640)::int"
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {durations} (figure, tenths, cases) "  # noqa: S608 - names
                f"SELECT %s, {tenths}, COUNT(*) FROM {table} "
                f"WHERE {end} IS NOT NULL GROUP BY 2",
                [figure],
            )
        return
    # SQLite's dates are text and its julianday() a float: a half could fall either
    # way. Counted here with the services' own rounding instead.
    counts: Counter[int] = Counter()
    dates = (
        case_model.objects.using(connection.alias)
        .filter(**{f"{end}__isnull": False})
        .values_list("created_at", end)
    )
    for start, stop in dates.iterator(chunk_size=10_000):
        counts[tenths_of_a_day(start, stop)] += 1
    duration_model.objects.using(connection.alias).bulk_create(
        [duration_model(figure=figure, tenths=tenths, cases=n) for tenths, n in counts.items()],
        batch_size=1000,
    )
