"""One generator of cases for every bench: a million in under three minutes.

    .venv/bin/python bench/generate.py --cases 1000000 [--database-url URL] [--data-dir DIR]

It fills the real tables, as the services would have left them, for the invented
demo organisation (loaded first, as ``ombud demo`` does): cases in every state and
category over the last three years, their deadlines, timeline, case key grants
(every non-conflicted member of the case's level and the levels above, as routing
seals them: about six key holders a case) and the recovery key's seal, the people
named and the conflicts that follow from them, the reader who confirmed she has no
conflict before the first step, and the audit entries of it all as the services
write them (the intake's: recovery seal, case created, reporter's seal, one grant
each, routed, submitted; then the confirmation and each step, by the handler), in
time order, on the log's hash chain with its signed interval and daily checkpoints
(``ombud audit verify`` passes). Rows that carry an integrity tag get a valid one.

Ciphertext is random bytes (nobody can open those cases), except for a sample of
``real_sample`` cases made through the intake's real report service afterwards:
the demo's handlers open them like any other.

How it is fast: rows are built as text (PostgreSQL's COPY format) or plain tuples
(SQLite's executemany) by worker processes, chunk by chunk, while the main process
links the audit entries into the chain and writes; the secondary indexes are
dropped during the load and built again afterwards (in the same transaction, the
rebuild counted in the time); foreign-key checks are off while loading (every id
written is one just read or made); row tags use a keyed hash whose fixed prefix is
computed once.
"""

from __future__ import annotations

import argparse
import base64
import bisect
import contextlib
import datetime as dt
import hashlib
import json
import multiprocessing
import os
import queue
import random
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from json.encoder import encode_basestring as _string
from pathlib import Path
from typing import Any

# Case states in the order a case moves through them, with the transition that
# reaches each and the timeline event it leaves.
PATH = [
    ("acknowledged", "acknowledge", "acknowledged"),
    ("triaged", "triage", "triaged"),
    ("investigating", "investigate", "investigating"),
    ("findings", "findings", "findings"),
    ("closed", "close", "closed"),
]
CATEGORIES = [
    ("bullying", 22),
    ("sexual_harassment", 14),
    ("discrimination", 12),
    ("fraud", 16),
    ("safety", 10),
    ("retaliation", 6),
    ("sexual_assault", 3),
    ("other", 17),
]
CONTEXTS = ["office", "business_trip", "company_event", "client_site", "online", "other"]
CHANNELS = [("web", 70), ("api", 10), ("phone", 10), ("meeting", 6), ("letter", 4)]
SEVERITIES = ["low", "medium", "high"]
OUTCOMES = ["substantiated", "not_substantiated", "partly_substantiated", "withdrawn"]
YEARS = 3
CHUNK = 10_000
SQLITE_BATCH = 20_000
REPORTER = "reporter"  # the intake's actor (ombud.intake.services.REPORTER)
DAY = 86_400_000_000  # microseconds
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)

# The bulk's tables and their columns, in the order the rows are built.
TABLES = {
    "cases_case": [
        "id", "public_id", "ref", "public_key", "encrypted_private_key", "state", "category",
        "context", "channel", "acknowledge_by", "version", "severity", "outcome",
        "acknowledged_at", "closed_at", "at_top", "reporter_contact", "level_id",
        "start_level_id", "report", "named", "receipt_lookup", "reporter_sealed_key",
        "created_at", "updated_at", "next_due",
    ],
    "cases_party": ["case_id", "person_id", "role", "mac"],
    "access_conflict": ["case_id", "user_id", "reason", "created_at", "mac"],
    "access_casekeygrant": [
        "case_id", "user_id", "sealed_case_key", "public_key", "granted_at", "mac",
    ],
    "access_caserecoveryseal": ["case_id", "recovery_key_id", "sealed_case_key"],
    "access_casereader": ["case_id", "user_id", "standing", "reason", "by_id", "at"],
    "deadlines_deadline": [
        "case_id", "name", "label", "due_at", "statutory", "state", "met_at", "missed_at",
        "created_at",
    ],
    "cases_timelineevent": ["case_id", "kind", "at", "detail"],
}  # fmt: skip
ENTRY_COLUMNS = [
    "seq", "at", "actor_id", "actor", "action", "object_type", "object_id", "details",
    "prev_hash", "hash",
]  # fmt: skip
CHECKPOINT_COLUMNS = [
    "seq", "entry_hash", "at", "kind", "interval", "previous", "day", "late", "public_key",
    "signature",
]  # fmt: skip
BULK_TABLES = [*TABLES, "audit_auditentry"]


@dataclass
class Generated:
    cases: int = 0
    real: list[str] = field(default_factory=list)  # public ids of the readable sample
    receipts: list[str] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)


def prepare(data_dir: Path) -> None:
    """The demo organisation, its recovery key and outside channels (idempotent)."""
    from ombud.deadlines.demo import demo_outside_channels
    from ombud.demo import demo_load, demo_recovery_shares

    demo_load()
    demo_recovery_shares(data_dir)
    demo_outside_channels()


