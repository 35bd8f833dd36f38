"""Authenticated encryption of records: XChaCha20-Poly1305 (libsodium, via PyNaCl).

The associated data names the case, the record's kind, its id and its version,
so a ciphertext moved to another record, or an old version put back, does not
decrypt.
"""

from __future__ import annotations

import json

from nacl import bindings
from nacl.exceptions import CryptoError as NaclCryptoError
from nacl.utils import random

from ombud.crypto.errors import DecryptionFailed

KEY_BYTES = bindings.crypto_aead_xchacha20poly1305_ietf_KEYBYTES
NONCE_BYTES = bindings.crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
OVERHEAD = NONCE_BYTES + bindings.crypto_aead_xchacha20poly1305_ietf_ABYTES


def random_key() -> bytes:
    return random(KEY_BYTES)


def record_context(*, case_id: str, kind: str, record_id: str, version: int) -> bytes:
    """The associated data that binds a ciphertext to one version of one record."""
    return json.dumps(
        ["ombud-record-v1", case_id, kind, record_id, version], separators=(",", ":")
    ).encode()


def encrypt(key: bytes, plaintext: bytes, context: bytes) -> bytes:
    """nonce || ciphertext-with-tag. A fresh random nonce every time."""
    if len(key) != KEY_BYTES:
        raise DecryptionFailed("the key must be 32 bytes")
    nonce = random(NONCE_BYTES)
    sealed = bindings.crypto_aead_xchacha20poly1305_ietf_encrypt(plaintext, context, nonce, key)
    return nonce + sealed


def decrypt(key: bytes, blob: bytes, context: bytes) -> bytes:
    if len(key) != KEY_BYTES or len(blob) < OVERHEAD:
        raise DecryptionFailed("the ciphertext is truncated or the key is malformed")
    nonce, sealed = blob[:NONCE_BYTES], blob[NONCE_BYTES:]
    try:
        return bytes(
            bindings.crypto_aead_xchacha20poly1305_ietf_decrypt(sealed, context, nonce, key)
        )
    except NaclCryptoError as exc:
        raise DecryptionFailed("the ciphertext does not open with this key and context") from exc
