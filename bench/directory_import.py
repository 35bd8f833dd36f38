"""Time `ombud directory import` on a generated directory and record its peak memory.

    .venv/bin/python bench/directory_import.py [--people 250000] [--database-url URL]

Generates an invented organisation (a tree of managers about seven levels deep,
units two levels deep, one person in ten with another name), then runs the
real command in a fresh data folder: a first import (everyone added), the same
file again (nothing changes), a snapshot with --deactivate-missing after one
person in a hundred has left, then a file where everyone's title changed (which
also brings the leavers back).
Peak memory is the command's maximum resident set size as the kernel reports.
"""

from __future__ import annotations

import argparse
import os
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

OMBUD = str(Path(sys.executable).with_name("ombud"))
HEADER = "employee_id,name,other_names,email,phone,unit,manager_id,title,grade,executive\n"
GIVEN = [
    "Ailsa",
    "Bram",
    "Cosima",
    "Dorian",
    "Elodie",
    "Fenwick",
    "Greer",
    "Hollis",
    "Isolde",
    "Jory",
    "Kestrel",
    "Linnea",
    "Marlow",
    "Nerys",
    "Orrin",
    "Perrin",
    "Quilla",
    "Rook",
]
FAMILY = [
    "Ashcombe",
    "Brackley",
    "Carrow",
    "Dunmore",
    "Elsworth",
    "Farrant",
    "Gorsedene",
    "Hatherly",
    "Ivesdale",
    "Jarrow",
    "Kelloway",
    "Larkspur",
    "Mossley",
    "Norbury",
]
UNITS = [f"Division {d}/Team {t}" for d in range(1, 11) for t in range(1, 6)]


def generate(path: Path, people: int, *, skip_every: int = 0, title: str = "Staff") -> None:
    with path.open("w", encoding="utf-8") as out:
        out.write(HEADER)
        for number in range(1, people + 1):
            # Person n reports to person n // 8: a tree with fan-out 8.
            manager = "" if number == 1 else f"B{number // 8 or 1:07d}"
            if skip_every and number > 1 and number % skip_every == 0 and number * 8 > people:
                continue  # a leaver (only people nobody reports to)
            name = f"{GIVEN[number % len(GIVEN)]} {FAMILY[number * 7 % len(FAMILY)]}"
            other = f"{name.upper()}" if number % 10 == 0 else ""
            email = f"p{number}@bench.example"
            out.write(
                f"B{number:07d},{name},{other},{email},+1 555 {number % 10000:04d},"
                f"{UNITS[number % len(UNITS)]},{manager},{title},P{number % 5},"
                f"{'yes' if number < 20 else 'no'}\n"
            )


def run(env: dict[str, str], *args: str) -> tuple[float, float, str]:
    started = time.perf_counter()
    process = subprocess.Popen(
        [OMBUD, *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    _pid, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    out = process.stdout.read() if process.stdout else ""
    err = process.stderr.read() if process.stderr else ""
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"ombud {' '.join(args)} failed:\n{err}")
    return elapsed, usage.ru_maxrss / 1024, out.strip()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=250_000)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="ombud-bench-"))
    full, snapshot = folder / "people.csv", folder / "snapshot.csv"
    retitled = folder / "retitled.csv"
    generate(full, args.people)
    generate(retitled, args.people, title="Senior Staff")
    generate(snapshot, args.people, skip_every=100)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OMBUD_", "DATABASE_URL"))}
    env["OMBUD_DATA_DIR"] = str(folder / "data")
    database = "SQLite"
    if args.database_url:
        import psycopg

        name = f"ombud_bench_{secrets.token_hex(4)}"
        with psycopg.connect(args.database_url, autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')  # type: ignore[arg-type]
        env["DATABASE_URL"] = args.database_url.rsplit("/", 1)[0] + "/" + name
        database = "PostgreSQL"
    run(env, "audit", "verify")  # migrate the fresh database first, outside the timing
    size = full.stat().st_size / 1e6
    print(f"{args.people:,} people, {size:.1f} MB CSV, {database}")
    print("| run | seconds | peak MB | summary |")
    print("|---|---:|---:|---|")
    for label, argv in [
        ("first import", ["directory", "import", str(full)]),
        ("same file again", ["directory", "import", str(full)]),
        (
            "snapshot, --deactivate-missing",
            ["directory", "import", str(snapshot), "--deactivate-missing"],
        ),
        ("every title changed", ["directory", "import", str(retitled)]),
    ]:
        seconds, peak, summary = run(env, *argv)
        print(f"| {label} | {seconds:.1f} | {peak:.0f} | {summary} |", flush=True)
    if args.database_url:
        import psycopg

        with psycopg.connect(args.database_url, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE "{name}" WITH (FORCE)')  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
