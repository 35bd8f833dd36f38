"""The OPRF reproduces every ristretto255-SHA512 mode-0 vector of RFC 9497 (the
official file, copied beside this test so the repository stands alone), and its
three steps agree with the function evaluated directly."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ombud.crypto import oprf

VECTORS = json.loads((Path(__file__).parent / "vectors" / "rfc9497-allVectors.json").read_text())
SUITE = next(s for s in VECTORS if s["identifier"] == "ristretto255-SHA512" and s["mode"] == 0)
CASES = [v for v in SUITE["vectors"] if v.get("Batch", 1) == 1]


def test_the_key_pair_is_derived_as_the_rfc_derives_it():
    secret, public = oprf.derive_key_pair(
        bytes.fromhex(SUITE["seed"]), bytes.fromhex(SUITE["keyInfo"])
    )
    assert secret.hex() == SUITE["skSm"]
    assert oprf.CONTEXT.hex() in SUITE["groupDST"]  # the suite's context string
    if "pkSm" in SUITE:
        assert public.hex() == SUITE["pkSm"]


@pytest.mark.parametrize("vector", CASES, ids=[v["Input"] for v in CASES])
def test_every_mode_0_vector_is_reproduced_step_by_step(vector):
    secret, _public = oprf.derive_key_pair(
        bytes.fromhex(SUITE["seed"]), bytes.fromhex(SUITE["keyInfo"])
    )
    data = bytes.fromhex(vector["Input"])
    chosen, blinded = oprf.blind(data, bytes.fromhex(vector["Blind"]))
    assert blinded.hex() == vector["BlindedElement"]
    evaluated = oprf.blind_evaluate(secret, blinded)
    assert evaluated.hex() == vector["EvaluationElement"]
    output = oprf.finalize(data, chosen, evaluated)
    assert output.hex() == vector["Output"]
    assert oprf.evaluate(secret, data) == output


def test_a_random_blind_gives_the_same_output_and_hides_the_input():
    secret, _public = oprf.derive_key_pair(bytes(32), b"ombud test")
    data = b"someone@example.invalid"
    first_blind, first = oprf.blind(data)
    second_blind, second = oprf.blind(data)
    assert first != second  # what the server sees differs each time
    assert oprf.finalize(data, first_blind, oprf.blind_evaluate(secret, first)) == oprf.finalize(
        data, second_blind, oprf.blind_evaluate(secret, second)
    )
    assert oprf.evaluate(secret, data) != oprf.evaluate(secret, b"someone-else@example.invalid")


def test_a_blinded_element_that_is_not_a_group_element_is_refused():
    secret, _public = oprf.derive_key_pair(bytes(32), b"ombud test")
    for bad in (bytes(32), b"\xff" * 32, b"\x01" * 31):
        with pytest.raises(oprf.OprfError):
            oprf.blind_evaluate(secret, bad)
