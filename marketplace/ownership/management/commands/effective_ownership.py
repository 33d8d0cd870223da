"""`manage.py effective_ownership SUBJECT [--as-of YYYY-MM-DD] [--json]`: who holds an
effective economic or voting interest in the entity with record id SUBJECT, as the
conflict screening computes it (DESIGN section 4)."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from marketplace.ownership.models import Entity
from marketplace.ownership.selectors import effective_ownership_report


class Command(BaseCommand):
    help = (
        "List every entity or person with an effective economic or voting interest in the "
        "entity with record id SUBJECT (percent, as intervals), whether it controls the "
        "subject, and its strongest paths."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("subject", metavar="SUBJECT", help="the subject's record id")
        parser.add_argument(
            "--as-of", metavar="YYYY-MM-DD", help="the day the stakes are held (default: today)"
        )
        parser.add_argument("--json", action="store_true", help="print a JSON array")

    def handle(self, *args: Any, **options: Any) -> None:
        as_of = _parse_day(options["as_of"]) if options["as_of"] else timezone.localdate()
        subject = Entity.objects.filter(record_id=options["subject"]).first()
        if subject is None:
            raise CommandError(f"No entity with record id {options['subject']!r}.")
        report = effective_ownership_report(subject=subject, as_of=as_of)
        if options["json"]:
            self.stdout.write(json.dumps(report, indent=2))
        else:
            self.stdout.write(_table(report, subject, as_of))


def _parse_day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"--as-of must be a date as YYYY-MM-DD, not {text!r}.") from None


def _number(value: float) -> str:
    return f"{value:.6f}".rstrip("0").rstrip(".")


def _interval(share: dict[str, float]) -> str:
    if share["min"] == share["max"]:
        return f"{_number(share['min'])}%"
    return f"{_number(share['min'])}-{_number(share['max'])}%"


def _path_text(path: list[dict[str, Any]]) -> str:
    if not path:
        return ""
    text = path[0]["from_name"]
    for hop in path:
        text += f" -> {_interval(hop['share'])} -> {hop['to_name']}"
    return text


def _table(report: list[dict[str, Any]], subject: Entity, as_of: date) -> str:
    title = f"Effective ownership of {subject.name} ({subject.record_id}) on {as_of.isoformat()}"
    if not report:
        return f"{title}: no entity or person holds an economic or voting interest."
    header = ("Name", "Record id", "Economic", "Voting", "Controls", "Strongest path")
    rows = [
        (
            row["name"],
            row["record_id"],
            _interval(row["economic"]),
            _interval(row["voting"]),
            "yes" if row["controls"] else "no",
            _path_text(row["paths"][0]) if row["paths"] else "",
        )
        for row in report
    ]
    widths = [max(len(line[i]) for line in [header, *rows]) for i in range(len(header) - 1)]

    def line(cells: tuple[str, ...]) -> str:
        padded = [cell.ljust(width) for cell, width in zip(cells, widths, strict=False)]
        return "  ".join([*padded, cells[-1]]).rstrip()

    return "\n".join([title, "", line(header), *(line(r) for r in rows)])
