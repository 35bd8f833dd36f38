"""An API report against the bare write, on the same running ``ombud serve``.

    .venv/bin/python bench/intake_vs_bare.py [--reports 200] [--rounds 2] [--clients 1 4]
    .venv/bin/python bench/intake_vs_bare.py --database-url postgresql://postgres@127.0.0.1:5432/postgres

Issue 12 item 2. The server is ``ombud serve`` (same gunicorn, workers and threads)
with ``bench/bare/settings.py``, which adds ``POST /bench/bare``: parse the JSON,
insert one row with a 4 KB blob in one transaction. Against it,
``POST /api/v1/reports``: a 2 KB anonymous text report without files, routed in
the demo organisation (about six key holders plus the recovery key). Both are sent
by 1 and by 4 clients (threads, each its own connection per request); the rounds
alternate bare and report so that other load on the machine falls on both. Prints
median, p95 and throughput of each, and the ratio report/bare of the throughputs
(the best round of each). ``--slowest 16`` also sends 16 clients × 25 reports and
prints the slowest.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import OMBUD, bench_database, bench_env, ombud_served  # noqa: E402
from tests.live import LiveClient  # noqa: E402

SETUP = """
from pathlib import Path
from django.db import connection
from bench.bare.urls import CREATE
from bench.generate import prepare
prepare(Path({data_dir!r}))
postgres = connection.vendor == "postgresql"
with connection.cursor() as cursor:
    cursor.execute(CREATE.format(
        serial="BIGSERIAL" if postgres else "INTEGER",
        blob="BYTEA" if postgres else "BLOB",
    ))
print("ready")
"""
REPORT = {
    "category": "bullying",
    "description": ("Shouted at in front of the team, again, about the rota. " * 36)[:2000],
    "occurred_period": "since March",
    "context": "office",
    "accused": [{"name": "A shift manager", "relationship": "other"}],
    "identity": {"mode": "anonymous"},
}
ENDPOINTS = {"bare": "/bench/bare", "report": "/api/v1/reports"}


def p95(times: list[float]) -> float:
    ordered = sorted(times)
    return ordered[max(0, int(len(ordered) * 0.95) - 1)]


class Sender:
    def __init__(self, url: str) -> None:
        self.url = url
        self.sent = 0

    def run(self, path: str, total: int, clients: int) -> tuple[list[float], float]:
        """``total`` requests by ``clients`` threads: each request's time, and the wall time."""
        times: list[float] = []
        errors: list[str] = []
        lock = threading.Lock()
        left = [total]

        def client(number: int) -> None:
            while True:
                with lock:
                    if left[0] == 0 or errors:
                        return
                    left[0] -= 1
                    self.sent += 1
                    index = self.sent
                # A different address each: the limits count per address.
                address = f"127.{1 + index // 60000 % 200}.{index // 250 % 240}.{index % 250 + 2}"
                started = time.perf_counter()
                reply = LiveClient(self.url, source_address=address).post_json(path, REPORT)
                elapsed = time.perf_counter() - started
                with lock:
                    if reply.status != 201:
                        errors.append(f"{path}: {reply.status} {reply.text[:200]}")
                    times.append(elapsed)

        threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        wall = time.perf_counter() - started
        if errors:
            raise SystemExit(errors[0])
        return times, wall


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reports", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 4])
    parser.add_argument("--slowest", type=int, default=0, help="clients for the 25-each run")
    parser.add_argument("--database-url")
    parser.add_argument(
        "--sqlite-busy-handler",
        action="store_true",
        help="SQLite's busy handler instead of ombud.sqlite's queue of writers (before/after)",
    )
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="ombud-bench-"))
    # Each request comes from an address of its own, so the default limits (10
    # reports an hour an address) never refuse one and cost what they cost in use;
    # (a raised limit now costs the same: above 32 slots the limiter draws at random).
    env = bench_env(folder, DJANGO_SETTINGS_MODULE="bench.bare.settings")
    if args.sqlite_busy_handler:
        env["BENCH_SQLITE_BUSY_HANDLER"] = "1"
    try:
        with bench_database(args.database_url, env):
            setup = SETUP.format(data_dir=str(folder))
            subprocess.run([OMBUD, "manage", "shell", "-c", setup], env=env, check=True)
            with ombud_served(env) as url:
                measure(url.rstrip("/"), args)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def measure(url: str, args: argparse.Namespace) -> None:
    sender = Sender(url)
    for kind in ENDPOINTS.values():  # warm every worker and thread
        sender.run(kind, 20, 4)
    database = "PostgreSQL" if args.database_url else "SQLite"
    load = os.getloadavg()
    waiting = " (SQLite's busy handler)" if args.sqlite_busy_handler else ""
    print(f"{database}{waiting}, {args.reports} requests a round, {args.rounds} rounds")
    print("| clients | endpoint | median ms | p95 ms | p95/median | req/s | ratio |")
    print("|---:|---|---:|---:|---:|---:|---:|")
    for clients in args.clients:
        best: dict[str, tuple[float, list[float]]] = {}
        for _ in range(args.rounds):
            for kind, path in ENDPOINTS.items():
                times, wall = sender.run(path, args.reports, clients)
                rate = len(times) / wall
                if kind not in best or rate > best[kind][0]:
                    best[kind] = (rate, times)
        ratio = best["report"][0] / best["bare"][0]
        for kind in ENDPOINTS:
            rate, times = best[kind]
            median = statistics.median(times)
            print(
                f"| {clients} | {kind} | {median * 1000:.1f} | {p95(times) * 1000:.1f} "
                f"| {p95(times) / median:.1f} | {rate:.1f} "
                f"| {f'{ratio:.2f}' if kind == 'report' else ''} |"
            )
    if args.slowest:
        times, wall = sender.run(ENDPOINTS["report"], args.slowest * 25, args.slowest)
        median = statistics.median(times)
        print(
            f"\n{args.slowest} clients × 25 reports: median {median * 1000:.0f}"
            f" ms, p95 {p95(times) * 1000:.0f} ms, slowest {max(times) * 1000:.0f} ms,"
            f" {len(times) / wall:.1f} reports/s"
        )
    after = os.getloadavg()
    print(f"\nLoad average (1 min) before {load[0]:.2f}, after {after[0]:.2f}")


if __name__ == "__main__":
    main()
