"""Checking the audit chain in runs of rows, in this process or in worker processes.

The workers are forked where the platform can (they only hash what they are sent,
and touch no connection or lock of the parent's); where it cannot, they are
spawned, and import this module alone: it imports no Django, nor anything that
does. Either way they get their rows by pickle. A row is the tuple of
texts ``audit_verify`` reads straight from the database (see :func:`check_rows`).
"""

from __future__ import annotations

import datetime as dt
import itertools
import multiprocessing
from collections import deque
from collections.abc import Generator, Iterable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass

from ombud.crypto import chain

Checked = tuple[int, chain.Break] | None
Run = list[chain.Row]
# Between fields and rows of a run read as one text: a field that holds it makes the
# count of separators wrong, and the run is then read again row by row.
SEP = "\x01"


@dataclass(frozen=True)
class Task:
    """A run of entries to check: ``rows`` (one text, fields and rows joined with SEP,
    or a list of rows), and the entries whose hash the caller will compare."""

    rows: str | Run
    wanted: tuple[int, ...] = ()


@dataclass(frozen=True)
class Summary:
    """What the caller needs of a checked run to join it to the runs around it."""

    first: int
    first_prev: str
    last: int
    last_hash: str
    count: int
    inside: Checked
    # The hashes of the wanted entries among the rows before any break inside.
    kept: dict[int, str]


def chain_time(value: str) -> str:
    """``at`` as the chain hashes it (UTC, ISO 8601, microseconds), from any text of
    an instant; one without a zone is in UTC (Django writes SQLite's so). Text that
    is no time is hashed as it stands, so its entry is reported as changed."""
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        return value
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC).isoformat(timespec="microseconds")


def check_rows(rows: Sequence[chain.Row]) -> Checked:
    """The first break inside ``rows`` with its index (see chain.check_batch)."""
    return chain.check_batch(rows, time=chain_time)


def summarize(task: Task) -> Summary | None:
    """Check a run (None for no rows); in a worker process, or here."""
    fields = (
        task.rows.split(SEP)
        if isinstance(task.rows, str)
        else list(itertools.chain.from_iterable(task.rows))
    )
    fields[1::10] = [
        at
        if len(at) == 32 and at[10] == "T"
        else f"{at[:10]}T{at[11:]}+00:00"
        if len(at) == 26 and at[10] == " "
        else chain_time(at)
        for at in fields[1::10]
    ]
    columns = iter(fields)
    rows: Sequence[chain.Row] = list(zip(*[columns] * 10, strict=True))
    if not rows:
        return None
    inside = check_rows(rows)
    good = len(rows) if inside is None else inside[0]
    first = int(rows[0][0])
    kept = {seq: rows[seq - first][9] for seq in task.wanted if 0 <= seq - first < good}
    return Summary(first, rows[0][8], int(rows[-1][0]), rows[-1][9], len(rows), inside, kept)


def checked(tasks: Iterable[Task], *, workers: int) -> Generator[tuple[Task, Summary | None]]:
    """Each run checked, in order. With two workers or more, the runs are checked
    in that many processes while the next are read; a few at most wait in memory."""
    if workers < 2:
        for task in tasks:
            yield task, summarize(task)
        return
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context(method))
    try:
        pending: deque[tuple[Task, Future[Summary | None]]] = deque()
        for task in tasks:
            pending.append((task, pool.submit(summarize, task)))
            if len(pending) > 2 * workers:
                task, future = pending.popleft()
                yield task, future.result()
        while pending:
            task, future = pending.popleft()
            yield task, future.result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
