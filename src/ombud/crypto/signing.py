"""Ed25519 signatures for audit checkpoints (libsodium through PyNaCl)."""

from __future__ import annotations

from nacl.exceptions import BadSignatureError
from nacl.signing import SigningKey, VerifyKey

from ombud.crypto.errors import CryptoError, SignatureInvalid


def public_key_hex(seed: bytes) -> str:
    """The hexadecimal public key belonging to a 32-byte Ed25519 seed."""
    return SigningKey(seed).verify_key.encode().hex()


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
