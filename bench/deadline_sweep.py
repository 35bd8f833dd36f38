"""A deadline sweep's cost follows the due deadlines, not the number of cases.

    .venv/bin/python bench/deadline_sweep.py --database-url postgresql://postgres@127.0.0.1:5432/postgres

For each size (10,000 and 1,000,000 cases) it makes a fresh PostgreSQL database
and fills it with the one generator every bench uses (`bench/generate.py`, run as
a command: migrations, the demo organisation, then the cases over three years in
every state, with their deadlines, keys, readers and audit log; no readable
sample, the sweep reads no content). It then makes exactly 100 open deadlines due
an hour from now (and moves any other open one due before the sweep a month on),
times one `deadlines_sweep` for an instant half an hour after them, and a second
sweep at the same instant, which finds nothing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import secrets
import subprocess
import sys
import tempfile
from pathlib import Path

import psycopg

OMBUD = str(Path(sys.executable).with_name("ombud"))
GENERATE = str(Path(__file__).with_name("generate.py"))
DUE = 100


def due_made(url: str, now: dt.datetime) -> None:
    """Exactly DUE open deadlines due an hour from ``now`` (those of the first open
    cases); any other open deadline that would fall due before the sweep is put a
    month later, so both sizes sweep the same hundred."""
    with psycopg.connect(url) as connection:
        connection.execute(
            "UPDATE deadlines_deadline SET due_at = %s WHERE id IN (SELECT id FROM "
            "deadlines_deadline WHERE state = 'open' ORDER BY case_id, id LIMIT %s)",
            [now + dt.timedelta(hours=1), DUE],
        )
        connection.execute(
            "UPDATE deadlines_deadline SET due_at = due_at + interval '30 days' "
            "WHERE state = 'open' AND due_at <= %s AND due_at <> %s",
            [now + dt.timedelta(hours=2), now + dt.timedelta(hours=1)],
        )
        connection.execute("ANALYZE deadlines_deadline")


SWEEP = """
import datetime as dt, os, time
from ombud.deadlines.services import deadlines_sweep
now = dt.datetime.fromisoformat(os.environ["SWEEP_AT"])
started = time.perf_counter(); first = deadlines_sweep(now); one = time.perf_counter() - started
started = time.perf_counter(); second = deadlines_sweep(now); two = time.perf_counter() - started
print(f"{first} {one:.3f} {second} {two:.4f}")
"""


def sweep(url: str, folder: Path, now: dt.datetime) -> tuple[int, float, float]:
    """Make DUE deadlines due, then time a sweep and an empty one."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OMBUD_", "DATABASE_URL"))}
    env.update(DATABASE_URL=url, OMBUD_DATA_DIR=str(folder))
    due_made(url, now)
    env["SWEEP_AT"] = (now + dt.timedelta(hours=1, minutes=30)).isoformat()
    out = subprocess.run(
        [OMBUD, "manage", "shell", "-c", SWEEP], env=env, check=False, capture_output=True,
        text=True,
    )  # fmt: skip
    if out.returncode:
        raise SystemExit(out.stderr[-3000:])
    words = out.stdout.split()
    missed, first, _none, second = int(words[-4]), float(words[-3]), words[-2], float(words[-1])
    print(f"  sweep: {missed} due in {first:.3f} s, "
          f"then an empty sweep in {second * 1000:.1f} ms", flush=True)  # fmt: skip
    return missed, first, second


def run(base: str, cases: int) -> tuple[int, float, float]:
    name = f"ombud_sweep_{secrets.token_hex(4)}"
    with psycopg.connect(base, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')  # type: ignore[arg-type]
    url = base.rsplit("/", 1)[0] + "/" + name
    folder = Path(tempfile.mkdtemp(prefix=f"{name}-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OMBUD_", "DATABASE_URL"))}
    env.update(DATABASE_URL=url, OMBUD_DATA_DIR=str(folder))
    try:
        now = dt.datetime.now(dt.UTC)
        made = subprocess.run(
            [sys.executable, GENERATE, "--cases", str(cases), "--real-sample", "0",
             "--database-url", url, "--data-dir", str(folder)],
            env=env, check=True, capture_output=True, text=True,
        )  # fmt: skip
        built = made.stdout.strip().splitlines()[-2]
        print(f"  {built}", flush=True)
        return sweep(url, folder, now)
    finally:
        with psycopg.connect(base, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')  # type: ignore[arg-type]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--sizes", default="10000,1000000")
    parser.add_argument(
        "--generated",
        nargs=2,
        metavar=("URL", "DATA_DIR"),
        help="also sweep a database bench/generate.py filled before (it is changed)",
    )
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",") if size]
    results = {size: run(args.database_url, size) for size in sizes}
    if args.generated:
        url, folder = args.generated
        with psycopg.connect(url) as connection:
            row = connection.execute("SELECT count(*) FROM cases_case").fetchone()
        print(f"  {row[0]:,} cases generated before", flush=True)
        results[row[0]] = sweep(url, Path(folder), dt.datetime.now(dt.UTC))
    print("\n| cases | due | sweep of the due (s) | empty sweep (ms) |")
    print("|---:|---:|---:|---:|")
    for size, (missed, first, second) in results.items():
        print(f"| {size:,} | {missed} | {first:.3f} | {second * 1000:.1f} |")


if __name__ == "__main__":
    main()
