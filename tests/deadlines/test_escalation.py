"""Deadlines that escalate by themselves: the story of a report nobody acknowledges."""

from __future__ import annotations

import datetime as dt
import io

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client

from ombud.audit.models import AuditEntry
from ombud.cases.models import Case
from ombud.deadlines.models import Deadline, OutsideChannel
from ombud.deadlines.services import deadlines_sweep
from ombud.directory import roles
from ombud.operations.models import OutboxMessage
from ombud.operations.outbox import outbox_send
from tests.access.reports import against
from tests.conftest import make_staff
from tests.intake.test_api import receipt_header

UTC = dt.UTC
T0 = dt.datetime(2026, 11, 25, 10, 0, tzinfo=UTC)  # a Wednesday in Ireland


def sweep(at: dt.datetime) -> str:
    out = io.StringIO()
    call_command("deadlines_sweep", now=at.isoformat(), stdout=out)
    return out.getvalue()


def recipients(smtp) -> set[str]:
    return {address for rcpts, _message in smtp.messages for address in rcpts}


@pytest.mark.usefixtures("recovery_shares")
def test_a_report_nobody_acknowledges_climbs_every_level_and_the_reporter_sees_it(
    cast, story, smtp
):
    OutsideChannel.objects.create(
        name="Harbourside Labour Inspectorate", contact="0800 555 0199", position=1
    )
    counsel = make_staff("C045", "Ines Varga", roles.GENERAL_COUNSEL, "Legal")
    with time_machine.travel(T0, tick=False):
        response = Client().post(
            "/api/v1/reports",
            __import__("json").dumps(
                {
                    "category": "bullying",
                    "description": "My supervisor humiliates me in every shift briefing.",
                    "occurred_period": "since September",
                    "context": "office",
                    "accused": [{"employee_id": "C004"}],
                    "identity": {"mode": "anonymous"},
                }
            ),
            content_type="application/json",
        )
    receipt = response.json()["receipt"]
    case = Case.objects.get()
    assert case.level.role.code == roles.HANDLER
    acknowledge = Deadline.objects.get(case=case, name="acknowledge")
    assert acknowledge.due_at == dt.datetime(2026, 11, 27, 10, 0, tzinfo=UTC)  # 2 business days

    assert sweep(dt.datetime(2026, 11, 27, 9, 59, tzinfo=UTC)).startswith("0 deadline")
    # Each level gets two business days of its own, counted from its escalation.
    steps = [
        (dt.datetime(2026, 11, 27, 10, 1, tzinfo=UTC), roles.HEAD_OF_ETHICS, story.head_of_ethics),
        (dt.datetime(2026, 12, 1, 10, 2, tzinfo=UTC), roles.GENERAL_COUNSEL, counsel),
        (dt.datetime(2026, 12, 3, 10, 3, tzinfo=UTC), roles.BOARD_COMMITTEE, story.board[0]),
    ]
    for when, level, someone in steps:
        smtp.messages.clear()
        assert sweep(when).startswith("1 deadline")
        case.refresh_from_db()
        assert case.level.role.code == level
        assert someone.person.email in recipients(smtp)  # the new level is told
    # Celeste, the other general counsel, manages the accused's manager: she never
    # held the key and is never told.
    assert story.general_counsel.person.email not in recipients(smtp)
    # The board misses it too: the top of the ladder.
    smtp.messages.clear()
    assert sweep(dt.datetime(2026, 12, 8, 11, 0, tzinfo=UTC)).startswith("1 deadline")
    case.refresh_from_db()
    assert case.at_top and story.head_of_ethics.person.email in recipients(smtp)
    assert AuditEntry.objects.filter(action="deadlines.case.escalated").count() == 3
    assert AuditEntry.objects.filter(action="deadlines.case.top_reached").count() == 1

    reporter = Client()
    reporter.post("/report/status/", {"receipt": receipt})
    page = reporter.get("/report/status/").content.decode()
    assert page.count("because “Acknowledge the report” was missed") == 3
    assert "was missed at the top of the organisation" in page
    assert "Every level here has missed a deadline on your case." in page  # all four did
    assert "Harbourside Labour Inspectorate" in page and "0800 555 0199" in page
    api = Client().get("/api/v1/reporter/case", **receipt_header(receipt)).json()
    assert api["at_top"] is True
    assert [d["met"] for d in api["deadlines"] if d["name"] == "acknowledge"][:3] == [False] * 3
    # The e-mails name the case, never its content.
    assert all("humiliates" not in message for _rcpts, message in smtp.messages)
    assert all(case.ref in message for _rcpts, message in smtp.messages)


