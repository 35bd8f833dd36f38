#!/usr/bin/env python3
"""The Chinese translation: bring it up to date with the sources, compile it, and
say what still lacks a translation.

    scripts/messages.py            update src/ombud/locale/zh_Hans/LC_MESSAGES/django.po
                                   from the pages and the code (Django's makemessages),
                                   compile django.mo beside it, list the messages that
                                   have no translation yet (or a fuzzy one)
    scripts/messages.py --check    change nothing: fail when the sources hold a message
                                   the file lacks, or the file one the sources dropped

Both the .po and the compiled .mo are committed, so a fresh checkout serves Chinese
without gettext installed; tests/test_translations.py fails when either is stale.
Needs gettext's tools (xgettext, msgmerge, msgfmt): Debian's package `gettext`.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "ombud"
LOCALE = "zh_Hans"
PO = PACKAGE / "locale" / LOCALE / "LC_MESSAGES" / "django.po"
HEADER = {
    "Project-Id-Version": "Ombud",
    "Language": LOCALE,
    "Language-Team": "Chinese (Simplified)",
    "Plural-Forms": "nplurals=1; plural=0;",
    "Last-Translator": "Ombud",
    "PO-Revision-Date": "2026-11-26 00:00+0000",
}
TITLE = "# Ombud: the Simplified Chinese translation (scripts/messages.py updates it).\n"


def _makemessages(package: Path, data_dir: str) -> None:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT / "src"),
        "DJANGO_SETTINGS_MODULE": "ombud.settings",
        "OMBUD_DATA_DIR": os.environ.get("OMBUD_DATA_DIR") or data_dir,
    }
    subprocess.run(  # noqa: S603 - our own argv
        [
            sys.executable,
            "-m",
            "django",
            "makemessages",
            "--locale",
            LOCALE,
            "--domain",
            "django",
            "--extension",
            "html,txt,py",
            "--add-location",
            "file",  # no line numbers: fewer conflicts when branches meet
            "--no-obsolete",
            "--verbosity",
            "0",
        ],
        cwd=package,
        env=env,
        check=True,
    )


def _fix_header(po: Path) -> None:
    """The header makemessages writes for a new file is a template: fill it in once."""
    text = po.read_text(encoding="utf-8")
    head, _, rest = text.partition("\n\n")
    head = head.replace("#, fuzzy\n", "")
    if head.startswith("# SOME DESCRIPTIVE TITLE"):
        head = TITLE + head[head.index("msgid") :]
    for key, value in HEADER.items():
        head = re.sub(rf'^"{key}: .*\\n"$', f'"{key}: {value}\\\\n"', head, flags=re.M)
    po.write_text(head + "\n\n" + rest, encoding="utf-8")


@dataclass
class Entry:
    msgid: str
    plural: str = ""
    context: str = ""
    strs: list[str] = field(default_factory=list)
    fuzzy: bool = False

    @property
    def key(self) -> str:
        return "\x04".join([self.context, self.msgid, self.plural])


_ESCAPES = {"n": "\n", "t": "\t", '"': '"', "\\": "\\"}


def _unquote(text: str) -> str:
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(1)), text[1:-1])


def read_po(po: Path) -> list[Entry]:
    """The entries of a .po file but its header and obsolete (#~) ones."""
    entries = []
    for block in po.read_text(encoding="utf-8").split("\n\n"):
        fields: dict[str, str] = {}
        strs: list[str] = []
        fuzzy = False
        current = ""
        for line in block.strip().splitlines():
            if line.startswith("#,"):
                fuzzy = fuzzy or "fuzzy" in line
            elif line.startswith("#"):
                continue
            elif line.startswith('"'):
                if current.startswith("msgstr"):
                    strs[-1] += _unquote(line)
                else:
                    fields[current] += _unquote(line)
            else:
                current, _, value = line.partition(" ")
                if current.startswith("msgstr"):
                    strs.append(_unquote(value))
                else:
                    fields[current] = _unquote(value)
        if fields.get("msgid"):
            entries.append(
                Entry(
                    msgid=fields["msgid"],
                    plural=fields.get("msgid_plural", ""),
                    context=fields.get("msgctxt", ""),
                    strs=strs,
                    fuzzy=fuzzy,
                )
            )
    return entries


def msgids(po: Path) -> set[str]:
    """Each message of the file, with its context and plural."""
    return {entry.key for entry in read_po(po)}


def untranslated(po: Path) -> list[str]:
    return [entry.msgid for entry in read_po(po) if entry.fuzzy or not all(entry.strs)]


def compile_mo(po: Path, mo: Path) -> None:
    command = ["msgfmt", "--check", "--output-file", str(mo), str(po)]
    subprocess.run(command, check=True)  # noqa: S603, S607 - gettext, on the PATH


def check() -> int:
    with tempfile.TemporaryDirectory() as temporary:
        copy = Path(temporary) / "ombud"
        shutil.copytree(
            PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__", "*.mo", "static")
        )
        _makemessages(copy, temporary)
        fresh = msgids(copy / "locale" / LOCALE / "LC_MESSAGES" / "django.po")
    kept = msgids(PO)
    new, gone = sorted(fresh - kept), sorted(kept - fresh)
    for title, rows in (("in the sources, not in the file", new), ("no longer used", gone)):
        if rows:
            print(f"{len(rows)} messages {title}:")
            print("\n".join(f"  {row.split(chr(4))[1][:120]!r}" for row in rows[:40]))
    if new or gone:
        print(f"Run `make messages`, then translate what it lists in {PO.relative_to(ROOT)}.")
        return 1
    return 0


def update() -> int:
    with tempfile.TemporaryDirectory() as temporary:
        _makemessages(PACKAGE, temporary)
    _fix_header(PO)
    compile_mo(PO, PO.with_suffix(".mo"))
    missing = untranslated(PO)
    print(f"{PO.relative_to(ROOT)}: {len(msgids(PO))} messages, {len(missing)} untranslated")
    for msgid in missing:
        print(f"  {msgid[:120]}")
    if missing:
        print("Translate them (an empty msgstr, or an entry marked fuzzy), then run it again.")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="change nothing; fail if stale")
    return check() if parser.parse_args().check else update()


if __name__ == "__main__":
    sys.exit(main())
