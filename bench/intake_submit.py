"""What a report costs on a running ``ombud serve``, end to end over HTTP.

    .venv/bin/python bench/intake_submit.py [--reports 200]
    .venv/bin/python bench/intake_submit.py --database-url postgresql://postgres@127.0.0.1:5432/postgres

1. ``POST /api/v1/reports`` without files, N times: each one makes a case key,
   seals it to routing's readers in the demo organisation (``bench.generate.prepare``),
   to the reporter and to the recovery key, and
   writes the audit entries.
2. The reporter pages with five files, 28 MB in all (three photos, two 9 MB
   text files): the upload (type check, metadata removal, encryption into the
   draft) and the submission (re-encryption under the case key) are timed
   apart, and the web workers' peak memory (VmHWM) is read from /proc.
"""

from __future__ import annotations

import argparse
import io
import re
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import OMBUD, bench_database, bench_env, ombud_served  # noqa: E402
from PIL import Image  # noqa: E402
from tests.intake.helpers import report_fields  # noqa: E402
from tests.live import LiveClient  # noqa: E402

SETUP = """
from pathlib import Path
from bench.generate import prepare
prepare(Path({data_dir!r}))
print("ok")
"""


def photo(seed: int) -> bytes:
    noise = Image.frombytes("RGB", (2600, 2000), secrets.token_bytes(2600 * 2000 * 3))
    out = io.BytesIO()
    noise.save(out, "JPEG", quality=80)
    return out.getvalue()


def peak_mb(marker: bytes) -> float:
    peak = 0
    for environ in Path("/proc").glob("[0-9]*/environ"):
        try:
            if marker not in environ.read_bytes().split(b"\0"):
                continue
            status = (environ.parent / "status").read_text()
            cmdline = (environ.parent / "cmdline").read_bytes()
        except OSError:
            continue
        if b"gunicorn" not in cmdline and b"serve" not in cmdline:
            continue
        for line in status.splitlines():
            if line.startswith("VmHWM:"):
                peak = max(peak, int(line.split()[1]))
    return peak / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reports", type=int, default=200)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="ombud-bench-"))
    env = bench_env(folder)
    with bench_database(args.database_url, env):
        setup = SETUP.format(data_dir=str(folder))
        subprocess.run([OMBUD, "manage", "shell", "-c", setup], env=env, check=True)
        with ombud_served(env) as url:
            measure(url, args, folder)


def measure(url: str, args: argparse.Namespace, folder: Path) -> None:
    api = LiveClient(url)
    body = {
        "category": "bullying",
        "description": "Shouted at in front of the team, again. " * 20,
        "occurred_period": "since March",
        "context": "office",
        "accused": [{"name": "A shift manager", "relationship": "other"}],
        "identity": {"mode": "anonymous"},
    }
    times = []
    for index in range(args.reports):
        api = LiveClient(url, source_address=f"127.0.{index // 200}.{index % 200 + 2}")
        started = time.perf_counter()
        reply = api.post_json("/api/v1/reports", body)
        times.append(time.perf_counter() - started)
        if reply.status != 201:
            raise SystemExit(f"report {index}: {reply.status} {reply.text[:200]}")
    times.sort()
    database = "PostgreSQL" if args.database_url else "SQLite"
    print(f"{database}, the demo organisation: routing's readers and the recovery key\n")
    print("| step | median ms | p95 ms | max ms |")
    print("|---|---:|---:|---:|")
    p95 = times[int(len(times) * 0.95) - 1]
    print(
        f"| API report, no files (x{args.reports}) | {statistics.median(times) * 1000:.0f} "
        f"| {p95 * 1000:.0f} | {times[-1] * 1000:.0f} |"
    )
    files = [("files", f"photo{index}.jpg", photo(index), "image/jpeg") for index in range(3)]
    files += [
        (
            "files",
            f"notes{index}.txt",
            b"line of notes\n" * (9 * 1024 * 1024 // 14),
            "text/plain",
        )
        for index in range(2)
    ]
    total = sum(len(item[2]) for item in files) / 2**20
    pages = LiveClient(url, source_address="127.9.9.9")
    started = time.perf_counter()
    fields = report_fields(**{"accused-0-employee_id": ""})
    reply = pages.post_form("/report/new/", {**fields, "action": "review"}, files)
    upload = time.perf_counter() - started
    if reply.status != 302:
        problems = re.findall(r'class="errorlist[^>]*>(.*?)</ul>', reply.text, re.S)
        raise SystemExit(f"upload: {reply.status} {problems}")
    started = time.perf_counter()
    reply = pages.post_form("/report/review/", {"action": "submit"})
    submit = time.perf_counter() - started
    if reply.status != 201:
        raise SystemExit(f"submit: {reply.status}")
    print(f"| pages: upload 5 files, {total:.0f} MB in all | {upload * 1000:.0f} | | |")
    print(f"| pages: send the report with those files | {submit * 1000:.0f} | | |")
    marker = f"OMBUD_DATA_DIR={folder}".encode()
    print(f"\nPeak memory of a web process: {peak_mb(marker):.0f} MB")


if __name__ == "__main__":
    main()
