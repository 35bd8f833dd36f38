"""Many processes, many hosts: two `ombud serve` and two `ombud worker` on one
PostgreSQL, started together on a fresh database; reports to both servers, sweeps
from two processes at once, a real mail server. Nothing lost, nothing twice."""

from __future__ import annotations

import datetime as dt
import email
import json
import os
import secrets
import shutil
import subprocess
import time
import urllib.error
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from email.header import decode_header, make_header

import pytest
import time_machine
from django.utils import timezone

from ombud.crypto import boxes
from ombud.operations.outbox import CLAIM_LEASE, outbox_claim, outbox_put, outbox_send
from tests.conftest import OMBUD, free_port
from tests.test_serve import wait_for_health

# What every host of one Ombud must hold alike (README, "Where it runs"). The
# database and the rest of the data folder (mail/, static/) are not shared.
SHARED_FILES = ["secret_key", "pepper", "audit_signing.key", "notify.key", "notify.key.pub"]
REPORTS = 24


def test_a_message_being_sent_by_one_worker_is_not_taken_by_another(db):
    message = outbox_put(to="amara@example.org", subject="Case OMB-1 was escalated", body="…")
    assert message is not None
    listed_at = timezone.now()  # both workers found it due at this instant
    first = outbox_claim(message.pk, listed_at)
    assert first is not None and first.attempts == 1
    # While the first is still talking to the mail server: another worker that
    # listed it too, and a sweep run as if it were a month later.
    assert outbox_claim(message.pk, listed_at) is None
    assert outbox_claim(message.pk, listed_at + dt.timedelta(days=30)) is None
    message.refresh_from_db()
    assert message.attempts == 1


def test_a_message_held_by_a_worker_that_died_is_sent_by_another_later(db, smtp):
    message = outbox_put(to="amara@example.org", subject="Case OMB-1 was escalated", body="…")
    assert message is not None
    assert outbox_claim(message.pk, timezone.now()) is not None  # and then it died
    assert outbox_send() == 0 and smtp.messages == []
    with time_machine.travel(timezone.now() + CLAIM_LEASE + dt.timedelta(seconds=1)):
        assert outbox_send() == 1
    assert [to for to, _ in smtp.messages] == [["amara@example.org"]]
    message.refresh_from_db()
    assert message.outcome == "sent" and message.attempts == 2


