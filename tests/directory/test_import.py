from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from ombud.audit.models import AuditEntry
from ombud.directory.importer import HEADER
from ombud.directory.models import Person, Unit, User
from ombud.directory.selectors import person_management_chain

HEAD = ",".join(HEADER)
GOOD = f"""{HEAD}
E1,Maren Osterhout,,maren.o@acme.example,+44 20 5550 0001,Board Office,,Chief Executive,E1,yes
E2,Tiberius Vance,Тиберий Ванс;瓦提伯,tiberius.vance@acme.example,,Retail,E1,Head of Retail,E2,yes
E3,Lotte Kjaergaard,,lotte.k@acme.example,,Retail/Grocery,E2,Grocery Lead,M1,no
E4,Nils Pardoe,,nils.pardoe@acme.example,,Retail/Grocery,E3,Buyer,P1,no
"""


def write(tmp_path: Path, text: str, name: str = "people.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def run_import(path: Path, *flags: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("directory_import", str(path), *flags, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_a_good_file_imports_people_units_and_reporting_lines(db, tmp_path):
    out, _err = run_import(write(tmp_path, GOOD))
    assert "4 added, 0 updated, 0 unchanged, 0 deactivated" in out
    nils = Person.objects.get(employee_id="E4")
    assert [p.employee_id for p in person_management_chain(person=nils)] == ["E3", "E2", "E1"]
    tiberius = Person.objects.get(employee_id="E2")
    assert tiberius.other_names == ["Тиберий Ванс", "瓦提伯"]
    assert tiberius.is_executive and not nils.is_executive
    grocery = Unit.objects.get(path="Retail/Grocery")
    assert grocery.parent == Unit.objects.get(path="Retail")
    entry = AuditEntry.objects.get(action="directory.imported")
    assert '"added":4' in entry.details and '"sha256":' in entry.details


def test_a_file_with_bad_rows_reports_every_error_by_line_and_imports_nothing(db, tmp_path):
    bad = f"""{HEAD}
E1,Maren Osterhout,,maren@acme.example,,Board Office,,Chief Executive,E1,yes
E2,Tiberius Vance,,tiberius@acme.example,,Retail,E99,Head of Retail,E2,yes
E1,Maren Again,,maren2@acme.example,,Board Office,,Chief Executive,E1,yes
E3,Lotte Kjaergaard,,lotte(at)acme.example,,Retail,E1,Lead,M1,no
E4,Nils Pardoe,,nils@acme.example,,Retail,E5,Buyer,P1,no
E5,Oona Brisk,,oona@acme.example,,Retail,E4,Buyer,P1,no
E6,Pim Vasquez-Lorne,,pim@acme.example,,Retail//Grocery,E1,Buyer,P1,no
E7,Quentin Arles,,quentin@acme.example,,Retail,E1,Buyer,P1,maybe
E8,Rosa Ilves,,rosa@acme.example,,Retail,E1
"""
    path = write(tmp_path, bad)
    err = io.StringIO()
    with pytest.raises(CommandError) as raised:
        call_command("directory_import", str(path), stdout=io.StringIO(), stderr=err)
    assert raised.value.returncode == 1
    assert "7 errors in people.csv; nothing was imported." in str(raised.value)
    reported = err.getvalue()
    for expected in [
        "line 3: manager_id 'E99' is not in the file or the directory",
        "line 4: employee_id 'E1' is already on line 2",
        "line 5: e-mail 'lotte(at)acme.example' is malformed",
        "line 6: manager cycle: E4 → E5 → E4",
        "line 8: unit path 'Retail//Grocery' is malformed",
        "line 9: executive must be yes or no, not 'maybe'",
        "line 10: has 7 fields, expected 10",
    ]:
        assert expected in reported
    assert Person.objects.count() == 0
    assert not AuditEntry.objects.filter(action="directory.imported").exists()


def test_the_command_line_prints_each_error_with_its_line_number(instance, tmp_path):
    bad = f"""{HEAD}
E1,Maren Osterhout,,maren@acme.example,,Board Office,,Chief Executive,E1,yes
E2,Tiberius Vance,,tiberius@acme.example,,Retail,E99,Head of Retail,E2,yes
E1,Maren Again,,maren2@acme.example,,Board Office,,Chief Executive,E1,yes
E3,Lotte Kjaergaard,,lotte(at)acme.example,,Retail,E1,Lead,M1,no
E4,Nils Pardoe,,nils@acme.example,,Retail,E5,Buyer,P1,no
E5,Oona Brisk,,oona@acme.example,,Retail,E4,Buyer,P1,no
E6,Pim Vasquez-Lorne,,pim@acme.example,,/Retail,E1,Buyer,P1,no
"""
    result = instance.run("directory", "import", str(write(tmp_path, bad)))
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert lines == [
        "people.csv: line 3: manager_id 'E99' is not in the file or the directory",
        "people.csv: line 4: employee_id 'E1' is already on line 2",
        "people.csv: line 5: e-mail 'lotte(at)acme.example' is malformed",
        "people.csv: line 6: manager cycle: E4 → E5 → E4",
        "people.csv: line 8: unit path '/Retail' is malformed (names separated by '/', none "
        "empty, e.g. Retail/Grocery)",
        "ombud: 5 errors in people.csv; nothing was imported.",
    ]
    assert "Traceback" not in result.stderr
    counted = instance.run(
        "manage",
        "shell",
        "-c",
        "from ombud.directory.models import Person; print(Person.objects.count())",
    )
    assert counted.stdout.strip().splitlines()[-1] == "0"


def test_a_wrong_header_is_reported_on_line_one(db, tmp_path):
    path = write(tmp_path, "id,name,email\nE1,Maren,maren@acme.example\n")
    with pytest.raises(CommandError):
        run_import(path)
    _out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError):
        call_command("directory_import", str(path), stdout=_out, stderr=err)
    assert "line 1: missing columns: employee_id, other_names" in err.getvalue()
    assert "unknown columns: id" in err.getvalue()


