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
    # Any character text can hold: a lone surrogate is not one (no database stores it).
    replacement = data.draw(
        st.characters(blacklist_categories=("Cs",)).filter(lambda c: c != original)
    )
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


def checkpoint(**changes: object) -> bytes:
    fields: dict = dict(
        seq=5,
        entry_hash="ab" * 32,
        at="t",
        kind="daily",
        interval=None,
        previous=None,
        day="2026-11-25",
        late=False,
    )
    return chain.checkpoint_message(**(fields | changes))


def test_a_checkpoint_signature_verifies_only_for_its_message_and_key():
    seed, other = bytes(range(32)), bytes(32)
    message = checkpoint()
    signature = signing.sign(seed, message)
    signing.verify(signing.public_key_hex(seed), message, signature)
    with pytest.raises(SignatureInvalid):
        signing.verify(signing.public_key_hex(seed), checkpoint(seq=6), signature)
    with pytest.raises(SignatureInvalid):
        signing.verify(signing.public_key_hex(other), message, signature)
    with pytest.raises(SignatureInvalid):
        signing.verify(signing.public_key_hex(seed), message, signature[:-2] + "00")


@pytest.mark.parametrize(
    "change",
    [
        {"entry_hash": "cd" * 32},
        {"at": "u"},
        {"kind": "interval"},
        {"interval": 1000},
        {"previous": 0},
        {"day": "2026-11-26"},
        {"day": None},
        {"late": True},
    ],
)
def test_a_checkpoint_signature_covers_its_day_interval_and_late_mark(change):
    seed = bytes(range(32))
    signature = signing.sign(seed, checkpoint())
    with pytest.raises(SignatureInvalid):
        signing.verify(signing.public_key_hex(seed), checkpoint(**change), signature)


def made_by_the_log(intervals: list[int]) -> list[tuple[int, int, int]]:
    """The interval checkpoints ``audit_record`` makes while writing one entry per
    item of ``intervals``, each the interval in force when that entry is written."""
    made, last = [], 0
    for seq, every in enumerate(intervals, start=1):
        if seq - last >= every:
            made.append((seq, every, last))
            last = seq
    return made


def test_with_an_unchanged_interval_checkpoints_fall_on_its_multiples_and_leave_no_gap():
    made = made_by_the_log([3] * 32)
    assert [seq for seq, _every, _previous in made] == list(range(3, 31, 3))
    assert chain.interval_gap(made, head=32, interval=3) is None
    assert chain.interval_gap([], head=2, interval=3) is None


@pytest.mark.parametrize("missing", [3, 15, 30])
def test_a_missing_interval_checkpoint_is_named(missing):
    made = [item for item in made_by_the_log([3] * 32) if item[0] != missing]
    gap = chain.interval_gap(made, head=32, interval=3)
    assert gap is not None
    assert gap.seq == missing
    assert gap.reason.startswith(f"the signed checkpoint at entry {missing} is missing")


def test_without_any_interval_checkpoint_the_first_is_missing():
    gap = chain.interval_gap([], head=3, interval=3)
    assert gap is not None and gap.seq == 3


@given(
    before=st.integers(1, 50),
    after=st.integers(1, 50),
    change=st.integers(0, 400),
    length=st.integers(0, 600),
)
def test_a_changed_interval_never_makes_an_honest_log_look_incomplete(
    before, after, change, length
):
    intervals = [before] * min(change, length) + [after] * max(length - change, 0)
    made = made_by_the_log(intervals)
    if made or length > change:  # else the documented false alarm: no entry since it shrank
        assert chain.interval_gap(made, head=length, interval=after) is None
    for index in range(len(made) - 1):
        # Every checkpoint but the last is named by the one after it.
        removed = made[:index] + made[index + 1 :]
        assert chain.interval_gap(removed, head=length, interval=after) is not None
    if made and before == after:
        assert chain.interval_gap(made[:-1], head=length, interval=after) is not None


def _dumps_hash(entry: chain.Entry) -> str:
    """The hash as the format defines it, with json.dumps itself."""
    import hashlib
    import json

    fields = [
        "ombud-audit-v1", entry.seq, entry.at, entry.actor_id, entry.actor, entry.action,
        entry.object_type, entry.object_id, entry.details, entry.prev_hash,
    ]  # fmt: skip
    encoded = json.dumps(fields, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return hashlib.sha256(encoded).hexdigest()


@given(
    st.fixed_dictionaries(
        {
            "seq": st.integers(1, 2**63),
            "at": st.text(),
            "actor_id": st.one_of(st.none(), st.integers(-(2**63), 2**63)),
            "actor": st.text(),
            "action": st.text(),
            "object_type": st.text(),
            "object_id": st.text(),
            "details": st.text(),
            "prev_hash": st.text(),
        }
    )
)
def test_the_hash_is_json_dumps_of_the_fields_byte_for_byte(fields):
    entry = chain.Entry(**fields, hash="")
    assert chain.entry_hash(**fields) == _dumps_hash(entry)


def test_a_known_entry_keeps_its_known_hash():
    fields = dict(
        seq=7, at="2026-11-25T10:00:00.000001+00:00", actor_id=None, actor='user:"hana"\\',
        action="cases.case.read", object_type="cases.case", object_id="12",
        details='{"note":"é\\u2028\\n\u2028"}', prev_hash=chain.GENESIS,
    )  # fmt: skip
    assert chain.entry_hash(**fields) == _dumps_hash(chain.Entry(**fields, hash=""))


def _rows(entries: list[chain.Entry]) -> list[chain.Row]:
    """Entries as a database gives them to audit_verify: every field as text."""
    return [
        (str(e.seq), e.at, "" if e.actor_id is None else str(e.actor_id), e.actor, e.action,
         e.object_type, e.object_id, e.details, e.prev_hash, e.hash)
        for e in entries
    ]  # fmt: skip


@given(st.lists(records, min_size=2, max_size=12), st.data())
def test_checking_in_runs_finds_the_break_the_verifier_finds(items, data):
    entries = build(items)
    index = data.draw(st.integers(0, len(entries) - 1))
    how = data.draw(st.sampled_from(["change", "delete", "swap", "none"]))
    if how == "change":
        entries[index] = dataclasses.replace(entries[index], actor=entries[index].actor + "x")
    elif how == "delete":
        del entries[index]
    elif how == "swap" and index + 1 < len(entries):
        entries[index], entries[index + 1] = entries[index + 1], entries[index]
    cut = data.draw(st.integers(1, max(1, len(entries) - 1)))
    whole = chain.verify(entries)
    # Joined as audit_verify joins runs: does the run follow, then the run itself.
    found = None
    verifier = chain.Verifier()
    for run in (entries[:cut], entries[cut:]):
        if not run:
            continue
        found = verifier.follows(run[0].seq, run[0].prev_hash)
        if found is None and (inside := chain.check_batch(_rows(run))) is not None:
            found = inside[1]
        if found is not None:
            break
        verifier = chain.Verifier(start_seq=run[-1].seq + 1, start_hash=run[-1].hash)
    assert found == whole