def _host_folder(path, source=None):
    """A host's data folder: the shared secrets, written as an operator would."""
    path.mkdir(parents=True, exist_ok=True)
    if source is not None:
        for name in SHARED_FILES:
            shutil.copy2(source / name, path / name)
        return path
    notify = secrets.token_bytes(32)
    made = {
        "secret_key": secrets.token_urlsafe(50),
        "pepper": secrets.token_hex(32),
        "audit_signing.key": secrets.token_hex(32),
        "notify.key": notify.hex(),
        "notify.key.pub": boxes.public_of(notify).hex(),
    }
    for name, value in made.items():
        fd = os.open(path / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(value + "\n")
    return path


def _post_report(url: str, number: int) -> tuple[int, dict]:
    named = number % 2 == 0  # half report by name and ask to be told "there is news"
    identity = (
        {"mode": "named", "name": f"Reporter {number}", "email": f"r{number}@example.org"}
        if named
        else {"mode": "anonymous"}
    )
    body = {
        "category": "bullying",
        "description": f"Report {number}: shouted at in every team meeting.",
        "occurred_period": "since March",
        "context": "office",
        "accused": [{"name": "a visiting buyer", "relationship": "client"}],
        "identity": identity,
        "contact_ok": named,
    }
    request = urllib.request.Request(  # noqa: S310 - loopback only
        url + "api/v1/reports",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, {"error": error.read().decode(errors="replace")}


def _subject(raw: str) -> str:
    return str(make_header(decode_header(email.message_from_string(raw)["Subject"])))


@pytest.mark.slow
@pytest.mark.skipif(
    not os.environ.get("DATABASE_URL"),
    reason="several hosts need PostgreSQL: SQLite is one file on one host",
)
def test_two_servers_and_two_workers_on_one_database_lose_no_report_and_do_nothing_twice(
    instance, smtp, settings, tmp_path
):
    instance.env |= {
        "OMBUD_SMTP_HOST": "127.0.0.1",
        "OMBUD_SMTP_PORT": str(settings.EMAIL_PORT),  # the `smtp` fixture's server
        "OMBUD_SMTP_SECURITY": "none",
        "OMBUD_RATELIMIT_REPORTS": "1000",
    }
    host_a = _host_folder(instance.data_dir)
    host_b = _host_folder(tmp_path / "host-b", source=host_a)
    env_a = dict(instance.env)
    env_b = env_a | {"OMBUD_DATA_DIR": str(host_b)}
    ports = [free_port(), free_port()]
    urls = [f"http://127.0.0.1:{port}/" for port in ports]
    # All four at once on a fresh database: the migrations take turns.
    commands = [
        ([OMBUD, "serve", "--workers", "1", "--port", str(ports[0])], env_a),
        ([OMBUD, "serve", "--workers", "1", "--port", str(ports[1])], env_b),
        ([OMBUD, "worker", "--interval", "1"], env_a),
        ([OMBUD, "worker", "--interval", "1"], env_b),
    ]
    processes = [
        subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # noqa: S603
        for argv, env in commands
    ]
    try:
        for url, server in zip(urls, processes, strict=False):
            wait_for_health(url, server, seconds=120, worker_only=True)
        for worker in processes[2:]:
            assert worker.poll() is None, worker.communicate()[1]
        # The organisation: its directory, ladder and recovery key.
        instance.python(
            "from ombud.demo import demo_load, demo_recovery_shares;"
            "from django.conf import settings;"
            "demo_load(); demo_recovery_shares(settings.CONFIG.data_dir); print('ok')"
        )
        for url, server in zip(urls, processes, strict=False):
            assert wait_for_health(url, server)["mail"] == "smtp"

        # Reporters at both servers at once, four at a time.
        with ThreadPoolExecutor(max_workers=4) as pool:
            answers = list(pool.map(lambda n: _post_report(urls[n % 2], n), range(REPORTS)))
        assert [status for status, _ in answers] == [201] * REPORTS, answers
        refs = sorted(answer["case_ref"] for _, answer in answers)
        assert len(set(refs)) == REPORTS  # each reporter her own case

        # Two sweeps at once, two days after the last day to acknowledge: every
        # acknowledgement deadline is missed (and no later one is due yet).
        last_day = max(dt.date.fromisoformat(answer["acknowledge_by"]) for _, answer in answers)
        later = f"{last_day + dt.timedelta(days=2)}T00:00:00+00:00"
        sweeps = [
            subprocess.Popen(  # noqa: S603
                [OMBUD, "deadlines", "sweep", "--now", later],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for env in (env_a, env_b)
        ]
        outputs = [sweep.communicate(timeout=180) for sweep in sweeps]
        assert [sweep.returncode for sweep in sweeps] == [0, 0], outputs
        missed = sum(int(out.split(" deadline(s)")[0]) for out, _ in outputs)
        assert missed == REPORTS, outputs  # each claimed by one sweep, not both

        # The workers send whatever the sweeps left; wait for the outbox to empty.
        deadline = time.monotonic() + 60
        while instance.query("SELECT count(*) FROM operations_outboxmessage WHERE sent_at IS NULL")[
            0
        ][0]:
            assert time.monotonic() < deadline, "the outbox never emptied"
            time.sleep(0.5)
        time.sleep(2)  # a duplicate would arrive now
    finally:
        for process in processes:
            process.terminate()
        stopped = [process.communicate(timeout=40) for process in processes]
    assert [process.returncode for process in processes] == [0, 0, 0, 0], stopped
    for _, err in stopped:
        assert "cannot prepare the database" not in err
        assert "Traceback" not in err

    # No lost report: every 201 has its case.
    stored = instance.query("SELECT ref FROM cases_case ORDER BY ref")
    assert sorted(ref for (ref,) in stored) == refs
    # Each missed deadline escalated once: one audit entry and one timeline event a case.
    escalated = instance.query(
        "SELECT details FROM audit_auditentry WHERE action = 'deadlines.case.escalated'"
    )
    assert sorted(json.loads(details)["case"] for (details,) in escalated) == refs
    events = instance.query(
        "SELECT c.ref FROM cases_timelineevent e JOIN cases_case c ON c.id = e.case_id"
        " WHERE e.kind = 'escalated'"
    )
    assert sorted(ref for (ref,) in events) == refs
    # Each mail once: per recipient and subject.
    received = Counter(
        (recipient, _subject(raw)) for recipients, raw in smtp.messages for recipient in recipients
    )
    twice = {key: count for key, count in received.items() if count > 1}
    assert twice == {}
    for ref in refs:
        assert any(subject == f"Case {ref} was escalated to you" for _, subject in received)
    news = [key for key in received if key[1] == "There is news about your report"]
    assert sorted(recipient for recipient, _ in news) == sorted(
        f"r{n}@example.org" for n in range(0, REPORTS, 2)
    )
    sent = instance.query("SELECT count(*) FROM operations_outboxmessage WHERE outcome = 'sent'")
    assert sent[0][0] == len(smtp.messages)


def test_serve_refuses_a_number_of_web_processes_below_one(instance):
    result = instance.run("serve", "--workers", "0")
    assert result.returncode == 2
    assert "--workers: '0' is not a whole number of at least 1" in result.stderr