def _expanded(pairs: list[tuple[str, int]]) -> list[str]:
    """The names repeated by their weights (which add up to 100): one random index
    picks a weighted name."""
    names = [name for name, weight in pairs for _ in range(weight)]
    if len(names) != 100:
        raise ValueError("weights must add up to 100")
    return names


def _people_conflicts() -> dict[int, dict[int, str]]:
    """For each demo person who may be accused: user id -> conflict reason, as the
    conflict rules give them (the person, her management chain, her direct reports)."""
    from ombud.access.conflicts import CHAIN, PARTY, REPORTS_TO_ACCUSED
    from ombud.directory.models import Person, User
    from ombud.directory.selectors import person_direct_reports, person_management_chain

    accounts = dict(User.objects.filter(person__isnull=False).values_list("person_id", "id"))
    found: dict[int, dict[int, str]] = {}
    for person in Person.objects.filter(is_active=True):
        people: dict[int, str] = {person.pk: PARTY}
        for other in person_management_chain(person=person):
            people.setdefault(other.pk, CHAIN)
        for other in person_direct_reports(person=person):
            people.setdefault(other.pk, REPORTS_TO_ACCUSED)
        found[person.pk] = {accounts[p]: r for p, r in people.items() if p in accounts}
    return found


def _counters_caught_up() -> None:
    """Each year's reference counter at the highest reference written in bulk, so the
    next real report (the sample's, or anyone's) takes the number after it."""
    from django.db.models.functions import Substr

    from ombud.cases.models import Case, CaseRefCounter
    from ombud.cases.services import case_ref_highest

    years = Case.objects.annotate(year=Substr("ref", 5, 4)).values_list("year", flat=True)
    for year in {int(year) for year in years.distinct()}:
        CaseRefCounter.objects.update_or_create(
            year=year, defaults={"last": case_ref_highest(year)}
        )


def generate(
    n_cases: int,
    *,
    real_sample: int = 1000,
    seed: int = 1,
    now: dt.datetime | None = None,
    progress: Callable[[str], None] | None = None,
    workers: int | None = None,
) -> Generated:
    """Add ``n_cases`` cases (``real_sample`` of them readable) to the configured
    database, which must hold the demo organisation (:func:`prepare`). ``workers``
    processes build the rows (by default two from 50,000 cases, none below)."""
    from django.db import connection, transaction

    say = progress or (lambda text: None)
    now = now or dt.datetime.now(dt.UTC)
    result = Generated()
    bulk = max(0, n_cases - real_sample)
    started = time.perf_counter()
    postgres = connection.vendor == "postgresql"
    journal = _sqlite_fast() if not postgres and bulk else contextlib.nullcontext()
    checks_off = (
        connection.constraint_checks_disabled() if not postgres else contextlib.nullcontext()
    )
    with journal, checks_off, transaction.atomic():
        if bulk:
            plan = _plan(bulk, seed=seed, now=now)
            indexes = _indexes_dropped(postgres)
            result.seconds["prepare"] = time.perf_counter() - started
            moment = time.perf_counter()
            _bulk(plan, workers=workers, result=result, say=say)
            result.seconds["rows"] = time.perf_counter() - moment
            moment = time.perf_counter()
            _indexes_built(indexes, postgres)
            result.seconds["indexes"] = time.perf_counter() - moment
    moment = time.perf_counter()
    if bulk:
        with connection.cursor() as cursor:
            if postgres:
                for table in BULK_TABLES:
                    cursor.execute(f"ANALYZE {table}")
            else:
                cursor.execute("ANALYZE")
    result.seconds["analyze"] = time.perf_counter() - moment
    result.seconds["bulk"] = time.perf_counter() - started
    _counters_caught_up()
    from ombud.deadlines.figures import figures_rebuild

    started = time.perf_counter()
    figures_rebuild()  # the overview's counters, recounted after writing around the services
    result.seconds["figures"] = time.perf_counter() - started
    started = time.perf_counter()
    _real(real_sample, rng=random.Random(seed), result=result, say=say)
    result.seconds["real"] = time.perf_counter() - started
    result.cases = bulk + len(result.real)
    return result


@contextlib.contextmanager
def _sqlite_fast() -> Iterator[None]:
    """No journal on disk and no sync while loading (a failed load rolls back from
    memory); WAL and NORMAL again afterwards, as the settings open every connection."""
    from django.db import connection

    if connection.in_atomic_block:  # inside the caller's transaction (a test): as it is
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode = MEMORY")
        cursor.execute("PRAGMA synchronous = OFF")
        cursor.execute("PRAGMA cache_size = -1000000")  # the unique indexes of a million rows
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")


