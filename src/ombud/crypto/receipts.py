"""Reporters' receipts: the only thing a reporter keeps, and the only key to her case.

A receipt is 24 characters of Crockford's base32 (120 random bits), written in
groups of four so it can be read aloud and copied by hand. Input is normalised:
case, spaces and dashes do not matter, and the letters people confuse with
digits (O, I, L) are read as 0 and 1. At 120 bits nobody can guess a receipt,
so a fast keyed BLAKE2b derivation (libsodium's KDF construction) is enough to
derive, separately, the lookup id stored with the case, the reporter's key and
the seed of her signing key (her confirmation of minutes); none reveals another or
the receipt.
"""

from __future__ import annotations

import hashlib
import secrets

from ombud.crypto.errors import CryptoError

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford: no I, L, O, U
LENGTH = 24  # 24 x 5 = 120 bits
BITS = LENGTH * 5
_CONFUSABLE = str.maketrans({"O": "0", "I": "1", "L": "1"})


class ReceiptMalformed(CryptoError):
    """Not a receipt: wrong length or characters."""


def receipt_new() -> str:
    body = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
    return "-".join(body[i : i + 4] for i in range(0, LENGTH, 4))


def receipt_normalise(text: str) -> str:
    """The canonical 24 characters, or ReceiptMalformed."""
    cleaned = "".join(char for char in text.upper() if char not in " -\t\n").translate(_CONFUSABLE)
    if len(cleaned) != LENGTH or any(char not in ALPHABET for char in cleaned):
        raise ReceiptMalformed("a receipt is 24 letters and digits, as printed")
    return cleaned


def _derive(receipt: str, purpose: bytes) -> bytes:
    return hashlib.blake2b(
        receipt_normalise(receipt).encode("ascii"), digest_size=32, person=purpose
    ).digest()


def receipt_lookup_id(receipt: str) -> str:
    """What the database stores to find the case: hexadecimal, one way."""
    return _derive(receipt, b"ombud-lookup").hex()


def receipt_reporter_key(receipt: str) -> bytes:
    """The reporter's 32-byte key (seed of her key pair, or a symmetric key)."""
    return _derive(receipt, b"ombud-reporter")


def receipt_signing_seed(receipt: str) -> bytes:
    """The 32-byte seed of the reporter's Ed25519 signing key (``crypto.signing``),
    a purpose of its own: the key that opens her case never signs."""
    return _derive(receipt, b"ombud-sign")
