"""Private keys wrapped under a key derived from a password and a pepper.

The password is first keyed with the pepper (a secret kept in a file, never in
the database) and then stretched with Argon2id, whose costs are parameters. A
copied database alone therefore does not allow guessing passwords offline; a
copied database and pepper allow guessing at Argon2id's price per guess.

Argon2id is meant to be costly, so a burst of sign-ins could take every core and
much memory at once. ``slots`` caps how many derivations run at once in this
process (one, unless configured); the others wait their turn, and give up with
KeyDerivationBusy after ``wait_seconds``, or at once when ``max_waiting`` already
wait, rather than pile up and hold every thread of the web process.
"""

from __future__ import annotations

import contextlib
import hashlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass

from nacl import pwhash
from nacl.utils import random

from ombud.crypto import aead
from ombud.crypto.errors import CryptoError, DecryptionFailed, KeyDerivationBusy, WrongPassword

SALT_BYTES = pwhash.argon2id.SALTBYTES
MIN_PEPPER_BYTES = 32


@dataclass(frozen=True)
class Cost:
    """Argon2id costs: passes over memory, and memory in bytes."""

    opslimit: int
    memlimit: int


MODERATE = Cost(opslimit=3, memlimit=64 * 1024 * 1024)
# Only for tests: cheap enough to run hundreds of times.
INSECURE_FOR_TESTS = Cost(opslimit=1, memlimit=8 * 1024 * 1024)


class Slots:
    """A per-process cap on concurrent Argon2 computations (a bounded semaphore), and
    on how many may wait for one, so that waiting sign-ins never hold every thread."""

    def __init__(
        self, size: int = 1, wait_seconds: float = 20.0, max_waiting: int | None = None
    ) -> None:
        self.configure(size, wait_seconds, max_waiting)

    def configure(self, size: int, wait_seconds: float, max_waiting: int | None = None) -> None:
        if size < 1:
            raise ValueError("at least one slot")
        self.size = size
        self.wait_seconds = wait_seconds
        self.max_waiting = max_waiting
        self._semaphore = threading.BoundedSemaphore(size)
        self._lock = threading.Lock()
        self._waiting = 0

    @contextlib.contextmanager
    def __call__(self) -> Iterator[None]:
        semaphore = self._semaphore
        if not semaphore.acquire(blocking=False):
            with self._lock:
                if self.max_waiting is not None and self._waiting >= self.max_waiting:
                    raise KeyDerivationBusy(f"{self._waiting} Argon2 computations wait already")
                self._waiting += 1
            try:
                acquired = semaphore.acquire(timeout=self.wait_seconds)
            finally:
                with self._lock:
                    self._waiting -= 1
            if not acquired:
                raise KeyDerivationBusy(f"no Argon2 slot free within {self.wait_seconds} s")
        try:
            yield
        finally:
            semaphore.release()


slots = Slots()


@dataclass(frozen=True)
class WrappedKey:
    salt: bytes
    ciphertext: bytes
    cost: Cost


def wrapping_key(password: str, salt: bytes, pepper: bytes, cost: Cost) -> bytes:
    if len(pepper) < MIN_PEPPER_BYTES:
        raise CryptoError("the pepper must be at least 32 bytes")
    if len(salt) != SALT_BYTES:
        raise CryptoError("the salt must be 16 bytes")
    peppered = hashlib.blake2b(
        password.encode("utf-8"), key=pepper[:64], person=b"ombud-password"
    ).digest()
    with slots():
        return bytes(
            pwhash.argon2id.kdf(aead.KEY_BYTES, peppered, salt, cost.opslimit, cost.memlimit)
        )


def wrap(
    private_key: bytes, password: str, pepper: bytes, cost: Cost, context: bytes
) -> WrappedKey:
    salt = random(SALT_BYTES)
    key = wrapping_key(password, salt, pepper, cost)
    return WrappedKey(salt=salt, ciphertext=aead.encrypt(key, private_key, context), cost=cost)


def unwrap(wrapped: WrappedKey, password: str, pepper: bytes, context: bytes) -> bytes:
    key = wrapping_key(password, wrapped.salt, pepper, wrapped.cost)
    try:
        return aead.decrypt(key, wrapped.ciphertext, context)
    except DecryptionFailed as exc:
        raise WrongPassword("the password or the pepper does not open this key") from exc
