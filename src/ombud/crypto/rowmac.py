"""Row MACs: a keyed BLAKE2b tag over a database row's meaningful values, so that
someone who can write to the database but does not hold the key (derived from the
pepper, kept outside the database) cannot insert, edit or copy a row that the
application will then trust.

What it protects against: a row forged, edited, or moved to describe another
row (the tag covers the row's kind and its identifying values). What it does not
protect against: a row deleted (nothing is left to check; callers recompute
what deletion would hide, such as conflicts), an old valid row put back (replay
of the same row's earlier values), or anyone who also holds the key.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence

Value = str | int | bool | bytes | None

TAG_BYTES = 32


def _encode(value: Value) -> bytes:
    """Unambiguous: a type byte and a length before every value."""
    if value is None:
        return b"N"
    if isinstance(value, bool):
        return b"B" + (b"1" if value else b"0")
    if isinstance(value, int):
        data, kind = str(value).encode(), b"I"
    elif isinstance(value, bytes | bytearray | memoryview):
        data, kind = bytes(value), b"Y"
    elif isinstance(value, str):
        data, kind = value.encode(), b"S"
    else:
        raise TypeError(f"a row MAC covers str, int, bool, bytes or None, not {type(value)}")
    return kind + len(data).to_bytes(8, "big") + data


def derive_key(pepper: bytes) -> bytes:
    """The MAC key, derived from the pepper for this purpose alone."""
    return hashlib.blake2b(b"ombud-row-mac", key=pepper[:64], digest_size=32).digest()


def tag(key: bytes, kind: str, values: Sequence[Value]) -> bytes:
    mac = hashlib.blake2b(key=key, digest_size=TAG_BYTES, person=b"ombud-row-mac")
    mac.update(_encode(kind))
    mac.update(len(values).to_bytes(4, "big"))
    for value in values:
        mac.update(_encode(value))
    return mac.digest()


def verify(key: bytes, kind: str, values: Sequence[Value], stored: bytes | None) -> bool:
    if not stored:
        return False
    return hmac.compare_digest(tag(key, kind, values), bytes(stored))
