"""Django's SQLite backend with a fair queue for writers.

Every transaction on SQLite begins IMMEDIATE (``ombud.settings``): it takes the
database's write lock at once. A writer that finds the lock taken waits in
SQLite's busy handler, which sleeps (1, 2, 5, 10 … up to 100 ms) and tries again:
a writer may sleep through several transactions of others, and with four clients
the slowest reports took twenty times the median. Here a transaction first takes
an exclusive ``flock`` on a file beside the database (``<database>.writers``),
held until it commits or rolls back: the kernel wakes the waiters as soon as it is
released, in every thread and process that opened the same database. The busy
handler stays as it was for writes outside a transaction (autocommit statements)
and for anything else that writes the file.
"""

from __future__ import annotations

import fcntl
import os
from typing import Any

from django.db.backends.sqlite3 import base


class DatabaseWrapper(base.DatabaseWrapper):
    _writers_fd: int | None = None
    _writers_held = False

    def _writers_take(self) -> None:
        if self.is_in_memory_db():
            return
        if self._writers_fd is None:
            path = f"{self.settings_dict['NAME']}.writers"
            self._writers_fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        fcntl.flock(self._writers_fd, fcntl.LOCK_EX)
        self._writers_held = True

    def _writers_release(self) -> None:
        if self._writers_held and self._writers_fd is not None:
            self._writers_held = False
            fcntl.flock(self._writers_fd, fcntl.LOCK_UN)

    def _start_transaction_under_autocommit(self) -> None:
        self._writers_take()
        try:
            super()._start_transaction_under_autocommit()  # type: ignore[misc]
        except BaseException:
            self._writers_release()
            raise

    def _commit(self) -> Any:
        try:
            return super()._commit()  # type: ignore[misc]
        finally:
            self._writers_release()

    def _rollback(self) -> Any:
        try:
            return super()._rollback()  # type: ignore[misc]
        finally:
            self._writers_release()

    def _close(self) -> Any:
        try:
            return super()._close()  # type: ignore[misc]
        finally:
            self._writers_release()
            if self._writers_fd is not None:
                os.close(self._writers_fd)
                self._writers_fd = None
