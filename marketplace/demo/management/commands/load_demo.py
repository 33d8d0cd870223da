"""`manage.py load_demo`: loads the demo data set (idempotent) and prints the logins."""

from __future__ import annotations

import logging
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.core.management.base import BaseCommand
from django.test.utils import override_settings

from marketplace.demo.services import DemoLogin, DemoSummary, demo_load


class Command(BaseCommand):
    help = (
        "Load the demo data set: labs, vendors with rosters, an ownership web and the story "
        "of a rival lab buying into the largest vendor. Running it again creates nothing."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        # The demo's invented addresses receive nothing: e-mail the demo triggers (screening
        # alerts sent after commit, among others) is kept in memory and dropped.
        with (
            quiet_task_log(enabled=options["verbosity"] < 2),
            override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"),
        ):
            summary = demo_load(stdout=self.stdout if options["verbosity"] > 1 else None)
        if summary.total_created:
            made = ", ".join(f"{label} {count}" for label, count in summary.created.items())
            self.stdout.write(self.style.SUCCESS(f"Demo data loaded. Created: {made}."))
        else:
            self.stdout.write(self.style.SUCCESS("Demo data already loaded: nothing to create."))
        self.stdout.write("")
        self.stdout.write(render_logins(summary))


@contextmanager
def quiet_task_log(*, enabled: bool) -> Iterator[None]:
    """Without a broker, the tasks the demo enqueues (notification e-mails) run in-process
    after commit and log a line each; they would bury the login table. Failures (errors)
    are still logged."""
    loggers = [logging.getLogger(name) for name in ("celery", "kombu")] if enabled else []
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


def render_logins(summary: DemoSummary) -> str:
    header = DemoLogin("role", "organisation", "email")
    rows = [(*astuple(login), summary.password) for login in [header, *summary.logins]]
    rows[0] = (*rows[0][:3], "password")
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    others = textwrap.wrap(
        "Also an owner login for every other demo organisation: "
        + ", ".join(login.email for login in summary.other_logins)
        + ".",
        width=92,
    )
    return "\n".join(
        [
            "Demo logins (every one uses the same password):",
            "",
            *lines,
            "",
            *others,
            "",
            f"Admin: {summary.admin_url}",
            "lab and vendor logins are for the browser pages and the API; "
            "the platform admin signs in at /admin/",
        ]
    )


def astuple(login: DemoLogin) -> tuple[str, str, str]:
    return login.role, login.organisation, login.email
