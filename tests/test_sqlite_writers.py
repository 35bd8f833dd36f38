from __future__ import annotations

import fcntl
import os

import pytest
from django.db import connection


def _lock_is_free(path: str) -> bool:
    fd = os.open(path, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return True
    finally:
        os.close(fd)


@pytest.mark.parametrize("end", ["commit", "rollback"])
def test_a_write_transaction_on_sqlite_holds_the_writers_queue_until_it_ends(
    tmp_path, end, django_db_blocker
):
    from ombud.sqlite.base import DatabaseWrapper

    database = tmp_path / "ombud.sqlite3"
    settings = {
        **connection.settings_dict,
        "ENGINE": "ombud.sqlite",
        "NAME": str(database),
        "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": 20},
    }
    writer = DatabaseWrapper(settings, alias="writers-test")
    with django_db_blocker.unblock():
        _transaction(writer, database, end)


def _transaction(writer, database, end) -> None:
    try:
        writer.set_autocommit(True)
        with writer.cursor() as cursor:
            cursor.execute("CREATE TABLE t (x INTEGER)")
        writer._start_transaction_under_autocommit()
        with writer.cursor() as cursor:
            cursor.execute("INSERT INTO t VALUES (1)")
        assert not _lock_is_free(f"{database}.writers")
        getattr(writer, end)()
        assert _lock_is_free(f"{database}.writers")
    finally:
        writer.close()


def test_ombud_runs_sqlite_through_the_writers_queue(settings):
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only")
    assert settings.DATABASES["default"]["ENGINE"] == "ombud.sqlite"
