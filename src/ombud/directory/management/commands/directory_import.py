import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ombud.audit.services import cli_actor
from ombud.directory.importer import directory_import


class Command(BaseCommand):
    help = "Import the organisation's directory from a CSV file (see the README for the format)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--deactivate-missing",
            action="store_true",
            help="The file is a full snapshot: people missing from it become inactive.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        result = directory_import(
            actor=cli_actor(),
            path=path,
            deactivate_missing=options["deactivate_missing"],
            show_progress=sys.stderr.isatty(),
        )
        if not result.ok:
            for error in result.errors:
                self.stderr.write(f"{path.name}: {error}")
            count = len(result.errors)
            raise CommandError(
                f"{count} error{'s' if count != 1 else ''} in {path.name}; nothing was imported.",
                returncode=1,
            )
        self.stdout.write(
            f"Imported {path.name}: {result.added} added, {result.updated} updated, "
            f"{result.unchanged} unchanged, {result.deactivated} deactivated."
        )
