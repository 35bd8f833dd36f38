"""The audit chain, on its own: no database, no Django."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ombud.crypto import chain, signing
from ombud.crypto.errors import SignatureInvalid

texts = st.text(min_size=0, max_size=20)
records = st.fixed_dictionaries(
    {
        "actor": texts,
        "action": st.text(min_size=1, max_size=20),
        "object_type": texts,
        "object_id": texts,
        "details": st.dictionaries(
            st.text(max_size=8), st.one_of(st.integers(), texts), max_size=3
        ),
    }
)


def build(items: list[dict]) -> list[chain.Entry]:
    entries: list[chain.Entry] = []
    for number, item in enumerate(items):
        previous = entries[-1] if entries else None
        entries.append(
            chain.link(
                previous,
                at=f"2026-11-25T10:00:{number % 60:02d}.000000+00:00",
                actor_id=number,
                actor=item["actor"],
                action=item["action"],
                object_type=item["object_type"],
                object_id=item["object_id"],
                details=chain.canonical_details(item["details"]),
            )
        )
    return entries


@given(st.lists(records, min_size=1, max_size=12))
def test_an_untouched_chain_verifies(items):
    assert chain.verify(build(items)) is None


@given(st.lists(records, min_size=1, max_size=12), st.data())
def test_any_changed_byte_of_any_field_is_found_at_that_entry(items, data):
    entries = build(items)
    index = data.draw(st.integers(0, len(entries) - 1))
    name = data.draw(
        st.sampled_from(
            ["at", "actor", "action", "object_type", "object_id", "details", "prev_hash", "hash"]
        )
    )
    value = getattr(entries[index], name)
    position = data.draw(st.integers(0, max(len(value) - 1, 0)))
    original = value[position] if value else ""
    replacement = data.draw(st.characters().filter(lambda c: c != original))
    changed = value[:position] + replacement + value[position + 1 :]
    entries[index] = dataclasses.replace(entries[index], **{name: changed})
    problem = chain.verify(entries)
    assert problem is not None
    # A changed hash is noticed at the entry itself or, at the latest, at the next one.
    assert problem.seq in (index + 1, index + 2)


@given(st.lists(records, min_size=2, max_size=12), st.data())
def test_a_deleted_entry_is_reported_as_missing(items, data):
    entries = build(items)
    index = data.draw(st.integers(0, len(entries) - 2))  # the last one needs the head check
    del entries[index]
    problem = chain.verify(entries)
    assert problem is not None
    assert problem.seq == index + 1
    assert "missing" in problem.reason


@given(st.lists(records, min_size=1, max_size=12), records, st.data())
def test_an_inserted_entry_is_found(items, extra, data):
    entries = build(items)
    index = data.draw(st.integers(0, len(entries)))
    forged_previous = entries[index - 1] if index else None
    forged = (
        build([extra])[0]
        if forged_previous is None
        else chain.link(
            forged_previous,
            at="2026-11-25T11:00:00.000000+00:00",
            actor_id=None,
            actor=extra["actor"],
            action=extra["action"],
        )
    )
    entries.insert(index, forged)
    problem = chain.verify(entries)
    if index == len(entries) - 1:
        # Appended at the end with a correct link, it is simply a new entry: only the
        # signed head and checkpoints (checked by the database layer) can tell.
        assert problem is None
    else:
        assert problem is not None
        assert problem.seq == index + 1 or problem.seq == index + 2


@given(st.lists(records, min_size=2, max_size=12), st.data())
def test_two_swapped_entries_are_found(items, data):
    entries = build(items)
    first = data.draw(st.integers(0, len(entries) - 2))
    second = data.draw(st.integers(first + 1, len(entries) - 1))
    entries[first], entries[second] = entries[second], entries[first]
    problem = chain.verify(entries)
    assert problem is not None
    assert problem.seq in (first + 1, second + 1)


def test_details_are_canonical_whatever_the_key_order():
    assert chain.canonical_details({"b": 1, "a": "é"}) == chain.canonical_details(
        {"a": "é", "b": 1}
    )
    assert chain.canonical_details({"b": 1, "a": "é"}) == '{"a":"é","b":1}'


def test_a_checkpoint_signature_verifies_only_for_its_message_and_key():
    seed, other = bytes(range(32)), bytes(32)
    message = chain.checkpoint_message(seq=5, entry_hash="ab" * 32, at="t", kind="daily")
    signature = signing.sign(seed, message)
    signing.verify(signing.public_key_hex(seed), message, signature)
    tampered = chain.checkpoint_message(seq=6, entry_hash="ab" * 32, at="t", kind="daily")
    with pytest.raises(SignatureInvalid):
        signing.verify(signing.public_key_hex(seed), tampered, signature)
    with pytest.raises(SignatureInvalid):
        signing.verify(signing.public_key_hex(other), message, signature)
    with pytest.raises(SignatureInvalid):
        signing.verify(signing.public_key_hex(seed), message, signature[:-2] + "00")
