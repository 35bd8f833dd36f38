"""Run the benches and write BENCHMARKS.md from what they print.

    .venv/bin/python bench/run.py                 # every bench, on SQLite and PostgreSQL
    .venv/bin/python bench/run.py pages generate  # only these; the others keep their last result

Each bench prints its results as Markdown on stdout (progress goes to stderr). This
script runs the commands of each section below, keeps what they printed in
``bench/results/<name>.md`` with the date, the commit, the machine's load and the
exact commands, and then writes BENCHMARKS.md: the machine, then each section's
explanation (``bench/notes/<name>.md``, written by hand: the goal, the method, how
to read the figures) followed by its latest result. A section whose command fails
keeps its previous result, and the run ends with a non-zero status naming it.

PostgreSQL is the server of ``BENCH_DB`` (default: the loopback one); each bench
makes and drops its own databases there.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import re
import shlex
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOTES = ROOT / "bench" / "notes"
RESULTS = ROOT / "bench" / "results"
OUT = ROOT / "BENCHMARKS.md"
PG = os.environ.get("BENCH_DB") or "postgresql://postgres@127.0.0.1:5432/postgres"


@dataclass(frozen=True)
class Section:
    name: str  # bench/notes/<name>.md and bench/results/<name>.md
    title: str
    commands: tuple[str, ...]  # "{python}" and "{pg}" are filled in


SECTIONS = (
    Section(
        "directory_import",
        "Directory import, 250,000 people",
        (
            "{python} bench/directory_import.py",
            "{python} bench/directory_import.py --database-url {pg}",
        ),
    ),
    Section(
        "staff_key_unlock", "Staff key work per sign-in", ("{python} bench/staff_key_unlock.py",)
    ),
    Section(
        "signin",
        "Signing in with two factors",
        ("{python} bench/signin.py", "{python} bench/signin.py --database-url {pg}"),
    ),
    Section(
        "intake_submit",
        "Submitting a report",
        (
            "{python} bench/intake_submit.py",
            "{python} bench/intake_submit.py --database-url {pg}",
        ),
    ),
    Section(
        "intake_vs_bare",
        "A report against a bare write",
        (
            "{python} bench/intake_vs_bare.py --slowest 16",
            "{python} bench/intake_vs_bare.py --slowest 16 --database-url {pg}",
        ),
    ),
    Section(
        "file_cleaning",
        "Cleaning a 40-megapixel photo",
        (
            "{python} bench/file_cleaning.py",
            "{python} bench/file_cleaning.py --skip-bisect --database-url {pg}",
        ),
    ),
    Section(
        "generate",
        "Generating a million cases",
        (
            "{python} bench/generate.py --cases 1000000 --data-dir var/bench/generate",
            "{python} bench/generate.py --cases 1000000 --database-url {pg}",
        ),
    ),
    Section(
        "deadline_sweep",
        "A deadline sweep: 10,000 against 1,000,000 open cases",
        ("{python} bench/deadline_sweep.py --database-url {pg}",),
    ),
    Section(
        "pages",
        "Pages at scale",
        (
            "{python} bench/pages.py --cases 1000000",
            "{python} bench/pages.py --cases 1000000 --database-url {pg}",
        ),
    ),
    Section(
        "figures_contention",
        "The overview's counters under concurrent writers",
        ("{python} bench/figures_contention.py --database-url {pg}",),
    ),
    Section(
        "audit_verify",
        "Audit verification, 1,000,000 entries",
        (
            "{python} bench/audit_verify.py",
            "{python} bench/audit_verify.py --database-url {pg}",
        ),
    ),
)


def command_text(template: str) -> str:
    """The command as a reader types it (the venv's python, the loopback server)."""
    return template.format(python=".venv/bin/python", pg=PG)


def machine() -> str:
    """One paragraph about where the figures come from."""
    cpu = "unknown CPU"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = ""
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        kib = int(meminfo.read_text().split()[1])
        memory = f", {kib / 2**20:.0f} GiB"
    postgres = _postgres_version()
    return (
        f"{cpu}, {os.cpu_count()} cores{memory}; {platform.system()} {platform.release()}; "
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}"
        + (f", PostgreSQL {postgres} on loopback" if postgres else "")
    )


def _postgres_version() -> str:
    try:
        out = subprocess.run(
            ["psql", PG, "-tAc", "SHOW server_version"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return ""
    return out.stdout.strip().split(" ")[0]


def commit() -> str:
    out = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT
    )
    dirty = subprocess.run(
        ["git", "status", "--porcelain"], capture_output=True, text=True, cwd=ROOT
    )
    return out.stdout.strip() + (" with uncommitted changes" if dirty.stdout.strip() else "")


def load() -> str:
    return " ".join(f"{value:.1f}" for value in os.getloadavg())


def run(section: Section) -> bool:
    """Run a section's commands; keep its result only when every one succeeded."""
    parts = [
        f"Measured {dt.datetime.now(dt.UTC).date().isoformat()} at commit {commit()}, "
        f"load average {load()} before the first command.\n"
    ]
    for template in section.commands:
        text = command_text(template)
        print(f"== {section.name}: {text}", flush=True)
        started = time.monotonic()
        argv = shlex.split(template.format(python=sys.executable, pg=PG))
        env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
        done = subprocess.run(argv, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
        sys.stdout.write(done.stdout)
        if done.returncode != 0:
            print(f"!! {section.name} failed (status {done.returncode})", flush=True)
            return False
        minutes = (time.monotonic() - started) / 60
        parts.append(
            f"```sh\n{text}\n```\n\n{done.stdout.strip()}\n\n"
            f"_(the command took {minutes:.1f} min; load average after: {load()})_\n"
        )
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{section.name}.md").write_text("\n".join(parts))
    return True


def write() -> None:
    """BENCHMARKS.md from the notes and the latest results."""
    lines = [
        "# Benchmarks",
        "",
        "Written by `make bench` (`bench/run.py`), which runs every bench in `bench/` on "
        "SQLite and on PostgreSQL and keeps each one's latest result in `bench/results/`; "
        '`make bench ONLY="pages generate"` runs some again. The explanations come from '
        "`bench/notes/`. Timings are never asserted in tests.",
        "",
        f"Machine: {machine()}.",
        "",
    ]
    for section in SECTIONS:
        lines += [f"## {section.title}", ""]
        note = NOTES / f"{section.name}.md"
        if note.exists():
            lines += [note.read_text().strip(), ""]
        result = RESULTS / f"{section.name}.md"
        lines += [
            "### Latest result",
            "",
            _nested(result.read_text().strip()) if result.exists() else "_Not measured yet._",
            "",
        ]
    OUT.write_text("\n".join(lines))


def _nested(text: str) -> str:
    """A result's own headings, below the section's "Latest result" (outside code)."""
    lines, code = [], False
    for line in text.splitlines():
        code ^= line.startswith("```")
        lines.append(line if code else re.sub(r"^#{1,3} ", "#### ", line))
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("only", nargs="*", help="section names (default: all)")
    parser.add_argument(
        "--write-only", action="store_true", help="rewrite BENCHMARKS.md without running"
    )
    args = parser.parse_args()
    known = {section.name for section in SECTIONS}
    unknown = set(args.only) - known
    if unknown:
        parser.error(
            f"unknown section {', '.join(sorted(unknown))}; known: {', '.join(sorted(known))}"
        )
    failed = []
    if not args.write_only:
        for section in SECTIONS:
            if (not args.only or section.name in args.only) and not run(section):
                failed.append(section.name)
    write()
    if failed:
        print(f"failed: {', '.join(failed)} (their previous results were kept)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
