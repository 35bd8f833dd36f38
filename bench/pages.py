"""Staff pages at scale, over HTTP, on a running `ombud serve`.

    .venv/bin/python bench/pages.py [--cases 100000] [--database-url URL] [--rounds 30]

It makes a fresh data folder (SQLite; or a fresh PostgreSQL database next to the
one --database-url names, dropped at the end), loads the demo organisation, adds
``--cases`` cases with bench/generate.py's ``generate``, and gives one more handler
the keys of 50 cases. Then it starts `ombud serve` as a user does, signs in as the
demo's people (password and authenticator code) and times each page ``--rounds``
times, one request at a time (after two untimed ones):

- ``/cases/`` of the handler holding 50 keys;
- ``/cases/`` of the head of ethics, who holds the keys of the cases below her
  (and how many queries it costs, counted in this process with Django's client);
- ``/cases/?after=...`` a deep page of her list (a key from its middle);
- ``/cases/overview/`` (the head of ethics);
- ``/audit/`` the first page and the last, reached by its keyset (the auditor).
"""

from __future__ import annotations

import argparse
import http.cookiejar
import os
import re
import secrets
import statistics
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import ombud_served  # noqa: E402
from bench.generate import generate, prepare  # noqa: E402
from bench.signin import code, p95  # noqa: E402

PASSWORD = "a long bench passphrase"  # noqa: S105 - an invented account of a throwaway instance
HANDLER_KEYS = 50


