"""`ombud serve` and `ombud demo` as a user runs them: real processes, real HTTP."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import OMBUD, free_port

pytestmark = pytest.mark.slow


def get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - loopback only
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def wait_for_health(
    url: str, process: subprocess.Popen, seconds: float = 60, *, worker_only: bool = False
) -> dict:
    """/healthz's answer once it is 200 (or, with ``worker_only``, once the worker
    beats, whatever else it says)."""
    deadline = time.monotonic() + seconds
    last: object = None
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stderr.read() if process.stderr else ""
        try:
            status, body = get(url + "healthz")
            last = (status, body)
            if status == 200 or (worker_only and json.loads(body).get("worker") == "ok"):
                return json.loads(body)
        except OSError as error:
            last = error
        time.sleep(0.5)
    raise AssertionError(f"/healthz never answered 200: {last}")


def processes_of(instance) -> list[int]:
    """Every process started with this instance's data folder in its environment."""
    marker = f"OMBUD_DATA_DIR={instance.env['OMBUD_DATA_DIR']}".encode()
    found = []
    for environ in Path("/proc").glob("[0-9]*/environ"):
        try:
            if marker in environ.read_bytes().split(b"\0"):
                found.append(int(environ.parent.name))
        except OSError:
            continue  # gone meanwhile, or not ours to read
    return found


def start(instance, *args: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    process = subprocess.Popen(
        [OMBUD, *args, "--port", str(port)],
        env=instance.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    return process, f"http://127.0.0.1:{port}/"


def stop(process: subprocess.Popen, how: int = signal.SIGTERM) -> tuple[int, str, str]:
    process.send_signal(how)
    out, err = process.communicate(timeout=40)
    return process.returncode, out, err


def test_serve_on_a_fresh_folder_answers_health_and_stops_cleanly_on_sigterm(instance):
    process, url = start(instance, "serve")
    try:
        # Without a recovery key no report can be stored: health says so...
        health = wait_for_health(url, process, worker_only=True)
        assert health == {
            "database": "ok",
            "worker": "ok",
            "recovery_key": "missing",
            "mail": "folder",  # no OMBUD_SMTP_HOST in development
        }
        assert get(url + "healthz")[0] == 503
        status, page = get(url + "report/")
        assert status == 200 and b"Reports are not accepted yet" in page
        # ...until the officers have made it.
        made = instance.run("recovery", "init", "--shares", "3", "--threshold", "2")
        assert made.returncode == 0, made.stderr
        assert wait_for_health(url, process) == {
            "database": "ok",
            "worker": "ok",
            "recovery_key": "ok",
            "mail": "folder",
        }
        status, page = get(url)
        assert status == 200 and b"Speak up safely" in page
        assert b"Reports are not accepted yet" not in get(url + "report/")[1]
        # The supervisor, the web server (master and workers) and the worker.
        assert len(processes_of(instance)) >= 4
    finally:
        code, out, err = stop(process)
    assert code == 0, err
    assert "ombud: stopped" in err
    assert (
        "ombud: warning: no recovery key yet: reports are refused until `ombud recovery init" in err
    )
    with pytest.raises(OSError):
        get(url)  # nothing listens any more
    assert processes_of(instance) == []  # and no child was left behind


def test_demo_prints_the_staff_sign_ins_and_serves_the_demo_organisation(instance):
    process, url = start(instance, "demo")
    try:
        wait_for_health(url, process)
    finally:
        code, out, err = stop(process, signal.SIGINT)
    assert code == 0, err
    assert f"Open {url}" in out
    assert "Every demo account's password is: quillfern-demo" in out
    # No mail server: it says where the notices are written instead.
    assert f"is written as a .eml file to {instance.data_dir}/mail/" in out
    secret = r"[A-Z2-7]{4}(?: [A-Z2-7]{4}){7}"  # an authenticator secret, base32
    staff = [line for line in out.splitlines() if re.search(secret, line)]
    assert len(staff) >= 10  # every staff account's secret, beside its name
    for username, role in [
        ("amara.quenby", "handler"),
        ("idris.halloway", "auditor"),
        ("wenna.trelawny", "administrator"),
        ("theodora.ashgrove", "board-committee"),
    ]:
        assert any(username in line and role in line for line in out.splitlines()), username


def test_serve_in_production_refuses_to_start_before_the_recovery_key_exists(instance):
    instance.env.update(
        OMBUD_ENV="production",
        OMBUD_SECRET_KEY="p" * 40,
        OMBUD_ALLOWED_HOSTS="127.0.0.1",
        OMBUD_ARGON2_MEMORY_MIB="64",
        OMBUD_MAIL="off",  # no mail server here: said on purpose, or it would not start
    )
    refused = instance.run("serve", "--port", str(free_port()))
    assert refused.returncode == 1
    assert refused.stderr.splitlines() == [
        "ombud: no recovery key yet, so no report could be stored: "
        "run `ombud recovery init --shares N --threshold K` first"
    ]
    made = instance.run("recovery", "init", "--shares", "3", "--threshold", "2")
    assert made.returncode == 0, made.stderr
    process, url = start(instance, "serve")
    try:
        health = wait_for_health(url, process)
        assert health["recovery_key"] == "ok"
        assert health["mail"] == "off"  # and health says that no notices go out
    finally:
        code, _out, err = stop(process)
    assert code == 0, err
    assert "warning" not in err
