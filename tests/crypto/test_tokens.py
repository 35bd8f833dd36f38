"""Personal access tokens: 256 bits, a keyed lookup and a separate wrapping key,
both useless without the pepper; a wrapped key opens only for its token and user."""

from __future__ import annotations

import base64
import secrets

import pytest

from ombud.crypto import tokens
from ombud.crypto.errors import CryptoError, DecryptionFailed
from ombud.crypto.tokens import TokenMalformed

PEPPER = bytes(range(64))
OTHER_PEPPER = bytes(range(1, 65))
LOOKUP_KEY, WRAP_KEY = tokens.subkeys(PEPPER)
EXPIRES = 1_800_000_000


def test_a_token_carries_256_bits_after_its_prefix_and_never_repeats():
    made = {tokens.token_new() for _ in range(2000)}
    assert len(made) == 2000
    token = made.pop()
    assert token.startswith("ombud_pat_") and len(token) == len("ombud_pat_") + 43
    assert len(tokens.token_secret(token)) == 32


@pytest.mark.parametrize(
    "text",
    [
        "",
        "ombud_pat_",
        "ombud_pat_" + "A" * 42,
        "ombud_pat_" + "A" * 44,
        "ombud_pat_" + "!" * 43,
        "pat_" + "A" * 43,
        "A" * 53,
        # The last character holds 2 bits and 4 zeros: another spelling of a token is refused.
        "ombud_pat_" + "A" * 42 + "B",
    ],
)
def test_something_that_is_not_a_token_is_refused(text):
    with pytest.raises(TokenMalformed):
        tokens.token_secret(text)


def test_the_lookup_is_one_way_keyed_and_separate_from_the_wrapping_key():
    token = tokens.token_new()
    lookup = tokens.token_lookup(token, LOOKUP_KEY)
    assert len(lookup) == 64 and lookup == tokens.token_lookup(f"  {token}\n", LOOKUP_KEY)
    secret = tokens.token_secret(token)
    assert secret.hex() not in lookup and base64.urlsafe_b64encode(secret).decode() not in lookup
    # Without the pepper, a copy of the database cannot test a token it was given.
    other_lookup, _wrap = tokens.subkeys(OTHER_PEPPER)
    assert tokens.token_lookup(token, other_lookup) != lookup
    assert LOOKUP_KEY != WRAP_KEY
    # Another token has another lookup.
    assert tokens.token_lookup(tokens.token_new(), LOOKUP_KEY) != lookup


def test_a_wrapped_private_key_opens_only_with_its_token_its_user_and_the_pepper():
    private = secrets.token_bytes(32)
    token = tokens.token_new()
    lookup = tokens.token_lookup(token, LOOKUP_KEY)
    context = tokens.token_context(user_id=7, lookup=lookup, expires=EXPIRES)
    wrapped = tokens.private_key_wrap(token, WRAP_KEY, private, context)
    assert private not in wrapped
    assert tokens.private_key_unwrap(token, WRAP_KEY, wrapped, context) == private
    with pytest.raises(DecryptionFailed):
        tokens.private_key_unwrap(tokens.token_new(), WRAP_KEY, wrapped, context)
    with pytest.raises(DecryptionFailed):  # moved to another user's token row
        tokens.private_key_unwrap(
            token,
            WRAP_KEY,
            wrapped,
            tokens.token_context(user_id=8, lookup=lookup, expires=EXPIRES),
        )
    with pytest.raises(DecryptionFailed):  # its expiry pushed back in the database
        tokens.private_key_unwrap(
            token,
            WRAP_KEY,
            wrapped,
            tokens.token_context(user_id=7, lookup=lookup, expires=EXPIRES + 1),
        )
    with pytest.raises(DecryptionFailed):  # an old copy of the database without the pepper
        tokens.private_key_unwrap(token, tokens.subkeys(OTHER_PEPPER)[1], wrapped, context)
    tampered = bytearray(wrapped)
    tampered[-1] ^= 1
    with pytest.raises(DecryptionFailed):
        tokens.private_key_unwrap(token, WRAP_KEY, bytes(tampered), context)


def test_only_a_32_byte_key_is_wrapped_and_a_short_pepper_is_refused():
    with pytest.raises(CryptoError):
        tokens.private_key_wrap(tokens.token_new(), WRAP_KEY, b"short", b"")
    with pytest.raises(CryptoError):
        tokens.subkeys(b"too short")