@pytest.mark.usefixtures("recovery_shares")
def test_acknowledging_in_time_meets_the_deadline_and_nothing_escalates(cast, story):
    from tests.access.test_vault import signed_in
    from tests.intake.helpers import staff_open

    with time_machine.travel(T0, tick=False):
        case = against("C004")
        hana = signed_in(cast.handler)
        staff_open(hana, case)
        hana.post(
            f"/cases/{case.public_id}/transition/",
            {"name": "acknowledge", "version": case.version, "message": "We have your report."},
        )
    acknowledge = Deadline.objects.get(case=case, name="acknowledge")
    assert acknowledge.state == "met"
    assert Deadline.objects.filter(case=case, name="triage", state="open").exists()
    assert deadlines_sweep(dt.datetime(2026, 11, 28, tzinfo=UTC)) == 0
    case.refresh_from_db()
    assert case.level.role.code == roles.HANDLER and case.state == "acknowledged"


@pytest.mark.usefixtures("recovery_shares")
def test_a_deadline_missed_while_ombud_was_down_escalates_once_at_the_next_sweep(cast, story):
    with time_machine.travel(T0, tick=False):
        case = against("C004")
    # Down for three weeks: the next sweep handles it once, then gives the new level
    # its own two business days from now.
    later = dt.datetime(2026, 12, 16, 8, 0, tzinfo=UTC)
    assert deadlines_sweep(later) == 1
    case.refresh_from_db()
    assert case.level.role.code == roles.HEAD_OF_ETHICS
    renewed = Deadline.objects.get(case=case, name="acknowledge", state="open")
    assert renewed.due_at == dt.datetime(2026, 12, 18, 8, 0, tzinfo=UTC)
    assert deadlines_sweep(later) == 0  # idempotent


SETUP = """
from ombud.access.recovery import recovery_key_create
from ombud.directory.models import Person
from ombud.directory.services import person_save, role_grant, user_create
from ombud.cases.report import Identity, Report
from ombud.intake.services import report_submit
recovery_key_create(actor="test", shares=3, threshold=2)
for name, role in (("hana", "handler"), ("sunniva", "head-of-ethics")):
    person = person_save(actor="test", person=Person(employee_id=name, name=name.title()))
    user = user_create(
        actor="test", username=name, password="correct horse battery", person=person
    )
    role_grant(actor="test", user=user, role=role)
for _ in range(20):
    report_submit(actor="reporter", report=Report(
        category="bullying", description="x", context="office", occurred_period="May",
        identity=Identity()))
print("ok")
"""
COUNT = "from ombud.audit.models import AuditEntry; " + (
    "print(AuditEntry.objects.filter(action='deadlines.case.escalated').count())"
)


