"""Ombud's settings plus one bare endpoint, for bench/intake_vs_bare.py only.

Never part of a normal Ombud: this module lives outside the package and is used
only when a bench sets DJANGO_SETTINGS_MODULE=bench.bare.settings (with the
repository's root on PYTHONPATH)."""

import os

from ombud.settings import *  # noqa: F403

ROOT_URLCONF = "bench.bare.urls"

# --sqlite-busy-handler: SQLite's own waiting instead of ombud.sqlite's queue of
# writers, to measure what the queue changes.
if os.environ.get("BENCH_SQLITE_BUSY_HANDLER") and DATABASES["default"]["ENGINE"] == "ombud.sqlite":  # noqa: F405
    DATABASES["default"]["ENGINE"] = "django.db.backends.sqlite3"  # noqa: F405
