"""Ed25519 signatures (libsodium through PyNaCl): the audit log's checkpoints, and
the reporter's confirmation of minutes of her meetings.

A confirmation signs :func:`confirmation_message`: a domain tag, the case's public
id, the minutes' id, their version and the SHA-256 of the exact text she was
shown, each with its length, so a signature cannot be moved to another case,
record or version, and any later edit of the text voids it. It protects against
someone who writes to the database (a forged or moved confirmation fails) when the
public key it is checked with is trusted (Ombud stores it with a row MAC). It does
not protect against whoever holds her receipt, nor against an operator who runs the
server while her receipt passes through it (the pages sign on the server)."""

from __future__ import annotations

import hashlib

from nacl.exceptions import BadSignatureError
from nacl.signing import SigningKey, VerifyKey

from ombud.crypto.errors import CryptoError, SignatureInvalid


def public_key_hex(seed: bytes) -> str:
    """The hexadecimal public key belonging to a 32-byte Ed25519 seed."""
    return SigningKey(seed).verify_key.encode().hex()


def public_key(seed: bytes) -> bytes:
    """The 32-byte public key belonging to a 32-byte Ed25519 seed."""
    return SigningKey(seed).verify_key.encode()


CONFIRMATION_TAG = b"ombud-minutes-confirmation-v1"


def text_sha256(text: str) -> str:
    """The SHA-256 (hexadecimal) of a text as UTF-8: what a confirmation covers."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def confirmation_message(*, case_id: str, record_id: str, version: int, sha256: str) -> bytes:
    """The exact bytes a reporter's confirmation signs. ``sha256`` is the hexadecimal
    SHA-256 of the text she was shown."""
    try:
        digest = bytes.fromhex(sha256)
    except ValueError:
        digest = b""
    if len(digest) != 32 or version < 1:
        raise CryptoError("a confirmation covers a SHA-256 and a version from 1")
    parts = [CONFIRMATION_TAG, case_id.encode(), record_id.encode(), str(version).encode(), digest]
    return b"".join(len(part).to_bytes(4, "big") + part for part in parts)


def sign(seed: bytes, message: bytes) -> str:
    """Sign ``message`` with the key made from ``seed``; the signature in hexadecimal."""
    return SigningKey(seed).sign(message).signature.hex()


def verify(public_key: str, message: bytes, signature: str) -> None:
    """Raise SignatureInvalid unless ``signature`` signs ``message`` for ``public_key``."""
    try:
        key = VerifyKey(bytes.fromhex(public_key))
        key.verify(message, bytes.fromhex(signature))
    except (BadSignatureError, ValueError) as exc:
        raise SignatureInvalid("the signature does not verify") from exc
    except Exception as exc:  # PyNaCl raises its own types for malformed keys
        raise CryptoError(f"cannot check the signature: {exc}") from exc
