"""Reading and verifying the audit log."""

from __future__ import annotations

import datetime as dt
import os
from bisect import bisect_left
from collections.abc import Iterator
from dataclasses import dataclass

from django.conf import settings
from django.db import connection
from django.db.models import Max, Min, Q, QuerySet
from django.utils import timezone

from ombud.audit import walk
from ombud.audit.models import (
    DAILY_CHECKPOINT_DUE,
    AuditCheckpoint,
    AuditEntry,
    AuditHead,
    audit_day,
)
from ombud.crypto import chain, signing
from ombud.crypto.errors import CryptoError


def audit_entries(
    *,
    actor: str = "",
    action: str = "",
    case_id: int | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
) -> QuerySet[AuditEntry]:
    """The log, newest first, narrowed. ``actor`` as recorded ("user:hana"; one ending
    in ":" is a prefix, "cli:" for every command-line account); ``action`` a kind or a
    group of kinds ("access", "cases.case"); days are the organisation's, both included."""
    entries = AuditEntry.objects.order_by("-seq")
    if actor:
        entries = (
            entries.filter(actor__startswith=actor)
            if actor.endswith(":")
            else entries.filter(actor=actor)
        )
    if action:
        entries = entries.filter(Q(action=action) | Q(action__startswith=action + "."))
    if case_id is not None:
        entries = entries.filter(object_type="cases.case", object_id=str(case_id))
    if since is not None:
        entries = entries.filter(at__gte=_day_start(since))
    if until is not None:
        entries = entries.filter(at__lt=_day_start(until + dt.timedelta(days=1)))
    return entries


def _day_start(day: dt.date) -> dt.datetime:
    """Midnight at the start of ``day`` in the organisation's time zone."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time()))


@dataclass(frozen=True)
class Verification:
    entries: int
    checkpoints: int
    problem: str | None = None
    seq: int | None = None
    # Days whose checkpoint the worker signed late: the database alone cannot show a
    # change made to their entries before then (docs/audit-log.md).
    late_days: tuple[dt.date, ...] = ()

    @property
    def ok(self) -> bool:
        return self.problem is None


def _entry_runs(last: int, chunk: int, wanted: list[int]) -> Iterator[walk.Task]:
    """Entries 1 to ``last``, ``chunk`` at a time, from a server-side cursor on
    PostgreSQL: each entry one text the database joins (fields between walk.SEP),
    each run one text joined here, to pickle to a worker at next to no cost. No
    model objects. A run whose fields hold the separator is read again as rows."""
    quote = connection.ops.quote_name
    names = [
        "seq", "at", "actor_id", "actor", "action", "object_type", "object_id", "details",
        "prev_hash", "hash",
    ]  # fmt: skip
    table = quote(AuditEntry._meta.db_table)
    columns = [f"{table}.{quote(name)}" for name in names]
    order = columns[0]
    # Every field as text, the time in UTC: as Django writes it to SQLite (walk
    # makes it the chain's), as the chain writes it on PostgreSQL.
    columns[0] = f"CAST({order} AS TEXT)"
    columns[1] = (
        f"CAST({columns[1]} AS TEXT)"
        if connection.vendor == "sqlite"
        else f"""to_char({columns[1]} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"')"""
    )
    columns[2] = f"COALESCE(CAST({columns[2]} AS TEXT), '')"
    separator = "char(1)" if connection.vendor == "sqlite" else "chr(1)"
    joined = f" || {separator} || ".join(columns)
    runs_sql = f"SELECT {joined} FROM {table} WHERE {order} <= %s ORDER BY {order}"  # noqa: S608
    rows_sql = (
        f"SELECT {', '.join(columns)} FROM {table} WHERE {order} BETWEEN %s AND %s ORDER BY {order}"  # noqa: S608, E501
    )
    with connection.chunked_cursor() as cursor:
        cursor.execute(runs_sql, [last])
        while entries := cursor.fetchmany(chunk):
            text = walk.SEP.join([entry for (entry,) in entries])
            low = int(entries[0][0].split(walk.SEP, 1)[0])
            high = int(entries[-1][0].split(walk.SEP, 1)[0])
            here = tuple(wanted[bisect_left(wanted, low) : bisect_left(wanted, high + 1)])
            if text.count(walk.SEP) == 10 * len(entries) - 1:
                yield walk.Task(text, here)
            else:
                with connection.cursor() as again:
                    again.execute(rows_sql, [low, high])
                    yield walk.Task(again.fetchall(), here)


