"""Row tags: framework-free, no database."""

from __future__ import annotations

from ombud.crypto import rowmac

KEY = rowmac.derive_key(bytes(range(32)))


def test_a_row_tag_checks_and_any_change_to_a_value_fails_it():
    values = (7, b"\x01" * 32, "joined handler", False)
    stored = rowmac.tag(KEY, "access.PendingGrant", values)
    assert rowmac.verify(KEY, "access.PendingGrant", values, stored)
    assert not rowmac.verify(KEY, "access.PendingGrant", (8, *values[1:]), stored)
    assert not rowmac.verify(KEY, "access.PendingGrant", (*values[:3], True), stored)
    assert not rowmac.verify(KEY, "access.Conflict", values, stored)  # another kind of row
    assert not rowmac.verify(rowmac.derive_key(bytes(32)), "access.PendingGrant", values, stored)
    assert not rowmac.verify(KEY, "access.PendingGrant", values, None)


def test_values_cannot_be_shifted_from_one_field_to_the_next():
    assert rowmac.tag(KEY, "k", ("ab", "c")) != rowmac.tag(KEY, "k", ("a", "bc"))
    assert rowmac.tag(KEY, "k", (1, None)) != rowmac.tag(KEY, "k", (None, 1))
    assert rowmac.tag(KEY, "k", ("1",)) != rowmac.tag(KEY, "k", (1,))
    assert rowmac.tag(KEY, "k", (True,)) != rowmac.tag(KEY, "k", (1,))
