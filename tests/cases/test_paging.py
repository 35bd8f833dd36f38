"""The staff lists page by keyset and their figures come from the database: a page
costs the same queries for 3 cases as for 30, for a handler as for a head of ethics
who holds the keys to the cases below her."""

from __future__ import annotations

import datetime as dt
import re
import secrets

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ombud.access.models import CaseKeyGrant
from ombud.cases.models import Case, State
from ombud.deadlines.figures import figures_rebuild
from ombud.deadlines.models import Deadline
from tests.access.reports import against
from tests.access.test_vault import signed_in

pytestmark = pytest.mark.usefixtures("recovery_shares")

T0 = dt.datetime(2026, 11, 25, 10, 0, tzinfo=dt.UTC)


def refs_in(page: str) -> list[str]:
    return re.findall(r'<tr><td><a href="/cases/[^/"]+/">([^<]+)</a>', page)


def link(page: str, text: str) -> str | None:
    found = re.search(rf'href="\?([^"]*)">{text}</a>', page)
    return found.group(1).replace("&amp;", "&") if found else None


def copies(case: Case, count: int) -> list[Case]:
    """``count`` copies of ``case`` with their keys and deadlines, written at once (a
    list long enough to show that a page's cost does not follow it), around the
    services: the overview's counters are recounted after, as after a bulk load."""
    fields = {
        field.attname: getattr(case, field.attname)
        for field in Case._meta.concrete_fields
        if field.attname not in ("id", "public_id", "ref", "receipt_lookup")
    }
    made = Case.objects.bulk_create(
        [
            Case(**fields, public_id=secrets.token_hex(8), ref=f"OMB-T-{secrets.token_hex(4)}")
            for _ in range(count)
        ]
    )
    grants = list(CaseKeyGrant.objects.filter(case=case))
    CaseKeyGrant.objects.bulk_create(
        [
            CaseKeyGrant(
                case=copy,
                user_id=grant.user_id,
                sealed_case_key=grant.sealed_case_key,
                public_key=grant.public_key,
                mac=grant.mac,
            )
            for copy in made
            for grant in grants
        ]
    )
    deadlines = list(Deadline.objects.filter(case=case))
    Deadline.objects.bulk_create(
        [
            Deadline(
                case=copy,
                name=deadline.name,
                label=deadline.label,
                due_at=deadline.due_at,
                state=deadline.state,
            )
            for copy in made
            for deadline in deadlines
        ]
    )
    figures_rebuild()
    return made


def queries_for(client, url: str) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    sql = " ".join(query["sql"].upper() for query in captured.captured_queries)
    assert " OFFSET " not in sql
    return len(captured), response.content.decode()


def test_the_case_list_pages_in_its_order_and_the_next_page_keeps_the_filters(cast, monkeypatch):
    monkeypatch.setattr("ombud.web.cases.views.INBOX_PAGE", 2)
    made = []
    for hours in (0, 30, 5, 20, 10):  # received at different times: different deadlines
        with time_machine.travel(T0 + dt.timedelta(hours=hours), tick=False):
            made.append(against("C004"))
    Case.objects.filter(pk=made[3].pk).update(at_top=True)
    Case.objects.filter(pk=made[4].pk).update(state=State.CLOSED)  # filtered out below
    with time_machine.travel(T0 + dt.timedelta(days=40), tick=False):  # all overdue by then
        hana = signed_in(cast.handler)
        pages, query = [], "state=received"
        while True:
            page = hana.get("/cases/?" + query).content.decode()
            pages.append(refs_in(page))
            assert ("First page" in page) == (len(pages) > 1)
            following = link(page, "Next page")
            if following is None:
                break
            assert "state=received" in following
            query = following
    order = [made[3], made[0], made[2], made[1]]  # the top first, then by next deadline
    assert pages == [[order[0].ref, order[1].ref], [order[2].ref, order[3].ref]]


def test_a_mangled_page_key_shows_the_first_page(cast):
    case = against("C004")
    page = signed_in(cast.handler).get("/cases/", {"after": "1.x.'; DROP"}).content.decode()
    assert refs_in(page) == [case.ref]


