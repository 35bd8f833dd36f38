"""Business days follow the organisation's country and time zone."""

from __future__ import annotations

import datetime as dt

from ombud.deadlines.calendar import add_business_days, add_months, is_business_day, window_end

UTC = dt.UTC


def test_a_chinese_working_sunday_counts_as_a_business_day():
    assert is_business_day(dt.date(2025, 1, 26), "CN")  # a Sunday, worked before the new year
    assert not is_business_day(dt.date(2025, 1, 29), "CN")  # Spring Festival
    friday = dt.datetime(2025, 1, 24, 9, 0, tzinfo=UTC)
    # Saturday off, Sunday 26 worked: one business day after Friday is that Sunday.
    assert add_business_days(friday, 1, country="CN", tz="Asia/Shanghai").date() == dt.date(
        2025, 1, 26
    )


def test_irish_christmas_holidays_and_weekends_are_skipped():
    christmas_eve = dt.datetime(2026, 12, 24, 10, 0, tzinfo=UTC)
    due = add_business_days(christmas_eve, 2, country="IE", tz="Europe/Dublin")
    assert due == dt.datetime(2026, 12, 29, 10, 0, tzinfo=UTC)


def test_the_local_day_decides_not_the_utc_day():
    # 23:30 UTC on Friday is already Saturday in Shanghai.
    late = dt.datetime(2026, 3, 6, 23, 30, tzinfo=UTC)
    due = add_business_days(late, 1, country="CN", tz="Asia/Shanghai")
    assert due.astimezone(dt.timezone(dt.timedelta(hours=8))).date() == dt.date(2026, 3, 9)


def test_months_end_on_the_last_day_when_the_month_is_shorter():
    start = dt.datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
    assert add_months(start, 3, tz="UTC") == dt.datetime(2027, 2, 28, 12, 0, tzinfo=UTC)
    assert window_end(start, {"hours": 24}, country="IE", tz="UTC") == start + dt.timedelta(days=1)