def _indexes_dropped(postgres: bool) -> list[str]:
    """Drop the bulk tables' secondary indexes (not the primary keys and unique
    constraints); the statements that build them again. On PostgreSQL, foreign-key
    triggers are off for the transaction too."""
    from django.db import connection

    tables = BULK_TABLES
    with connection.cursor() as cursor:
        if postgres:
            cursor.execute("SET LOCAL session_replication_role = replica")
            cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
            cursor.execute(
                "SELECT i.indexname, i.indexdef FROM pg_indexes i "
                "WHERE i.schemaname = current_schema() AND i.tablename = ANY(%s) "
                "AND NOT EXISTS (SELECT 1 FROM pg_constraint c "
                "WHERE c.conindid = (quote_ident(i.schemaname) || '.' || "
                "quote_ident(i.indexname))::regclass)",
                [tables],
            )
        else:
            marks = ", ".join(["%s"] * len(tables))
            cursor.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' "  # noqa: S608
                f"AND sql IS NOT NULL AND tbl_name IN ({marks})",
                tables,
            )
        found = cursor.fetchall()
        for name, _sql in found:
            cursor.execute(f'DROP INDEX "{name}"')
    return [sql for _name, sql in found]


def _indexes_built(statements: list[str], postgres: bool) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)
        if postgres:
            cursor.execute("SET LOCAL session_replication_role = origin")


# -- the plan: everything a worker needs, read from the database once -------------


