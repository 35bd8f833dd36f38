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

from ombud.crypto import chain

Checked = tuple[int, chain.Break] | None
Run = list[chain.Row]
_SEP = "\0"


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


def _pack(rows: Run) -> str | Run:
    """The rows as one text, when no field holds the separator: pickling one text
    costs next to nothing, pickling ten fields a row more than hashing them."""
    packed = _SEP.join(itertools.chain.from_iterable(rows))
    return packed if packed.count(_SEP) == 10 * len(rows) - 1 else rows


def _check(packed: str | Run) -> Checked:
    if isinstance(packed, str):
        fields = iter(packed.split(_SEP))
        return check_rows(list(zip(*[fields] * 10, strict=True)))
    return check_rows(packed)


def checked(runs: Iterable[Run], *, workers: int) -> Generator[tuple[Run, Checked]]:
    """Each run with the first break inside it, in order. With two workers or more,
    the runs are checked in that many processes while the next are read; a few
    runs at most wait in memory."""
    if workers < 2:
        for rows in runs:
            yield rows, check_rows(rows)
        return
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context(method))
    try:
        pending: deque[tuple[Run, Future[Checked]]] = deque()
        for rows in runs:
            pending.append((rows, pool.submit(_check, _pack(rows))))
            if len(pending) > 2 * workers:
                rows, future = pending.popleft()
                yield rows, future.result()
        while pending:
            rows, future = pending.popleft()
            yield rows, future.result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
