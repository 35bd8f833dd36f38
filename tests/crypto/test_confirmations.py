"""The reporter's signature on minutes: derived from her receipt for this purpose
alone, over the case, the record, its version and the text she was shown."""

from __future__ import annotations

import pytest

from ombud.crypto import receipts, signing
from ombud.crypto.errors import CryptoError, SignatureInvalid

TEXT = "We met on 3 March. She described the banquet and the drive back."


def message(**changes):
    values = {
        "case_id": "case-a",
        "record_id": "minutes-1",
        "version": 2,
        "sha256": signing.text_sha256(TEXT),
    }
    values.update(changes)
    return signing.confirmation_message(**values)


def test_the_signing_seed_is_its_own_derivation_of_the_receipt():
    receipt = receipts.receipt_new()
    seed = receipts.receipt_signing_seed(receipt)
    assert len(seed) == 32
    assert seed == receipts.receipt_signing_seed(receipt.lower())
    assert seed != receipts.receipt_reporter_key(receipt)
    assert seed.hex() != receipts.receipt_lookup_id(receipt)
    assert seed != receipts.receipt_signing_seed(receipts.receipt_new())


def test_a_confirmation_verifies_with_her_public_key():
    seed = receipts.receipt_signing_seed(receipts.receipt_new())
    signature = signing.sign(seed, message())
    signing.verify(signing.public_key(seed).hex(), message(), signature)


@pytest.mark.parametrize(
    "change",
    [
        {"case_id": "case-b"},
        {"record_id": "minutes-2"},
        {"version": 3},
        {"sha256": signing.text_sha256(TEXT + " ")},
    ],
)
def test_a_confirmation_moved_to_another_case_record_version_or_text_fails(change):
    seed = receipts.receipt_signing_seed(receipts.receipt_new())
    signature = signing.sign(seed, message())
    with pytest.raises(SignatureInvalid):
        signing.verify(signing.public_key(seed).hex(), message(**change), signature)


def test_another_key_does_not_verify_her_confirmation():
    seed = receipts.receipt_signing_seed(receipts.receipt_new())
    forger = receipts.receipt_signing_seed(receipts.receipt_new())
    with pytest.raises(SignatureInvalid):
        signing.verify(signing.public_key(seed).hex(), message(), signing.sign(forger, message()))


def test_the_message_is_unambiguous_and_refuses_what_is_not_a_hash():
    assert message(case_id="ab", record_id="c") != message(case_id="a", record_id="bc")
    with pytest.raises(CryptoError):
        message(sha256="abcd")
    with pytest.raises(CryptoError):
        message(sha256="zz" * 32)
    with pytest.raises(CryptoError):
        message(version=0)
