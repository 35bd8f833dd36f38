"""An operator with write access to the database (not the server's signing key)
tries to hide what the audit log recorded; `audit_verify` must notice.

The log here spans a few days of March 2027: entries are written at 10:00 UTC
and the worker signs each day's checkpoint shortly after midnight.
"""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from ombud.audit.models import AuditCheckpoint, AuditEntry, AuditHead
from ombud.audit.selectors import Verification, audit_verify
from ombud.audit.services import audit_checkpoint_daily, audit_record, public_key
from ombud.crypto import chain

MARCH = [dt.date(2027, 3, day) for day in range(1, 8)]


def at(day: dt.date, hour: int = 10, minute: int = 0, second: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=dt.UTC)


def record(moment: dt.datetime, count: int) -> None:
    with time_machine.travel(moment, tick=False):
        for _ in range(count):
            audit_record(actor="test", action=f"step.{AuditHead.objects.get().seq + 1}")


def worker_tick(moment: dt.datetime) -> None:
    """The worker's audit duty in one of its rounds. (The whole round closes the
    database connection, which a test inside a transaction cannot have: the mail
    tests in test_audit_log.py run whole rounds.)"""
    with time_machine.travel(moment, tick=False):
        audit_checkpoint_daily()


def verify(moment: dt.datetime, expect: dict[int, str] | None = None) -> Verification:
    with time_machine.travel(moment, tick=False):
        return audit_verify(public_key=public_key(), expect=expect)


def three_days() -> None:
    """Entries 1-3 on 1 March, 4-6 on 2 March, 7-8 on 3 March; days 1 and 2 signed."""
    record(at(MARCH[0]), 3)
    worker_tick(at(MARCH[1], 0, 0, 5))
    record(at(MARCH[1]), 3)
    worker_tick(at(MARCH[2], 0, 0, 5))
    record(at(MARCH[2]), 2)


# What the operator can do with write access to the database.


def rewrite(seq: int, **changes: str) -> None:
    """Change entry ``seq``, then recompute its hash, every later one and the head's."""
    previous = AuditEntry.objects.get(seq=seq - 1).hash if seq > 1 else chain.GENESIS
    for entry in AuditEntry.objects.filter(seq__gte=seq).order_by("seq"):
        if entry.seq == seq:
            for name, value in changes.items():
                setattr(entry, name, value)
        entry.prev_hash = previous
        fields = entry.as_chain_entry()
        entry.hash = chain.entry_hash(
            seq=fields.seq,
            at=fields.at,
            actor_id=fields.actor_id,
            actor=fields.actor,
            action=fields.action,
            object_type=fields.object_type,
            object_id=fields.object_id,
            details=fields.details,
            prev_hash=previous,
        )
        entry.save()
        previous = entry.hash
    AuditHead.objects.filter(pk=1).update(hash=previous)


def truncate(*, keep: int) -> None:
    """Delete every entry after ``keep`` and rewind the head to it."""
    AuditEntry.objects.filter(seq__gt=keep).delete()
    AuditHead.objects.filter(pk=1).update(seq=keep, hash=AuditEntry.objects.get(seq=keep).hash)


def test_an_untouched_log_of_several_days_verifies_with_every_day_signed_on_time(db):
    three_days()
    result = verify(at(MARCH[2], 12))
    assert result.ok, result.problem
    assert result.entries == 8
    assert result.late_days == ()
    days = AuditCheckpoint.objects.filter(kind="daily").order_by("day")
    assert [(c.day, c.seq, c.late) for c in days] == [(MARCH[0], 3, False), (MARCH[1], 6, False)]


def test_an_operator_who_deletes_the_last_entries_and_rewinds_the_head_is_caught_by_the_checkpoint_past_it(  # noqa: E501
    db, settings
):
    settings.OMBUD_AUDIT_CHECKPOINT_INTERVAL = 3
    record(at(MARCH[0]), 7)
    truncate(keep=4)  # entries 5 to 7 go; the signed checkpoint at 6 stays
    result = verify(at(MARCH[0], 12))
    assert not result.ok
    assert result.seq == 6
    assert "the signed interval checkpoint at entry 6 lies past the end of the log" in (
        result.problem or ""
    )


def test_an_operator_who_deletes_yesterdays_last_entries_is_caught_by_the_daily_checkpoint(db):
    three_days()
    truncate(keep=5)  # the rest of 2 March and all of 3 March
    result = verify(at(MARCH[2], 12))
    assert not result.ok
    assert result.seq == 6
    assert "the signed daily checkpoint at entry 6 lies past the end of the log" in (
        result.problem or ""
    )


