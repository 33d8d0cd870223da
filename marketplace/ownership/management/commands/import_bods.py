"""`manage.py import_bods PATH [PATH ...]`: imports BODS 0.4 files (JSON array or JSON
Lines). Each file is one transaction; the first invalid file stops the command, files
before it stay imported and files after it are not read."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from marketplace.ownership.bods import BodsImportError, bods_import


class Command(BaseCommand):
    help = (
        "Import BODS 0.4 statements (a JSON array or JSON Lines; '-' reads standard input). "
        "Creates or updates entities, persons and stakes by record id; importing a file "
        "again changes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("paths", nargs="+", metavar="PATH")

    def handle(self, *args: Any, **options: Any) -> None:
        for name in options["paths"]:
            try:
                if name == "-":
                    summary = bods_import(stream=sys.stdin.buffer, source="BODS file <stdin>")
                else:
                    path = Path(name)
                    summary = bods_import(path=path, source=f"BODS file {path.name}")
            except OSError as error:
                raise CommandError(f"{name}: cannot read the file ({error}).") from error
            except BodsImportError as error:
                raise CommandError(
                    f"{name}: {error} Nothing from this file was imported."
                ) from error
            for line in summary.lines():
                self.stdout.write(line)
