"""Writing to the audit log. Every service that changes anything calls
:func:`audit_record` inside its own transaction."""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import getpass
import os
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from ombud import config
from ombud.audit.models import (
    DAILY_CHECKPOINT_DUE,
    AuditCheckpoint,
    AuditEntry,
    AuditHead,
    audit_day,
    chain_time,
    day_end,
)
from ombud.crypto import chain, signing

if TYPE_CHECKING:
    # Any Django user: the log sits below the directory and needs only her key and name.
    from django.contrib.auth.base_user import AbstractBaseUser as User


@functools.cache
def signing_seed() -> bytes:
    return config.audit_signing_seed(settings.CONFIG)


def public_key() -> str:
    return signing.public_key_hex(signing_seed())


def cli_actor() -> str:
    """Who runs a command: the operating-system account (or its number)."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return f"cli:uid-{os.getuid()}"


def _actor_fields(actor: User | str) -> tuple[int | None, str]:
    if isinstance(actor, str):
        return None, actor
    return actor.pk, f"user:{actor.get_username()}"


def _object_fields(obj: models.Model | None, object_type: str, object_id: str) -> tuple[str, str]:
    if obj is None:
        return object_type, object_id
    return object_type or obj._meta.label_lower, object_id or str(obj.pk)


@dataclass
class _Queued:
    """An entry waiting in an :func:`audit_batch`, and the marker that says whether the
    savepoint it was recorded in still stands."""

    entry: AuditEntry
    marker: Callable[[], None]


class _Local(threading.local):  # a batch per thread, as Django's connections are
    batch: list[_Queued] | None = None


_local = _Local()


def audit_record(
    *,
    actor: User | str,  # a signed-in user, or a system label: "system:worker", "cli:root"
    action: str,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str = "",
    details: Mapping[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry. Call it inside the transaction of the change it records.

    Inside :func:`audit_batch` the entry waits and is written, with the batch's
    others, when the batch ends: its number and hash are given then, and the
    entry returned here is not saved yet."""
    actor_id, actor_label = _actor_fields(actor)
    object_type, object_id = _object_fields(obj, object_type, object_id)
    entry = AuditEntry(
        actor_id=actor_id,
        actor=actor_label,
        action=action,
        object_type=object_type,
        object_id=object_id,
        details=chain.canonical_details(details),
    )
    batch = _local.batch
    if batch is not None and transaction.get_connection().in_atomic_block:
        # A savepoint rolled back drops the on-commit callbacks registered inside it:
        # the marker tells whether this entry's change still stands at the end.
        def marker() -> None:
            pass

        transaction.on_commit(marker)
        batch.append(_Queued(entry, marker))
        return entry
    with transaction.atomic(savepoint=False):
        _write([entry])
    return entry


@contextlib.contextmanager
def audit_batch() -> Iterator[None]:
    """Write the audit entries recorded inside, in order, when the block ends, under
    one acquisition of the chain's lock: one read of the head, one insert of all
    the entries, one update of the head. Use it inside one transaction (the
    entries are written in it, so they commit or vanish with the change); an
    exception leaves nothing written, and an entry recorded inside a savepoint
    that was rolled back is dropped with it. The chain is the same as with one
    entry at a time: each entry's time is taken as it is numbered."""
    if _local.batch is not None:
        yield  # already batching: the outer batch writes
        return
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit_batch() belongs inside a transaction")
    batch: list[_Queued] = []
    _local.batch = batch
    try:
        yield
    finally:
        _local.batch = None
    standing = {id(func) for _sids, func, _robust in transaction.get_connection().run_on_commit}
    _write([queued.entry for queued in batch if id(queued.marker) in standing])


