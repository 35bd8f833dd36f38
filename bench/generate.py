"""One generator of cases for every bench: a million in a few minutes.

    .venv/bin/python bench/generate.py --cases 1000000 [--database-url URL] [--data-dir DIR]

It fills the real tables, as the services would have left them, for the invented
demo organisation (loaded first, as ``ombud demo`` does): cases in every state and
category over the last three years, their deadlines, timeline, case key grants
(every non-conflicted member of the case's level and the levels above, as routing
seals them: about six key holders a case) and the recovery key's seal, the people
named and the conflicts that follow from them, and the audit entries of it all, in
time order, on the log's hash chain with its signed interval and daily checkpoints
(``ombud audit verify`` passes). Rows that carry an integrity tag get a valid one.

Ciphertext is random bytes (nobody can open those cases), except for a sample of
``real_sample`` cases made through the intake's real report service afterwards:
the demo's handlers open them like any other.

Written with COPY on PostgreSQL and executemany on SQLite, foreign-key checks off
while loading (every id written is one just read or made).
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import datetime as dt
import heapq
import json
import os
import random
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
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
SQLITE_BATCH = 5_000


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


class _Writer:
    """Rows into a table: COPY on PostgreSQL, executemany on SQLite."""

    def __init__(self) -> None:
        from django.db import connection

        self.connection = connection
        self.postgres = connection.vendor == "postgresql"
        self.counts: dict[str, int] = {}

    def value(self, value: Any) -> Any:
        if self.postgres:
            return value
        if isinstance(value, dt.datetime):
            return value.astimezone(dt.UTC).replace(tzinfo=None).isoformat(" ")
        if isinstance(value, dt.date):
            return value.isoformat()
        return value

    def write(self, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
        if not rows:
            return
        self.counts[table] = self.counts.get(table, 0) + len(rows)
        names = ", ".join(columns)
        if self.postgres:
            with (
                self.connection.cursor() as cursor,
                cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy,
            ):
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join("?" * len(columns))
            raw = self.connection.connection
            statement = f"INSERT INTO {table} ({names}) VALUES ({marks})"  # noqa: S608
            for start in range(0, len(rows), SQLITE_BATCH):
                raw.executemany(
                    statement,
                    [tuple(map(self.value, row)) for row in rows[start : start + SQLITE_BATCH]],
                )


def _weighted(pairs: list[tuple[str, int]]) -> tuple[list[str], list[int]]:
    return [name for name, _ in pairs], [weight for _, weight in pairs]


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
) -> Generated:
    """Add ``n_cases`` cases (``real_sample`` of them readable) to the configured
    database, which must hold the demo organisation (:func:`prepare`)."""
    from django.db import connection, transaction

    from ombud.access.models import LadderLevel, RecoveryKey, StaffKey
    from ombud.directory.models import RoleAssignment

    say = progress or (lambda text: None)
    rng = random.Random(seed)
    now = now or dt.datetime.now(dt.UTC)
    result = Generated()
    bulk = max(0, n_cases - real_sample)
    levels = list(LadderLevel.objects.select_related("role").order_by("position"))
    if not levels or not RecoveryKey.objects.filter(pk=1).exists():
        raise SystemExit("load the demo organisation first (generate.prepare)")
    keys = dict(StaffKey.objects.values_list("user_id", "public_key"))
    members = {
        level.pk: [
            (user_id, bytes(keys[user_id]))
            for user_id in RoleAssignment.objects.filter(
                role=level.role_id, user__is_active=True
            ).values_list("user_id", flat=True)
            if user_id in keys
        ]
        for level in levels
    }
    started = time.perf_counter()
    checks_off = (
        connection.constraint_checks_disabled()
        if connection.vendor == "sqlite"
        else contextlib.nullcontext()
    )
    with checks_off, transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                try:  # foreign-key triggers off (a superuser only); otherwise checked as we go
                    cursor.execute("SAVEPOINT replica")
                    cursor.execute("SET LOCAL session_replication_role = replica")
                    cursor.execute("RELEASE SAVEPOINT replica")
                except Exception:  # noqa: BLE001 - not a superuser: keep the checks
                    cursor.execute("ROLLBACK TO SAVEPOINT replica")
        if connection.vendor == "sqlite":
            with connection.cursor() as cursor:  # the indexes of a million rows in memory
                cursor.execute("PRAGMA cache_size = -1000000")
        _bulk(bulk, rng=rng, now=now, levels=levels, members=members, result=result, say=say)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL session_replication_role = origin")
    result.seconds["bulk"] = time.perf_counter() - started
    _counters_caught_up()
    from ombud.deadlines.figures import figures_rebuild

    figures_rebuild()  # the overview's counters, recounted after writing around the services
    started = time.perf_counter()
    _real(real_sample, rng=rng, result=result, say=say)
    result.seconds["real"] = time.perf_counter() - started
    result.cases = bulk + len(result.real)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for table in ("cases_case", "deadlines_deadline", "access_casekeygrant"):
                cursor.execute(f"ANALYZE {table}")
        else:
            cursor.execute("ANALYZE")
    return result


def _bulk(
    n: int,
    *,
    rng: random.Random,
    now: dt.datetime,
    levels: list[Any],
    members: dict[int, list[tuple[int, bytes]]],
    result: Generated,
    say: Callable[[str], None],
) -> None:
    from django.conf import settings
    from django.db.models import Max

    from ombud.access.models import CategoryRule
    from ombud.audit.models import AuditCheckpoint, AuditHead, chain_time, day_end
    from ombud.audit.services import public_key, signing_seed
    from ombud.cases.models import Case
    from ombud.crypto import chain, signing
    from ombud.integrity import row_tag

    if n == 0:
        return
    writer = _Writer()
    categories, category_weights = _weighted(CATEGORIES)
    channels, channel_weights = _weighted(CHANNELS)
    position = {level.pk: level.position for level in levels}
    codes = {level.pk: level.role.code for level in levels}
    above = {
        level.pk: [other.pk for other in levels if other.position >= level.position]
        for level in levels
    }
    rules = dict(CategoryRule.objects.values_list("category", "start_level_id"))
    conflicts_of = _people_conflicts()
    accusable = sorted(conflicts_of)
    first_id = (Case.objects.aggregate(last=Max("id"))["last"] or 0) + 1
    refs: dict[int, int] = {}
    for ref in Case.objects.values_list("ref", flat=True):
        year, number = ref.split("-")[1:3]
        refs[int(year)] = max(refs.get(int(year), 0), int(number))
    head = AuditHead.objects.get(pk=1)
    seq, last_hash, checkpoint_seq = head.seq, head.hash, head.checkpoint_seq
    interval = settings.OMBUD_AUDIT_CHECKPOINT_INTERVAL
    seed, key = signing_seed(), public_key()
    start = (now - dt.timedelta(days=365 * YEARS)).replace(hour=0, minute=0, second=0)
    # Cases evenly spread (with jitter) from three years ago to yesterday's end.
    span = (now.replace(hour=0, minute=0, second=0, microsecond=0) - start).total_seconds()
    step = span / n

    daily_done = set(AuditCheckpoint.objects.filter(kind="daily").values_list("day", flat=True))
    sealed_day = start.date() - dt.timedelta(days=1)  # days before this are sealed
    pending: list[tuple[dt.datetime, int, str, str, str]] = []  # events not yet logged
    entries: list[tuple[Any, ...]] = []
    checkpoints: list[tuple[Any, ...]] = []

    def sign(**fields: Any) -> None:
        message = chain.checkpoint_message(
            seq=fields["seq"],
            entry_hash=fields["entry_hash"],
            at=chain_time(fields["at"]),
            kind=fields["kind"],
            interval=fields["interval"],
            previous=fields["previous"],
            day=fields["day"].isoformat() if fields["day"] else None,
            late=False,
        )
        checkpoints.append(
            (
                fields["seq"], fields["entry_hash"], fields["at"], fields["kind"],
                fields["interval"], fields["previous"], fields["day"], False, key,
                signing.sign(seed, message),
            )
        )  # fmt: skip

    def log(at: dt.datetime, case_id: int, action: str, details: str) -> None:
        """Append one entry; seal the days that ended before it (in time order)."""
        nonlocal seq, last_hash, checkpoint_seq, sealed_day
        while day_end(sealed_day + dt.timedelta(days=1)) <= at:
            sealed_day += dt.timedelta(days=1)
            if sealed_day not in daily_done:
                end = day_end(sealed_day)
                sign(seq=seq, entry_hash=last_hash, at=end + dt.timedelta(minutes=2),
                     kind="daily", interval=None, previous=None, day=sealed_day)  # fmt: skip
        seq += 1
        text = chain_time(at)
        digest = chain.entry_hash(
            seq=seq, at=text, actor_id=None, actor="system:generator", action=action,
            object_type="cases.case", object_id=str(case_id), details=details,
            prev_hash=last_hash,
        )  # fmt: skip
        entries.append(
            (seq, at, None, "system:generator", action, "cases.case", str(case_id), details,
             last_hash, digest)
        )  # fmt: skip
        last_hash = digest
        if seq - checkpoint_seq >= interval:
            sign(seq=seq, entry_hash=digest, at=at, kind="interval", interval=interval,
                 previous=checkpoint_seq, day=None)  # fmt: skip
            checkpoint_seq = seq

    def flush_log(until: dt.datetime | None) -> None:
        while pending and (until is None or pending[0][0] <= until):
            at, case_id, action, details, _tie = heapq.heappop(pending)
            log(at, case_id, action, details)

    def details(**values: Any) -> str:
        return chain.canonical_details(values)

    made = 0
    while made < n:
        size = min(CHUNK, n - made)
        cases, deadlines, timeline, grants, seals, parties, conflicts = [], [], [], [], [], [], []
        noise = os.urandom(size * 1200)
        for index in range(size):
            number = made + index
            case_id = first_id + number
            created = start + dt.timedelta(seconds=step * number + rng.random() * step)
            year = created.year
            refs[year] = refs.get(year, 0) + 1
            ref = f"OMB-{year}-{refs[year]:06d}"
            category = rng.choices(categories, category_weights)[0]
            age = (now - created).days
            # Older cases went further: most of those a year old are closed.
            steps = min(len(PATH), int(rng.random() * (1 + age / 25)))
            accused = rng.choice(accusable) if rng.random() < 0.35 else None
            conflicted = conflicts_of[accused] if accused else {}
            start_level = rules.get(category) or levels[0].pk
            level = start_level
            at_top = False
            if rng.random() < 0.04:  # a missed deadline moved it up
                higher = [pk for pk in above[start_level] if pk != start_level]
                if higher:
                    level = higher[0]
                    at_top = position[level] == levels[-1].position and rng.random() < 0.3
            blob = noise[index * 1200 : (index + 1) * 1200]
            moments = [created]
            state, acknowledged_at, closed_at, severity, outcome = "received", None, None, "", ""
            for passed in range(steps):
                moments.append(moments[-1] + dt.timedelta(hours=rng.randint(6, 24 * 20)))
                if moments[-1] >= now:
                    moments.pop()
                    break
                previous = state
                state, transition, kind = PATH[passed]
                if state == "investigating" and rng.random() < 0.08:
                    state, transition, kind = "referred", "refer", "referred"
                timeline.append((case_id, kind, moments[-1], ""))
                heapq.heappush(
                    pending,
                    (moments[-1], case_id, "cases.case.transitioned",
                     details(case=ref, **{"from": previous, "to": state, "transition": transition}),
                     ""),
                )  # fmt: skip
                if state == "acknowledged":
                    acknowledged_at = moments[-1]
                if state == "triaged":
                    severity = rng.choice(SEVERITIES)
                if state == "closed":
                    closed_at, outcome = moments[-1], rng.choice(OUTCOMES)
                if state == "referred":
                    break
            cases.append(
                (
                    case_id, base64.urlsafe_b64encode(blob[:16]).decode().rstrip("="), ref,
                    blob[16:48], blob[48:120], state, category, rng.choice(CONTEXTS),
                    rng.choices(channels, channel_weights)[0],
                    (created + dt.timedelta(days=7)).date(), len(moments), severity, outcome,
                    acknowledged_at, closed_at, at_top, None, level, start_level,
                    blob[120:520], blob[520:640], blob[640:672].hex(), blob[672:744],
                    created, moments[-1],
                )
            )  # fmt: skip
            timeline.append((case_id, "received", created, ""))
            ack_due = created + dt.timedelta(days=7)
            ack_state = "met" if acknowledged_at else ("missed" if ack_due < now else "open")
            deadlines.append(
                (case_id, "acknowledge", "Acknowledge the report", ack_due, True, ack_state,
                 acknowledged_at, ack_due if ack_state == "missed" else None, created)
            )  # fmt: skip
            next_due = ack_due if ack_state == "open" else None
            if state not in ("closed", "referred"):
                due = (acknowledged_at or ack_due) + dt.timedelta(days=91)
                if due > now:  # open
                    next_due = min(next_due or due, due)
                deadlines.append(
                    (case_id, "feedback", "Give feedback on the follow-up", due, True,
                     "open" if due > now else "missed", None, due if due <= now else None,
                     created)
                )  # fmt: skip
            cases[-1] += (next_due,)  # Case.next_due: its earliest open deadline
            if accused:
                parties.append(
                    (case_id, accused, "accused",
                     row_tag(SimpleNamespace(case_id=case_id, person_id=accused, role="accused"),
                             "cases.Party"))
                )  # fmt: skip
                for user_id, reason in conflicted.items():
                    conflicts.append(
                        (case_id, user_id, reason, created,
                         row_tag(SimpleNamespace(case_id=case_id, user_id=user_id, reason=reason),
                                 "access.Conflict"))
                    )  # fmt: skip
            holders = 0
            for level_pk in above[start_level]:
                for user_id, public in members[level_pk]:
                    if user_id in conflicted:
                        continue
                    sealed = blob[744 + 80 * holders : 824 + 80 * holders]
                    holders += 1
                    grant = SimpleNamespace(
                        case_id=case_id, user_id=user_id, public_key=public, sealed_case_key=sealed
                    )
                    grants.append(
                        (case_id, user_id, sealed, public, created,
                         row_tag(grant, "access.CaseKeyGrant"))
                    )  # fmt: skip
            seals.append((case_id, 1, os.urandom(80)))
            flush_log(created)
            submitted = details(case=ref, channel=cases[-1][8], category=category, attachments=0)
            log(created, case_id, "intake.report.submitted", submitted)
            log(created, case_id, "access.case.routed",
                details(case=ref, start=codes[start_level], level=codes[level],
                        conflicts=len(conflicted)))  # fmt: skip
        if made + size >= n:
            flush_log(None)
        writer.write("cases_case", CASE_COLUMNS, cases)
        writer.write("cases_party", ["case_id", "person_id", "role", "mac"], parties)
        writer.write(
            "access_conflict", ["case_id", "user_id", "reason", "created_at", "mac"], conflicts
        )
        writer.write(
            "access_casekeygrant",
            ["case_id", "user_id", "sealed_case_key", "public_key", "granted_at", "mac"],
            grants,
        )
        writer.write(
            "access_caserecoveryseal", ["case_id", "recovery_key_id", "sealed_case_key"], seals
        )
        writer.write("deadlines_deadline", DEADLINE_COLUMNS, deadlines)
        writer.write("cases_timelineevent", ["case_id", "kind", "at", "detail"], timeline)
        writer.write("audit_auditentry", ENTRY_COLUMNS, entries)
        writer.write("audit_auditcheckpoint", CHECKPOINT_COLUMNS, checkpoints)
        entries.clear()
        checkpoints.clear()
        made += size
        say(f"{made:,} cases")
    # The days up to yesterday that ended after the last generated entry.
    yesterday = now.date() - dt.timedelta(days=1)
    while sealed_day < yesterday and day_end(sealed_day + dt.timedelta(days=1)) <= now:
        sealed_day += dt.timedelta(days=1)
        if sealed_day not in daily_done:
            sign(seq=seq, entry_hash=last_hash, at=day_end(sealed_day) + dt.timedelta(minutes=2),
                 kind="daily", interval=None, previous=None, day=sealed_day)  # fmt: skip
    writer.write("audit_auditcheckpoint", CHECKPOINT_COLUMNS, checkpoints)
    AuditHead.objects.filter(pk=1).update(seq=seq, hash=last_hash, checkpoint_seq=checkpoint_seq)
    from django.core.management.color import no_style
    from django.db import connection

    with connection.cursor() as cursor:
        for statement in connection.ops.sequence_reset_sql(no_style(), [Case]):
            cursor.execute(statement)
    result.rows = dict(writer.counts)


CASE_COLUMNS = [
    "id", "public_id", "ref", "public_key", "encrypted_private_key", "state", "category",
    "context", "channel", "acknowledge_by", "version", "severity", "outcome",
    "acknowledged_at", "closed_at", "at_top", "reporter_contact", "level_id",
    "start_level_id", "report", "named", "receipt_lookup", "reporter_sealed_key",
    "created_at", "updated_at", "next_due",
]  # fmt: skip
DEADLINE_COLUMNS = [
    "case_id", "name", "label", "due_at", "statutory", "state", "met_at", "missed_at",
    "created_at",
]  # fmt: skip
ENTRY_COLUMNS = [
    "seq", "at", "actor_id", "actor", "action", "object_type", "object_id", "details",
    "prev_hash", "hash",
]  # fmt: skip
CHECKPOINT_COLUMNS = [
    "seq", "entry_hash", "at", "kind", "interval", "previous", "day", "late", "public_key",
    "signature",
]  # fmt: skip


def _real_reports(rng: random.Random) -> Iterator[tuple[str, Any]]:
    from ombud.cases.report import Accused, Identity, Report
    from ombud.directory.models import Person
    from ombud.intake.demo import DEMO_REPORTS

    people = list(
        Person.objects.filter(is_active=True, employee_id__startswith="Q").values_list(
            "employee_id", "name"
        )
    )
    categories, weights = _weighted(CATEGORIES)
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
                category=rng.choices(categories, weights)[0],
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
        progress=lambda text: print(f"  {text}", file=sys.stderr, flush=True),
    )
    print(
        f"{result.cases:,} cases in {sum(result.seconds.values()):.1f} s "
        f"(bulk {result.seconds['bulk']:.1f} s, {len(result.real)} real "
        f"{result.seconds['real']:.1f} s); rows: " + json.dumps(result.rows),
        flush=True,
    )
    receipts = Path(args.data_dir) / "bench-receipts.txt"
    receipts.write_text("\n".join(result.receipts[:20]) + "\n")
    print(f"receipts of 20 readable cases: {receipts}")


if __name__ == "__main__":
    main()
