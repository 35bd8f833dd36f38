from __future__ import annotations

import datetime as dt

from django.db import models
from django.utils.translation import gettext_lazy as _

from ombud.crypto import chain

# A day's checkpoint is due within this long of the day's end; signed later, it is late.
DAILY_CHECKPOINT_DUE = dt.timedelta(hours=1)


def chain_time(value: dt.datetime) -> str:
    """The time as the chain hashes it: UTC, ISO 8601, microseconds."""
    return value.astimezone(dt.UTC).isoformat(timespec="microseconds")


def audit_day(value: dt.datetime) -> dt.date:
    """The log's day of an instant: the UTC date, whatever OMBUD_TIME_ZONE says, so
    that changing the time zone moves no day's boundary."""
    return value.astimezone(dt.UTC).date()


def day_end(day: dt.date) -> dt.datetime:
    """The first instant after ``day`` (midnight UTC)."""
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)


class AuditEntry(models.Model):
    """One entry of the append-only log. Details never hold case content."""

    seq = models.PositiveBigIntegerField(primary_key=True)
    at = models.DateTimeField()
    # A plain number rather than a foreign key: the entry must outlive any row.
    actor_id = models.BigIntegerField(null=True, blank=True)
    actor = models.CharField(max_length=200)
    action = models.CharField(max_length=100, db_index=True)
    object_type = models.CharField(max_length=100, blank=True)
    object_id = models.CharField(max_length=100, blank=True)
    # Canonical JSON text, stored byte for byte as hashed.
    details = models.TextField(default="{}")
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["seq"]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        indexes = [
            models.Index(fields=["object_type", "object_id"]),
            # The log's filters, newest first, a page at a time (keyset on seq).
            models.Index(fields=["action", "seq"], name="audit_action_seq"),
            models.Index(fields=["actor", "seq"], name="audit_actor_seq"),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action}"

    def as_chain_entry(self) -> chain.Entry:
        return chain.Entry(
            seq=self.seq,
            at=chain_time(self.at),
            actor_id=self.actor_id,
            actor=self.actor,
            action=self.action,
            object_type=self.object_type,
            object_id=self.object_id,
            details=self.details,
            prev_hash=self.prev_hash,
            hash=self.hash,
        )


class AuditHead(models.Model):
    """The single row that holds the last sequence number and hash.

    Writers lock it, so numbers are handed out one at a time and without gaps:
    a rolled-back transaction rolls back its number too (a database sequence
    would skip it and the gap would look like a deletion).
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    seq = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64, default=chain.GENESIS)
    # The entry of the last interval checkpoint: the next is due N entries after it,
    # and signs this number, so deleting a checkpoint row leaves a gap the next names.
    checkpoint_seq = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"audit head at {self.seq}"


class AuditCheckpoint(models.Model):
    """A signed statement "the log's entry N has hash H", every N entries and daily.

    An interval checkpoint is signed in the transaction of the entry ``interval``
    entries after the ``previous`` one (so at the multiples of an unchanged
    interval), and names that previous one. The daily checkpoint of ``day``
    seals the log as it stood when that day (UTC) ended: its last entry. The
    worker signs it just after midnight; a day it missed while it was down is
    signed when it comes back, marked ``late``. The signature covers every field
    but the key and itself.
    """

    class Kind(models.TextChoices):
        INTERVAL = "interval", _("every N entries")
        DAILY = "daily", _("daily")

    seq = models.PositiveBigIntegerField(db_index=True)
    entry_hash = models.CharField(max_length=64)
    at = models.DateTimeField()
    kind = models.CharField(max_length=10, choices=Kind.choices)
    interval = models.PositiveIntegerField(null=True, blank=True)
    previous = models.PositiveBigIntegerField(null=True, blank=True)
    day = models.DateField(null=True, blank=True)
    late = models.BooleanField(default=False)
    public_key = models.CharField(max_length=64)
    signature = models.CharField(max_length=128)

    class Meta:
        ordering = ["seq", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["day"],
                condition=models.Q(kind="daily"),
                name="one_daily_checkpoint_per_day",
            )
        ]

    def __str__(self) -> str:
        return f"checkpoint at {self.seq} ({self.kind})"

    def message(self) -> bytes:
        return chain.checkpoint_message(
            seq=self.seq,
            entry_hash=self.entry_hash,
            at=chain_time(self.at),
            kind=self.kind,
            interval=self.interval,
            previous=self.previous,
            day=self.day.isoformat() if self.day else None,
            late=self.late,
        )
