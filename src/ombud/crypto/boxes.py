"""X25519 key pairs and sealing to a public key (libsodium sealed boxes, via PyNaCl).

Whoever holds only a public key can seal; only the private key opens. The
sender stays anonymous: a sealed box says nothing about who made it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from nacl.exceptions import CryptoError as NaclCryptoError
from nacl.public import PrivateKey, PublicKey, SealedBox

from ombud.crypto.errors import CryptoError, DecryptionFailed

KEY_BYTES = 32


@dataclass(frozen=True)
class KeyPair:
    public: bytes
    private: bytes = field(repr=False)


def keypair() -> KeyPair:
    private = PrivateKey.generate()
    return KeyPair(public=bytes(private.public_key), private=bytes(private))


def public_of(private: bytes) -> bytes:
    try:
        return bytes(PrivateKey(private).public_key)
    except (NaclCryptoError, TypeError, ValueError) as exc:
        raise CryptoError("malformed private key") from exc


def seal(public_key: bytes, plaintext: bytes) -> bytes:
    try:
        return bytes(SealedBox(PublicKey(public_key)).encrypt(plaintext))
    except (NaclCryptoError, TypeError, ValueError) as exc:
        raise CryptoError("malformed public key") from exc


def unseal(private_key: bytes, sealed: bytes) -> bytes:
    try:
        return bytes(SealedBox(PrivateKey(private_key)).decrypt(sealed))
    except (NaclCryptoError, TypeError, ValueError) as exc:
        raise DecryptionFailed("the sealed box does not open with this private key") from exc


def fingerprint(public_key: bytes) -> str:
    """A short, readable fingerprint: the first 80 bits of SHA-256, in groups of four."""
    digest = hashlib.sha256(b"ombud-key-fingerprint\0" + public_key).hexdigest()[:20]
    return "-".join(digest[i : i + 4] for i in range(0, 20, 4))
