"""Keys for signing in, each derived from the pepper for one purpose.

The pepper is a file outside the database. Whatever is stored under these keys (a
session id's hash, a sealed TOTP seed, a recovery code's hash, an address's hash)
is useless to someone who holds only a copy of the database.
"""

from __future__ import annotations

import functools
import hashlib

from django.conf import settings

from ombud import config


@functools.cache
def _pepper() -> bytes:
    return config.pepper(settings.CONFIG)


@functools.cache
def subkey(purpose: str) -> bytes:
    """A 32-byte key for ``purpose`` alone."""
    return hashlib.blake2b(
        purpose.encode(), key=_pepper()[:64], person=b"ombud-subkey", digest_size=32
    ).digest()


def keyed_hash(purpose: str, message: bytes, *, size: int = 32) -> bytes:
    return hashlib.blake2b(message, key=subkey(purpose), digest_size=size).digest()
