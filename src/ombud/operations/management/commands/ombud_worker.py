from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from ombud.operations.worker import BackgroundWorker


class Command(BaseCommand):
    help = "Run Ombud's background worker until SIGTERM or SIGINT."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--interval",
            type=float,
            default=5.0,
            help="Seconds between two rounds of work (default 5).",
        )
        parser.add_argument("--once", action="store_true", help="Run one round and exit.")

    def handle(self, *args: Any, **options: Any) -> None:
        worker = BackgroundWorker(interval=options["interval"])
        if options["once"]:
            worker.tick()
        else:
            worker.run()
