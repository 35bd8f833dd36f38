"""An oblivious pseudo-random function: RFC 9497, ristretto255-SHA512, mode 0
(OPRF), composed from libsodium's ristretto255 functions (through pysodium, on
Debian's libsodium23; PyNaCl has no ristretto255 bindings) and SHA-512. The
matching escrow uses it so that the key holder evaluates a blinded element and
never sees what was named.

    client: blind, blinded = blind(input)        (the browser, in Ombud)
    server: evaluated = blind_evaluate(sk, blinded)   (the key holder)
    client: output = finalize(input, blind, evaluated)
    anyone holding sk: evaluate(sk, input) == output

Nothing here is new cryptography: expand_message_xmd (RFC 9380 §5.3.1), the
suite's hash-to-group and hash-to-scalar, and the protocol's three steps, checked
against every ristretto255-SHA512 mode-0 vector of the RFC (tests/crypto)."""

from __future__ import annotations

import hashlib
import secrets

import pysodium

from ombud.crypto.errors import CryptoError

MODE_OPRF = 0
SUITE = b"ristretto255-SHA512"
CONTEXT = b"OPRFV1-" + bytes([MODE_OPRF]) + b"-" + SUITE
ELEMENT_BYTES = 32
SCALAR_BYTES = 32
_HASH_BYTES = 64  # SHA-512
_BLOCK_BYTES = 128  # SHA-512's block


class OprfError(CryptoError):
    """An input the protocol refuses: an invalid element, an unusable key."""


def _i2osp(value: int, length: int) -> bytes:
    return value.to_bytes(length, "big")


def expand_message_xmd(message: bytes, dst: bytes, length: int) -> bytes:
    """RFC 9380 §5.3.1 with SHA-512."""
    if len(dst) > 255:
        raise OprfError("domain separation tag longer than 255 bytes")
    blocks = -(-length // _HASH_BYTES)
    if blocks > 255 or length > 65535:
        raise OprfError("expand_message_xmd: too long")
    dst_prime = dst + _i2osp(len(dst), 1)
    b0 = hashlib.sha512(
        bytes(_BLOCK_BYTES) + message + _i2osp(length, 2) + b"\x00" + dst_prime
    ).digest()
    out = hashlib.sha512(b0 + b"\x01" + dst_prime).digest()
    previous = out
    for index in range(2, blocks + 1):
        previous = hashlib.sha512(
            bytes(a ^ b for a, b in zip(b0, previous, strict=True)) + _i2osp(index, 1) + dst_prime
        ).digest()
        out += previous
    return out[:length]


def hash_to_group(message: bytes) -> bytes:
    """The suite's HashToGroup: 64 uniform bytes mapped to a ristretto255 element."""
    uniform = expand_message_xmd(message, b"HashToGroup-" + CONTEXT, 64)
    return bytes(pysodium.crypto_core_ristretto255_from_hash(uniform))


def hash_to_scalar(message: bytes, dst: bytes | None = None) -> bytes:
    """The suite's HashToScalar: 64 uniform bytes reduced modulo the group order."""
    uniform = expand_message_xmd(message, dst or (b"HashToScalar-" + CONTEXT), 64)
    return bytes(pysodium.crypto_core_ristretto255_scalar_reduce(uniform))


def _nonzero(scalar: bytes) -> bool:
    return any(scalar)


def derive_key_pair(seed: bytes, info: bytes) -> tuple[bytes, bytes]:
    """RFC 9497 §3.2.1 DeriveKeyPair: (secret scalar, public element) from a 32-byte
    seed and public ``info``."""
    if len(seed) != 32:
        raise OprfError("the seed is 32 bytes")
    derive_input = seed + _i2osp(len(info), 2) + info
    for counter in range(256):
        secret = hash_to_scalar(derive_input + _i2osp(counter, 1), dst=b"DeriveKeyPair" + CONTEXT)
        if _nonzero(secret):
            return secret, bytes(pysodium.crypto_scalarmult_ristretto255_base(secret))
    raise OprfError("DeriveKeyPair: no usable key")  # pragma: no cover - 2^-2000


def _element(data: bytes) -> bytes:
    if len(data) != ELEMENT_BYTES or not pysodium.crypto_core_ristretto255_is_valid_point(data):
        raise OprfError("not a ristretto255 element")
    if not any(data):
        raise OprfError("the identity element is refused")
    return data


def _scalar(data: bytes) -> bytes:
    if len(data) != SCALAR_BYTES or not _nonzero(data):
        raise OprfError("not a usable scalar")
    return data


def random_scalar() -> bytes:
    """A uniformly random non-zero scalar (a blind, or a key)."""
    while True:
        scalar = hash_to_scalar(secrets.token_bytes(64), dst=b"ombud-random-scalar")
        if _nonzero(scalar):
            return scalar


def blind(data: bytes, blind_scalar: bytes | None = None) -> tuple[bytes, bytes]:
    """The client's first step: (blind, blinded element). ``blind_scalar`` is for
    the test vectors only; otherwise it is random."""
    chosen = _scalar(blind_scalar) if blind_scalar is not None else random_scalar()
    element = hash_to_group(data)
    if not any(element):
        raise OprfError("the input maps to the identity element")
    return chosen, bytes(pysodium.crypto_scalarmult_ristretto255(chosen, element))


def blind_evaluate(secret: bytes, blinded: bytes) -> bytes:
    """The server's step: its key times the blinded element (it learns nothing of
    the input)."""
    return bytes(pysodium.crypto_scalarmult_ristretto255(_scalar(secret), _element(blinded)))


def _finalize_hash(data: bytes, unblinded: bytes) -> bytes:
    return hashlib.sha512(
        _i2osp(len(data), 2) + data + _i2osp(len(unblinded), 2) + unblinded + b"Finalize"
    ).digest()


def finalize(data: bytes, blind_scalar: bytes, evaluated: bytes) -> bytes:
    """The client's last step: unblind the server's answer and hash it with the
    input: 64 bytes, the same as ``evaluate(secret, data)``."""
    inverse = pysodium.crypto_core_ristretto255_scalar_invert(_scalar(blind_scalar))
    unblinded = bytes(pysodium.crypto_scalarmult_ristretto255(inverse, _element(evaluated)))
    return _finalize_hash(data, unblinded)


def evaluate(secret: bytes, data: bytes) -> bytes:
    """The function itself, for whoever holds the key (RFC 9497 §3.3.1 Evaluate)."""
    element = hash_to_group(data)
    if not any(element):
        raise OprfError("the input maps to the identity element")
    return _finalize_hash(
        data, bytes(pysodium.crypto_scalarmult_ristretto255(_scalar(secret), element))
    )
