"""Every kind of entry the code records reads as a sentence on the auditors' pages:
an action without one shows its code ("“investigation.outcome.read”"), which an
auditor should not have to decode."""

from __future__ import annotations

import re
from pathlib import Path

import ombud
from ombud.web.audit.sentences import KINDS

SRC = Path(ombud.__file__).parent
# action="a.b.c" in a call, or a read entry's name kept in a constant (NAME_READ = "…").
RECORDED = re.compile(
    r'action="([a-z_]+\.[a-z_]+\.[a-z_]+)"'
    r'|^[A-Z_]*(?:READ|VIEWED|DOWNLOADED|EXPORTED|LISTED)[A-Z_]* = "([a-z_]+\.[a-z_]+\.[a-z_]+)"'
    r'|"((?:investigation|intake)\.[a-z_]+\.[a-z_]+)"\s*$',
    re.MULTILINE,
)


def test_every_action_the_code_records_has_a_sentence():
    recorded = set()
    for path in SRC.rglob("*.py"):
        if "migrations" in path.parts or path.name == "sentences.py":
            continue
        for match in RECORDED.finditer(path.read_text()):
            recorded.add(next(group for group in match.groups() if group))
    assert len(recorded) > 60  # the scan finds them
    assert sorted(recorded - set(KINDS)) == []
