"""A deadline sweep's cost follows the due deadlines, not the number of cases.

    .venv/bin/python bench/deadline_sweep.py --database-url postgresql://postgres@127.0.0.1:5432/postgres

For each size (10,000 and 1,000,000 open cases) it makes a fresh PostgreSQL
database, migrates it with `ombud manage migrate`, fills it with one shared fast
generator (COPY, not the encrypting services: the sweep reads no content), with
100 deadlines due and every other case's deadline weeks away, then times one
`deadlines_sweep` for an instant just past the due ones, and a second sweep,
which finds nothing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg

OMBUD = str(Path(sys.executable).with_name("ombud"))
DUE = 100


def generate(url: str, cases: int) -> None:
    """Cases and one open deadline each, written with COPY."""
    now = dt.datetime(2026, 11, 25, 10, 0, tzinfo=dt.UTC)
    with psycopg.connect(url) as connection:
        level = connection.execute(
            "SELECT id FROM access_ladderlevel ORDER BY position LIMIT 1"
        ).fetchone()[0]
        columns = (
            "id, public_id, ref, public_key, encrypted_private_key, created_at, updated_at, "
            "state, category, context, channel, level_id, start_level_id, version, severity, "
            "outcome, at_top"
        )
        with connection.cursor() as cursor:
            with cursor.copy(f"COPY cases_case ({columns}) FROM STDIN") as copy:
                for number in range(1, cases + 1):
                    copy.write_row(
                        (
                            number, f"bench{number:012d}", f"OMB-2026-{number:07d}",
                            b"\0" * 32, b"\0" * 72, now, now, "received", "bullying",
                            "office", "web", level, level, 1, "", "", False,
                        )
                    )  # fmt: skip
            deadline_columns = "case_id, name, label, due_at, statutory, state, created_at"
            with cursor.copy(f"COPY deadlines_deadline ({deadline_columns}) FROM STDIN") as copy:
                for number in range(1, cases + 1):
                    due = now + (
                        dt.timedelta(hours=1)
                        if number % (cases // DUE) == 0
                        else dt.timedelta(days=30 + number % 60)
                    )
                    copy.write_row(
                        (number, "acknowledge", "Acknowledge the report", due, False, "open", now)
                    )
        connection.execute("SELECT setval('cases_case_id_seq', %s)", [cases])
        connection.execute("ANALYZE cases_case")
        connection.execute("ANALYZE deadlines_deadline")


SWEEP = """
import datetime as dt, time
from ombud.deadlines.services import deadlines_sweep
now = dt.datetime(2026, 11, 25, 11, 30, tzinfo=dt.UTC)
started = time.perf_counter(); first = deadlines_sweep(now); one = time.perf_counter() - started
started = time.perf_counter(); second = deadlines_sweep(now); two = time.perf_counter() - started
print(f"{first} {one:.3f} {second} {two:.4f}")
"""


def run(base: str, cases: int) -> tuple[int, float, float]:
    name = f"ombud_sweep_{secrets.token_hex(4)}"
    with psycopg.connect(base, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')  # type: ignore[arg-type]
    url = base.rsplit("/", 1)[0] + "/" + name
    folder = Path(tempfile.mkdtemp(prefix=f"{name}-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OMBUD_", "DATABASE_URL"))}
    env.update(DATABASE_URL=url, OMBUD_DATA_DIR=str(folder))
    try:
        subprocess.run([OMBUD, "manage", "migrate", "-v0"], env=env, check=True)
        started = time.perf_counter()
        generate(url, cases)
        built = time.perf_counter() - started
        out = subprocess.run(
            [OMBUD, "manage", "shell", "-c", SWEEP], env=env, check=False, capture_output=True,
            text=True,
        )  # fmt: skip
        if out.returncode:
            raise SystemExit(out.stderr[-3000:])
        out = out.stdout.split()
        missed, first, _none, second = int(out[-4]), float(out[-3]), out[-2], float(out[-1])
        print(f"  {cases:>9,} cases built in {built:.1f} s; sweep: {missed} due in {first:.3f} s, "
              f"then an empty sweep in {second * 1000:.1f} ms", flush=True)  # fmt: skip
        return missed, first, second
    finally:
        with psycopg.connect(base, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')  # type: ignore[arg-type]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--sizes", default="10000,1000000")
    args = parser.parse_args()
    results = {int(size): run(args.database_url, int(size)) for size in args.sizes.split(",")}
    print("\n| open cases | due | sweep of the due (s) | empty sweep (ms) |")
    print("|---:|---:|---:|---:|")
    for size, (missed, first, second) in results.items():
        print(f"| {size:,} | {missed} | {first:.3f} | {second * 1000:.1f} |")


if __name__ == "__main__":
    main()
