"""The ``ombud`` command: serve, demo, worker, directory import, audit verify, manage."""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import FrameType

from ombud import config

# Commands that manage migrations themselves: never migrate before them.
_MIGRATION_COMMANDS = {
    "makemigrations",
    "migrate",
    "sqlmigrate",
    "showmigrations",
    "squashmigrations",
    "help",
}
STOP_GRACE_SECONDS = 20
# The advisory lock held while migrating on PostgreSQL: "ombud" in ASCII, a key of
# our own among the database's advisory locks.
MIGRATION_LOCK = 0x6F6D627564


def _fail(message: str, status: int) -> int:
    sys.stderr.write(f"ombud: {message}\n")
    return status


def _setup(*, migrate: bool = True) -> None:
    """Check the configuration, start Django and bring the database up to date."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ombud.settings")
    try:
        config.load()
    except config.ConfigError as error:
        sys.stderr.write(f"ombud: configuration error: {error}\n")
        raise SystemExit(2) from None
    import django
    from django.core.management import call_command
    from django.db import DatabaseError

    django.setup()
    if migrate:
        try:
            with _migration_lock():
                call_command("migrate", interactive=False, verbosity=0)
                # The rate limits' counts, when they live in the database (no OMBUD_REDIS_URL).
                call_command("createcachetable", verbosity=0)
        except DatabaseError as error:
            raise SystemExit(_fail(f"cannot prepare the database: {error}", 1)) from None


@contextlib.contextmanager
def _migration_lock() -> Iterator[None]:
    """On PostgreSQL, one process at a time brings the database up to date: web
    servers and workers started together on several hosts would otherwise each
    create the same tables and fail. The others wait, then find nothing to do.
    SQLite needs none: its file is on one host, and its writes are serialised."""
    from django.db import connection

    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s)", [MIGRATION_LOCK])
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [MIGRATION_LOCK])


def _ready_to_serve() -> int:
    """Check what the web app needs beyond the database: the rate limits' cache (Redis
    when OMBUD_REDIS_URL is set) and the recovery key, without which no report can be
    stored. 0 when it may start."""
    from django.conf import settings
    from django.core.cache import cache

    from ombud.access.recovery import recovery_key_exists

    try:
        cache.get("ombud-ready")
    except Exception as error:  # the Redis client's errors, whatever its version
        variable = "OMBUD_REDIS_URL" if settings.CONFIG.redis_url else "DATABASE_URL"
        return _fail(f"configuration error: {variable}: the cache does not answer: {error}", 2)
    if not recovery_key_exists():
        if settings.CONFIG.production:
            return _fail(
                "no recovery key yet, so no report could be stored: run "
                "`ombud recovery init --shares N --threshold K` first",
                1,
            )
        sys.stderr.write(
            "ombud: warning: no recovery key yet: reports are refused until "
            "`ombud recovery init --shares N --threshold K` has run\n"
        )
    return 0


def _call(command: str, *args: str, **options: object) -> int:
    from django.core.management import call_command
    from django.core.management.base import CommandError

    try:
        call_command(command, *args, **options)
    except CommandError as error:
        return _fail(str(error), error.returncode)
    return 0


def _children(host: str, port: int, workers: int) -> dict[str, subprocess.Popen[bytes]]:
    web = [
        sys.executable,
        "-m",
        "gunicorn",
        "ombud.wsgi:application",
        "--bind",
        f"{host}:{port}",
        "--worker-class",
        "gthread",
        "--workers",
        str(workers),
        "--threads",
        "16",  # sign-ins wait for Argon2 in threads: see ombud.signin.apps
        "--graceful-timeout",
        "10",
        "--timeout",
        "60",
        # No access log: it would record every reporter's address. Nor warnings:
        # gunicorn names the client's address when it refuses a malformed request.
        "--error-logfile",
        "-",
        "--log-level",
        "error",
    ]
    worker = [sys.executable, "-m", "ombud.cli", "worker"]
    # A session of their own: a Ctrl-C on the terminal reaches only this
    # supervisor, which then stops both children in order.
    commands = {"web server": web, "background worker": worker}
    return {
        name: subprocess.Popen(argv, start_new_session=True)  # noqa: S603 - our own argv
        for name, argv in commands.items()
    }


def _supervise(host: str, port: int, workers: int) -> int:
    stop = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    children = _children(host, port, workers)
    failed: str | None = None
    while not stop.is_set():
        for name, child in children.items():
            if child.poll() is not None:
                failed = f"the {name} stopped unexpectedly (exit status {child.returncode})"
                stop.set()
                break
        stop.wait(0.5)
    for child in children.values():
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    for name, child in children.items():
        try:
            child.wait(timeout=STOP_GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            sys.stderr.write(f"ombud: the {name} did not stop in time; killing it\n")
            child.kill()
            child.wait()
    if failed:
        return _fail(f"{failed}; stopped Ombud", 1)
    sys.stderr.write("ombud: stopped\n")
    return 0


def _where_mail_goes() -> list[str]:
    """A line to print at start when notices do not reach anyone."""
    from django.conf import settings

    if settings.OMBUD_MAIL == "folder":
        return [
            "Mail is not sent (no OMBUD_SMTP_HOST): each message, escalation notices "
            f"included, is written as a .eml file to {settings.OMBUD_MAIL_FOLDER}/"
        ]
    if settings.OMBUD_MAIL == "off":
        return ["Mail is off (OMBUD_MAIL=off): no notices go out"]
    return []


def cmd_serve(args: argparse.Namespace) -> int:
    _setup()
    if refused := _ready_to_serve():
        return refused
    for line in _where_mail_goes():
        sys.stdout.write(line + "\n")
    sys.stdout.write(f"Ombud is running on http://{args.host}:{args.port}/ (Ctrl-C stops it)\n")
    sys.stdout.flush()
    return _supervise(args.host, args.port, args.workers)


def cmd_demo(args: argparse.Namespace) -> int:
    if not {"OMBUD_ORGANISATION_NAME", "OMBUD_ORGANISATION_NAME_FILE"} & set(os.environ):
        os.environ["OMBUD_ORGANISATION_NAME"] = "Quillfern Group (demo)"
    if args.language:
        os.environ["OMBUD_LANGUAGE"] = args.language
        if args.language == "zh-hans":
            # The story's organisation is in China: its holidays, working weekends and
            # clock, unless they are set.
            os.environ.setdefault("OMBUD_COUNTRY", "CN")
            os.environ.setdefault("OMBUD_TIME_ZONE", "Asia/Shanghai")
    _setup()
    from django.conf import settings

    if settings.CONFIG.production:
        # Its accounts share a published password.
        return _fail("the demo organisation cannot be loaded when OMBUD_ENV=production", 2)
    from ombud.demo import DEMO_PASSWORD, demo_load, demo_recovery_shares

    sign_ins = demo_load()
    fingerprint, shares, threshold = demo_recovery_shares(settings.CONFIG.data_dir)
    if refused := _ready_to_serve():
        return refused
    from ombud.deadlines.demo import demo_outside_channels
    from ombud.intake.demo import demo_reports

    demo_outside_channels()

    reports = demo_reports(settings.CONFIG.data_dir)
    url = f"http://{args.host}:{args.port}/"
    lines = [
        "Demo organisation: Quillfern Group, 60 invented people.",
        f"Open {url} and sign in at {url}accounts/login/",
        f"Every demo account's password is: {DEMO_PASSWORD}",
        "Staff also type the code of an authenticator app given the secret beside their name.",
        "",
        f"  {'user name':<26} {'name':<24} {'authenticator secret':<40} roles",
    ]
    lines += [
        f"  {s.username:<26} {s.name:<24} {s.totp_secret:<40} {', '.join(s.roles)}"
        for s in sign_ins
    ]
    lines += [
        "",
        "Every other demo employee signs in as first.last (e.g. elsa.brightwater) and sets",
        "up an authenticator app at the first sign-in.",
        "",
    ]
    lines += [f"Demo recovery key {fingerprint}: any {threshold} of these shares open it", ""]
    lines += [f"  {share}" for share in shares] + [""]
    if reports:
        lines += [f"Demo reports: follow one at {url}report/status/ with its receipt", ""]
        lines += [f"  {ref}  {receipt}" for ref, receipt in reports] + [""]
    if mail := _where_mail_goes():
        lines += [*mail, ""]
    sys.stdout.write("\n".join(lines) + "\n")
    sys.stdout.flush()
    return _supervise(args.host, args.port, args.workers)


def cmd_worker(args: argparse.Namespace) -> int:
    _setup()
    options: dict[str, object] = {"interval": args.interval}
    if args.once:
        options["once"] = True
    return _call("ombud_worker", **options)


def cmd_directory_import(args: argparse.Namespace) -> int:
    _setup()
    return _call("directory_import", str(args.file), deactivate_missing=args.deactivate_missing)


def cmd_audit_verify(args: argparse.Namespace) -> int:
    _setup()
    options: dict[str, object] = {"expect": args.expect}
    if args.public_key:
        options["public_key"] = args.public_key
    return _call("audit_verify", **options)


def cmd_deadlines_sweep(args: argparse.Namespace) -> int:
    _setup()
    options: dict[str, object] = {}
    if args.now:
        options["now"] = args.now
    return _call("deadlines_sweep", **options)


def cmd_recovery_init(args: argparse.Namespace) -> int:
    _setup()
    return _call("recovery_init", shares=args.shares, threshold=args.threshold)


def cmd_recovery_grant(args: argparse.Namespace) -> int:
    _setup()
    return _call("recovery_grant", case=args.case, to=args.to)


def cmd_manage(args: argparse.Namespace) -> int:
    rest = list(args.rest)
    _setup(migrate=bool(rest) and rest[0] not in _MIGRATION_COMMANDS)
    from django.core.management import execute_from_command_line

    execute_from_command_line(["ombud manage", *rest])
    return 0


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of at least 1")
    return value


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ombud", description="Ombud: confidential misconduct reporting and case management."
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    for name, handler, text in [
        ("serve", cmd_serve, "run the web app and the background worker"),
        ("demo", cmd_demo, "load the invented demo organisation, then serve"),
    ]:
        sub = commands.add_parser(name, help=text, description=text)
        sub.add_argument("--host", default="127.0.0.1")
        sub.add_argument("--port", type=int, default=8000)
        sub.add_argument(
            "--workers",
            type=_positive,
            default=2,
            metavar="N",
            help="web server processes (gunicorn's, 16 threads each; default 2, one per "
            "core); the background worker is one more process",
        )
        sub.set_defaults(handler=handler, language=None)
        if name == "demo":
            sub.add_argument(
                "--language",
                choices=config.LANGUAGES,
                help="the organisation's language (OMBUD_LANGUAGE); zh-hans also sets "
                "OMBUD_COUNTRY=CN and OMBUD_TIME_ZONE=Asia/Shanghai unless they are set",
            )

    worker = commands.add_parser("worker", help="run the background worker alone")
    worker.add_argument("--interval", type=float, default=5.0)
    worker.add_argument("--once", action="store_true", help="one round of work, then exit")
    worker.set_defaults(handler=cmd_worker)

    directory = commands.add_parser("directory", help="the organisation's directory")
    directory_commands = directory.add_subparsers(dest="directory_command", required=True)
    importing = directory_commands.add_parser("import", help="import people from a CSV file")
    importing.add_argument("file", type=Path)
    importing.add_argument(
        "--deactivate-missing",
        action="store_true",
        help="the file is a full snapshot: people missing from it leave",
    )
    importing.set_defaults(handler=cmd_directory_import)

    audit = commands.add_parser("audit", help="the hash-chained audit log")
    audit_commands = audit.add_subparsers(dest="audit_command", required=True)
    verify = audit_commands.add_parser("verify", help="recompute the chain and checkpoints")
    verify.add_argument(
        "--expect",
        action="append",
        default=[],
        metavar="ENTRY:HASH",
        help="a checkpoint hash kept elsewhere (the daily e-mail); repeatable",
    )
    verify.add_argument("--public-key", metavar="HEX", help="the checkpoint key you recorded")
    verify.set_defaults(handler=cmd_audit_verify)

    deadlines = commands.add_parser("deadlines", help="case deadlines")
    deadlines_commands = deadlines.add_subparsers(dest="deadlines_command", required=True)
    sweep = deadlines_commands.add_parser("sweep", help="handle every deadline due now")
    sweep.add_argument("--now", metavar="ISO-8601", help="sweep as if it were this instant")
    sweep.set_defaults(handler=cmd_deadlines_sweep)

    recovery = commands.add_parser("recovery", help="the organisation's recovery key")
    recovery_commands = recovery.add_subparsers(dest="recovery_command", required=True)
    init = recovery_commands.add_parser("init", help="create it; print its shares once")
    init.add_argument("--shares", type=int, required=True, help="N: how many officers hold one")
    init.add_argument("--threshold", type=int, required=True, help="K: how many open it")
    init.set_defaults(handler=cmd_recovery_init)
    grant = recovery_commands.add_parser("grant", help="the ceremony: give USER a case's key")
    grant.add_argument("--case", required=True, metavar="REF")
    grant.add_argument("--to", required=True, metavar="USER")
    grant.set_defaults(handler=cmd_recovery_grant)

    manage = commands.add_parser("manage", help="Django's management commands", add_help=False)
    manage.add_argument("rest", nargs=argparse.REMAINDER)
    manage.set_defaults(handler=cmd_manage)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help(sys.stderr)
        return 2
    return int(args.handler(args))


if __name__ == "__main__":
    sys.exit(main())