def test_an_operator_who_rewinds_the_head_but_keeps_the_entries_is_caught(db):
    record(at(MARCH[0]), 5)
    AuditHead.objects.filter(pk=1).update(seq=3, hash=AuditEntry.objects.get(seq=3).hash)
    result = verify(at(MARCH[0], 12))
    assert not result.ok
    assert "entry 4 lies past the end of the log" in (result.problem or "")


def test_an_operator_who_rewrites_an_entry_recomputes_every_later_hash_and_deletes_every_checkpoint_is_caught(  # noqa: E501
    db,
):
    three_days()
    rewrite(2, details='{"case":"nothing to see"}')
    AuditCheckpoint.objects.all().delete()
    result = verify(at(MARCH[2], 12))
    assert not result.ok
    assert result.seq is None
    assert result.problem == (
        "the daily checkpoint for 2027-03-01 is missing: every day from the first entry's "
        "to the last that ended must have one"
    )


def test_the_same_rewrite_within_one_day_is_caught_by_the_missing_interval_checkpoint(db, settings):
    settings.OMBUD_AUDIT_CHECKPOINT_INTERVAL = 3
    record(at(MARCH[0]), 7)
    rewrite(2, actor="someone else")
    AuditCheckpoint.objects.all().delete()
    result = verify(at(MARCH[0], 12))
    assert not result.ok
    assert result.seq == 3
    assert result.problem == (
        "the signed checkpoint at entry 3 is missing (one is due every 3 entries)"
    )


@pytest.mark.parametrize("deleted", [3, 6, 9])
def test_an_operator_who_deletes_one_interval_checkpoint_is_caught(db, settings, deleted):
    settings.OMBUD_AUDIT_CHECKPOINT_INTERVAL = 3
    record(at(MARCH[0]), 10)
    AuditCheckpoint.objects.filter(seq=deleted).delete()
    result = verify(at(MARCH[0], 12))
    assert not result.ok
    assert result.seq == deleted
    assert (result.problem or "").startswith(f"the signed checkpoint at entry {deleted} is missing")


def test_an_operator_who_deletes_one_days_checkpoint_is_caught(db):
    three_days()
    AuditCheckpoint.objects.filter(kind="daily", day=MARCH[0]).delete()
    result = verify(at(MARCH[2], 12))
    assert not result.ok
    assert "the daily checkpoint for 2027-03-01 is missing" in (result.problem or "")


def test_a_checkpoint_moved_to_another_day_no_longer_verifies(db):
    three_days()
    AuditCheckpoint.objects.filter(kind="daily", day=MARCH[1]).delete()
    AuditCheckpoint.objects.filter(kind="daily", day=MARCH[0]).update(day=MARCH[1])
    result = verify(at(MARCH[2], 12))
    assert not result.ok
    assert "bad signature" in (result.problem or "")


def test_a_late_mark_removed_from_a_checkpoint_no_longer_verifies(db):
    record(at(MARCH[0]), 2)
    worker_tick(at(MARCH[2], 9))
    assert AuditCheckpoint.objects.filter(late=True).count() == 2
    AuditCheckpoint.objects.update(late=False)
    assert "bad signature" in (verify(at(MARCH[2], 12)).problem or "")


def test_the_daily_checkpoint_seals_the_day_that_ended_and_not_what_came_after_midnight(db):
    record(at(MARCH[0], 23, 59, 59), 2)
    record(at(MARCH[1], 0, 0, 1), 1)  # written before the worker's first tick of the day
    worker_tick(at(MARCH[1], 0, 0, 5))
    daily = AuditCheckpoint.objects.get(kind="daily")
    assert (daily.day, daily.seq, daily.late) == (MARCH[0], 2, False)
    assert daily.entry_hash == AuditEntry.objects.get(seq=2).hash
    worker_tick(at(MARCH[1], 0, 0, 10))  # the next tick: nothing new
    assert AuditCheckpoint.objects.filter(kind="daily").count() == 1


def test_verification_gives_the_worker_an_hour_after_midnight_before_a_day_is_missing(db):
    record(at(MARCH[0]), 2)
    assert verify(at(MARCH[1], 0, 30)).ok
    late = verify(at(MARCH[1], 1, 0, 1))
    assert not late.ok
    assert "the daily checkpoint for 2027-03-01 is missing" in (late.problem or "")


