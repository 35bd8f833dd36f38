"""Personal access tokens for the staff API.

A token is ``ombud_pat_`` and 32 random bytes in URL-safe base64 (256 bits). At
that entropy nobody guesses one, so, as for receipts, a fast keyed BLAKE2b
derivation is enough; the slow Argon2id is for passwords, which people choose.
From the secret come, separately (each its own purpose and its own key derived
from the pepper, the file kept outside the database):

- the lookup id the database keeps to find the token: one way, and keyed, so that
  a copy of the database cannot be used to test whether a token text is real;
- the key that wraps the token's own copy of its owner's private key (a token
  carries no password, so its secret must be what opens her key). Keyed with the
  pepper too, so that a token text kept after its revocation opens nothing in an
  old copy of the database alone.

What it protects against: learning a token, or its owner's private key, from what
the database keeps; moving a wrapped key to another token or another user (the
associated data names both), or an expiry pushed back in the database (it is
in the associated data too). What it does not protect against: someone who holds
a live token (it is a bearer secret: it reads what its owner reads, until it
expires or is revoked), or who holds the server with its pepper while a token is
used.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import secrets

from ombud.crypto import aead
from ombud.crypto.errors import CryptoError

PREFIX = "ombud_pat_"
SECRET_BYTES = 32  # 256 bits
_ENCODED = 43  # base64url of 32 bytes, without padding


class TokenMalformed(CryptoError):
    """Not a token: wrong prefix, length or characters."""


def token_new() -> str:
    """A new token's text: shown once, never stored."""
    return PREFIX + base64.urlsafe_b64encode(secrets.token_bytes(SECRET_BYTES)).decode().rstrip("=")


def token_secret(text: str) -> bytes:
    """The 32 secret bytes of a token, or TokenMalformed."""
    text = text.strip()
    body = text.removeprefix(PREFIX)
    if body == text or len(body) != _ENCODED:
        raise TokenMalformed("a token starts with ombud_pat_ and has 43 more characters")
    try:
        secret = base64.urlsafe_b64decode(body + "=")
    except (binascii.Error, ValueError) as exc:
        raise TokenMalformed("a token's characters are letters, digits, - and _") from exc
    if len(secret) != SECRET_BYTES or base64.urlsafe_b64encode(secret).decode()[:_ENCODED] != body:
        raise TokenMalformed("a token's characters are letters, digits, - and _")
    return secret


def subkeys(pepper: bytes) -> tuple[bytes, bytes]:
    """The lookup key and the wrapping key, each derived from the pepper for its
    purpose alone."""
    if len(pepper) < 32:
        raise CryptoError("the pepper must be at least 32 bytes")

    def derive(purpose: bytes) -> bytes:
        return hashlib.blake2b(purpose, key=pepper[:64], digest_size=32).digest()

    return derive(b"ombud-api-token-lookup"), derive(b"ombud-api-token-wrap")


def token_lookup(text: str, lookup_key: bytes) -> str:
    """What the database keeps to find the token: 64 hexadecimal characters."""
    return hashlib.blake2b(
        token_secret(text), key=lookup_key, digest_size=32, person=b"ombud-pat-look"
    ).hexdigest()


def _wrapping_key(text: str, wrap_key: bytes) -> bytes:
    return hashlib.blake2b(
        token_secret(text), key=wrap_key, digest_size=aead.KEY_BYTES, person=b"ombud-pat-wrap"
    ).digest()


def private_key_wrap(text: str, wrap_key: bytes, private_key: bytes, context: bytes) -> bytes:
    """The token's own copy of a private key, under a key only the token's text gives."""
    if len(private_key) != 32:
        raise CryptoError("a private key is 32 bytes")
    return aead.encrypt(_wrapping_key(text, wrap_key), private_key, context)


def private_key_unwrap(text: str, wrap_key: bytes, wrapped: bytes, context: bytes) -> bytes:
    """The private key, or DecryptionFailed (another token, user or pepper)."""
    return aead.decrypt(_wrapping_key(text, wrap_key), wrapped, context)


def token_context(*, user_id: object, lookup: str, expires: int) -> bytes:
    """The associated data of a wrapped key: its user, its token and its expiry (in
    seconds since 1970), so that a row whose expiry was pushed back opens nothing."""
    return f"ombud-api-token:{user_id}:{lookup}:{expires}".encode()
