"""`manage.py export_bods OUTFILE`: writes every entity, person and stake as BODS 0.4
statements (a JSON array); `-` writes to standard output."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from marketplace.ownership.bods import BODS_VERSION, BodsExportError, ExportSummary, bods_export


class _Unterminated:
    """Lets the export write fragments through the command's stdout wrapper, which would
    otherwise end every write with a newline."""

    def __init__(self, wrapper: Any):
        self.wrapper = wrapper

    def write(self, text: str) -> int:
        self.wrapper.write(text, ending="")
        return len(text)


class Command(BaseCommand):
    help = "Export all entities, persons and stakes as BODS 0.4 statements ('-' for stdout)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("outfile", metavar="OUTFILE")

    def handle(self, *args: Any, **options: Any) -> None:
        outfile = options["outfile"]
        try:
            if outfile == "-":
                summary = bods_export(stream=_Unterminated(self.stdout))  # type: ignore[arg-type]
                self.stderr.write(describe(summary, "standard output"))
                return
            summary = write_atomically(Path(outfile))
        except BodsExportError as error:
            raise CommandError(str(error)) from error
        except OSError as error:
            raise CommandError(f"{outfile}: cannot write the file ({error}).") from error
        self.stdout.write(describe(summary, outfile))


def write_atomically(path: Path) -> ExportSummary:
    """A reader of `path` sees the old file or the whole new one, never a half-written one."""
    descriptor, temporary = tempfile.mkstemp(dir=path.parent or ".", suffix=".tmp")
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as out:
            summary = bods_export(stream=out)
        os.chmod(temporary, 0o644)  # mkstemp's 0600 would hide the export from other users
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return summary


def describe(summary: ExportSummary, target: str) -> str:
    return (
        f"Wrote {summary.statements} BODS {BODS_VERSION} statements to {target}: "
        f"{summary.entities} entities, {summary.persons} persons, "
        f"{summary.relationships} relationships with {summary.interests} interests."
    )
