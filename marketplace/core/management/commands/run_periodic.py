"""The embedded mode's stand-in for Celery beat: with no broker, run the beat schedule's
tasks in this process, so bidding still closes at deadlines without Redis."""

from __future__ import annotations

import logging
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import close_old_connections

from marketplace.celery import app

logger = logging.getLogger("marketplace.periodic")


class Command(BaseCommand):
    help = (
        "Run every task of CELERY_BEAT_SCHEDULE in-process every PERIODIC_INTERVAL_SECONDS. "
        "Each entry runs every round whatever its own schedule; the periodic tasks are "
        "idempotent, so running them more often than beat would is harmless."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--interval",
            type=float,
            help="seconds between rounds (default: settings.PERIODIC_INTERVAL_SECONDS)",
        )
        parser.add_argument(
            "--once",
            action="store_true",
            help="run each task once and exit, with status 1 if any failed",
        )

    def handle(self, *args: Any, interval: float | None, once: bool, **options: Any) -> None:
        if interval is None:
            interval = float(settings.PERIODIC_INTERVAL_SECONDS)
        if interval <= 0:
            raise CommandError("--interval must be positive.")
        # One run per task per round, even if several schedule entries name the same task.
        schedule = settings.CELERY_BEAT_SCHEDULE.values()
        names = list(dict.fromkeys(str(entry["task"]) for entry in schedule))
        logger.info("running %s every %ss in-process", ", ".join(names), interval)
        try:
            while True:
                failed = [name for name in names if not run_task(name)]
                if once:
                    if failed:
                        raise CommandError(f"failed: {', '.join(failed)}")
                    return
                time.sleep(interval)
        except KeyboardInterrupt:
            logger.info("stopped")


def run_task(name: str) -> bool:
    """Run one registered task now and say whether it succeeded; a failure is logged,
    never raised, so the loop goes on."""
    close_old_connections()
    started = time.monotonic()
    try:
        result = app.tasks[name].apply(throw=True)
    except Exception:
        logger.exception("periodic task %s failed", name)
        return False
    else:
        elapsed = time.monotonic() - started
        logger.info("periodic task %s done in %.2fs: %r", name, elapsed, result.result)
        return True
    finally:
        close_old_connections()
