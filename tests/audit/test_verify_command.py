"""`ombud audit verify` against a real database someone has tampered with."""

from __future__ import annotations

import pytest

from ombud.directory.importer import HEADER

PEOPLE = (
    ",".join(HEADER)
    + """
E1,Maren Osterhout,,maren@acme.example,,Board Office,,Chief Executive,E1,yes
E2,Tiberius Vance,,tiberius@acme.example,,Retail,E1,Head of Retail,E2,yes
E3,Lotte Kjaergaard,,lotte@acme.example,,Retail/Grocery,E2,Grocery Lead,M1,no
"""
)


@pytest.fixture
def populated(instance, tmp_path):
    path = tmp_path / "people.csv"
    path.write_text(PEOPLE)
    imported = instance.run("directory", "import", str(path))
    assert imported.returncode == 0, imported.stderr
    # Entries: 3 units created, then the import itself.
    verified = instance.run("audit", "verify")
    assert verified.returncode == 0
    assert "Audit log verified: 4 entries" in verified.stdout
    return instance


def test_one_changed_byte_in_one_entry_fails_verification_naming_the_entry(populated):
    populated.sql(
        "UPDATE audit_auditentry SET details = REPLACE(details, 'Retail', 'Retall') WHERE seq = 2"
    )
    result = populated.run("audit", "verify")
    assert result.returncode == 1
    assert "Audit log does not verify at entry 2: entry 2 was changed" in result.stderr
    assert "(1 entries verified before the problem was found.)" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_deleted_entry_fails_verification_as_missing(populated):
    populated.sql("DELETE FROM audit_auditentry WHERE seq = 2")
    result = populated.run("audit", "verify")
    assert result.returncode == 1
    assert "at entry 2: entry 2 is missing" in result.stderr


def test_entries_removed_from_the_end_are_found_by_the_head(populated):
    populated.sql("DELETE FROM audit_auditentry WHERE seq = 4")
    result = populated.run("audit", "verify")
    assert result.returncode == 1
    assert "entries were removed from the end" in result.stderr


def test_a_rewritten_log_is_caught_by_the_hash_an_auditor_kept(populated):
    kept = populated.run(
        "manage",
        "shell",
        "-c",
        "from ombud.audit.models import AuditEntry; print(AuditEntry.objects.get(seq=3).hash)",
    )
    digest = kept.stdout.strip().splitlines()[-1]
    assert populated.run("audit", "verify", "--expect", f"3:{digest}").returncode == 0
    # The operator rewrites entry 3 and recomputes every hash from it on.
    rewrite = populated.run(
        "manage",
        "shell",
        "-c",
        """
from ombud.audit.models import AuditEntry, AuditHead
from ombud.crypto import chain
previous = AuditEntry.objects.get(seq=2).hash
for entry in AuditEntry.objects.filter(seq__gte=3).order_by("seq"):
    if entry.seq == 3:
        entry.details = entry.details.replace("Grocery", "Bakery")
    entry.prev_hash = previous
    entry.hash = chain.entry_hash(seq=entry.seq, at=entry.as_chain_entry().at,
        actor_id=entry.actor_id, actor=entry.actor, action=entry.action,
        object_type=entry.object_type, object_id=entry.object_id, details=entry.details,
        prev_hash=previous)
    entry.save()
    previous = entry.hash
AuditHead.objects.filter(pk=1).update(hash=previous)
""",
    )
    assert rewrite.returncode == 0, rewrite.stderr
    assert populated.run("audit", "verify").returncode == 0  # the chain alone cannot tell
    caught = populated.run("audit", "verify", "--expect", f"3:{digest}")
    assert caught.returncode == 1
    assert "entry 3 differs from the hash you gave: the log was rewritten" in caught.stderr


def test_the_last_entries_deleted_with_sql_and_the_head_rewound_are_caught_by_a_checkpoint(
    instance, tmp_path
):
    instance.env["OMBUD_AUDIT_CHECKPOINT_INTERVAL"] = "2"
    path = tmp_path / "people.csv"
    path.write_text(PEOPLE)
    assert instance.run("directory", "import", str(path)).returncode == 0
    assert instance.query("SELECT seq FROM audit_auditcheckpoint ORDER BY seq") == [(2,), (4,)]
    instance.sql("DELETE FROM audit_auditentry WHERE seq > 2")
    instance.sql(
        "UPDATE audit_audithead SET seq = 2, "
        "hash = (SELECT hash FROM audit_auditentry WHERE seq = 2)"
    )
    result = instance.run("audit", "verify")
    assert result.returncode == 1
    assert (
        "Audit log does not verify at entry 4: the signed interval checkpoint at entry 4 lies "
        "past the end of the log (entry 2): entries were removed from the end"
    ) in result.stderr

    # Deleting every checkpoint as well leaves the one due at entry 2 missing.
    instance.sql("DELETE FROM audit_auditcheckpoint")
    result = instance.run("audit", "verify")
    assert result.returncode == 1
    assert "the signed checkpoint at entry 2 is missing" in result.stderr


def test_a_malformed_expectation_is_explained(populated):
    result = populated.run("audit", "verify", "--expect", "three:abc")
    assert result.returncode == 1
    assert "write it as ENTRY:HASH" in result.stderr
