from __future__ import annotations

import datetime as dt

from django.db import models

HEARTBEAT_STALE_AFTER = dt.timedelta(minutes=2)


class WorkerHeartbeat(models.Model):
    """The last sign of life of one background worker process."""

    worker_id = models.CharField(max_length=64, unique=True)
    hostname = models.CharField(max_length=255)
    pid = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    beat_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"worker {self.worker_id} on {self.hostname}"

    def is_alive(self, now: dt.datetime) -> bool:
        return now - self.beat_at <= HEARTBEAT_STALE_AFTER
