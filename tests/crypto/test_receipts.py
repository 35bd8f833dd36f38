"""Receipts: readable, at least 100 bits, forgiving to type, two separate derivations."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ombud.crypto import receipts
from ombud.crypto.receipts import ReceiptMalformed


def test_a_receipt_carries_at_least_100_bits_in_groups_of_four():
    receipt = receipts.receipt_new()
    assert receipts.BITS >= 100
    groups = receipt.split("-")
    assert [len(group) for group in groups] == [4] * 6
    assert set("".join(groups)) <= set(receipts.ALPHABET)


def test_receipts_do_not_repeat():
    assert len({receipts.receipt_new() for _ in range(2000)}) == 2000


@given(st.data())
def test_case_spaces_dashes_and_look_alike_letters_do_not_matter(data):
    receipt = receipts.receipt_new()
    typed = receipt.lower().replace("-", data.draw(st.sampled_from(["", " ", "-", "  "])))
    typed = typed.replace("0", data.draw(st.sampled_from(["0", "o", "O"])))
    typed = typed.replace("1", data.draw(st.sampled_from(["1", "i", "l", "L"])))
    assert receipts.receipt_normalise(typed) == receipt.replace("-", "")
    assert receipts.receipt_lookup_id(typed) == receipts.receipt_lookup_id(receipt)


@pytest.mark.parametrize(
    "text",
    ["", "ABCD", "ABCD-EFGH-JKMN-PQRS-TVWX-YZ0U", "é" * 24, "ABCD-EFGH-JKMN-PQRS-TVWX-YZ01-2"],
)
def test_something_that_is_not_a_receipt_is_refused(text):
    with pytest.raises(ReceiptMalformed):
        receipts.receipt_normalise(text)


def test_the_lookup_id_and_the_reporter_key_are_separate_and_stable():
    receipt = receipts.receipt_new()
    lookup, key = receipts.receipt_lookup_id(receipt), receipts.receipt_reporter_key(receipt)
    assert len(key) == 32 and len(bytes.fromhex(lookup)) == 32
    assert bytes.fromhex(lookup) != key
    assert receipts.receipt_lookup_id(receipt) == lookup
    other = receipts.receipt_new()
    assert receipts.receipt_lookup_id(other) != lookup
    assert receipts.receipt_reporter_key(other) != key
