"""Dates are written one way per language (day, month, year; never the month first)
and in the organisation's time zone, on the reporter's and the staff's pages and in
what Ombud writes to people."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.template import Context, Template
from django.test import Client
from django.utils import timezone, translation
from django.utils.formats import date_format, get_format

from ombud.cases.models import Case
from ombud.deadlines.figures import figures_rebuild
from ombud.deadlines.models import Deadline
from tests.access.reports import against
from tests.access.test_vault import signed_in
from tests.intake.helpers import reporter_signed_in, staff_open
from tests.intake.test_api import post, report

SHANGHAI = "Asia/Shanghai"
AT = dt.datetime(2026, 11, 26, 6, 5, tzinfo=dt.UTC)  # 14:05 in Shanghai


def written(day: dt.date) -> str:
    """A day as an English page writes it: "26 Nov 2026"."""
    return f"{day.day} {day:%b %Y}"


def rendered(source: str, value: object) -> str:
    return Template(source).render(Context({"value": value}))


def test_english_dates_read_day_month_year_in_the_organisations_time_zone(settings):
    settings.TIME_ZONE = SHANGHAI
    with translation.override("en"):
        assert rendered('{{ value|date:"DATETIME_FORMAT" }}', AT) == "26 Nov 2026, 14:05"
        assert rendered('{{ value|date:"DATE_FORMAT" }}', AT) == "26 Nov 2026"
        assert rendered("{{ value|date }}", AT.date()) == "26 Nov 2026"
        assert rendered('{{ value|date:"SHORT_DATE_FORMAT" }}', AT) == "26 Nov 2026"
        assert rendered('{{ value|date:"SHORT_DATETIME_FORMAT" }}', AT) == "26 Nov 2026, 14:05"
        assert date_format(timezone.localtime(AT), "DATETIME_FORMAT") == "26 Nov 2026, 14:05"
        # Just after midnight in Shanghai is still the day before in UTC.
        late = dt.datetime(2026, 11, 30, 16, 30, tzinfo=dt.UTC)
        assert rendered('{{ value|date:"DATETIME_FORMAT" }}', late) == "1 Dec 2026, 00:30"


def test_chinese_dates_read_year_month_day_from_the_formats_module(settings):
    settings.TIME_ZONE = SHANGHAI
    # The language itself (its catalogue, LANGUAGES) comes separately: the formats
    # module alone decides how its dates read.
    with translation.override("zh-hans"):
        assert get_format("DATE_FORMAT") == "Y年n月j日"
        assert rendered('{{ value|date:"DATETIME_FORMAT" }}', AT) == "2026年11月26日 14:05"
        assert rendered('{{ value|date:"DATE_FORMAT" }}', AT) == "2026年11月26日"
        assert rendered("{{ value|date }}", AT.date()) == "2026年11月26日"
        assert date_format(timezone.localtime(AT), "SHORT_DATETIME_FORMAT") == (
            "2026年11月26日 14:05"
        )


@pytest.mark.usefixtures("recovery_shares")
def test_the_reporter_and_the_staff_read_the_same_dates_in_the_organisations_time(
    cast, story, settings
):
    settings.TIME_ZONE = SHANGHAI
    with time_machine.travel(AT, tick=False):
        answer = post("/api/v1/reports", report(occurred_on="2026-03-04")).json()
        case = Case.objects.get(ref=answer["case_ref"])
        status = reporter_signed_in(answer["receipt"]).get("/report/status/").content.decode()
        hana = signed_in(cast.handler)
        page = staff_open(hana, case).content.decode()
    assert "Received on 26 Nov 2026." in status
    assert "4 Mar 2026" in status  # when it happened, as she gave it
    first = Deadline.objects.filter(case=case).order_by("due_at").first()
    assert first is not None
    due = first.due_at.astimezone(ZoneInfo(SHANGHAI))
    assert f"by {written(due)}, {due:%H:%M}" in status
    assert "Came in on 26 Nov 2026, 14:05" in page
    assert f"Acknowledge by {written(case.acknowledge_by)}." in page
    assert "4 Mar 2026" in page
    for text in (status, page):
        assert "2026-11-26" not in text.replace('datetime="2026-11-26', "")  # ISO only for machines
        assert "Nov. 26" not in text and "p.m." not in text  # no US style left


@pytest.mark.usefixtures("recovery_shares")
def test_a_longer_deadline_is_told_to_the_reporter_with_the_date_written_out(cast, story, settings):
    settings.TIME_ZONE = SHANGHAI
    created = post("/api/v1/reports", report(accused=[{"employee_id": "C004"}])).json()
    case = Case.objects.get(ref=created["case_ref"])
    hana = signed_in(cast.handler)
    staff_open(hana, case)
    hana.post(
        f"/cases/{case.public_id}/extend/",
        {"deadline": "close", "days": "30", "reason": "A key witness is abroad."},
    )
    due = Deadline.objects.get(case=case, name="close").due_at.astimezone(ZoneInfo(SHANGHAI))
    mine = reporter_signed_in(created["receipt"]).get("/report/status/").content.decode()
    assert f"now runs until {written(due)}. Why: A key witness is abroad." in mine


@pytest.mark.usefixtures("recovery_shares")
def test_a_median_of_zero_days_shows_as_zero_and_none_yet_as_a_dash(cast, story):
    head = signed_in(story.head_of_ethics)
    empty = head.get("/cases/overview/").content.decode()
    assert "Median days to acknowledge</dt><dd>— (no case acknowledged yet)</dd>" in empty
    with time_machine.travel(AT, tick=False):
        case = against("C004")
        Case.objects.filter(pk=case.pk).update(acknowledged_at=case.created_at)
        figures_rebuild()  # written around the services: the overview's counters recounted
        figures = signed_in(story.head_of_ethics).get("/cases/overview/").content.decode()
    assert "Median days to acknowledge</dt><dd>0</dd>" in figures
    assert "Median days to close</dt><dd>— (no case closed yet)</dd>" in figures
    assert Client().get("/cases/overview/").status_code == 302
