r"""The overview's counters under concurrent writers (PostgreSQL): one row for every
case against the rows spread by case id, as `ombud.cases.figures` keeps them.

    .venv/bin/python bench/figures_contention.py --database-url URL \
        [--writers 4] [--each 200] [--hold-ms 5]

Makes a fresh database next to the one URL names (dropped at the end) and migrates
it. Each of ``--writers`` processes runs ``--each`` transactions that add one to the
open cases, as a report does, then hold the transaction ``--hold-ms`` more (the rest
of a report's work after its counter update) before committing. Once with every
case id on the same row, once with the ids of real cases (spread over the slots).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import secrets
import sys
import time
from pathlib import Path


def _writer(args: tuple[str, int, int, float, bool, float]) -> float:
    url, first, each, hold, one_row, start_at = args
    os.environ["DATABASE_URL"] = url
    import django

    django.setup()
    from django.db import connection, transaction

    from ombud.cases.figures import SLOTS, figures_add

    connection.ensure_connection()
    time.sleep(max(0.0, start_at - time.time()))  # every writer starts at once
    for n in range(each):
        case_id = SLOTS * (first + n) if one_row else first + n
        with transaction.atomic():
            figures_add(case_id, open_cases=1)
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_sleep(%s)", [hold])
    return time.time()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--writers", type=int, default=4)
    parser.add_argument("--each", type=int, default=200)
    parser.add_argument("--hold-ms", type=float, default=5.0)
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ombud.settings")
    os.environ.setdefault("OMBUD_DATA_DIR", "/tmp/ombud-bench-figures")  # noqa: S108
    import psycopg

    base, name = args.database_url.rsplit("/", 1)
    database = f"{name or 'ombud'}_figures_{secrets.token_hex(4)}"
    with psycopg.connect(args.database_url, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{database}"')  # type: ignore[arg-type]
    url = f"{base}/{database}"
    os.environ["DATABASE_URL"] = url
    try:
        import django
        from django.core.management import call_command

        django.setup()
        call_command("migrate", verbosity=0)
        from django.db import connections

        from ombud.cases.figures import figures_counts

        connections.close_all()
        total = args.writers * args.each
        print(
            f"{args.writers} writers x {args.each} transactions, each holding "
            f"{args.hold_ms:g} ms after its counter update; load average "
            f"{os.getloadavg()[0]:.2f}\n"
        )
        print("| counter rows | transactions/s | wall s |")
        print("|---|---:|---:|")
        for label, one_row in (("one row for all", True), ("spread over 16 by case id", False)):
            start_at = time.time() + 15  # after the processes' start-up
            jobs = [
                (url, 1 + w * args.each, args.each, args.hold_ms / 1000, one_row, start_at)
                for w in range(args.writers)
            ]
            with multiprocessing.get_context("spawn").Pool(args.writers) as pool:
                wall = max(pool.map(_writer, jobs)) - start_at
            print(f"| {label} | {total / wall:.0f} | {wall:.2f} |")
        counted = figures_counts()["open_cases"]
        if counted != 2 * total:
            raise SystemExit(f"{counted} counted for {2 * total} increments")
        connections.close_all()
    finally:
        with psycopg.connect(args.database_url, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