def test_the_worker_fills_in_the_days_it_missed_while_down_marking_them_late(db):
    record(at(MARCH[0]), 3)
    worker_tick(at(MARCH[1], 0, 0, 5))
    # The worker stops; the web goes on writing for two days.
    record(at(MARCH[1]), 2)
    record(at(MARCH[2]), 2)
    stopped = verify(at(MARCH[3], 8))
    assert not stopped.ok
    assert "the daily checkpoint for 2027-03-02 is missing" in (stopped.problem or "")

    worker_tick(at(MARCH[3], 9))  # back, nine hours after 3 March ended
    days = AuditCheckpoint.objects.filter(kind="daily").order_by("day")
    assert [(c.day, c.seq, c.late) for c in days] == [
        (MARCH[0], 3, False),
        (MARCH[1], 5, True),
        (MARCH[2], 7, True),
    ]
    for checkpoint in days:
        assert checkpoint.entry_hash == AuditEntry.objects.get(seq=checkpoint.seq).hash
    assert [c.at for c in days if c.late] == [at(MARCH[3], 9)] * 2
    result = verify(at(MARCH[3], 10))
    assert result.ok, result.problem
    assert result.late_days == (MARCH[1], MARCH[2])

    # Back on its rhythm, the next day is on time, and days without entries are signed too.
    worker_tick(at(MARCH[4], 0, 0, 5))
    assert AuditCheckpoint.objects.get(day=MARCH[3]).late is False
    assert AuditCheckpoint.objects.get(day=MARCH[3]).seq == 7


def test_days_without_entries_are_sealed_with_the_last_entry_before_them(db):
    record(at(MARCH[0], 23, 59, 59), 2)
    record(at(MARCH[3], 0, 0, 0), 3)  # midnight itself belongs to the new day
    record(at(MARCH[4]), 1)
    worker_tick(at(MARCH[5], 0, 0, 5))  # the worker's first round ever
    days = AuditCheckpoint.objects.filter(kind="daily").order_by("day")
    assert [(c.day, c.seq, c.late) for c in days] == [
        (MARCH[0], 2, True),
        (MARCH[1], 2, True),
        (MARCH[2], 2, True),
        (MARCH[3], 5, True),
        (MARCH[4], 6, False),
    ]
    assert verify(at(MARCH[5], 2)).ok


def test_a_deleted_checkpoint_of_the_last_day_is_signed_again_only_late_and_the_mailed_hash_catches_the_rewrite(  # noqa: E501
    db,
):
    three_days()
    worker_tick(at(MARCH[3], 0, 0, 5))
    mailed = AuditCheckpoint.objects.get(day=MARCH[2])  # the copy the auditors received
    # The operator rewrites 3 March and deletes its checkpoint; the worker signs it again.
    rewrite(8, action="nothing.happened")
    mailed_hash = mailed.entry_hash
    AuditCheckpoint.objects.filter(day=MARCH[2]).delete()
    worker_tick(at(MARCH[3], 2))
    result = verify(at(MARCH[3], 3))
    assert result.ok  # the database alone cannot tell…
    assert result.late_days == (MARCH[2],)  # …but names the day signed late
    caught = verify(at(MARCH[3], 3), expect={mailed.seq: mailed_hash})
    assert not caught.ok
    assert caught.problem == "entry 8 differs from the hash you gave: the log was rewritten"


def test_changing_the_checkpoint_interval_keeps_an_honest_log_verifying(db, settings):
    settings.OMBUD_AUDIT_CHECKPOINT_INTERVAL = 3
    record(at(MARCH[0]), 7)  # checkpoints at 3 and 6
    settings.OMBUD_AUDIT_CHECKPOINT_INTERVAL = 5
    record(at(MARCH[0], 11), 1)
    assert verify(at(MARCH[0], 12)).ok
    record(at(MARCH[0], 11), 8)  # five entries after 6, then after 11
    assert list(AuditCheckpoint.objects.values_list("seq", "interval", "previous")) == [
        (3, 3, 0),
        (6, 3, 3),
        (11, 5, 6),
        (16, 5, 11),
    ]
    assert verify(at(MARCH[0], 12)).ok
    settings.OMBUD_AUDIT_CHECKPOINT_INTERVAL = 2
    assert verify(at(MARCH[0], 12)).ok  # shrunk, and no entry written since
    AuditCheckpoint.objects.filter(seq=11).delete()
    assert verify(at(MARCH[0], 12)).problem == (
        "the signed checkpoint at entry 11 is missing (the checkpoint at entry 16 follows it)"
    )


