"""The Celery app the fault tests' workers run (``celery -A tests.faults.worker_app``): the
test worker's app, plus pause points a test arms to catch a task mid-way, and two
test-only tasks.

A pause point is a name. The test arms it by creating ``FAULT_DIR/<name>.armed``. The
first process to reach the point takes that file (a rename, so exactly one process
pauses), writes its pid to ``<name>.reached`` and waits until ``<name>.release`` exists.
The test kills the process meanwhile, or releases it. A point not armed does nothing,
so the run that follows a kill goes straight through.

Points, in the order a run passes them:

- ``screening.compute`` (a screening, inside its transaction, holding the row lock) and
  ``matching.invite`` (a matching run, inside its transaction, its first invitation
  written);
- ``screening.committed`` and ``matching.committed``: the service has committed and
  returned, the task has not (no result stored, the message not acknowledged);
- ``after.<task name>``: the task has returned and its result is stored; the message is
  not acknowledged yet.
"""

from __future__ import annotations

import functools
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from celery.signals import task_postrun, worker_process_init
from django.conf import settings

from marketplace.core.tasks import MarketplaceTask
from tests.plugins.celery_worker_app import app

FAULT_DIR = Path(os.environ["FAULT_DIR"])
# A paused process nobody kills or releases carries on after this long.
PAUSE_LIMIT_SECONDS = 60

# The fault tests shorten the visibility timeout; a sweep for messages whose worker died
# then runs every second instead of every 100 s (kombu's default: 10 s x throttle 10).
app.conf.broker_transport_options = {
    **settings.CELERY_BROKER_TRANSPORT_OPTIONS,
    "unacked_restore_interval": 1,
    "unacked_restore_throttle": 1,
}


def pause_point(name: str) -> None:
    try:
        (FAULT_DIR / f"{name}.armed").rename(FAULT_DIR / f"{name}.taken")
    except FileNotFoundError:
        return
    reached = FAULT_DIR / f"{name}.reached"
    partial = reached.with_suffix(".partial")
    partial.write_text(str(os.getpid()))
    partial.rename(reached)  # the test never reads a half-written pid
    release = FAULT_DIR / f"{name}.release"
    deadline = time.monotonic() + PAUSE_LIMIT_SECONDS
    while not release.exists() and time.monotonic() < deadline:
        time.sleep(0.02)


def _pausing(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(function)
    def paused_first(*args: Any, **kwargs: Any) -> Any:
        pause_point(name)
        return function(*args, **kwargs)

    return paused_first


def _pausing_after(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(function)
    def paused_after(*args: Any, **kwargs: Any) -> Any:
        result = function(*args, **kwargs)
        pause_point(name)
        return result

    return paused_after


@worker_process_init.connect
def install_pause_points(**_: object) -> None:
    # In each pool process, once Django is set up and the services are imported.
    from marketplace.exchange import services
    from marketplace.exchange.services import matching, screenings

    screenings.compute_screening = _pausing("screening.compute", screenings.compute_screening)
    matching._notify_invited = _pausing("matching.invite", matching._notify_invited)
    # The tasks call the services through the package.
    services.screening_run = _pausing_after("screening.committed", services.screening_run)
    services.job_match = _pausing_after("matching.committed", services.job_match)


@task_postrun.connect
def pause_after_task(sender: Any = None, **_: object) -> None:
    pause_point(f"after.{sender.name}")


@app.task(name="tests.faults.always_fails", base=MarketplaceTask, bind=True)
def always_fails(self: MarketplaceTask, marker: str) -> None:
    """Fails with a transient error every time, noting when each attempt ran."""
    with (FAULT_DIR / f"attempts-{marker}").open("a") as attempts:
        attempts.write(f"{time.time():.3f} {self.request.retries}\n")
    raise ConnectionError(f"the partner system for {marker} is down")


@app.task(name="tests.faults.mark")
def mark(name: str) -> None:
    """Leaves a file behind: proof the worker ran this message."""
    (FAULT_DIR / f"mark-{name}").touch()