def audit_verify(
    *,
    public_key: str,
    expect: dict[int, str] | None = None,
    chunk: int = 5000,
    workers: int | None = None,
) -> Verification:
    """Recompute the chain, check every checkpoint's signature and hash, that none
    lies past the end of the log and none is missing (every N entries, every day),
    and any hashes the caller kept elsewhere (``expect``: sequence number to hash).

    The entries are hashed ``chunk`` at a time in ``workers`` processes (by default
    two, or one on a one-core machine, once the log is longer than four chunks;
    0 or 1 hashes here), while this process reads the next and checks that each
    chunk follows the one before: the first problem is reported as one walk would."""
    # Entries written while we verify are not judged: the head read first bounds the
    # walk, and every checkpoint up to it is committed before the checkpoints are read
    # (an interval checkpoint commits with its entry, a daily one after its entry). The
    # head read last is the end nothing may lie past, whatever was written meanwhile.
    head = AuditHead.objects.get(pk=1)
    checkpoints = list(AuditCheckpoint.objects.order_by("seq", "id"))
    stored = AuditEntry.objects.aggregate(last=Max("seq"), first_at=Min("at"))
    end = AuditHead.objects.get(pk=1).seq
    now = timezone.now()

    def broken(problem: str, seq: int | None, entries: int = 0) -> Verification:
        return Verification(entries, len(checkpoints), problem, seq)

    for checkpoint in checkpoints:
        if checkpoint.public_key != public_key:
            return broken(
                f"the checkpoint at entry {checkpoint.seq} was signed by another key "
                f"({checkpoint.public_key[:16]}…)",
                checkpoint.seq,
            )
        try:
            signing.verify(checkpoint.public_key, checkpoint.message(), checkpoint.signature)
        except CryptoError:
            return broken(
                f"the checkpoint at entry {checkpoint.seq} has a bad signature", checkpoint.seq
            )
    wanted: dict[int, list[tuple[str, str]]] = {}
    for checkpoint in checkpoints:
        if 0 < checkpoint.seq <= head.seq:
            wanted.setdefault(checkpoint.seq, []).append(
                (checkpoint.entry_hash, f"the signed {checkpoint.kind} checkpoint")
            )
    for seq, digest in (expect or {}).items():
        wanted.setdefault(seq, []).append((digest, "the hash you gave"))

    if workers is None:
        workers = min(2, os.cpu_count() or 1) if head.seq > 4 * chunk else 0
    wanted_seqs = sorted(wanted)
    verifier = chain.Verifier()
    checked = walk.checked(_entry_runs(head.seq, chunk, wanted_seqs), workers=workers)
    try:
        for task, run in checked:
            if run is None:
                continue
            problem = verifier.follows(run.first, run.first_prev)
            if problem is not None:
                return broken(problem.reason, problem.seq, verifier.count)
            # The hashes kept elsewhere, for the rows before any break inside.
            for seq in task.wanted:
                if seq not in run.kept:
                    continue
                for digest, source in wanted.pop(seq, []):
                    if digest != run.kept[seq]:
                        return broken(
                            f"entry {seq} differs from {source}: the log was rewritten",
                            seq,
                            verifier.count + seq - run.first + 1,
                        )
            if run.inside is not None:
                index, inside = run.inside
                return broken(inside.reason, inside.seq, verifier.count + index)
            verifier.expected_seq = run.last + 1
            verifier.last_hash = run.last_hash
            verifier.count += run.count
    finally:
        checked.close()
    count = verifier.count
    if head.seq != verifier.expected_seq - 1 or head.hash != verifier.last_hash:
        return broken(
            f"the log ends at entry {verifier.expected_seq - 1} but its head records entry "
            f"{head.seq}: entries were removed from the end",
            verifier.expected_seq,
            count,
        )

    # What the walk cannot see: entries removed from the end with the head moved back,
    # and checkpoints removed with them or on their own.
    for checkpoint in checkpoints:
        if checkpoint.seq > end:
            return broken(
                f"the signed {checkpoint.kind} checkpoint at entry {checkpoint.seq} lies past "
                f"the end of the log (entry {end}): entries were removed from the end",
                checkpoint.seq,
                count,
            )
    if (stored["last"] or 0) > end:
        return broken(
            f"entry {end + 1} lies past the end of the log (its head records entry {end}): "
            "the head was moved back",
            end + 1,
            count,
        )
    made = [
        (checkpoint.seq, checkpoint.interval or 0, checkpoint.previous or 0)
        for checkpoint in checkpoints
        if checkpoint.kind == AuditCheckpoint.Kind.INTERVAL and checkpoint.seq <= head.seq
    ]
    gap = chain.interval_gap(made, head=head.seq, interval=settings.OMBUD_AUDIT_CHECKPOINT_INTERVAL)
    if gap is not None:
        return broken(gap.reason, gap.seq, count)
    last_made = made[-1][0] if made else 0
    if head.checkpoint_seq != last_made:
        return broken(
            f"the head records the last interval checkpoint at entry {head.checkpoint_seq}, "
            f"but the last one is at entry {last_made}: a checkpoint was removed, or the head "
            "was edited",
            max(head.checkpoint_seq, last_made),
            count,
        )
    daily = {c.day: c for c in checkpoints if c.kind == AuditCheckpoint.Kind.DAILY}
    if stored["first_at"] is not None:
        day = audit_day(stored["first_at"])
        last_due = audit_day(now - DAILY_CHECKPOINT_DUE) - dt.timedelta(days=1)
        while day <= last_due:
            if day not in daily:
                return broken(
                    f"the daily checkpoint for {day.isoformat()} is missing: every day from "
                    "the first entry's to the last that ended must have one",
                    None,
                    count,
                )
            day += dt.timedelta(days=1)
    if wanted:
        first = min(wanted)
        return broken(
            f"entry {first} is missing: entries after {verifier.expected_seq - 1} were removed",
            first,
            count,
        )
    late = tuple(sorted(day for day, c in daily.items() if day is not None and c.late))
    return Verification(count, len(checkpoints), late_days=late)
