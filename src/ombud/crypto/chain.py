"""The audit log's hash chain.

Each entry's hash is SHA-256 over a canonical encoding of its sequence number,
time, actor, action, object, details and the previous entry's hash. Changing
any byte of an entry changes its hash; deleting, inserting or reordering
entries breaks the sequence or the link to the previous hash. A verifier walks
the entries in order and reports the first one that does not fit.

The chain alone cannot stop someone from recomputing every hash after an
edit; signed checkpoints and copies of them kept elsewhere do that.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

GENESIS = "0" * 64
_DOMAIN = "ombud-audit-v1"


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


def checkpoint_message(*, seq: int, entry_hash: str, at: str, kind: str) -> bytes:
    """The bytes a checkpoint signature covers."""
    return json.dumps(
        [_DOMAIN + "-checkpoint", seq, entry_hash, at, kind], separators=(",", ":")
    ).encode("utf-8")