def _plan(n: int, *, seed: int, now: dt.datetime) -> dict[str, Any]:
    from django.conf import settings
    from django.db import connection
    from django.db.models import Max

    from ombud.access.models import CategoryRule, LadderLevel, RecoveryKey, StaffKey
    from ombud.audit.models import AuditCheckpoint, AuditHead
    from ombud.audit.services import public_key, signing_seed
    from ombud.cases.models import Case
    from ombud.crypto import rowmac
    from ombud.directory.models import RoleAssignment, User
    from ombud.integrity import _key

    levels = list(LadderLevel.objects.select_related("role").order_by("position"))
    recovery = RecoveryKey.objects.filter(pk=1).first()
    if not levels or recovery is None:
        raise SystemExit("load the demo organisation first (generate.prepare)")
    keys = dict(StaffKey.objects.values_list("user_id", "public_key"))
    names = dict(User.objects.values_list("id", "username"))
    members = {
        level.pk: [
            (user_id, bytes(keys[user_id]), names[user_id])
            for user_id in RoleAssignment.objects.filter(
                role=level.role_id, user__is_active=True
            ).values_list("user_id", flat=True)
            if user_id in keys
        ]
        for level in levels
    }
    conflicts_of = _people_conflicts()
    head = AuditHead.objects.get(pk=1)
    refs: dict[int, int] = {}
    for ref in Case.objects.values_list("ref", flat=True):
        year, number = ref.split("-")[1:3]
        refs[int(year)] = max(refs.get(int(year), 0), int(number))
    start = (now - dt.timedelta(days=365 * YEARS)).replace(hour=0, minute=0, second=0)
    start_us = _us(start)
    # Cases evenly spread (with jitter) from three years ago to yesterday's end.
    end_us = _us(now.replace(hour=0, minute=0, second=0, microsecond=0))
    step = (end_us - start_us) // n
    # The first case of each year, for its references (a case's year is that of its
    # slot's start; jitter never moves it over New Year).
    year_first: dict[int, int] = {}
    for number in range(0, n, max(1, n // 4000)):
        year_first.setdefault(_time(start_us + step * number).year, number)
    for year in list(year_first):
        number = year_first[year]
        while number > 0 and _time(start_us + step * (number - 1)).year == year:
            number -= 1
        year_first[year] = number
    return {
        "n": n,
        "seed": seed,
        "postgres": connection.vendor == "postgresql",
        "now_us": _us(now),
        "start_us": start_us,
        "step": step,
        "first_id": (Case.objects.aggregate(last=Max("id"))["last"] or 0) + 1,
        "refs": refs,
        "year_first": year_first,
        "levels": [(level.pk, level.position, level.role.code) for level in levels],
        "members": members,
        "rules": dict(CategoryRule.objects.values_list("category", "start_level_id")),
        "conflicts_of": conflicts_of,
        "recovery": (recovery.pk, recovery.fingerprint),
        "tag_key": _key(),
        "tag_encode": rowmac._encode,
        "head": (head.seq, head.hash, head.checkpoint_seq),
        "interval": settings.OMBUD_AUDIT_CHECKPOINT_INTERVAL,
        "signing": (signing_seed(), public_key()),
        "daily_done": set(
            AuditCheckpoint.objects.filter(kind="daily").values_list("day", flat=True)
        ),
    }


def _us(moment: dt.datetime) -> int:
    delta = moment - EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def _time(us: int) -> dt.datetime:
    return EPOCH + dt.timedelta(microseconds=us)


_DAYS: dict[int, str] = {}


def _at(us: int) -> str:
    """The chain's form of an instant (UTC, ISO 8601, microseconds), which
    PostgreSQL also reads."""
    day, rest = divmod(us, DAY)
    date = _DAYS.get(day)
    if date is None:
        date = _DAYS[day] = (EPOCH + dt.timedelta(days=day)).date().isoformat()
    seconds, micro = divmod(rest, 1_000_000)
    hours, seconds = divmod(seconds, 3600)
    minutes, seconds = divmod(seconds, 60)
    return f"{date}T{hours:02d}:{minutes:02d}:{seconds:02d}.{micro:06d}+00:00"


# -- one chunk of cases, in a worker ---------------------------------------------

_PLAN: dict[str, Any] = {}


def _tagger(key: bytes, label: str, count: int, encode: Callable[[Any], bytes]) -> Any:
    mac = hashlib.blake2b(key=key, digest_size=32, person=b"ombud-row-mac")
    mac.update(encode(label))
    mac.update(count.to_bytes(4, "big"))
    return mac


def _chunk(index: int) -> tuple[dict[str, Any], list[tuple[Any, ...]], int]:  # noqa: C901, PLR0912, PLR0915
    """Rows for the cases of chunk ``index`` (each table's COPY text or tuples),
    their audit events in time order, and the instant before which no later chunk
    has an event."""
    plan = _PLAN
    pg = plan["postgres"]
    n, step, start_us, now_us = plan["n"], plan["step"], plan["start_us"], plan["now_us"]
    first, last = index * CHUNK, min(n, (index + 1) * CHUNK)
    rng = random.Random(plan["seed"] * 1_000_003 + index)
    random_float = rng.random
    encode, key = plan["tag_encode"], plan["tag_key"]
    grant_mac = _tagger(key, "access.CaseKeyGrant", 4, encode)
    conflict_mac = _tagger(key, "access.Conflict", 3, encode)
    party_mac = _tagger(key, "cases.Party", 3, encode)
    categories, channels = _expanded(CATEGORIES), _expanded(CHANNELS)
    levels = plan["levels"]
    top_position = levels[-1][1]
    position = {pk: pos for pk, pos, _code in levels}
    codes = {pk: code for pk, _pos, code in levels}
    above = {pk: [other for other, pos2, _c in levels if pos2 >= pos] for pk, pos, _c in levels}
    # Each member once: her grant's fixed part, her grant's audit details.
    holders_of: dict[int, list[tuple[int, bytes, bytes, str]]] = {}
    for level_pk, _pos, _code in levels:
        holders_of[level_pk] = [
            (user_id, public, encode(user_id) + encode(public), username)
            for above_pk in above[level_pk]
            for user_id, public, username in plan["members"][above_pk]
        ]
    conflicts_of = plan["conflicts_of"]
    accusable = sorted(conflicts_of)
    conflict_parts = {
        person: [
            (user_id, reason, encode(user_id) + encode(reason)) for user_id, reason in c.items()
        ]
        for person, c in conflicts_of.items()
    }
    rules = plan["rules"]
    recovery_id, fingerprint = plan["recovery"]
    year_first, refs = plan["year_first"], plan["refs"]
    years = sorted(year_first)
    sha256 = hashlib.sha256
    digest_prefix = encode(bytes(32))[:9]  # a SHA-256 digest's type and length
    null = "\\N" if pg else None
    true, false = ("t", "f") if pg else (1, 0)

    def blob(data: bytes) -> Any:
        return "\\\\x" + data.hex() if pg else data

    def when(at: str) -> str:
        return at if pg else at[:10] + " " + at[11:26]

    out: dict[str, list[Any]] = {table: [] for table in TABLES}
    cases, parties, conflicts = out["cases_case"], out["cases_party"], out["access_conflict"]
    grants, seals, readers = (
        out["access_casekeygrant"], out["access_caserecoveryseal"], out["access_casereader"]
    )  # fmt: skip
    deadlines, timeline = out["deadlines_deadline"], out["cases_timelineevent"]
    events: list[tuple[Any, ...]] = []
    noise = os.urandom((last - first) * 1800)
    offset = 0
    for number in range(first, last):
        case_id = plan["first_id"] + number
        cid = str(case_id)
        slot = start_us + step * number
        created_us = slot + int(random_float() * step * 0.9)
        year = years[bisect.bisect_right(years, number, key=year_first.__getitem__) - 1]
        ref = f"OMB-{year}-{refs.get(year, 0) + number - year_first[year] + 1:06d}"
        category = categories[int(random_float() * 100)]
        channel = channels[int(random_float() * 100)]
        age = (now_us - created_us) // DAY
        # Older cases went further: most of those a year old are closed.
        steps = min(len(PATH), int(random_float() * (1 + age / 25)))
        accused = accusable[int(random_float() * len(accusable))] if random_float() < 0.35 else None
        conflicted = conflict_parts[accused] if accused else []
        conflicted_ids = {user_id for user_id, _r, _p in conflicted}
        start_level = rules.get(category) or levels[0][0]
        level = start_level
        at_top = False
        if random_float() < 0.04:  # a missed deadline moved it up
            higher = [pk for pk in above[start_level] if pk != start_level]
            if higher:
                level = higher[0]
                at_top = position[level] == top_position and random_float() < 0.3
        data = noise[offset : offset + 1800]
        offset += 1800
        created = _at(created_us)
        if created[:4] != str(year):  # jitter crossed New Year: the slot's start
            created_us = slot
            created = _at(created_us)
        cre = when(created)
        key_prefix = encode(case_id)
        holders = [h for h in holders_of[start_level] if h[0] not in conflicted_ids]
        # The intake's entries, in the order the service writes them, a moment apart.
        tie = number << 4

        def entry(
            actor_id: int | None, actor: str, action: str, details: str, cid: str = cid
        ) -> tuple[str, Any]:
            """An entry's part of the hash between its time and the previous hash, and
            its row's part between the same two."""
            who = "null" if actor_id is None else actor_id
            return (
                f'{who},"{actor}","{action}","cases.case","{cid}",{_string(details)}',
                _entry_middle(pg, actor_id, actor, action, cid, details),
            )

        intake = [
            entry(None, REPORTER, "access.case_key.sealed_to_recovery",
                  f'{{"case":"{ref}","fingerprint":"{fingerprint}"}}'),
            entry(None, REPORTER, "cases.case.created", f'{{"case":"{ref}"}}'),
            entry(None, REPORTER, "access.case_key.sealed_to_reporter", f'{{"case":"{ref}"}}'),
        ]  # fmt: skip
        granted_hash = (
            f'null,"{REPORTER}","access.case_key.granted","cases.case","{cid}",'
            f'"{{\\"case\\":\\"{ref}\\",\\"to\\":\\"'
        )
        granted_details = f'{{"case":"{ref}","to":"'
        granted_row = f"\\N\t{REPORTER}\taccess.case_key.granted\tcases.case\t{cid}\t"
        for h_index, (user_id, public, fixed, username) in enumerate(holders):
            sealed = data[904 + 80 * h_index : 984 + 80 * h_index]
            mac = grant_mac.copy()
            mac.update(key_prefix + fixed + digest_prefix + sha256(sealed).digest())
            if pg:
                grants.append(
                    f"{cid}\t{user_id}\t{blob(sealed)}\t{blob(public)}\t{created}\t"
                    f"{blob(mac.digest())}\n"
                )
                intake.append(
                    (granted_hash + username + '\\"}"',
                     granted_row + granted_details + username + '"}')
                )  # fmt: skip
            else:
                grants.append((case_id, user_id, sealed, public, cre, mac.digest()))
                intake.append(
                    (granted_hash + username + '\\"}"',
                     (None, REPORTER, "access.case_key.granted", "cases.case", cid,
                      granted_details + username + '"}'))
                )  # fmt: skip
        intake.append(
            entry(None, REPORTER, "access.case.routed",
                  f'{{"case":"{ref}","conflicts":{len(conflicted)},"level":"{codes[level]}",'
                  f'"start":"{codes[start_level]}"}}')
        )  # fmt: skip
        intake.append(
            entry(None, REPORTER, "intake.report.submitted",
                  f'{{"attachments":0,"case":"{ref}","category":"{category}",'
                  f'"channel":"{channel}"}}')
        )  # fmt: skip
        # The intake's entries, at one instant, in the order the service writes them.
        events.append((created_us, tie, created, intake))
        if pg:
            seals.append(f"{cid}\t{recovery_id}\t{blob(data[824:904])}\n")
        else:
            seals.append((case_id, recovery_id, data[824:904]))
        if accused:
            mac = party_mac.copy()
            mac.update(key_prefix + encode(accused) + encode("accused"))
            if pg:
                parties.append(f"{cid}\t{accused}\taccused\t{blob(mac.digest())}\n")
            else:
                parties.append((case_id, accused, "accused", mac.digest()))
            for user_id, reason, fixed in conflicted:
                mac = conflict_mac.copy()
                mac.update(key_prefix + fixed)
                if pg:
                    conflicts.append(
                        f"{cid}\t{user_id}\t{reason}\t{created}\t{blob(mac.digest())}\n"
                    )
                else:
                    conflicts.append((case_id, user_id, reason, cre, mac.digest()))
        # The handler who takes the case's steps: a member of its level, not conflicted.
        handlers = [m for m in plan["members"][level] if m[0] not in conflicted_ids]
        handler_id, actor = 0, ""
        if not handlers:
            steps = 0
        else:
            handler_id, _public, handler_name = handlers[case_id % len(handlers)]
            actor = f"user:{handler_name}"
        moment_us, taken = created_us, 0
        state, acknowledged, severity, outcome = "received", None, "", ""
        ack_at = closed_at = at = None
        timeline.append(f"{cid}\treceived\t{created}\t\n" if pg else (case_id, "received", cre, ""))
        for passed in range(steps):
            later = moment_us + 21_600_000_000 + int(random_float() * 1_706_400_000_000)
            if later >= now_us:
                break
            moment_us, taken = later, taken + 1
            at = _at(moment_us)
            if passed == 0:  # before her first reading, she confirms she has no conflict
                confirmed = _at(moment_us - 60_000_000)
                readers.append(
                    f"{cid}\t{handler_id}\tconfirmed\t\t\\N\t{confirmed}\n" if pg
                    else (case_id, handler_id, "confirmed", "", None, when(confirmed))
                )  # fmt: skip
                events.append(
                    (moment_us - 60_000_000, tie + 1, confirmed,
                     (entry(handler_id, actor, "access.case.no_conflict_confirmed",
                            f'{{"case":"{ref}"}}'),))
                )  # fmt: skip
            previous = state
            state, transition, kind = PATH[passed]
            if state == "investigating" and random_float() < 0.08:
                state, transition, kind = "referred", "refer", "referred"
            timeline.append(f"{cid}\t{kind}\t{at}\t\n" if pg else (case_id, kind, when(at), ""))
            details = (
                f'{{"case":"{ref}","from":"{previous}","to":"{state}","transition":"{transition}"}}'
            )
            events.append(
                (moment_us, tie + 2 + passed, at,
                 (entry(handler_id, actor, "cases.case.transitioned", details),))
            )  # fmt: skip
            if state == "acknowledged":
                acknowledged, ack_at = moment_us, at
            elif state == "triaged":
                severity = SEVERITIES[int(random_float() * 3)]
            elif state == "closed":
                closed_at, outcome = at, OUTCOMES[int(random_float() * 4)]
            elif state == "referred":
                break
        updated = at if taken else created
        ack_due_us = created_us + 7 * DAY
        acknowledge_by = _time(ack_due_us).date().isoformat()
        public_id = base64.urlsafe_b64encode(data[:16]).decode().rstrip("=")
        context = CONTEXTS[int(random_float() * 6)]
        ack_state = "met" if acknowledged else ("missed" if ack_due_us < now_us else "open")
        ack_due = _at(ack_due_us)
        feedback = None
        # Case.next_due: the earliest open deadline's due time.
        next_due = ack_due if ack_state == "open" else None
        if state not in ("closed", "referred"):
            due_us = (acknowledged or ack_due_us) + 91 * DAY
            feedback = (_at(due_us), "open" if due_us > now_us else "missed")
            if due_us > now_us and (next_due is None or due_us < ack_due_us):
                next_due = feedback[0]
        if pg:
            cases.append(
                f"{cid}\t{public_id}\t{ref}\t{blob(data[16:48])}\t{blob(data[48:120])}\t"
                f"{state}\t{category}\t{context}\t{channel}\t{acknowledge_by}\t"
                f"{taken + 1}\t{severity}\t{outcome}\t{ack_at or null}\t{closed_at or null}\t"
                f"{true if at_top else false}\t\\N\t{level}\t{start_level}\t"
                f"{blob(data[120:520])}\t{blob(data[520:640])}\t{data[640:672].hex()}\t"
                f"{blob(data[672:744])}\t{created}\t{updated}\t{next_due or null}\n"
            )
            deadlines.append(
                f"{cid}\tacknowledge\tAcknowledge the report\t{ack_due}\tt\t{ack_state}\t"
                f"{ack_at or null}\t{ack_due if ack_state == 'missed' else null}\t{created}\n"
            )
            if feedback:
                due, fstate = feedback
                deadlines.append(
                    f"{cid}\tfeedback\tGive feedback on the follow-up\t{due}\tt\t{fstate}\t"
                    f"\\N\t{due if fstate == 'missed' else null}\t{created}\n"
                )
        else:
            cases.append(
                (case_id, public_id, ref, data[16:48], data[48:120], state, category, context,
                 channel, acknowledge_by, taken + 1, severity, outcome,
                 ack_at and when(ack_at), closed_at and when(closed_at), true if at_top else false,
                 None, level, start_level, data[120:520], data[520:640], data[640:672].hex(),
                 data[672:744], cre, when(updated), next_due and when(next_due))
            )  # fmt: skip
            deadlines.append(
                (case_id, "acknowledge", "Acknowledge the report", when(ack_due), true,
                 ack_state, ack_at and when(ack_at),
                 when(ack_due) if ack_state == "missed" else None, cre)
            )  # fmt: skip
            if feedback:
                due, fstate = feedback
                deadlines.append(
                    (case_id, "feedback", "Give feedback on the follow-up", when(due), true,
                     fstate, None, when(due) if fstate == "missed" else None, cre)
                )  # fmt: skip
    events.sort()
    payload = {
        table: ("".join(rows).encode() if pg else rows) for table, rows in out.items() if rows
    }
    return payload, events, start_us + step * last


def _entry_middle(
    pg: bool, actor_id: int | None, actor: str, action: str, cid: str, details: str
) -> Any:
    """An audit entry's row between its time and its previous hash."""
    if pg:
        who = actor_id if actor_id else "\\N"
        return f"{who}\t{actor}\t{action}\tcases.case\t{cid}\t{details}"
    return (actor_id, actor, action, "cases.case", cid, details)


def _chunks(workers: int, count: int) -> Iterator[tuple[dict[str, Any], list[Any], int]]:
    if workers <= 0:
        yield from map(_chunk, range(count))
        return
    # Forked workers read the plan from this module; they never touch the database.
    # A few chunks ahead at most: the main process's writing sets the pace.
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        ahead = [pool.apply_async(_chunk, (index,)) for index in range(min(count, 2 * workers))]
        for index in range(count):
            done = ahead.pop(0).get()
            if index + len(ahead) + 1 < count:
                ahead.append(pool.apply_async(_chunk, (index + len(ahead) + 1,)))
            yield done


# -- the main process: the chain, the checkpoints, the writes --------------------


def _bulk(
    plan: dict[str, Any],
    *,
    workers: int | None,
    result: Generated,
    say: Callable[[str], None],
) -> None:
    from django.core.management.color import no_style
    from django.db import connection

    from ombud.audit.models import AuditHead
    from ombud.cases.models import Case
    from ombud.crypto import chain, signing

    _PLAN.clear()
    _PLAN.update(plan)
    n, pg = plan["n"], plan["postgres"]
    workers = (2 if n >= 50_000 else 0) if workers is None else workers
    seq, last_hash, checkpoint_seq = plan["head"]
    interval = plan["interval"]
    seed, key = plan["signing"]
    daily_done = plan["daily_done"]
    start_day = _time(plan["start_us"]).date()
    sealed_day = start_day - dt.timedelta(days=1)  # days up to this one are sealed
    next_seal_us = _us(dt.datetime.combine(start_day, dt.time(), tzinfo=dt.UTC))
    counts: dict[str, int] = {}
    raw = connection.connection
    checkpoints: list[tuple[Any, ...]] = []
    sha256 = hashlib.sha256

    def sign(
        at: dt.datetime, kind: str, every: int | None, previous: int | None, day: dt.date | None
    ) -> None:
        message = chain.checkpoint_message(
            seq=seq, entry_hash=last_hash, at=at.isoformat(timespec="microseconds"), kind=kind,
            interval=every, previous=previous, day=day.isoformat() if day else None, late=False,
        )  # fmt: skip
        checkpoints.append(
            (
                seq,
                last_hash,
                at,
                kind,
                every,
                previous,
                day,
                False,
                key,
                signing.sign(seed, message),
            )
        )

    # The writes go to a thread of their own: while the database takes one chunk's
    # rows (the driver lets go of the interpreter while it waits), the main thread
    # links the next chunk's entries into the chain.
    jobs: queue.Queue[Callable[[], None] | None] = queue.Queue(maxsize=24)
    failed: list[BaseException] = []

    def drain() -> None:
        while (job := jobs.get()) is not None:
            if not failed:
                try:
                    job()
                except BaseException as exc:  # noqa: BLE001 - raised again in the main thread
                    failed.append(exc)

    writer = threading.Thread(target=drain, name="generate-writer", daemon=True)
    writer.start()

    def later(job: Callable[[], None]) -> None:
        if failed:
            raise failed[0]
        jobs.put(job)

    def write(table: str, columns: Sequence[str], payload: Any, rows: int) -> None:
        counts[table] = counts.get(table, 0) + rows
        names = ", ".join(columns)

        def job() -> None:
            if pg:
                with (
                    raw.cursor() as cursor,
                    cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy,
                ):
                    copy.write(payload)
            else:
                marks = ", ".join("?" * len(columns))
                statement = f"INSERT INTO {table} ({names}) VALUES ({marks})"  # noqa: S608
                for begin in range(0, len(payload), SQLITE_BATCH):
                    raw.executemany(statement, payload[begin : begin + SQLITE_BATCH])

        later(job)

    def write_checkpoints() -> None:
        rows = [
            (s, h, at if pg else at.astimezone(dt.UTC).replace(tzinfo=None).isoformat(" "),
             kind, every, prev, day if pg else (day and day.isoformat()), late, k, sig)
            for s, h, at, kind, every, prev, day, late, k, sig in checkpoints
        ]  # fmt: skip
        checkpoints.clear()
        if not rows:
            return
        counts["audit_auditcheckpoint"] = counts.get("audit_auditcheckpoint", 0) + len(rows)

        def job() -> None:
            if pg:
                names = ", ".join(CHECKPOINT_COLUMNS)
                with (
                    raw.cursor() as cursor,
                    cursor.copy(f"COPY audit_auditcheckpoint ({names}) FROM STDIN") as copy,
                ):
                    for row in rows:
                        copy.write_row(row)
            else:
                marks = ", ".join("?" * len(CHECKPOINT_COLUMNS))
                raw.executemany(
                    f"INSERT INTO audit_auditcheckpoint ({', '.join(CHECKPOINT_COLUMNS)}) "  # noqa: S608
                    f"VALUES ({marks})",
                    rows,
                )

        later(job)

    pending: list[tuple[Any, ...]] = []
    count = -(-n // CHUNK)
    made = 0
    spent = {"waiting for rows": 0.0, "waiting for the writer": 0.0, "chaining": 0.0}
    clock = time.perf_counter()
    for number, (payload, events, boundary) in enumerate(_chunks(workers, count)):
        spent["waiting for rows"] += time.perf_counter() - clock
        clock = time.perf_counter()
        for table, rows in payload.items():
            write(table, TABLES[table], rows, rows.count(b"\n") if pg else len(rows))
        spent["waiting for the writer"] += time.perf_counter() - clock
        clock = time.perf_counter()
        pending += events
        pending.sort()  # two sorted runs: merged
        cut = len(pending) if number == count - 1 else bisect.bisect_left(pending, (boundary,))
        ready, pending = pending[:cut], pending[cut:]
        lines: list[Any] = []
        append = lines.append
        for at_us, _tie, at, group in ready:
            while at_us >= next_seal_us:  # the days that ended before this entry
                if sealed_day not in daily_done and sealed_day >= start_day:
                    sign(_time(next_seal_us) + dt.timedelta(minutes=2), "daily", None, None,
                         sealed_day)  # fmt: skip
                sealed_day += dt.timedelta(days=1)
                next_seal_us += DAY
            stored = at if pg else at[:10] + " " + at[11:26]
            for middle, row in group:
                seq += 1
                digest = sha256(
                    f'["ombud-audit-v1",{seq},"{at}",{middle},"{last_hash}"]'.encode()
                ).hexdigest()
                if pg:
                    append(f"{seq}\t{at}\t{row}\t{last_hash}\t{digest}\n")
                else:
                    append((seq, stored, *row, last_hash, digest))
                last_hash = digest
                if seq - checkpoint_seq >= interval:
                    sign(_time(at_us), "interval", interval, checkpoint_seq, None)
                    checkpoint_seq = seq
        spent["chaining"] += time.perf_counter() - clock
        clock = time.perf_counter()
        write(
            "audit_auditentry", ENTRY_COLUMNS, "".join(lines).encode() if pg else lines, len(lines)
        )
        write_checkpoints()
        spent["waiting for the writer"] += time.perf_counter() - clock
        clock = time.perf_counter()
        made = min(n, made + CHUNK)
        say(f"{made:,} cases")
    # The days up to yesterday that ended after the last generated entry.
    while next_seal_us <= plan["now_us"]:
        if sealed_day not in daily_done and sealed_day >= start_day:
            sign(_time(next_seal_us) + dt.timedelta(minutes=2), "daily", None, None, sealed_day)
        sealed_day += dt.timedelta(days=1)
        next_seal_us += DAY
    write_checkpoints()
    clock = time.perf_counter()
    jobs.put(None)
    writer.join()
    spent["waiting for the writer"] += time.perf_counter() - clock
    if failed:
        raise failed[0]
    AuditHead.objects.filter(pk=1).update(seq=seq, hash=last_hash, checkpoint_seq=checkpoint_seq)
    with connection.cursor() as cursor:
        for statement in connection.ops.sequence_reset_sql(no_style(), [Case]):
            cursor.execute(statement)
    result.rows = counts
    result.seconds.update(spent)


def _real_reports(rng: random.Random) -> Iterator[tuple[str, Any]]:
    from ombud.cases.report import Accused, Identity, Report
    from ombud.directory.models import Person
    from ombud.intake.demo import DEMO_REPORTS

    people = list(
        Person.objects.filter(is_active=True, employee_id__startswith="Q").values_list(
            "employee_id", "name"
        )
    )
    categories = _expanded(CATEGORIES)
    while True:
        channel, template = rng.choice(DEMO_REPORTS)
        employee_id, name = rng.choice(people)
        accused = (
            [Accused(name=name, relationship="employee", employee_id=employee_id)]
            if rng.random() < 0.5
            else []
        )
        yield (
            channel,
            Report(
                category=categories[int(rng.random() * 100)],
                description=template.description,
                context=rng.choice(CONTEXTS),
                occurred_period=template.occurred_period,
                accused=accused,
                identity=Identity(mode="anonymous", relation="employee"),
                wants=template.wants,
            ),
        )


def _real(n: int, *, rng: random.Random, result: Generated, say: Callable[[str], None]) -> None:
    """Readable cases, through the intake's real report service."""
    from ombud.intake.services import REPORTER, report_submit

    reports = _real_reports(rng)
    for number in range(n):
        channel, report = next(reports)
        submitted = report_submit(actor=REPORTER, report=report, channel=channel)
        result.real.append(submitted.case.public_id)
        result.receipts.append(submitted.receipt)
        if (number + 1) % 200 == 0:
            say(f"{number + 1:,} real cases")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--real-sample", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=None, help="row-building processes")
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", ""))
    parser.add_argument("--data-dir", default=os.environ.get("OMBUD_DATA_DIR", "var/bench"))
    args = parser.parse_args()
    if args.database_url:
        os.environ["DATABASE_URL"] = args.database_url
    os.environ["OMBUD_DATA_DIR"] = args.data_dir
    Path(args.data_dir).mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ombud.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    prepare(settings.CONFIG.data_dir)
    prepared = time.perf_counter() - started
    print(f"demo organisation loaded in {prepared:.1f} s", flush=True)
    result = generate(
        args.cases,
        real_sample=args.real_sample,
        seed=args.seed,
        workers=args.workers,
        progress=lambda text: print(f"  {text}", file=sys.stderr, flush=True),
    )
    phases = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in result.seconds.items())
    print(
        f"{result.cases:,} cases ({len(result.real)} real) in "
        f"{result.seconds['bulk'] + result.seconds['real']:.1f} s ({phases}); rows: "
        + json.dumps(result.rows),
        flush=True,
    )
    receipts = Path(args.data_dir) / "bench-receipts.txt"
    receipts.write_text("\n".join(result.receipts[:20]) + "\n")
    print(f"receipts of 20 readable cases: {receipts}")


if __name__ == "__main__":
    main()
