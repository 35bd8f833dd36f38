"""`ombud audit verify` over a long audit log, against hashing alone.

    .venv/bin/python bench/audit_verify.py [--entries 1000000]
    .venv/bin/python bench/audit_verify.py --database-url postgresql://postgres@127.0.0.1:5432/postgres

It makes a fresh data folder (SQLite; or a fresh PostgreSQL database next to the
one --database-url names), migrates it, and fills the log with a valid chain:
hashes computed with ombud.crypto.chain, rows written with executemany (SQLite)
or COPY (PostgreSQL), the head moved to the last entry. The entries are all of
today and the checkpoint interval is set above their number, so the log verifies
with no checkpoint (signing 1,000 of them would add about 0.1 s). Then it times:

- hashing alone: chain.entry_hash over the same fields in this one process;
- `ombud audit verify` as a user runs it (wall clock, start-up included);
- audit_verify() itself, with its two worker processes and with none.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import secrets
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from ombud.crypto import chain  # noqa: E402

OMBUD = str(Path(sys.executable).with_name("ombud"))
COLUMNS = "seq, at, actor_id, actor, action, object_type, object_id, details, prev_hash, hash"
INSERT = (
    "INSERT INTO audit_auditentry (seq, at, actor_id, actor, action, object_type, object_id, "
    "details, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)

TIMED = """
import time
from ombud.audit.selectors import audit_verify
from ombud.audit.services import public_key
key = public_key()
for workers in (2, 0):
    started = time.perf_counter()
    result = audit_verify(public_key=key, workers=workers)
    assert result.ok, result.problem
    print(f"function {workers} {result.entries} {time.perf_counter() - started:.3f}")
