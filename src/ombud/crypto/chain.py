"""The audit log's hash chain.

Each entry's hash is SHA-256 over a canonical encoding of its sequence number,
time, actor, action, object, details and the previous entry's hash. Changing
any byte of an entry changes its hash; deleting, inserting or reordering
entries breaks the sequence or the link to the previous hash. A verifier walks
the entries in order and reports the first one that does not fit.

The chain alone cannot stop someone from recomputing every hash after an
edit; signed checkpoints and copies of them kept elsewhere do that. A
checkpoint's signature covers every field verification relies on (the entry,
its hash, when it was signed, its kind, its interval and the checkpoint before
it, or its day and whether it was signed late), so a checkpoint cannot be moved
to another day or entry.
Which checkpoints must exist is for the verifier to say: :func:`interval_gap`
finds a missing one among those made every N entries. Deleting the last
entries together with every checkpoint that covers them is not visible here;
only a copy kept elsewhere shows it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

GENESIS = "0" * 64
_DOMAIN = "ombud-audit-v1"
_CHECKPOINT_DOMAIN = "ombud-audit-checkpoint-v2"


def canonical_details(details: Mapping[str, Any] | None) -> str:
    """Details as canonical JSON text: sorted keys, no spaces, UTF-8 kept as is."""
    return json.dumps(
        dict(details or {}), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )


@dataclass(frozen=True)
class Entry:
    seq: int
    at: str
    actor_id: int | None
    actor: str
    action: str
    object_type: str
    object_id: str
    details: str
    prev_hash: str
    hash: str


def entry_hash(
    *,
    seq: int,
    at: str,
    actor_id: int | None,
    actor: str,
    action: str,
    object_type: str,
    object_id: str,
    details: str,
    prev_hash: str,
) -> str:
    """The hexadecimal SHA-256 of an entry's canonical encoding."""
    # A JSON array is an unambiguous encoding: no field can bleed into the next.
    encoded = json.dumps(
        [_DOMAIN, seq, at, actor_id, actor, action, object_type, object_id, details, prev_hash],
        separators=(",", ":"),
        ensure_ascii=False,
    ).encode("utf-8")
    return hashlib.sha256(encoded).hexdigest()


def link(
    previous: Entry | None,
    *,
    at: str,
    actor_id: int | None,
    actor: str,
    action: str,
    object_type: str = "",
    object_id: str = "",
    details: str = "{}",
) -> Entry:
    """The entry that follows ``previous`` (or starts the chain when it is None)."""
    seq = 1 if previous is None else previous.seq + 1
    prev_hash = GENESIS if previous is None else previous.hash
    fields = dict(
        seq=seq,
        at=at,
        actor_id=actor_id,
        actor=actor,
        action=action,
        object_type=object_type,
        object_id=object_id,
        details=details,
        prev_hash=prev_hash,
    )
    return Entry(**fields, hash=entry_hash(**fields))  # type: ignore[arg-type]


@dataclass(frozen=True)
class Break:
    """Where and why a chain stops verifying."""

    seq: int
    reason: str


class Verifier:
    """Checks entries one by one, in the order they are stored."""

    def __init__(self, *, start_seq: int = 1, start_hash: str = GENESIS) -> None:
        self.expected_seq = start_seq
        self.last_hash = start_hash
        self.count = 0

    def feed(self, entry: Entry) -> Break | None:
        if entry.seq > self.expected_seq:
            missing = self.expected_seq
            span = (
                f"entry {missing} is missing"
                if entry.seq == missing + 1
                else f"entries {missing} to {entry.seq - 1} are missing"
            )
            return Break(missing, f"{span}: the log jumps to entry {entry.seq}")
        if entry.seq < self.expected_seq:
            return Break(
                entry.seq,
                f"entry {entry.seq} is out of order or repeated (expected entry "
                f"{self.expected_seq})",
            )
        if entry.prev_hash != self.last_hash:
            return Break(
                entry.seq,
                f"entry {entry.seq} does not follow the entry before it (previous hash differs)",
            )
        computed = entry_hash(
            seq=entry.seq,
            at=entry.at,
            actor_id=entry.actor_id,
            actor=entry.actor,
            action=entry.action,
            object_type=entry.object_type,
            object_id=entry.object_id,
            details=entry.details,
            prev_hash=entry.prev_hash,
        )
        if computed != entry.hash:
            return Break(
                entry.seq, f"entry {entry.seq} was changed: its content does not match its hash"
            )
        self.expected_seq += 1
        self.last_hash = entry.hash
        self.count += 1
        return None


def verify(entries: Iterable[Entry]) -> Break | None:
    """The first break in ``entries``, or None when the whole chain holds."""
    verifier = Verifier()
    for entry in entries:
        problem = verifier.feed(entry)
        if problem is not None:
            return problem
    return None


def checkpoint_message(
    *,
    seq: int,
    entry_hash: str,
    at: str,
    kind: str,
    interval: int | None,
    previous: int | None,
    day: str | None,
    late: bool,
) -> bytes:
    """The bytes a checkpoint signature covers."""
    return json.dumps(
        [_CHECKPOINT_DOMAIN, seq, entry_hash, at, kind, interval, previous, day, late],
        separators=(",", ":"),
    ).encode("utf-8")


def interval_gap(
    checkpoints: Iterable[tuple[int, int, int]], *, head: int, interval: int
) -> Break | None:
    """The first missing checkpoint of those made every N entries, or None.

    ``checkpoints`` are (entry, its interval, the entry of the checkpoint before
    it) in the order of their entries, ``head`` the log's last entry and
    ``interval`` the one in force now. A checkpoint is made N entries after the
    one before it, N being the interval in force when it is due (so at the
    multiples of N while N does not change). Just after the interval shrank,
    the next may come up to the old interval after the last one; before the
    first checkpoint the old interval is not known, so until an entry is
    written under the smaller one the first looks missing.
    """
    last_seq, last_every = 0, interval
    for seq, every, previous in checkpoints:
        if previous > last_seq:
            return Break(
                previous,
                f"the signed checkpoint at entry {previous} is missing (the checkpoint at "
                f"entry {seq} follows it)",
            )
        if previous < last_seq:
            return Break(
                seq,
                f"the signed checkpoint at entry {seq} follows entry {previous}, not the "
                f"checkpoint at entry {last_seq}",
            )
        last_seq, last_every = seq, every
    due = last_seq + max(interval, last_every)
    if head >= due:
        return Break(
            due,
            f"the signed checkpoint at entry {due} is missing (one is due every "
            f"{max(interval, last_every)} entries)",
        )
    return None
