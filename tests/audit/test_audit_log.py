from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone

from ombud.audit.models import AuditCheckpoint, AuditEntry, AuditHead, audit_day, chain_time
from ombud.audit.selectors import audit_verify
from ombud.audit.services import audit_batch, audit_checkpoint_daily, audit_record, public_key
from ombud.crypto import signing
from ombud.operations.worker import BackgroundWorker


def test_every_change_of_the_cast_is_one_linked_entry_numbered_without_gaps(cast):
    entries = list(AuditEntry.objects.order_by("seq"))
    assert [entry.seq for entry in entries] == list(range(1, len(entries) + 1))
    for before, after in zip(entries, entries[1:], strict=False):
        assert after.prev_hash == before.hash
    head = AuditHead.objects.get(pk=1)
    assert (head.seq, head.hash) == (entries[-1].seq, entries[-1].hash)
    assert audit_verify(public_key=public_key()).ok


def test_a_rolled_back_change_leaves_no_gap_in_the_numbers(db):
    audit_record(actor="test", action="first")

    class Abandoned(Exception):
        pass

    with pytest.raises(Abandoned), transaction.atomic():
        audit_record(actor="test", action="abandoned")
        raise Abandoned
    entry = audit_record(actor="test", action="second")
    assert entry.seq == 2
    assert list(AuditEntry.objects.values_list("action", flat=True)) == ["first", "second"]


def test_a_checkpoint_is_signed_every_n_entries(db, settings):
    settings.OMBUD_AUDIT_CHECKPOINT_INTERVAL = 3
    for number in range(7):
        audit_record(actor="test", action=f"step.{number}")
    checkpoints = list(AuditCheckpoint.objects.all())
    assert [c.seq for c in checkpoints] == [3, 6]
    for checkpoint in checkpoints:
        assert checkpoint.entry_hash == AuditEntry.objects.get(seq=checkpoint.seq).hash
        signing.verify(public_key(), checkpoint.message(), checkpoint.signature)
    assert audit_verify(public_key=public_key()).checkpoints == 2


def test_entries_written_together_chain_and_verify_like_entries_written_one_by_one(db, settings):
    settings.OMBUD_AUDIT_CHECKPOINT_INTERVAL = 4
    audit_record(actor="test", action="before")
    with transaction.atomic(), audit_batch():
        for number in range(6):  # a checkpoint falls inside the batch (entry 4)
            entry = audit_record(actor="test", action=f"batched.{number}", details={"n": number})
            assert entry._state.adding  # waits for the end of the batch
        assert AuditEntry.objects.count() == 1
    audit_record(actor="test", action="after")
    entries = list(AuditEntry.objects.order_by("seq"))
    assert [entry.action for entry in entries] == [
        "before",
        *(f"batched.{number}" for number in range(6)),
        "after",
    ]
    assert [entry.seq for entry in entries] == list(range(1, 9))
    assert entries[3].details == '{"n":2}'
    for before, after in zip(entries, entries[1:], strict=False):
        assert after.prev_hash == before.hash
        assert after.at >= before.at
    assert [c.seq for c in AuditCheckpoint.objects.all()] == [4, 8]
    assert AuditHead.objects.get(pk=1).hash == entries[-1].hash
    result = audit_verify(public_key=public_key())
    assert result.ok
    assert result.checkpoints == 2


def test_a_batch_keeps_no_entry_of_a_change_that_was_rolled_back(db):
    class Abandoned(Exception):
        pass

    with transaction.atomic(), audit_batch():
        audit_record(actor="test", action="kept")
        with pytest.raises(Abandoned), transaction.atomic():
            audit_record(actor="test", action="abandoned")
            raise Abandoned
        audit_record(actor="test", action="also kept")
    with pytest.raises(Abandoned), transaction.atomic(), audit_batch():
        audit_record(actor="test", action="never written")
        raise Abandoned
    assert list(AuditEntry.objects.values_list("action", flat=True)) == ["kept", "also kept"]
    assert audit_verify(public_key=public_key()).ok