# FEW_KEYS 10: the 3 cases are listed from their ids, the 30 from the list's index.
@pytest.mark.parametrize("few_keys", [1000, 10])
def test_the_case_list_costs_the_same_queries_for_3_cases_as_for_30(
    cast, story, monkeypatch, few_keys
):
    monkeypatch.setattr("ombud.access.selectors.FEW_KEYS", few_keys)
    first = against("C004")
    copies(first, 2)
    hana, head = signed_in(cast.handler), signed_in(story.head_of_ethics)
    hana.get("/cases/")
    head.get("/cases/")  # the sessions' first queries out of the way
    few_hana, page = queries_for(hana, "/cases/")
    few_head, held = queries_for(head, "/cases/")
    assert len(refs_in(page)) == 3
    assert held.count("Open early…") == 3  # held below her level: she holds their keys
    copies(first, 27)
    many_hana, page = queries_for(hana, "/cases/")
    many_head, held = queries_for(head, "/cases/")
    assert len(refs_in(page)) == 30 and held.count("Open early…") == 30
    assert (many_hana, many_head) == (few_hana, few_head)


def test_the_overview_costs_the_same_queries_for_3_cases_as_for_30(cast, story):
    first = against("C004")
    copies(first, 2)
    head = signed_in(story.head_of_ethics)
    head.get("/cases/overview/")
    few, page = queries_for(head, "/cases/overview/")
    assert "Open cases</dt><dd>3</dd>" in page
    # The session, the user and her roles, the mail notice…, and three for the figures:
    # the counters, their medians, the deadlines overdue now.
    assert few == 9
    copies(first, 27)
    many, page = queries_for(head, "/cases/overview/")
    assert "Open cases</dt><dd>30</dd>" in page
    assert many == few


@pytest.mark.parametrize(
    ("days", "median"), [((1, 2, 4, 10), "3"), ((1, 2.5, 9), "2.5"), ((0.25,), "0.2")]
)
def test_the_overview_gives_the_median_days_to_acknowledge_and_to_close(cast, story, days, median):
    first = against("C004")
    cases = [first, *copies(first, len(days) - 1)]
    for case, taken in zip(cases, days, strict=True):
        Case.objects.filter(pk=case.pk).update(
            acknowledged_at=case.created_at + dt.timedelta(days=taken),
            closed_at=case.created_at + dt.timedelta(days=2 * taken),
            state=State.CLOSED,
        )
    figures_rebuild()  # written around the services, as a bulk load does
    page = signed_in(story.head_of_ethics).get("/cases/overview/").content.decode()
    assert f"Median days to acknowledge</dt><dd>{median}</dd>" in page
    closed = {"3": "6", "2.5": "5", "0.2": "0.5"}[median]
    assert f"Median days to close</dt><dd>{closed}</dd>" in page


# With few keys the list starts from her cases' ids; with many, from the list's
# index (FEW_KEYS 1 makes the seven cases "many"): the same pages either way.
@pytest.mark.parametrize("few_keys", [1000, 1])
def test_the_pages_run_through_the_top_the_dated_and_the_undated_cases_in_order(
    cast, monkeypatch, few_keys
):
    monkeypatch.setattr("ombud.web.cases.views.INBOX_PAGE", 2)
    monkeypatch.setattr("ombud.access.selectors.FEW_KEYS", few_keys)
    made = []
    for hours in (0, 30, 5, 20, 10, 15, 25):
        with time_machine.travel(T0 + dt.timedelta(hours=hours), tick=False):
            made.append(against("C004"))
    Case.objects.filter(pk=made[1].pk).update(at_top=True)
    # No open deadline left: at the end, oldest first (one of them at the top, closed).
    for case in (made[2], made[4], made[6]):
        Deadline.objects.filter(case=case).update(state=Deadline.State.CANCELLED)
        Case.objects.filter(pk=case.pk).update(next_due=None, state=State.CLOSED)
    Case.objects.filter(pk=made[6].pk).update(at_top=True)
    hana = signed_in(cast.handler)
    pages, query = [], ""
    while True:
        page = hana.get("/cases/?" + query).content.decode()
        pages.append(refs_in(page))
        following = link(page, "Next page")
        if following is None:
            break
        query = following
    dated = sorted(
        [made[0], made[3], made[5]],
        key=lambda case: (
            Deadline.objects.filter(case=case, state=Deadline.State.OPEN)
            .order_by("due_at")
            .first()
            .due_at
        ),
    )
    order = [made[1], *dated, made[2], made[4], made[6]]
    assert [ref for page in pages for ref in page] == [case.ref for case in order]
    assert [len(page) for page in pages] == [2, 2, 2, 1]
