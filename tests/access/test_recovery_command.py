"""The recovery ceremony as officers perform it: `ombud recovery init` and `grant`."""

from __future__ import annotations

import re

import pytest

SETUP = """
from ombud.access.services import case_create
from ombud.directory.models import Person
from ombud.directory.services import person_save, person_deactivate, user_create
hana_person = person_save(actor="test", person=Person(employee_id="C010", name="Hana Quill"))
hana = user_create(actor="test", username="hana", password="correct horse", person=hana_person)
emil_person = person_save(actor="test", person=Person(employee_id="C011", name="Emil Brask"))
emil = user_create(actor="test", username="emil", password="another passphrase", person=emil_person)
case, key = case_create(actor="test", readers=[hana])
person_deactivate(actor="test", person=hana_person)  # the only holder leaves
print(case.ref)
"""

CHECK = """
from ombud.access.services import case_key_open, staff_key_unlock
from ombud.cases.models import Case
from ombud.directory.models import User
emil = User.objects.get(username="emil")
case = Case.objects.get(ref="{ref}")
try:
    case_key_open(case=case, user=emil, private=staff_key_unlock(user=emil,
                  password="another passphrase"))
    print("opens")
except Exception as error:
    print("locked:", type(error).__name__)
"""


@pytest.fixture
def ceremony(instance):
    made = instance.run("recovery", "init", "--shares", "3", "--threshold", "2")
    assert made.returncode == 0, made.stderr
    shares = [line.strip() for line in made.stdout.splitlines() if re.match(r"^\s+\d-", line)]
    assert len(shares) == 3
    assert "shown this once and stored nowhere" in made.stdout
    ref = instance.python(SETUP)
    return instance, shares, ref


def test_recovery_init_refuses_to_replace_an_existing_key(ceremony):
    instance, _shares, _ref = ceremony
    again = instance.run("recovery", "init", "--shares", "3", "--threshold", "2")
    assert again.returncode == 1
    assert "a recovery key exists already" in again.stderr


def test_a_case_whose_holders_all_left_opens_again_with_k_shares(ceremony):
    instance, shares, ref = ceremony
    assert instance.python(CHECK.format(ref=ref)) == "locked: CaseKeyUnavailable"
    granted = instance.run(
        "recovery", "grant", "--case", ref, "--to", "emil", input=f"{shares[2]}\n{shares[0]}\n"
    )
    assert granted.returncode == 0, granted.stderr
    assert f"emil now holds the key to {ref}." in granted.stdout
    assert instance.python(CHECK.format(ref=ref)) == "opens"
    log = instance.python(
        "from ombud.audit.models import AuditEntry; "
        "print(AuditEntry.objects.filter(action='access.recovery_key.used')"
        ".values_list('details', flat=True).get())"
    )
    assert f'"case":"{ref}"' in log and '"to":"emil"' in log


def test_fewer_than_k_shares_open_nothing(ceremony):
    instance, shares, ref = ceremony
    refused = instance.run(
        "recovery", "grant", "--case", ref, "--to", "emil", input=f"{shares[1]}\n\n"
    )
    assert refused.returncode == 1
    assert "1 shares given; this recovery key needs 2; nothing was granted" in refused.stderr
    assert instance.python(CHECK.format(ref=ref)) == "locked: CaseKeyUnavailable"


def test_a_mistyped_share_is_caught_before_anything_is_tried(ceremony):
    instance, shares, ref = ceremony
    body = shares[0].split("-")[1]
    typo = shares[0].replace(body, ("1" if body[0] != "1" else "2") + body[1:], 1)
    refused = instance.run(
        "recovery", "grant", "--case", ref, "--to", "emil", input=f"{typo}\n{shares[1]}\n"
    )
    assert refused.returncode == 1
    assert "typing mistake" in refused.stderr


def test_shares_of_another_organisation_do_not_open_this_one(ceremony, tmp_path):
    instance, shares, ref = ceremony
    from tests.conftest import fresh_instance

    with fresh_instance(tmp_path / "other") as other:
        made = other.run("recovery", "init", "--shares", "3", "--threshold", "2")
        foreign = [line.strip() for line in made.stdout.splitlines() if re.match(r"^\s+\d-", line)]
    refused = instance.run(
        "recovery", "grant", "--case", ref, "--to", "emil", input=f"{foreign[0]}\n{foreign[1]}\n"
    )
    assert refused.returncode == 1
    assert "these shares do not open the recovery key" in refused.stderr
