"""Ombud's settings plus one bare endpoint, for bench/intake_vs_bare.py only.

Never part of a normal Ombud: this module lives outside the package and is used
only when a bench sets DJANGO_SETTINGS_MODULE=bench.bare.settings (with the
repository's root on PYTHONPATH)."""

from ombud.settings import *  # noqa: F403

ROOT_URLCONF = "bench.bare.urls"
