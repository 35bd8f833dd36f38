"""What the benches that run a real ``ombud serve`` share: an environment of their
own, a PostgreSQL database of their own beside the given URL (dropped after), and
the server, started, waited for and stopped."""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

OMBUD = str(Path(sys.executable).with_name("ombud"))
ROOT = Path(__file__).resolve().parents[1]


def bench_env(folder: Path, **extra: str) -> dict[str, str]:
    """This process's environment without Ombud's settings, with a data folder of its
    own: the bench measures the defaults unless it says otherwise. The repository's
    root is on the path, so the server and its shell import ``bench`` too."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OMBUD_", "DATABASE_URL"))}
    env["OMBUD_DATA_DIR"] = str(folder)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(ROOT), str(ROOT / "src"), *filter(None, [os.environ.get("PYTHONPATH")])]
    )
    env.update(extra)
    return env


@contextlib.contextmanager
def bench_database(database_url: str | None, env: dict[str, str]) -> Iterator[str]:
    """With a URL: a new database ``ombud_bench_<random>`` beside it, named in
    ``env["DATABASE_URL"]`` and dropped at the end; its name is given. Without one:
    SQLite in the data folder, and ""."""
    if not database_url:
        yield ""
        return
    import psycopg

    name = f"ombud_bench_{secrets.token_hex(4)}"
    with psycopg.connect(database_url, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')  # type: ignore[arg-type]
    env["DATABASE_URL"] = database_url.rsplit("/", 1)[0] + "/" + name
    try:
        yield name
    finally:
        with psycopg.connect(database_url, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')  # type: ignore[arg-type]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def ombud_served(env: dict[str, str], *, ready: str = "healthz") -> Iterator[str]:
    """``ombud serve`` on a free port with ``env``, once ``ready`` answers 200; its
    base URL (ending in "/") is given, and it is stopped (SIGTERM) at the end. A
    server that stops before it is ready ends the bench with what it printed."""
    url = f"http://127.0.0.1:{free_port()}/"
    port = url.rsplit(":", 1)[1].strip("/")
    # Its log goes to a file, not a pipe: a pipe nobody reads would stall a server
    # that logs more than the pipe holds.
    log = Path(env["OMBUD_DATA_DIR"]) / "bench-serve.log"
    with log.open("w") as sink:
        server = subprocess.Popen(  # noqa: S603 - our own command
            [OMBUD, "serve", "--port", port], env=env, stdout=subprocess.DEVNULL, stderr=sink
        )
    try:
        for _ in range(240):
            if server.poll() is not None:
                raise SystemExit(f"ombud serve stopped:\n{log.read_text()[-4000:]}")
            try:
                with urllib.request.urlopen(url + ready, timeout=5) as response:  # noqa: S310 - ours
                    if response.status == 200:
                        break
            except OSError:
                pass
            time.sleep(0.5)
        else:
            raise SystemExit("ombud serve never became ready")
        yield url
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)
