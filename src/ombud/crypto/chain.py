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

import dataclasses
import hashlib
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from json.encoder import encode_basestring as _string  # what json.dumps uses, ensure_ascii off
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
    # A JSON array is an unambiguous encoding: no field can bleed into the next. It is
    # json.dumps([_DOMAIN, seq, ..., prev_hash], separators=(",", ":"),
    # ensure_ascii=False), written out by hand because that is 2.5 times faster
    # (tests/crypto/test_chain.py holds the two to the same bytes).
    encoded = (
        f'["{_DOMAIN}",{int(seq)},{_string(at)},'
        f"{'null' if actor_id is None else int(actor_id)},{_string(actor)},{_string(action)},"
        f"{_string(object_type)},{_string(object_id)},{_string(details)},{_string(prev_hash)}]"
    ).encode()
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

    def follows(self, seq: int, prev_hash: str) -> Break | None:
        """Whether an entry with this number and previous hash comes next (its own
        hash not checked): the break :meth:`feed` would report first, or None."""
        if seq > self.expected_seq:
            missing = self.expected_seq
            span = (
                f"entry {missing} is missing"
                if seq == missing + 1
                else f"entries {missing} to {seq - 1} are missing"
            )
            return Break(missing, f"{span}: the log jumps to entry {seq}")
        if seq < self.expected_seq:
            return Break(
                seq,
                f"entry {seq} is out of order or repeated (expected entry {self.expected_seq})",
            )
        if prev_hash != self.last_hash:
            return Break(
                seq, f"entry {seq} does not follow the entry before it (previous hash differs)"
            )
        return None

    def feed(self, entry: Entry) -> Break | None:
        out_of_line = self.follows(entry.seq, entry.prev_hash)
        if out_of_line is not None:
            return out_of_line
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


# A row as check_batch takes it: the fields of Entry, in its order, all as text: the
# numbers in decimal as a database writes an integer column, no actor's id as "".
Row = tuple[str, str, str, str, str, str, str, str, str, str]


def check_batch(
    rows: Sequence[Row], *, time: Callable[[str], str] | None = None
) -> tuple[int, Break] | None:
    """The first break inside a run of consecutive rows, with its index, or None.

    The first row is taken as it stands (whether it follows the entry before the
    run is the caller's to check, with :meth:`Verifier.follows`); every later one
    must follow the row before it, and every row's hash must match. So runs can be
    checked apart, in other processes, and joined in order: ``follows`` for each
    run's first row, then the run's own break; the first found is the one
    :class:`Verifier` reports for the same rows.

    ``time`` turns a row's time into the chain's form (UTC, ISO 8601, microseconds)
    when the text as given does not hash to the row's hash.
    """
    if not rows:
        return None
    sha256, string = hashlib.sha256, _string
    # The whole run at once, at the speed of hashing alone; a run that fails is
    # walked again entry by entry to name the first break.
    digests = [row[9] for row in rows]
    computed = [
        sha256(
            f'["{_DOMAIN}",{seq},{string(at)},{actor_id or "null"},{string(actor)},'
            f"{string(action)},{string(otype)},{string(oid)},{string(details)},"
            f"{string(prev)}]".encode()
        ).hexdigest()
        for seq, at, actor_id, actor, action, otype, oid, details, prev, _hash in rows
    ]
    first = rows[0][0]
    if (
        computed == digests
        and first.isdigit()
        and [row[0] for row in rows] == [str(n) for n in range(int(first), int(first) + len(rows))]
        and [row[8] for row in rows[1:]] == digests[:-1]
    ):
        return None
    verifier = Verifier(start_seq=int(first), start_hash=rows[0][8])
    for index, (seq, at, actor_id, *rest) in enumerate(rows):
        entry = Entry(int(seq), at, int(actor_id) if actor_id else None, *rest)
        fields = dataclasses.asdict(entry)
        digest = fields.pop("hash")
        if time is not None and entry_hash(**fields) != digest:
            entry = dataclasses.replace(entry, at=time(at))
        problem = verifier.feed(entry)
        if problem is not None:
            return index, problem
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
