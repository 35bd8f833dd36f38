"""The cap on concurrent Argon2 computations (issue 10, item 8): a burst of sign-ins
waits its turn instead of taking every core, and gives up rather than pile up."""

from __future__ import annotations

import threading

import pytest

from ombud.crypto import passwords
from ombud.crypto.errors import KeyDerivationBusy


def test_a_derivation_beyond_the_cap_waits_and_then_gives_up():
    slots = passwords.Slots(size=2, wait_seconds=0)
    with slots(), slots(), pytest.raises(KeyDerivationBusy), slots():
        pass
    with slots():  # freed again
        pass


def test_a_waiting_derivation_runs_when_a_slot_frees():
    slots = passwords.Slots(size=1, wait_seconds=30)
    ran = threading.Event()

    def burst() -> None:
        with slots():
            ran.set()

    with slots():
        waiting = threading.Thread(target=burst)
        waiting.start()
        assert not ran.wait(timeout=0.05)  # held back while the slot is taken
    waiting.join(timeout=30)
    assert ran.is_set()


def test_every_argon2_computation_takes_a_slot(monkeypatch):
    busy = passwords.Slots(size=1, wait_seconds=0)
    monkeypatch.setattr(passwords, "slots", busy)
    pepper = bytes(32)
    with busy(), pytest.raises(KeyDerivationBusy):
        passwords.wrap(bytes(32), "pw", pepper, passwords.INSECURE_FOR_TESTS, b"ctx")


def test_when_enough_already_wait_another_is_told_at_once_to_try_again():
    slots = passwords.Slots(size=1, wait_seconds=30, max_waiting=1)
    held = threading.Event()
    release = threading.Event()

    def waiter() -> None:
        held.set()
        with slots():
            release.wait(30)

    with slots():
        first = threading.Thread(target=waiter)
        first.start()
        held.wait(30)
        while slots._waiting < 1:  # the first waiter is queued
            threading.Event().wait(0.001)
        with pytest.raises(KeyDerivationBusy, match="wait already"), slots():
            pass
    release.set()
    first.join(timeout=30)
