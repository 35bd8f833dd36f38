"""The audit log reads as sentences, narrows by who, what, case and day (a plain GET
form that keeps what was chosen), and every case page links its auditors to the
case's own trail."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ombud.audit.models import AuditEntry
from ombud.audit.services import audit_record
from ombud.directory import roles
from ombud.directory.services import role_grant
from tests.access.reports import against
from tests.access.test_vault import signed_in
from tests.conftest import ACTOR
from tests.intake.helpers import staff_open

pytestmark = pytest.mark.usefixtures("recovery_shares")


def shown(page: str) -> list[int]:
    """The entry numbers the page lists."""
    body = page[page.index("<tbody>") : page.index("</tbody>")]
    return [int(seq) for seq in re.findall(r"<tr>\s*<td>(\d+)</td>", body)]


def case_entries(case) -> list[int]:
    return list(
        AuditEntry.objects.filter(object_type="cases.case", object_id=str(case.pk))
        .order_by("-seq")
        .values_list("seq", flat=True)
    )


def test_entries_read_as_sentences_with_names_and_never_the_case_content(cast, story):
    case = against("C004")
    hana = signed_in(cast.handler)
    staff_open(hana, case)
    page = signed_in(cast.auditor).get("/audit/").content.decode()
    link = f'<a href="/audit/?case={case.ref}">{case.ref}</a>'
    assert f"Hana Quill read the report of case {link} (as a member of its level)" in page
    assert f"The reporter sent a report, now case {link} (Sexual harassment; API; files: 0)" in (
        page
    )
    assert "test:setup gave Ada Okonkwo-Reyes the role Auditor" in page
    assert "commenting on my body" not in page  # the report's words are never in the log
    assert "recorded “" not in page  # every action here has its own sentence
    # The record itself is one click away: the action, the JSON, the full hashes.
    read = AuditEntry.objects.filter(action="cases.case.read").get()
    assert f"<code>{read.hash}</code>" in page and f"hash {read.hash[:12]}…" in page


def test_an_action_without_a_sentence_still_reads(cast):
    case = against("C004")
    audit_record(actor="system:worker", action="cases.evidence.sealed", details={"case": case.ref})
    audit_record(actor="cli:root", action="operations.backup.made", details={"size": 12})
    page = signed_in(cast.auditor).get("/audit/").content.decode()
    assert (
        "The background worker recorded “cases.evidence.sealed” on case "
        f'<a href="/audit/?case={case.ref}">{case.ref}</a>' in page
    )
    assert "root at the command line recorded “operations.backup.made”" in page


def test_the_filters_narrow_the_list_and_keep_what_was_chosen(cast, story):
    first = against("C004")
    second = against("C004")
    staff_open(signed_in(cast.handler), first)
    staff_open(signed_in(cast.unrelated_handler), first)
    staff_open(signed_in(cast.handler), second)
    auditor = signed_in(cast.auditor)
    everything = shown(auditor.get("/audit/").content.decode())
    assert len(everything) == 50  # a page

    page = auditor.get("/audit/", {"actor": "user:hana", "action": "cases.case.read"}).content
    page = page.decode()
    hana_reads = AuditEntry.objects.filter(actor="user:hana", action="cases.case.read")
    assert shown(page) == sorted(hana_reads.values_list("seq", flat=True), reverse=True)
    assert len(shown(page)) == 2
    assert '<option value="user:hana" selected>' in page
    assert '<option value="cases.case.read" selected>' in page

    group = shown(auditor.get("/audit/", {"action": "cases"}).content.decode())
    assert group and all(
        action.startswith("cases.")
        for action in AuditEntry.objects.filter(seq__in=group).values_list("action", flat=True)
    )

    # A reference as people type it: lower case, spaces.
    typed = f" {second.ref.lower()} "
    page = auditor.get("/audit/", {"case": typed}).content.decode()
    assert shown(page) == case_entries(second)
    assert first.ref not in page
    assert f'value="{typed}"' in page  # kept as typed
    assert f"Audit trail of case {second.ref}" in page

    both = auditor.get("/audit/", {"case": first.ref, "actor": "user:emil"}).content.decode()
    assert shown(both) == [
        seq for seq in case_entries(first) if AuditEntry.objects.get(seq=seq).actor == "user:emil"
    ]
    assert len(shown(both)) == 2  # he confirmed he has no conflict, then read it
    assert "Emil Brask read the report" in both and "Hana Quill" not in both.split("<tbody>")[1]


def test_days_are_the_organisations_and_both_ends_are_included(cast, settings):
    settings.TIME_ZONE = "Asia/Shanghai"
    # 23:30 on the 10th and 01:00 on the 11th in Shanghai, both the 10th in UTC.
    with time_machine.travel(dt.datetime(2027, 3, 10, 15, 30, tzinfo=dt.UTC), tick=False):
        late = audit_record(actor="system:worker", action="audit.exported")
    with time_machine.travel(dt.datetime(2027, 3, 10, 17, 0, tzinfo=dt.UTC), tick=False):
        next_day = audit_record(actor="system:worker", action="audit.exported")
    auditor = signed_in(cast.auditor)
    on_10th = auditor.get("/audit/", {"since": "2027-03-10", "until": "2027-03-10"}).content
    assert shown(on_10th.decode()) == [late.seq]
    assert on_10th.decode().count('value="2027-03-10"') == 2  # both dates kept
    on_11th = auditor.get("/audit/", {"since": "2027-03-11"}).content.decode()
    assert shown(on_11th) == [next_day.seq]
    assert "11 Mar 2027, 01:00" in on_11th  # shown in the organisation's time too


def test_a_filter_that_cannot_apply_says_why_and_keeps_what_was_typed(cast):
    auditor = signed_in(cast.auditor)
    response = auditor.get(
        "/audit/", {"case": "OMB-1999-000042", "since": "2026-11-27", "until": "2026-11-26"}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "No case has the reference OMB-1999-000042." in page
    assert "The last day comes before the first." in page
    assert 'value="OMB-1999-000042"' in page and 'value="2026-11-27"' in page
    assert "<tbody>" not in page  # no list that looks filtered but is not
    chosen = auditor.get("/audit/", {"action": "cases.case.deleted"})
    assert chosen.status_code == 400 and "Select a valid choice" in chosen.content.decode()


@pytest.mark.parametrize("days", [{"until": "9999-12-31"}, {"since": "0001-01-01"}])
def test_a_day_at_the_end_of_the_calendar_is_refused_with_a_reason_not_an_error(cast, days):
    response = signed_in(cast.auditor).get("/audit/", days)
    assert response.status_code == 400
    assert "Give a day between the years 2000 and 9000." in response.content.decode()


def test_paging_keeps_the_filter(cast, story):
    for _ in range(6):
        case = against("C004")
    auditor = signed_in(cast.auditor)
    page = auditor.get("/audit/", {"actor": "reporter"}).content.decode()
    assert "Newer entries" not in page
    older = re.search(r'href="\?([^"]*)">Older entries</a>', page)
    assert older is not None
    assert "actor=reporter" in older.group(1)
    second = auditor.get("/audit/?" + older.group(1).replace("&amp;", "&")).content.decode()
    reporter_seqs = list(
        AuditEntry.objects.filter(actor="reporter").order_by("-seq").values_list("seq", flat=True)
    )
    assert shown(page) == reporter_seqs[:50]
    assert shown(second) == reporter_seqs[50:100]
    newer = re.search(r'href="\?([^"]*)">Newer entries</a>', second)
    assert newer is not None and "actor=reporter" in newer.group(1)
    back = auditor.get("/audit/?" + newer.group(1).replace("&amp;", "&")).content.decode()
    assert shown(back) == reporter_seqs[:50]
    assert case.ref  # the last report is on the first page


def test_the_last_page_of_the_log_costs_what_the_first_does_and_says_no_more(cast, story):
    for _ in range(3):
        against("C004")
    auditor = signed_in(cast.auditor)
    auditor.get("/audit/")  # the session's first queries out of the way

    def page_at(query: dict[str, str]) -> tuple[list[str], str]:
        with CaptureQueriesContext(connection) as captured:
            page = auditor.get("/audit/", query).content.decode()
        return [query["sql"].upper() for query in captured.captured_queries], page

    first_cost, first = page_at({})
    oldest = AuditEntry.objects.order_by("seq").values_list("seq", flat=True)[:3]
    last_cost, last = page_at({"before": str(oldest[2])})
    assert shown(last) == list(reversed(oldest[:2]))
    assert "Older entries" not in last and "Newer entries" in last
    assert len(last_cost) <= len(first_cost)  # the same queries, less to describe
    assert not [sql for sql in first_cost + last_cost if "COUNT(" in sql or "OFFSET" in sql]


def test_a_page_of_entries_costs_the_same_queries_however_many_it_holds(cast, story):
    case = against("C004")
    staff_open(signed_in(cast.handler), case)
    auditor = signed_in(cast.auditor)

    def queries() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as captured:
            page = auditor.get("/audit/", {"action": "cases.case.read"}).content.decode()
        return len(captured), len(shown(page))

    auditor.get("/audit/")  # the session's first queries out of the way
    one, shown_then = queries()
    for reader in (cast.unrelated_handler, cast.handler, cast.unrelated_handler):
        staff_open(signed_in(reader), case)
    many, shown_now = queries()
    assert (shown_then, shown_now) == (1, 4)
    assert many == one


def test_auditors_find_a_link_to_the_cases_own_trail_on_its_page(cast, story):
    case = against("C004")
    other = against("C004")
    role_grant(actor=ACTOR, user=cast.handler, role=roles.AUDITOR)  # Hana also audits
    hana = signed_in(cast.handler)
    staff_open(hana, other)
    page = staff_open(hana, case).content.decode()
    link = f'<a href="/audit/?case={case.ref}">Audit trail of this case</a>'
    assert link in page
    trail = hana.get(f"/audit/?case={case.ref}").content.decode()
    assert shown(trail) == case_entries(case)
    assert other.ref not in trail


def test_a_case_reader_who_is_not_an_auditor_sees_no_link_and_no_log(cast, story):
    case = against("C004")
    hana = signed_in(cast.handler)
    page = staff_open(hana, case).content.decode()
    assert "Audit trail of this case" not in page and "/audit/" not in page
    assert hana.get(f"/audit/?case={case.ref}").status_code == 404
