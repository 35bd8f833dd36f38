"""Shamir's secret sharing of a 32-byte secret over the prime field of 2**256 + 297.

Any ``threshold`` of the ``shares`` points recover the secret by Lagrange
interpolation at zero; fewer give a value that says nothing about it. The
points are drawn with ``secrets``. Shares carry a check so a mistyped share is
caught before it is used; whether the recovered secret is the right one is
for the caller to check (against a stored public key, say).
"""

from __future__ import annotations

import hashlib
import secrets

from ombud.crypto.errors import SharesInvalid

# The smallest prime above 2**256: every 32-byte secret is a field element, and a
# share stays short enough to type (65 hexadecimal digits).
PRIME = 2**256 + 297
SECRET_BYTES = 32
_Y_DIGITS = 65  # hexadecimal digits of a number below PRIME


def split(secret: bytes, *, shares: int, threshold: int) -> list[tuple[int, int]]:
    if len(secret) != SECRET_BYTES:
        raise SharesInvalid("the secret must be 32 bytes")
    if not 1 <= threshold <= shares <= 255:
        raise SharesInvalid("need 1 <= threshold <= shares <= 255")
    coefficients = [int.from_bytes(secret, "big")] + [
        secrets.randbelow(PRIME) for _ in range(threshold - 1)
    ]
    return [(x, _evaluate(coefficients, x)) for x in range(1, shares + 1)]


def _evaluate(coefficients: list[int], x: int) -> int:
    result = 0
    for coefficient in reversed(coefficients):  # Horner's rule
        result = (result * x + coefficient) % PRIME
    return result


def combine(points: list[tuple[int, int]]) -> bytes:
    """The polynomial's value at zero, as 32 bytes."""
    if not points:
        raise SharesInvalid("no shares")
    xs = [x for x, _y in points]
    if len(set(xs)) != len(xs):
        raise SharesInvalid("the same share was given twice")
    secret = 0
    for i, (x_i, y_i) in enumerate(points):
        numerator, denominator = 1, 1
        for j, (x_j, _y_j) in enumerate(points):
            if i != j:
                numerator = numerator * -x_j % PRIME
                denominator = denominator * (x_i - x_j) % PRIME
        secret = (secret + y_i * numerator * pow(denominator, -1, PRIME)) % PRIME
    if secret >= 2 ** (8 * SECRET_BYTES):
        raise SharesInvalid("these shares do not belong together")
    return secret.to_bytes(SECRET_BYTES, "big")


def _check(x: int, y: int) -> str:
    return hashlib.sha256(f"ombud-share:{x}:{y:x}".encode()).hexdigest()[:6]


def encode(point: tuple[int, int]) -> str:
    """A share as text to write down: ``<x>-<y in hex>-<check>``, in groups for reading."""
    x, y = point
    body = f"{y:0{_Y_DIGITS}x}"
    grouped = " ".join(body[i : i + 8] for i in range(0, len(body), 8))
    return f"{x}-{grouped}-{_check(x, y)}"


def decode(text: str) -> tuple[int, int]:
    cleaned = "".join(text.split()).lower()
    try:
        x_text, y_text, check = cleaned.split("-")
        x, y = int(x_text), int(y_text, 16)
    except ValueError:
        raise SharesInvalid("a share looks like 3-1a2b3c4d …-9f8e7d") from None
    if _check(x, y) != check:
        raise SharesInvalid(f"share {x_text} has a typing mistake (its check does not match)")
    if not 1 <= x <= 255 or not 0 <= y < PRIME:
        raise SharesInvalid(f"share {x_text} is out of range")
    return x, y