"""


def entries(
    count: int,
) -> Iterator[tuple[int, dt.datetime, int, str, str, str, str, str, str, str]]:
    """A valid chain of ``count`` case reads, all of the last hour."""
    start = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(hours=1)
    previous = chain.GENESIS
    for seq in range(1, count + 1):
        at = start + dt.timedelta(microseconds=seq * 3)
        fields = dict(
            seq=seq,
            at=at.isoformat(timespec="microseconds"),
            actor_id=seq % 50,
            actor=f"user:staff{seq % 50}",
            action="cases.case.read",
            object_type="cases.case",
            object_id=str(seq % 100_000),
            details='{"level":"investigator"}',
            prev_hash=previous,
        )
        digest = chain.entry_hash(**fields)  # type: ignore[arg-type]
        yield (seq, at, seq % 50, str(fields["actor"]), "cases.case.read", "cases.case",
               str(fields["object_id"]), '{"level":"investigator"}', previous, digest)  # fmt: skip
        previous = digest


def fill_sqlite(path: Path, count: int) -> None:
    with sqlite3.connect(path) as db:
        db.execute("DELETE FROM audit_auditcheckpoint")
        db.execute("DELETE FROM audit_auditentry")
        last = chain.GENESIS
        batch: list[tuple[object, ...]] = []
        for row in entries(count):
            # As Django writes a DateTimeField to SQLite: UTC, no zone, str().
            batch.append((row[0], str(row[1].replace(tzinfo=None)), *row[2:]))
            last = row[9]
            if len(batch) == 10_000:
                db.executemany(INSERT, batch)
                batch.clear()
        if batch:
            db.executemany(INSERT, batch)
        db.execute(
            "UPDATE audit_audithead SET seq = ?, hash = ?, checkpoint_seq = 0", (count, last)
        )


def fill_postgresql(url: str, count: int) -> None:
    import psycopg

    with psycopg.connect(url) as db:
        db.execute("DELETE FROM audit_auditcheckpoint")
        db.execute("DELETE FROM audit_auditentry")
        last = chain.GENESIS
        with (
            db.cursor() as cursor,
            cursor.copy(f"COPY audit_auditentry ({COLUMNS}) FROM STDIN") as copy,
        ):
            for row in entries(count):
                copy.write_row(row)
                last = row[9]
        db.execute("UPDATE audit_audithead SET seq = %s, hash = %s, checkpoint_seq = 0", (count, last))  # fmt: skip  # noqa: E501
        db.execute("ANALYZE audit_auditentry")


def hashing_alone(count: int) -> tuple[float, float]:
    """Seconds to hash ``count`` entries in this process (one core): one call of
    chain.entry_hash an entry, and chain.check_batch over runs of 5,000 text rows
    (what each worker of audit_verify does)."""
    rows = [
        (str(s), a.isoformat(timespec="microseconds"), str(i), ac, ax, ot, oi, d, p, h)
        for s, a, i, ac, ax, ot, oi, d, p, h in entries(count)
    ]
    started = time.perf_counter()
    for s, a, i, ac, ax, ot, oi, d, p, _h in rows:
        chain.entry_hash(seq=int(s), at=a, actor_id=int(i), actor=ac, action=ax,
                         object_type=ot, object_id=oi, details=d, prev_hash=p)  # fmt: skip
    one_by_one = time.perf_counter() - started
    started = time.perf_counter()
    for start in range(0, count, 5000):
        if chain.check_batch(rows[start : start + 5000]) is not None:
            raise SystemExit("the bench wrote a broken chain")
    return one_by_one, time.perf_counter() - started


def measure(count: int, base: str | None) -> None:
    folder = Path(tempfile.mkdtemp(prefix="ombud-audit-bench-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OMBUD_", "DATABASE_URL"))}
    env.update(OMBUD_DATA_DIR=str(folder), OMBUD_AUDIT_CHECKPOINT_INTERVAL=str(10_000_000))
    name = f"ombud_audit_{secrets.token_hex(4)}"
    if base:
        import psycopg

        with psycopg.connect(base, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')  # type: ignore[arg-type]
        env["DATABASE_URL"] = base.rsplit("/", 1)[0] + "/" + name
    try:
        subprocess.run([OMBUD, "manage", "migrate", "-v0"], env=env, check=True)
        started = time.perf_counter()
        if base:
            fill_postgresql(env["DATABASE_URL"], count)
        else:
            fill_sqlite(folder / "ombud.sqlite3", count)
        print(f"{count:,} entries written in {time.perf_counter() - started:.1f} s", flush=True)
        one_by_one, batched = hashing_alone(count)
        print(f"hashing alone, one process, entry_hash: {one_by_one:.2f} s, "
              f"{count / one_by_one:,.0f} entries/s")  # fmt: skip
        print(f"hashing alone, one process, check_batch: {batched:.2f} s, "
              f"{count / batched:,.0f} entries/s")  # fmt: skip
        started = time.perf_counter()
        out = subprocess.run([OMBUD, "audit", "verify"], env=env, capture_output=True, text=True)
        command = time.perf_counter() - started
        if out.returncode:
            raise SystemExit(out.stderr[-3000:])
        print(f"ombud audit verify: {command:.2f} s, {count / command:,.0f} entries/s "
              f"({out.stdout.splitlines()[0]})")  # fmt: skip
        out = subprocess.run([OMBUD, "manage", "shell", "-c", TIMED], env=env, capture_output=True,
                             text=True, check=True)  # fmt: skip
        for line in out.stdout.splitlines():
            if line.startswith("function"):
                _, workers, verified, seconds = line.split()
                print(f"audit_verify(workers={workers}): {float(seconds):.2f} s, "
                      f"{int(verified) / float(seconds):,.0f} entries/s")  # fmt: skip
    finally:
        if base:
            import psycopg

            with psycopg.connect(base, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')  # type: ignore[arg-type]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--database-url", help="PostgreSQL server to make a fresh database on")
    args = parser.parse_args()
    measure(args.entries, args.database_url)


if __name__ == "__main__":
    main()