@pytest.mark.slow
def test_two_sweeps_at_once_escalate_once(instance):
    """Two real `ombud deadlines sweep` processes on the same database, at once."""
    import subprocess

    from tests.conftest import OMBUD

    assert instance.python(SETUP) == "ok"
    later = (dt.datetime.now(UTC) + dt.timedelta(days=10)).isoformat()
    sweeps = [
        subprocess.Popen(
            [OMBUD, "deadlines", "sweep", "--now", later],
            env=instance.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [sweep.communicate(timeout=120) for sweep in sweeps]
    assert all(sweep.returncode == 0 for sweep in sweeps), outputs
    handled = sorted(int(out.split()[0]) for out, _err in outputs)
    # Each case's missed deadlines (acknowledge, at the intake team) are handled once
    # in all, whichever process claimed them.
    assert sum(handled) == 20
    assert instance.python(COUNT) == "20"


@pytest.mark.usefixtures("recovery_shares")
def test_mail_refused_for_an_hour_is_delivered_after(cast, story, smtp):
    smtp.refuse = True
    with time_machine.travel(T0, tick=False):
        against("C004")
    deadlines_sweep(dt.datetime(2026, 11, 27, 10, 1, tzinfo=UTC))
    waiting = OutboxMessage.objects.count()
    assert waiting >= 2  # the new level and the old one
    start = dt.datetime(2026, 11, 27, 10, 2, tzinfo=UTC)
    for minutes in (0, 1, 3, 7, 15, 31):
        assert outbox_send(start + dt.timedelta(minutes=minutes)) == 0
    failed = OutboxMessage.objects.filter(sent_at__isnull=True)
    assert failed.count() == waiting and "451" in failed.first().last_error
    smtp.refuse = False
    assert outbox_send(start + dt.timedelta(minutes=63)) == waiting
    assert len(smtp.messages) == waiting
    assert outbox_send(start + dt.timedelta(hours=3)) == 0  # each is sent once


@pytest.mark.usefixtures("recovery_shares")
def test_the_inbox_puts_overdue_cases_first_and_heads_see_the_figures(cast, story):
    from tests.access.test_vault import signed_in

    with time_machine.travel(T0, tick=False):
        first = against("C004")
    with time_machine.travel(T0 + dt.timedelta(days=1), tick=False):
        second = against("C004")
    with time_machine.travel(dt.datetime(2026, 11, 27, 12, 0, tzinfo=UTC), tick=False):
        inbox = signed_in(cast.handler).get("/cases/").content.decode()
        assert inbox.index(first.ref) < inbox.index(second.ref)
        assert inbox.count("Overdue") == 1  # the first is past its 2 business days
        figures = signed_in(story.head_of_ethics).get("/cases/overview/").content.decode()
        assert "Overdue now</dt><dd>1</dd>" in figures
    assert signed_in(cast.handler).get("/cases/overview/").status_code == 404


@pytest.mark.usefixtures("recovery_shares")
def test_administrators_see_mail_that_has_not_gone_out(cast, story, smtp):
    smtp.refuse = True
    with time_machine.travel(T0, tick=False):
        against("C004")
    deadlines_sweep(dt.datetime(2026, 11, 27, 10, 1, tzinfo=UTC))
    outbox_send(dt.datetime(2026, 11, 27, 10, 2, tzinfo=UTC))
    from tests.access.test_vault import signed_in

    page = signed_in(cast.administrator).get("/operations/outbox/").content.decode()
    assert "451" in page and "was escalated" in page
    assert signed_in(cast.handler).get("/operations/outbox/").status_code == 404


@pytest.mark.usefixtures("recovery_shares")
def test_a_named_reporter_who_opted_in_is_told_there_is_news_and_nothing_more(cast, story, smtp):
    from tests.access.test_vault import signed_in
    from tests.intake.helpers import staff_open
    from tests.intake.test_api import post, report

    address = "rhea.private@mail.example"
    post(
        "/api/v1/reports",
        report(
            accused=[{"employee_id": "C004"}],
            identity={"mode": "named", "name": "Rhea Solberg", "email": address},
            contact_ok=True,
        ),
    )
    case = Case.objects.get()
    assert address.encode() not in bytes(case.reporter_contact)
    hana = signed_in(cast.handler)
    staff_open(hana, case)
    hana.post(f"/cases/{case.public_id}/messages/", {"body": "Could we meet on Thursday?"})
    hana.post(f"/cases/{case.public_id}/messages/", {"body": "Or Friday?"})
    waiting = OutboxMessage.objects.get(key=f"reporter-news:{case.pk}")  # one, not two
    assert waiting.to == "" and address.encode() not in bytes(waiting.sealed_to)
    outbox_send()
    delivered = [(rcpts, message) for rcpts, message in smtp.messages if address in rcpts]
    assert len(delivered) == 1
    assert "There is news about the report you made" in delivered[0][1]
    assert "Thursday" not in delivered[0][1] and case.ref not in delivered[0][1]


@pytest.mark.usefixtures("recovery_shares")
def test_an_anonymous_reporter_gets_no_mail_at_all(cast, story):
    with time_machine.travel(T0, tick=False):
        case = against("C004")
    assert case.reporter_contact is None
    deadlines_sweep(dt.datetime(2026, 11, 27, 10, 1, tzinfo=UTC))
    assert not OutboxMessage.objects.filter(key__startswith="reporter-news").exists()


@pytest.mark.usefixtures("recovery_shares")
def test_under_the_eu_directive_feedback_is_due_three_months_after_acknowledging(cast, story):
    from ombud.deadlines.models import DeadlinePolicy, DeadlinePolicyUse
    from tests.access.test_vault import signed_in
    from tests.intake.helpers import staff_open

    DeadlinePolicyUse.objects.filter(category="").update(
        policy=DeadlinePolicy.objects.get(slug="eu-directive")
    )
    with time_machine.travel(T0, tick=False):
        case = against("C004")
    feedback = Deadline.objects.get(case=case, name="feedback")
    assert feedback.statutory
    assert feedback.due_at == dt.datetime(2027, 3, 2, 10, 0, tzinfo=UTC)  # 7 days + 3 months
    with time_machine.travel(T0 + dt.timedelta(days=2), tick=False):
        hana = signed_in(cast.handler)
        staff_open(hana, case)
        hana.post(
            f"/cases/{case.public_id}/transition/",
            {"name": "acknowledge", "version": case.version, "message": "Received."},
        )
    feedback.refresh_from_db()
    assert feedback.state == "open"  # the acknowledgement is not the feedback
    assert feedback.due_at == dt.datetime(2027, 2, 27, 10, 0, tzinfo=UTC)


@pytest.mark.usefixtures("recovery_shares")
def test_a_statutory_deadline_missed_is_not_restarted_by_the_escalation(cast, story):
    from ombud.deadlines.models import DeadlinePolicy, DeadlinePolicyUse

    DeadlinePolicyUse.objects.filter(category="").update(
        policy=DeadlinePolicy.objects.get(slug="eu-directive")
    )
    with time_machine.travel(T0, tick=False):
        case = against("C004")
    assert deadlines_sweep(dt.datetime(2026, 12, 3, tzinfo=UTC)) == 1
    case.refresh_from_db()
    assert case.level.role.code == roles.HEAD_OF_ETHICS
    assert not Deadline.objects.filter(case=case, name="acknowledge", state="open").exists()
    assert deadlines_sweep(dt.datetime(2026, 12, 20, tzinfo=UTC)) == 0