class Browser:
    """Cookies kept between requests, as a signed-in browser sends them."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def get(self, path: str) -> tuple[int, str]:
        with self.opener.open(self.url + path.lstrip("/"), timeout=300) as response:
            return response.status, response.read().decode()

    def sign_in(self, username: str, password: str, secret: str) -> None:
        _status, page = self.get("accounts/login/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        if not token:
            raise SystemExit("no sign-in form")
        form = urllib.parse.urlencode(
            {
                "username": username,
                "password": password,
                "otp_token": code(secret.replace(" ", "")),
                "csrfmiddlewaretoken": token[1],
            }
        ).encode()
        with self.opener.open(self.url + "accounts/login/", data=form, timeout=300) as answer:
            answer.read()
            if "accounts/login" in answer.geturl():
                raise SystemExit(f"{username} could not sign in")

    def queries(self, path: str) -> tuple[int, float]:
        """The queries of one request, served in this process with this browser's
        session (Django's test client, the same database)."""
        from django.db import connection
        from django.test import Client
        from django.test.utils import CaptureQueriesContext

        client = Client(HTTP_HOST="127.0.0.1")
        for cookie in self.jar:
            client.cookies[cookie.name] = cookie.value
        client.get(path)  # warm
        with CaptureQueriesContext(connection) as captured:
            answer = client.get(path)
        if answer.status_code != 200:
            raise SystemExit(f"{path}: HTTP {answer.status_code} in this process")
        return len(captured), 1000 * sum(float(query["time"]) for query in captured)

    def timed(self, path: str, rounds: int, must: str = "") -> list[float]:
        for _ in range(2):  # warm: templates, connections, the database's cache
            self.get(path)
        times = []
        for _ in range(rounds):
            started = time.perf_counter()
            status, page = self.get(path)
            times.append(time.perf_counter() - started)
            if status != 200 or (must and must not in page):
                raise SystemExit(f"{path}: HTTP {status}, or {must!r} not in the page")
        return times


def setup(n_cases: int, real_sample: int, data_dir: Path, *, reuse: bool) -> dict[str, Any]:
    """The data, the accounts, and what the timed requests need (in this process)."""
    import django

    django.setup()
    from django.core.management import call_command

    generated, made = 0.0, None
    if not reuse:
        call_command("migrate", verbosity=0)
        prepare(data_dir)
        started = time.perf_counter()
        made = generate(
            n_cases,
            real_sample=real_sample,
            seed=1,
            progress=lambda text: print(text, file=sys.stderr, flush=True),
        )
        generated = time.perf_counter() - started
    from types import SimpleNamespace

    from ombud.access.models import CaseKeyGrant, PendingGrant
    from ombud.cases.models import Case
    from ombud.demo import demo_load
    from ombud.directory import roles
    from ombud.directory.models import Person
    from ombud.directory.services import person_save, role_grant, user_create
    from ombud.integrity import row_tag
    from ombud.signin.services import totp_device_create

    staff = {role: entry for entry in demo_load() for role in entry.roles}
    head, auditor = staff[roles.HEAD_OF_ETHICS], staff[roles.AUDITOR]
    from ombud.access.models import StaffKey
    from ombud.directory.models import User

    if reuse:
        handler = User.objects.get(username="bench-handler")
        handler_secret = totp_device_create(actor="bench", user=handler).replace(" ", "")
        return _facts(generated, made, handler_secret, head, auditor)
    person = person_save(actor="bench", person=Person(employee_id="B0001", name="Bench Handler"))
    handler = user_create(actor="bench", username="bench-handler", password=PASSWORD, person=person)
    role_grant(actor="bench", user=handler, role=roles.HANDLER)
    # A new handler is owed the key of every open case at her level (pending grants,
    # fulfilled by the next key holder to sign in): this one holds 50 keys, no more.
    PendingGrant.objects.filter(user=handler).delete()
    handler_secret = totp_device_create(actor="bench", user=handler).replace(" ", "")

    public = bytes(StaffKey.objects.get(user=handler).public_key)
    chosen = list(
        Case.objects.filter(level__role__code=roles.HANDLER)
        .exclude(state="closed")
        .order_by("?")
        .values_list("pk", flat=True)[:HANDLER_KEYS]
    )
    grants = []
    for case_id in chosen:
        sealed = secrets.token_bytes(80)
        tag = SimpleNamespace(
            case_id=case_id, user_id=handler.pk, public_key=public, sealed_case_key=sealed
        )
        grants.append(
            CaseKeyGrant(
                case_id=case_id,
                user=handler,
                sealed_case_key=sealed,
                public_key=public,
                mac=row_tag(tag, "access.CaseKeyGrant"),
            )
        )
    CaseKeyGrant.objects.bulk_create(grants)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return _facts(generated, made, handler_secret, head, auditor)


def _facts(
    generated: float, made: Any, handler_secret: str, head: Any, auditor: Any
) -> dict[str, Any]:
    from django.db.models import F, Min

    from ombud.access.models import CaseKeyGrant

    # The head's list: its size, a key from its middle, and the queries of one page.
    from ombud.access.selectors import cases_for_user
    from ombud.audit.models import AuditEntry
    from ombud.cases.models import Case
    from ombud.directory.models import User
    from ombud.web.cases.views import _InboxKey

    head_user = User.objects.get(username=head.username)
    readable = cases_for_user(head_user).order_by(
        "-top_first", F("next_due").asc(nulls_last=True), "created_at", "pk"
    )
    count = readable.count()
    middle = readable.defer("report", "named")[count // 2] if count else None
    deep = _InboxKey.of(middle).encoded() if middle is not None else ""
    oldest = AuditEntry.objects.aggregate(first=Min("seq"))["first"] or 0
    return {
        "generated": generated,
        "cases": Case.objects.count(),
        "bulk": made.cases if made else 0,
        "audit_entries": AuditEntry.objects.count(),
        "head": head,
        "auditor": auditor,
        "handler_secret": handler_secret,
        "head_readable": count,
        "head_holds": CaseKeyGrant.objects.filter(user=head_user).count(),
        "deep": deep,
        "audit_last": oldest + 50,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=20_000)
    parser.add_argument("--real-sample", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--database-url", default="")
    parser.add_argument(
        "--reuse",
        metavar="DATA_DIR",
        help="time a database kept by --keep (--database-url names it) with its data folder",
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the database and data folder (to EXPLAIN)"
    )
    args = parser.parse_args()
    folder = Path(args.reuse or tempfile.mkdtemp(prefix="ombud-bench-pages-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OMBUD_", "DATABASE_URL"))}
    env |= {"OMBUD_DATA_DIR": str(folder), "OMBUD_SIGNIN_FAILURE_LIMIT": "1000"}
    database = ""
    if args.reuse:
        env["DATABASE_URL"] = args.database_url
    elif args.database_url:
        import psycopg

        base, name = args.database_url.rsplit("/", 1)
        database = f"{name or 'ombud'}_bench_{secrets.token_hex(4)}"
        with psycopg.connect(args.database_url, autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{database}"')  # type: ignore[arg-type]
        env["DATABASE_URL"] = f"{base}/{database}"
    os.environ.update(env)
    for key in [k for k in os.environ if k.startswith("DATABASE_URL") and k not in env]:
        del os.environ[key]
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ombud.settings")
    try:
        facts = setup(args.cases, args.real_sample, folder, reuse=bool(args.reuse))
        from django.db import connections

        connections.close_all()
        with ombud_served(env) as url:
            run(url, facts, args)
    finally:
        if args.keep or args.reuse:
            print(f"kept: OMBUD_DATA_DIR={folder} DATABASE_URL={env.get('DATABASE_URL', '')}")
        elif database:
            import psycopg
            from django.db import connections

            connections.close_all()
            with psycopg.connect(args.database_url, autocommit=True) as connection:
                connection.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')  # type: ignore[arg-type]


def run(url: str, facts: dict[str, Any], args: argparse.Namespace) -> None:
    from ombud.demo import DEMO_PASSWORD

    handler, head, auditor = Browser(url), Browser(url), Browser(url)
    handler.sign_in("bench-handler", PASSWORD, facts["handler_secret"])
    head.sign_in(facts["head"].username, DEMO_PASSWORD, facts["head"].totp_secret)
    auditor.sign_in(facts["auditor"].username, DEMO_PASSWORD, facts["auditor"].totp_secret)
    rounds = args.rounds
    pages = [
        ("`/cases/`, a handler holding 50 keys", handler, "/cases/", 50),
        ("`/cases/`, the head of ethics", head, "/cases/", 100),
        ("`/cases/?after=…`, a page from the middle of her list", head,
         "/cases/?after=" + facts["deep"], 100),
        ("`/cases/overview/`", head, "/cases/overview/", 200),
        ("`/audit/`, first page", auditor, "/audit/", 50),
        ("`/audit/?before=…`, last page", auditor, f"/audit/?before={facts['audit_last']}", 50),
    ]  # fmt: skip
    rows = [(label, browser.timed(path, rounds), goal) for label, browser, path, goal in pages]
    load = os.getloadavg()[0]
    counted = [browser.queries(path) for _label, browser, path, _goal in pages]
    database = "PostgreSQL" if args.database_url else "SQLite"
    print(
        f"{facts['cases']:,} cases on {database} (generated in {facts['generated']:.0f} s), "
        f"{facts['audit_entries']:,} audit entries; the head of ethics holds "
        f"{facts['head_holds']:,} keys and may read {facts['head_readable']:,} cases now; "
        f"load average {load:.2f} after the timed requests; "
        f"{rounds} requests each\n"
    )
    print("| page | median ms | p95 ms | goal p95 ms | queries | their time ms |")
    print("|---|---:|---:|---:|---:|---:|")
    for (label, values, goal), (queries, spent) in zip(rows, counted, strict=True):
        median, high = statistics.median(values) * 1000, p95(values) * 1000
        mark = "" if high <= goal else " (missed)"
        print(f"| {label} | {median:.0f} | {high:.0f}{mark} | {goal} | {queries} | {spent:.1f} |")


if __name__ == "__main__":
    main()