def test_bytes_that_are_not_utf8_are_reported_on_their_line(db, tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes(
        GOOD.encode() + b"E5,Bj\xf6rn Ask,,bjorn@acme.example,,Retail,E1,Buyer,P1,no\n"
    )
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("directory_import", str(path), stdout=io.StringIO(), stderr=err)
    assert "line 6: is not valid UTF-8 text" in err.getvalue()


def test_a_reimport_updates_changed_people_and_leaves_the_rest(db, tmp_path):
    run_import(write(tmp_path, GOOD))
    changed = GOOD.replace(
        "E4,Nils Pardoe,,nils.pardoe@acme.example,,Retail/Grocery,E3,Buyer",
        "E4,Nils Pardoe,,nils.pardoe@acme.example,,Retail,E2,Senior Buyer",
    )
    out, _err = run_import(write(tmp_path, changed, "again.csv"))
    assert "0 added, 1 updated, 3 unchanged, 0 deactivated" in out
    nils = Person.objects.get(employee_id="E4")
    assert nils.title == "Senior Buyer" and nils.manager.employee_id == "E2"
    assert nils.unit.path == "Retail"


def test_people_missing_from_a_partial_file_stay_active(db, tmp_path):
    run_import(write(tmp_path, GOOD))
    partial = "\n".join(GOOD.splitlines()[:3]) + "\n"
    out, _err = run_import(write(tmp_path, partial, "partial.csv"))
    assert "0 deactivated" in out
    assert Person.objects.filter(is_active=True).count() == 4


def test_deactivate_missing_makes_leavers_inactive_and_stops_their_sign_in(db, tmp_path):
    run_import(write(tmp_path, GOOD))
    nils = Person.objects.get(employee_id="E4")
    User.objects.create_user("nils", password="x" * 12, person=nils)
    snapshot = "\n".join(GOOD.splitlines()[:4]) + "\n"
    out, _err = run_import(write(tmp_path, snapshot, "snapshot.csv"), "--deactivate-missing")
    assert "0 added, 0 updated, 3 unchanged, 1 deactivated" in out
    nils.refresh_from_db()
    assert nils.is_active is False
    assert User.objects.get(username="nils").is_active is False
    assert Person.objects.count() == 4  # never deleted


def test_a_snapshot_may_not_name_a_manager_outside_the_file(db, tmp_path):
    run_import(write(tmp_path, GOOD))
    snapshot = f"{HEAD}\nE4,Nils Pardoe,,nils@acme.example,,Retail,E3,Buyer,P1,no\n"
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command(
            "directory_import",
            str(write(tmp_path, snapshot, "s.csv")),
            "--deactivate-missing",
            stdout=io.StringIO(),
            stderr=err,
        )
    assert "line 2: manager_id 'E3' is not in the file" in err.getvalue()
    assert Person.objects.filter(is_active=True).count() == 4


def test_a_partial_file_may_report_to_someone_already_in_the_directory(db, tmp_path):
    run_import(write(tmp_path, GOOD))
    extra = f"{HEAD}\nE9,Wren Halvorsen,,wren@acme.example,,Retail/Grocery,E3,Buyer,P1,no\n"
    out, _err = run_import(write(tmp_path, extra, "extra.csv"))
    assert "1 added" in out
    assert Person.objects.get(employee_id="E9").manager.employee_id == "E3"


def test_a_cycle_through_people_already_in_the_directory_is_refused(db, tmp_path):
    run_import(write(tmp_path, GOOD))
    # E1 now reporting to E4 closes the loop E1 → E4 → E3 → E2 → E1.
    loop = f"{HEAD}\nE1,Maren Osterhout,,maren@acme.example,,Board Office,E4,CEO,E1,yes\n"
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command(
            "directory_import",
            str(write(tmp_path, loop, "loop.csv")),
            stdout=io.StringIO(),
            stderr=err,
        )
    assert "line 2: manager cycle: E1 → E4 → E3 → E2 → E1" in err.getvalue()
    assert Person.objects.get(employee_id="E1").manager is None


def test_line_numbers_count_the_lines_of_a_quoted_field_that_spans_several(db, tmp_path):
    text = f"""{HEAD}
E1,"Maren
Osterhout",,maren@acme.example,,Board Office,,Chief Executive,E1,yes
E2,Tiberius Vance,,not-an-email,,Retail,E1,Head of Retail,E2,yes
"""
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command(
            "directory_import", str(write(tmp_path, text)), stdout=io.StringIO(), stderr=err
        )
    assert "line 4: e-mail 'not-an-email' is malformed" in err.getvalue()


def test_a_broken_quote_is_reported_with_its_line_and_nothing_imported(db, tmp_path):
    text = GOOD + 'E5,"Bjorn Ask,,bjorn@acme.example,,Retail,E1,Buyer,P1,no\n' + "x" * 200_000
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command(
            "directory_import", str(write(tmp_path, text)), stdout=io.StringIO(), stderr=err
        )
    assert "line 6: cannot be read as CSV" in err.getvalue()
    assert Person.objects.count() == 0


def test_a_reimport_audits_each_change_of_manager_executive_flag_and_leaver(db, tmp_path):
    run_import(write(tmp_path, GOOD))
    changed = GOOD.replace(
        "E3,Lotte Kjaergaard,,lotte.k@acme.example,,Retail/Grocery,E2,Grocery Lead,M1,no",
        "E3,Lotte Kjaergaard,,lotte.k@acme.example,,Retail/Grocery,E1,Grocery Lead,M1,yes",
    )
    snapshot = "\n".join(line for line in changed.splitlines() if not line.startswith("E4")) + "\n"
    out, _err = run_import(write(tmp_path, snapshot, "snapshot.csv"), "--deactivate-missing")
    assert "0 added, 1 updated, 2 unchanged, 1 deactivated" in out
    lotte = AuditEntry.objects.get(action="directory.person.updated")
    assert lotte.details == (
        '{"employee_id":"E3","is_executive":{"from":false,"to":true},'
        '"manager":{"from":"E2","to":"E1"},"source":"import"}'
    )
    nils = AuditEntry.objects.get(action="directory.person.deactivated")
    assert '"employee_id":"E4"' in nils.details
