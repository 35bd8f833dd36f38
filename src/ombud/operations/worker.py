"""The background worker: beats, runs periodic duties, then the queued jobs.

Periodic duties are safe to run in several workers at once (each claims its
work with a unique row or a guarded update), so any number may run.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import signal
import socket
import threading
from collections.abc import Callable
from types import FrameType

from django.contrib.sessions.backends.db import SessionStore
from django.db import close_old_connections
from django.utils import timezone
from django.utils.crypto import get_random_string
from django_tasks_db.management.commands.db_worker import Worker as QueueWorker

from ombud.audit.services import audit_checkpoint_daily
from ombud.operations.models import WorkerHeartbeat
from ombud.operations.outbox import outbox_send

logger = logging.getLogger("ombud.worker")


# Each runs every tick of the loop; each must be cheap when there is nothing to do.
def sessions_expired_clear() -> None:
    """Expired sessions go, and with them the sealed private keys they held."""
    SessionStore.clear_expired()


# The apps above operations add theirs in their AppConfig.ready(), through
# periodic_duty: intake clears expired drafts, deadlines sweeps every tick (5 s:
# due deadlines only, through their index). The outbox stays last, so what a
# duty queues is sent in the same tick.
PERIODIC: list[Callable[[], object]] = [
    audit_checkpoint_daily,
    sessions_expired_clear,
    outbox_send,
]


def periodic_duty(duty: Callable[[], object]) -> None:
    """Run ``duty`` every tick, before the outbox (once, however often it is added)."""
    if duty not in PERIODIC:
        PERIODIC.insert(PERIODIC.index(outbox_send), duty)


def heartbeat_record(*, worker_id: str, started_at: dt.datetime) -> None:
    now = timezone.now()
    WorkerHeartbeat.objects.update_or_create(
        worker_id=worker_id,
        defaults={
            "beat_at": now,
            "hostname": socket.gethostname()[:255],
            "pid": os.getpid(),
            "started_at": started_at,
        },
    )


class BackgroundWorker:
    def __init__(self, *, interval: float = 5.0, worker_id: str | None = None) -> None:
        self.interval = interval
        self.worker_id = worker_id or get_random_string(32)
        self.stopping = threading.Event()
        self.started_at = timezone.now()

    def stop(self, signum: int, frame: FrameType | None) -> None:
        logger.info("worker %s stopping (%s)", self.worker_id, signal.strsignal(signum))
        self.stopping.set()

    def tick(self) -> None:
        close_old_connections()
        heartbeat_record(worker_id=self.worker_id, started_at=self.started_at)
        for duty in PERIODIC:
            try:
                duty()
            except Exception:
                logger.exception("periodic duty %s failed", duty.__name__)
        queue = QueueWorker(
            queue_names=["*"],
            interval=0,
            batch=True,
            backend_name="default",
            startup_delay=False,
            max_tasks=None,
            worker_id=self.worker_id,
            excluded_queue_names=[],
        )
        queue.run()
        close_old_connections()

    def run(self) -> None:
        signal.signal(signal.SIGTERM, self.stop)
        signal.signal(signal.SIGINT, self.stop)
        logger.info("worker %s started", self.worker_id)
        while not self.stopping.is_set():
            try:
                self.tick()
            except Exception:
                logger.exception("worker tick failed; trying again")
            self.stopping.wait(self.interval)
        logger.info("worker %s stopped", self.worker_id)
