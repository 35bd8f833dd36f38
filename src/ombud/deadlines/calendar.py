"""Counting deadlines: calendar days, hours, months, and business days that follow
the organisation's country (public holidays, and weekends that are working days
where a country moves them, as China does) in its time zone."""

from __future__ import annotations

import calendar
import datetime as dt
import functools
import zoneinfo

import holidays


@functools.lru_cache(maxsize=16)
def _country(code: str) -> holidays.HolidayBase:
    return holidays.country_holidays(code)


def is_business_day(day: dt.date, country: str) -> bool:
    return bool(_country(country).is_working_day(day))


def add_business_days(start: dt.datetime, count: int, *, country: str, tz: str) -> dt.datetime:
    """The same local time ``count`` working days after ``start``'s local day."""
    local = start.astimezone(zoneinfo.ZoneInfo(tz))
    day = local.date()
    added = 0
    while added < count:
        day += dt.timedelta(days=1)
        if is_business_day(day, country):
            added += 1
    return local.replace(year=day.year, month=day.month, day=day.day).astimezone(dt.UTC)


def add_months(start: dt.datetime, months: int, *, tz: str) -> dt.datetime:
    local = start.astimezone(zoneinfo.ZoneInfo(tz))
    month = local.month - 1 + months
    year = local.year + month // 12
    month = month % 12 + 1
    day = min(local.day, calendar.monthrange(year, month)[1])
    return local.replace(year=year, month=month, day=day).astimezone(dt.UTC)


def window_end(start: dt.datetime, window: dict[str, int], *, country: str, tz: str) -> dt.datetime:
    """``start`` plus a policy window: {"business_days": 2}, {"days": 7},
    {"hours": 24} or {"months": 3}."""
    if not window or any(not isinstance(v, int) or v < 1 for v in window.values()):
        raise ValueError(f"a deadline window needs a positive length: {window!r}")
    if set(window) - {"business_days", "months", "hours", "days"}:
        raise ValueError(f"unknown unit in {window!r}")
    if "business_days" in window:
        return add_business_days(start, window["business_days"], country=country, tz=tz)
    if "months" in window:
        return add_months(start, window["months"], tz=tz)
    if "hours" in window:
        return start + dt.timedelta(hours=window["hours"])
    return start + dt.timedelta(days=window.get("days", 0))