def test_entry_details_never_change_shape_in_storage(db):
    entry = audit_record(actor="test", action="shape", details={"b": 2, "a": "Ünïcode"})
    entry.refresh_from_db()
    assert entry.details == '{"a":"Ünïcode","b":2}'
    assert audit_verify(public_key=public_key()).ok


def test_a_checkpoint_from_another_key_does_not_verify(db):
    audit_record(actor="test", action="one")
    with time_machine.travel(timezone.now() + dt.timedelta(days=1), tick=False):
        assert audit_checkpoint_daily() is not None
        result = audit_verify(public_key="00" * 32)
    assert not result.ok
    assert "signed by another key" in (result.problem or "")


def written(day: dt.date) -> str:
    """A day as the mails write it in English: "26 Nov 2026"."""
    return f"{day.day} {day:%b %Y}"


def first_day() -> dt.date:
    """The day (UTC) of the log's first entry: the cast's, written today."""
    return audit_day(AuditEntry.objects.get(seq=1).at)


def after_midnight(days: int = 1) -> dt.datetime:
    """Five seconds into the day ``days`` after the first entry's: the worker's first tick."""
    return dt.datetime.combine(
        first_day() + dt.timedelta(days=days), dt.time(0, 0, 5), tzinfo=dt.UTC
    )


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_daily_checkpoint_is_signed_once_a_day_and_mailed_to_the_auditors(cast, smtp, settings):
    settings.TIME_ZONE = "Asia/Shanghai"  # the mail gives the time there, and the UTC day
    head = AuditHead.objects.get(pk=1)  # the cast's entries, all written today
    today = first_day()
    with time_machine.travel(after_midnight(), tick=False):
        BackgroundWorker().tick()
        BackgroundWorker().tick()  # a second worker, or a second round: nothing new
    daily = AuditCheckpoint.objects.get(kind="daily")
    assert (daily.day, daily.seq, daily.late) == (today, head.seq, False)
    assert daily.entry_hash == head.hash
    assert len(smtp.messages) == 1
    recipients, message = smtp.messages[0]
    assert recipients == [cast.auditor.email]
    assert f"Subject: Ombud audit checkpoint for {written(today)}" in message
    assert f"Day (UTC): {written(today)}," in message
    signed = daily.at.astimezone(ZoneInfo("Asia/Shanghai"))
    assert signed.hour == 8
    assert f"Signed at: {written(signed)}, {signed:%H:%M} (exactly {chain_time(daily.at)})" in (
        message
    )
    assert daily.entry_hash in message
    assert f"ombud audit verify --expect {daily.seq}:{daily.entry_hash}" in message
    assert "Signed late" not in message

    with time_machine.travel(after_midnight(2), tick=False):
        BackgroundWorker().tick()
    assert AuditCheckpoint.objects.filter(kind="daily").count() == 2
    assert len(smtp.messages) == 2


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_days_the_worker_missed_are_mailed_once_saying_they_were_signed_late(cast, smtp):
    today = first_day()
    with time_machine.travel(after_midnight(3) + dt.timedelta(hours=8), tick=False):
        BackgroundWorker().tick()
    days = list(AuditCheckpoint.objects.filter(kind="daily").order_by("day"))
    assert [(c.day, c.late) for c in days] == [
        (today + dt.timedelta(days=n), True) for n in range(3)
    ]
    assert len(smtp.messages) == 1  # the newest: it vouches for every entry before it
    _recipients, message = smtp.messages[0]
    assert f"--expect {days[-1].seq}:{days[-1].entry_hash}" in message
    assert "Signed late" in message
    assert ", ".join(written(c.day) for c in days) in message


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_no_mail_is_attempted_when_mail_is_off(cast, mailoutbox, settings):
    settings.OMBUD_MAIL, settings.OMBUD_MAIL_CONFIGURED = "off", False
    with time_machine.travel(after_midnight(), tick=False):
        assert audit_checkpoint_daily() is not None
        BackgroundWorker().tick()
    assert AuditCheckpoint.objects.filter(kind="daily").count() == 1
    assert mailoutbox == []
