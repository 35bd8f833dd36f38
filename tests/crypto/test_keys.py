"""Records, sealed keys, password-wrapped keys and Shamir shares: no database."""

from __future__ import annotations

import contextlib
import secrets

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ombud.crypto import aead, boxes, passwords, shamir
from ombud.crypto.errors import DecryptionFailed, SharesInvalid, WrongPassword

PEPPER = bytes(range(32))
CHEAP = passwords.INSECURE_FOR_TESTS
CONTEXT = aead.record_context(case_id="c1", kind="report", record_id="r1", version=1)


def test_a_record_round_trips_under_its_own_context():
    key = aead.random_key()
    blob = aead.encrypt(key, b"She was pressured to drink.", CONTEXT)
    assert aead.decrypt(key, blob, CONTEXT) == b"She was pressured to drink."
    assert b"pressured" not in blob


def test_the_same_record_encrypts_differently_each_time():
    key = aead.random_key()
    assert aead.encrypt(key, b"same", CONTEXT) != aead.encrypt(key, b"same", CONTEXT)


@pytest.mark.parametrize(
    "other",
    [
        aead.record_context(case_id="c2", kind="report", record_id="r1", version=1),
        aead.record_context(case_id="c1", kind="message", record_id="r1", version=1),
        aead.record_context(case_id="c1", kind="report", record_id="r2", version=1),
        aead.record_context(case_id="c1", kind="report", record_id="r1", version=2),
    ],
    ids=["another case", "another kind", "another record", "another version"],
)
def test_a_record_moved_to_another_case_kind_id_or_version_does_not_open(other):
    key = aead.random_key()
    blob = aead.encrypt(key, b"text", CONTEXT)
    with pytest.raises(DecryptionFailed):
        aead.decrypt(key, blob, other)


@given(st.binary(min_size=1, max_size=64), st.data())
@settings(max_examples=50)
def test_any_flipped_bit_or_truncation_is_refused(plaintext, data):
    key = aead.random_key()
    blob = bytearray(aead.encrypt(key, plaintext, CONTEXT))
    position = data.draw(st.integers(0, len(blob) - 1))
    blob[position] ^= 1 << data.draw(st.integers(0, 7))
    with pytest.raises(DecryptionFailed):
        aead.decrypt(key, bytes(blob), CONTEXT)
    cut = data.draw(st.integers(0, len(blob) - 1))
    with pytest.raises(DecryptionFailed):
        aead.decrypt(key, aead.encrypt(key, plaintext, CONTEXT)[:cut], CONTEXT)


def test_a_record_does_not_open_with_another_key():
    blob = aead.encrypt(aead.random_key(), b"text", CONTEXT)
    with pytest.raises(DecryptionFailed):
        aead.decrypt(aead.random_key(), blob, CONTEXT)


def test_a_sealed_key_opens_only_with_the_matching_private_key():
    reader, stranger = boxes.keypair(), boxes.keypair()
    case_key = aead.random_key()
    sealed = boxes.seal(reader.public, case_key)
    assert boxes.unseal(reader.private, sealed) == case_key
    with pytest.raises(DecryptionFailed):
        boxes.unseal(stranger.private, sealed)
    with pytest.raises(DecryptionFailed):
        boxes.unseal(reader.private, sealed[:-1])
    tampered = bytearray(sealed)
    tampered[40] ^= 1
    with pytest.raises(DecryptionFailed):
        boxes.unseal(reader.private, bytes(tampered))
    assert boxes.public_of(reader.private) == reader.public


def test_a_wrapped_private_key_needs_the_password_and_the_pepper():
    pair = boxes.keypair()
    context = b"ombud-staff-key:42"
    wrapped = passwords.wrap(pair.private, "long passphrase here", PEPPER, CHEAP, context)
    assert passwords.unwrap(wrapped, "long passphrase here", PEPPER, context) == pair.private
    assert pair.private not in wrapped.ciphertext
    with pytest.raises(WrongPassword):
        passwords.unwrap(wrapped, "long passphrase herE", PEPPER, context)
    with pytest.raises(WrongPassword):
        passwords.unwrap(wrapped, "long passphrase here", bytes(32), context)
    with pytest.raises(WrongPassword):
        passwords.unwrap(wrapped, "long passphrase here", PEPPER, b"ombud-staff-key:43")


@given(st.integers(1, 7), st.data())
@settings(max_examples=40)
def test_any_threshold_of_shares_recovers_the_secret_and_fewer_do_not(threshold, data):
    count = data.draw(st.integers(threshold, 8))
    secret = secrets.token_bytes(32)
    points = shamir.split(secret, shares=count, threshold=threshold)
    chosen = data.draw(st.permutations(points)).copy()[:threshold]
    assert shamir.combine(chosen) == secret
    if threshold > 1:
        # Fewer shares give another value, or one outside the secret's range (refused).
        with contextlib.suppress(SharesInvalid):
            assert shamir.combine(chosen[:-1]) != secret


def test_shares_agree_with_the_polynomial_at_random_points():
    secret = secrets.token_bytes(32)
    points = shamir.split(secret, shares=5, threshold=3)
    # Any three points define the polynomial; it must pass through the other two.
    a, b, c, d, e = points

    def interpolate(known, x):
        total = 0
        for i, (x_i, y_i) in enumerate(known):
            term = y_i
            for j, (x_j, _y) in enumerate(known):
                if i != j:
                    term = term * (x - x_j) * pow(x_i - x_j, -1, shamir.PRIME) % shamir.PRIME
            total = (total + term) % shamir.PRIME
        return total

    assert interpolate([a, b, c], d[0]) == d[1]
    assert interpolate([a, c, e], b[0]) == b[1]
    assert interpolate([b, d, e], 0) == int.from_bytes(secret, "big")


def test_a_share_survives_being_written_down_and_a_typo_is_caught():
    point = shamir.split(secrets.token_bytes(32), shares=3, threshold=2)[1]
    text = shamir.encode(point)
    assert shamir.decode(text.upper()) == point
    assert shamir.decode(" ".join(text.split())) == point
    digits = text.split("-")[1]
    wrong = "a" if digits[0] != "a" else "b"
    with pytest.raises(SharesInvalid, match="typing mistake"):
        shamir.decode(text.replace(digits, wrong + digits[1:], 1))
    with pytest.raises(SharesInvalid):
        shamir.decode("not a share")


def test_the_same_share_twice_is_refused():
    points = shamir.split(secrets.token_bytes(32), shares=3, threshold=2)
    with pytest.raises(SharesInvalid, match="twice"):
        shamir.combine([points[0], points[0]])


def test_the_field_is_prime_and_holds_every_32_byte_secret():
    # Miller-Rabin with fixed bases: a composite would fail for one of them.
    n, d, r = shamir.PRIME, shamir.PRIME - 1, 0
    while d % 2 == 0:
        d, r = d // 2, r + 1
    for base in (2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41):
        x = pow(base, d, n)
        if x in (1, n - 1):
            continue
        for _ in range(r - 1):
            x = pow(x, 2, n)
            if x == n - 1:
                break
        else:
            raise AssertionError(f"{base} witnesses that the field is not prime")
    assert shamir.PRIME > 2**256
    secret = b"\xff" * 32
    assert shamir.combine(shamir.split(secret, shares=3, threshold=2)[:2]) == secret
