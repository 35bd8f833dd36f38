"""Sign-in time with two factors, on a running `ombud serve` at production costs.

    .venv/bin/python bench/signin.py [--sign-ins 20] [--burst 16] [--database-url URL]

It makes a fresh data folder (SQLite; or a fresh PostgreSQL database next to the
one --database-url names), staff accounts with authenticators, and starts
`ombud serve` as a user does (two web processes of four threads; Argon2id 64 MiB,
3 passes; one Argon2 at a time per process). Then it times, over HTTP:

- sign-ins one after another: the form, then password and code in one POST;
- a wrong code (refused before any Argon2) and a wrong password (one Argon2);
- a burst of sign-ins at once, and the home page fetched meanwhile: the cap on
  Argon2 keeps threads free for other pages while sign-ins queue.
"""

from __future__ import annotations

import argparse
import base64
import concurrent.futures
import hashlib
import hmac
import http.cookiejar
import math
import os
import re
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import OMBUD, bench_database, bench_env, ombud_served  # noqa: E402

PASSWORD = "a long bench passphrase"  # noqa: S105 - invented accounts of a throwaway instance
SETUP = """
from ombud.access.recovery import recovery_key_create
from ombud.directory.models import Person
from ombud.directory.services import person_save, role_grant, user_create
recovery_key_create(actor="bench", shares=3, threshold=2)
from ombud.signin.services import totp_device_create
for number in range({count}):
    person = person_save(actor="bench", person=Person(
        employee_id=f"B{{number:05}}", name=f"Bench Staff {{number}}",
        email=f"staff{{number}}@bench.example",
    ))
    user = user_create(
        actor="bench", username=f"staff{{number}}", password={password!r}, person=person
    )
    role_grant(actor="bench", user=user, role="handler")
    print(f"staff{{number}}", totp_device_create(actor="bench", user=user).replace(" ", ""))
"""


def hotp(secret: str, counter: int) -> str:
    """RFC 4226, as an authenticator app computes it."""
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    digest = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    number = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{number % 1_000_000:06d}"


def code(secret: str) -> str:
    return hotp(secret, int(time.time()) // 30)


def sign_in(url: str, username: str, password: str, otp: str) -> tuple[float, str]:
    """One sign-in as a browser makes it; its time (the POST) and how it ended: "in",
    "refused" or "busy" (503: told to try again in a moment)."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(url + "accounts/login/", timeout=120).read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    if not token:
        raise SystemExit("no sign-in form")
    form = urllib.parse.urlencode(
        {
            "username": username,
            "password": password,
            "otp_token": otp,
            "csrfmiddlewaretoken": token[1],
        }
    ).encode()
    started = time.perf_counter()
    try:
        opener.open(url + "accounts/login/", data=form, timeout=120).read()
    except urllib.error.HTTPError as error:
        return time.perf_counter() - started, "busy" if error.code == 503 else "refused"
    elapsed = time.perf_counter() - started
    return elapsed, "in" if any(cookie.name == "ombud_key" for cookie in jar) else "refused"


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f}"


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(len(ordered) * 0.95) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sign-ins", type=int, default=20)
    parser.add_argument("--burst", type=int, default=16)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    accounts = args.sign_ins + args.burst + 2
    folder = Path(tempfile.mkdtemp(prefix="ombud-bench-signin-"))
    env = bench_env(folder, OMBUD_SIGNIN_FAILURE_LIMIT="1000")
    with bench_database(args.database_url, env):
        made = subprocess.run(
            [OMBUD, "manage", "shell", "-c", SETUP.format(count=accounts, password=PASSWORD)],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        secrets_of = dict(
            line.split() for line in made.stdout.splitlines() if line.startswith("staff")
        )
        with ombud_served(env) as url:
            run(url, secrets_of, args)


def run(url: str, secrets_of: dict[str, str], args: argparse.Namespace) -> None:
    names = sorted(secrets_of, key=lambda name: int(name.removeprefix("staff")))
    one_by_one = [
        sign_in(url, name, PASSWORD, code(secrets_of[name])) for name in names[: args.sign_ins]
    ]
    if any(ended != "in" for _time, ended in one_by_one):
        raise SystemExit("a sign-in failed")
    spare, other = names[args.sign_ins], names[args.sign_ins + 1]
    # (Each wrong code makes the account's next try wait longer: one try each.)
    wrong_code = [
        sign_in(url, names[0], PASSWORD, "000000")[0],
        sign_in(url, spare, PASSWORD, "000000")[0],
    ]
    wrong_password = [sign_in(url, other, "not it", code(secrets_of[other]))[0] for _ in range(5)]

    # A burst: every remaining account signs in at once; the home page meanwhile.
    burst_names = names[args.sign_ins + 2 : args.sign_ins + 2 + args.burst]
    home: list[float] = []
    stop = threading.Event()

    def fetch_home() -> None:
        while not stop.is_set():
            started = time.perf_counter()
            with urllib.request.urlopen(url, timeout=120) as response:  # noqa: S310 - our server
                response.read()
            home.append(time.perf_counter() - started)

    watcher = threading.Thread(target=fetch_home)
    watcher.start()
    started = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(max_workers=len(burst_names)) as pool:
        burst = list(
            pool.map(lambda name: sign_in(url, name, PASSWORD, code(secrets_of[name])), burst_names)
        )
    whole = time.perf_counter() - started
    stop.set()
    watcher.join()
    busy = sum(1 for _time, ended in burst if ended == "busy")
    if any(ended == "refused" for _time, ended in burst):
        raise SystemExit("a sign-in of the burst was refused")

    times = [elapsed for elapsed, _ok in one_by_one]
    burst_times = [elapsed for elapsed, ended in burst if ended == "in"]
    rows = [
        (f"sign-in, password and code (one at a time, {len(times)})", times),
        ("wrong code (2)", wrong_code),
        ("wrong password, right code (5)", wrong_password),
        (f"{len(burst)} sign-ins at once: the {len(burst_times)} let in", burst_times),
        (f"home page during the burst ({len(home)})", home),
    ]
    print("| what | median ms | p95 ms | max ms |")
    print("|---|---:|---:|---:|")
    for label, values in rows:
        median, high, worst = statistics.median(values), p95(values), max(values)
        print(f"| {label} | {ms(median)} | {ms(high)} | {ms(worst)} |")
    print(
        f"\nThe burst of {len(burst)} took {whole:.2f} s in all; {busy} were told at once to "
        f"try again (503); {os.cpu_count()} cores."
    )


if __name__ == "__main__":
    main()