def test_an_operator_who_deletes_the_last_entries_and_their_checkpoint_is_caught_by_the_head(
    db, settings
):
    settings.OMBUD_AUDIT_CHECKPOINT_INTERVAL = 3
    record(at(MARCH[0]), 7)
    truncate(keep=4)
    AuditCheckpoint.objects.filter(seq=6).delete()
    result = verify(at(MARCH[0], 12))
    assert not result.ok
    assert result.problem == (
        "the head records the last interval checkpoint at entry 6, but the last one is at "
        "entry 3: a checkpoint was removed, or the head was edited"
    )


def test_todays_last_entries_removed_with_every_trace_are_found_only_with_a_kept_hash(db, settings):
    settings.OMBUD_AUDIT_CHECKPOINT_INTERVAL = 3
    record(at(MARCH[0]), 7)
    kept = AuditEntry.objects.get(seq=6).hash  # as an auditor could have noted it
    truncate(keep=4)
    AuditCheckpoint.objects.filter(seq=6).delete()
    AuditHead.objects.filter(pk=1).update(checkpoint_seq=3)
    assert verify(at(MARCH[0], 12)).ok  # what is not signed yet, the database cannot tell
    caught = verify(at(MARCH[0], 12), expect={6: kept})
    assert caught.problem == "entry 6 is missing: entries after 4 were removed"


def test_an_empty_log_verifies_and_the_worker_signs_nothing(db):
    assert verify(at(MARCH[1])).ok
    worker_tick(at(MARCH[1]))
    assert not AuditCheckpoint.objects.exists()


# A log longer than one chunk is hashed chunk by chunk in worker processes; the first
# problem is still named by its entry, as one walk names it.


def verify_in_chunks(moment: dt.datetime, expect: dict[int, str] | None = None) -> Verification:
    with time_machine.travel(moment, tick=False):
        return audit_verify(public_key=public_key(), expect=expect, chunk=10, workers=2)


def test_a_log_of_many_chunks_verifies_in_worker_processes(db):
    record(at(MARCH[0]), 45)
    result = verify_in_chunks(at(MARCH[0], 12))
    assert result.ok, result.problem
    assert result.entries == 45


def test_a_changed_entry_deep_in_a_log_of_many_chunks_is_named_by_its_number(db):
    record(at(MARCH[0]), 45)
    AuditEntry.objects.filter(seq=37).update(action="step.thirty-seven")
    AuditEntry.objects.filter(seq=44).update(action="step.later")
    result = verify_in_chunks(at(MARCH[0], 12))
    assert result.seq == 37
    assert result.problem == "entry 37 was changed: its content does not match its hash"
    assert result.entries == 36


def test_an_entry_deleted_at_the_start_of_a_chunk_is_named_as_missing(db):
    record(at(MARCH[0]), 45)
    AuditEntry.objects.filter(seq=21).delete()
    result = verify_in_chunks(at(MARCH[0], 12))
    assert result.seq == 21
    assert result.problem == "entry 21 is missing: the log jumps to entry 22"
    assert result.entries == 20


def test_a_kept_hash_deep_in_a_log_of_many_chunks_is_compared_with_its_entry(db):
    record(at(MARCH[0]), 45)
    kept = AuditEntry.objects.get(seq=33).hash
    assert verify_in_chunks(at(MARCH[0], 12), expect={33: kept}).ok
    result = verify_in_chunks(at(MARCH[0], 12), expect={33: "0" * 64, 40: "0" * 64})
    assert result.seq == 33
    assert result.problem == "entry 33 differs from the hash you gave: the log was rewritten"
    assert result.entries == 33


def test_a_log_whose_fields_hold_the_runs_separator_still_verifies_and_is_checked(db):
    with time_machine.travel(at(MARCH[0]), tick=False):
        for number in range(25):
            audit_record(actor=f"cli:odd\x01name{number}", action="step")
    assert verify_in_chunks(at(MARCH[0], 12)).ok
    AuditEntry.objects.filter(seq=17).update(actor="cli:odd\x01name")
    result = verify_in_chunks(at(MARCH[0], 12))
    assert result.seq == 17
    assert result.problem == "entry 17 was changed: its content does not match its hash"
