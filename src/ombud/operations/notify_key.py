"""The notification key pair: a named reporter's address, and an address typed on
the reset page, are sealed to its public half; only the worker, which sends, reads
the private half (see ``ombud.operations.notify``). Below both the outbox, which
unseals, and notify, which seals."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings

from ombud import config
from ombud.crypto import boxes


def _public_path() -> Path:
    key = settings.CONFIG.notify_key_file
    return key.with_name(key.name + ".pub")


def notify_public_key() -> bytes:
    path = _public_path()
    if not path.exists():
        private = config.notify_private_key(settings.CONFIG)  # made on first use
        path.write_text(boxes.public_of(private).hex() + "\n")
    return bytes.fromhex(path.read_text().strip())


def notify_private_key() -> bytes:
    return config.notify_private_key(settings.CONFIG)
