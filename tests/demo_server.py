"""`ombud demo` started as a user starts it, for the browser tests: its address, the
staff's authenticators and the demo reports' receipts, read off what it prints."""

from __future__ import annotations

import contextlib
import re
import signal
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from tests.conftest import OMBUD, Authenticator, free_port, fresh_instance
from tests.test_serve import wait_for_health

SIGN_IN = re.compile(r"\s+(\S+)\s.*?((?:[A-Z2-7]{4} ){7}[A-Z2-7]{4})")
RECEIPT = re.compile(r"\s+(OMB-\S+)\s+((?:[0-9A-Z]{4}-){5}[0-9A-Z]{4})")


@dataclass
class DemoServer:
    url: str
    apps: dict[str, Authenticator] = field(default_factory=dict)  # by user name
    receipts: dict[str, str] = field(default_factory=dict)  # the demo's reports, by reference


@contextlib.contextmanager
def running_demo(folder: Path, *args: str, **env: str) -> Iterator[DemoServer]:
    """``ombud demo ARGS`` on a free port, in a fresh data folder (and database), with
    ``env`` added to its environment; stopped as Ctrl-C would stop it."""
    with fresh_instance(folder) as instance:
        port = free_port()
        process = subprocess.Popen(
            [OMBUD, "demo", "--port", str(port), *args],
            env={**instance.env, **env},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        server = DemoServer(url=f"http://127.0.0.1:{port}")
        try:
            wait_for_health(server.url + "/", process)
            assert process.stdout is not None
            for line in process.stdout:  # sign-ins, recovery shares, then the receipts
                if found := SIGN_IN.match(line):
                    server.apps[found[1]] = Authenticator(found[2])
                elif found := RECEIPT.match(line):
                    server.receipts[found[1]] = found[2]
                elif server.receipts:
                    break
            assert server.apps and server.receipts, "the demo printed no sign-ins or receipts"
            yield server
        finally:
            process.send_signal(signal.SIGTERM)
            process.communicate(timeout=40)