def _write(entries: list[AuditEntry]) -> None:
    """Number, hash and insert ``entries`` after the head, holding the head's lock."""
    if not entries:
        return
    head = AuditHead.objects.select_for_update().get(pk=1)
    seq, digest, checkpoint_seq = head.seq, head.hash, head.checkpoint_seq
    interval = settings.OMBUD_AUDIT_CHECKPOINT_INTERVAL
    for entry in entries:
        seq += 1
        entry.seq = seq
        entry.at = timezone.now()
        entry.prev_hash = digest
        digest = entry.hash = chain.entry_hash(
            seq=seq,
            at=chain_time(entry.at),
            actor_id=entry.actor_id,
            actor=entry.actor,
            action=entry.action,
            object_type=entry.object_type,
            object_id=entry.object_id,
            details=entry.details,
            prev_hash=entry.prev_hash,
        )
        if seq - checkpoint_seq >= interval:
            _checkpoint(
                seq=seq,
                entry_hash=digest,
                kind=AuditCheckpoint.Kind.INTERVAL,
                interval=interval,
                previous=checkpoint_seq,
            )
            checkpoint_seq = seq
    if len(entries) == 1:
        entries[0].save(force_insert=True)
    else:
        AuditEntry.objects.bulk_create(entries)
    AuditHead.objects.filter(pk=1).update(seq=seq, hash=digest, checkpoint_seq=checkpoint_seq)


def _checkpoint(
    *,
    seq: int,
    entry_hash: str,
    kind: str,
    interval: int | None = None,
    previous: int | None = None,
    day: dt.date | None = None,
    late: bool = False,
) -> AuditCheckpoint:
    checkpoint = AuditCheckpoint(
        seq=seq,
        entry_hash=entry_hash,
        at=timezone.now(),
        kind=kind,
        interval=interval,
        previous=previous,
        day=day,
        late=late,
        public_key=public_key(),
    )
    checkpoint.signature = signing.sign(signing_seed(), checkpoint.message())
    checkpoint.save()
    return checkpoint


def _last_daily() -> tuple[dt.date, int] | None:
    """The day and entry of the newest daily checkpoint."""
    newest = (
        AuditCheckpoint.objects.filter(kind=AuditCheckpoint.Kind.DAILY)
        .order_by("-day")
        .values_list("day", "seq")
        .first()
    )
    return None if newest is None or newest[0] is None else (newest[0], newest[1])


def audit_checkpoint_daily() -> AuditCheckpoint | None:
    """Seal every day (UTC) that has ended since the last daily checkpoint, and mail
    the newest to the auditors. Safe with several workers; cheap when there is
    nothing to do (one query, two on an empty log).

    The first day is the day of the log's first entry. A day is sealed with its
    last entry: the one before the first entry written at or after midnight.
    Signed more than DAILY_CHECKPOINT_DUE after its end (the worker was down),
    its checkpoint is marked late. Days before the last daily checkpoint are
    never signed again: one missing there was deleted, and verification must
    say so.

    Returns the newest checkpoint signed, or None when there was nothing to sign.
    """
    now = timezone.now()
    last_ended = audit_day(now) - dt.timedelta(days=1)
    latest = _last_daily()
    if latest is not None and latest[0] >= last_ended:
        return None
    if latest is None and not AuditEntry.objects.exists():
        return None  # an empty log: nothing to seal yet
    try:
        with transaction.atomic():
            # The head's lock waits for writers still committing entries from before midnight.
            head = AuditHead.objects.select_for_update().get(pk=1)
            latest = _last_daily()
            if latest is not None:
                day, sealed = latest[0] + dt.timedelta(days=1), latest[1]
            else:
                first_at = AuditEntry.objects.aggregate(first=models.Min("at"))["first"]
                if first_at is None:
                    return None
                day, sealed = audit_day(first_at), 0
            checkpoint = None
            while day <= last_ended:
                end = day_end(day)
                # Scanning forward from the last seal reads each entry once, however
                # many days the worker missed.
                after = (
                    AuditEntry.objects.filter(seq__gt=sealed, at__gte=end)
                    .order_by("seq")
                    .values_list("seq", "prev_hash")
                    .first()
                )
                sealed, digest = (after[0] - 1, after[1]) if after else (head.seq, head.hash)
                checkpoint = _checkpoint(
                    seq=sealed,
                    entry_hash=digest,
                    kind=AuditCheckpoint.Kind.DAILY,
                    day=day,
                    late=now > end + DAILY_CHECKPOINT_DUE,
                )
                day += dt.timedelta(days=1)
            if checkpoint is not None and settings.OMBUD_MAIL_CONFIGURED:
                from ombud.audit.tasks import mail_daily_checkpoint

                newest = checkpoint.pk
                transaction.on_commit(lambda: mail_daily_checkpoint.enqueue(newest))
    except IntegrityError:
        return None  # another worker signed these days first
    return checkpoint
