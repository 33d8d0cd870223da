"""Redis restarted (killed, every message in it lost) in the middle of a burst of 200
tasks: 150 screenings, 40 matching runs and 10 roster imports. Each piece of work has a
state row, so the periodic reconcilers, run by beat inside the worker every 2 s, find
what was lost once it is stale and send it again; all of it ends done, once.

The Redis restarted is the test session's own (tests/plugins/services.py private_redis):
the machine's Redis is shared and is never touched. Time passing beyond the reconcilers'
staleness windows (2 min, 2 min, 5 min) is simulated by moving the state rows' request
times back; the reconcilers themselves run as deployed, as beat tasks in the worker."""

from __future__ import annotations

import csv
import io
import re
import time
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from labs.models import Job, WorkState
from marketplace.exchange import services as exchange
from marketplace.exchange.models import Invitation, Screening
from marketplace.exchange.services.matching import MATCHING_STALE_AFTER
from marketplace.exchange.services.screenings import STALE_AFTER, screening_request
from tests.exchange.matching_builders import job_needing, vocabulary
from tests.factories import LabFactory, VendorFactory
from tests.faults.conftest import (
    FAULT_APP,
    new_queue,
    record_worker_log,
    restart_private_redis,
    routed_to,
    settled,
    worker_env,
)
from tests.faults.test_pool_process_killed import MATCHING_TASK, SCREENING_TASK
from tests.plugins.services import (
    CeleryWorker,
    start_celery_worker,
    stop_celery_worker,
    wait_for,
)
from vendors import services as vendor_services
from vendors.models import Credential, RosterImport, RosterImportStatus

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]

LABS, VENDORS, JOBS, IMPORTS, ROWS = 10, 15, 40, 10, 5
PERIOD = 2
ROSTER_TASK = "vendors.tasks.roster_import_task"


def roster(number: int) -> SimpleUploadedFile:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=vendor_services.ROSTER_COLUMNS)
    writer.writeheader()
    for row in range(ROWS):
        writer.writerow(
            {
                "specialist_name": f"Specialist {number}-{row}",
                "specialist_email": f"specialist-{number}-{row}@example.test",
                "field": "medicine",
                "level": "md",
                "issuer": "Medical Board",
                "identifier": f"LIC-{number:03d}-{row:03d}",
                "issued_on": "2020-07-01",
                "expires_on": "2030-06-30",
            }
        )
    return SimpleUploadedFile("roster.csv", buffer.getvalue().encode(), "text/csv")


def work_left() -> dict[str, int]:
    return {
        "screenings": Screening.objects.exclude(state="done").count(),
        "matching": Job.objects.exclude(matching_state=WorkState.DONE).count(),
        "imports": RosterImport.objects.exclude(status=RosterImportStatus.DONE).count(),
    }


def time_passes() -> None:
    """The state rows of unfinished work look as old as the reconcilers' windows."""
    Screening.objects.exclude(state="done").update(
        requested_at=F("requested_at") - STALE_AFTER - timedelta(seconds=1)
    )
    Job.objects.exclude(matching_state=WorkState.DONE).update(
        matching_requested_at=F("matching_requested_at")
        - MATCHING_STALE_AFTER
        - timedelta(seconds=1)
    )
    RosterImport.objects.filter(status=RosterImportStatus.PENDING).update(
        requested_at=F("requested_at")
        - vendor_services.ROSTER_IMPORT_RESEND_AFTER
        - timedelta(seconds=1)
    )


def back_after_broker_restart(
    worker: CeleryWorker, start: Callable[[], CeleryWorker]
) -> tuple[CeleryWorker, bool]:
    """Waits until the worker answers again, or has exited; an exited worker is started
    again, as the process supervisor of a deployment does. Kombu 5.7 can end the worker
    when the broker goes away while it holds unacknowledged messages ("Unrecoverable
    error: AttributeError ... 'hostname'", raised while it closes the lost channel)."""
    from marketplace.celery import app

    def outcome() -> str | None:
        if worker.process.poll() is not None:
            return "exited"
        if app.control.ping(destination=[worker.nodename], timeout=0.5):
            return "answers"
        return None

    if wait_for(outcome, timeout=30, message="the worker neither answered nor exited") == "exited":
        stop_celery_worker(worker)
        return start(), True
    return worker, False


def successes(log: Path) -> tuple[Counter[str], Counter[str]]:
    """Task runs that succeeded, by task name, from the worker's log (every worker the
    test started wrote to it): all of them, and those that did the work (a run that
    finds its work claimed or done already returns None)."""
    pattern = re.compile(r"Task (\S+)\[[0-9a-f-]+\] succeeded in \S+: (.*)$", re.MULTILINE)
    runs = list(pattern.finditer(log.read_text(errors="replace")))
    return (
        Counter(run.group(1) for run in runs),
        Counter(run.group(1) for run in runs if run.group(2) != "None"),
    )


def still_stale() -> bool:
    """Unfinished work whose request time the reconcilers have not moved on yet."""
    threshold = timezone.now() - STALE_AFTER
    return (
        Screening.objects.exclude(state="done").filter(requested_at__lt=threshold).exists()
        or Job.objects.exclude(matching_state=WorkState.DONE)
        .filter(matching_requested_at__lt=threshold)
        .exists()
        or RosterImport.objects.filter(status=RosterImportStatus.PENDING).exists()
    )


def test_the_reconcilers_finish_a_burst_lost_in_a_redis_restart(
    request, acme, medix, private_broker, fault_dir, tmp_path, settings
):
    settings.MEDIA_ROOT = tmp_path / "media"
    queue = new_queue()
    env = worker_env(
        fault_dir,
        private_broker,
        PERIODIC_INTERVAL_SECONDS=str(PERIOD),
        DJANGO_MEDIA_ROOT=str(settings.MEDIA_ROOT),
    )
    beat = ("--beat", "--schedule", str(tmp_path / "beat-schedule"))
    v = vocabulary()
    labs = LabFactory.create_batch(LABS)
    vendors = VendorFactory.create_batch(VENDORS)
    # Nobody holds the seats these jobs need: each run ranks every vendor, invites none.
    jobs = [job_needing(acme, (1, v.nursing, v.rn)) for _ in range(JOBS)]

    log = tmp_path / "worker.log"

    def start() -> CeleryWorker:
        return start_celery_worker(
            queue=queue, log_path=log, app_module=FAULT_APP, concurrency=2, env=env, extra_args=beat
        )

    with routed_to(queue):
        worker = start()
        record_worker_log(request, worker)
        try:
            with transaction.atomic():  # the 200 messages leave together, at commit
                for lab in labs:
                    for vendor in vendors:
                        screening_request(lab=lab, vendor=vendor)
                for job in jobs:
                    exchange.job_publish(job=job, user=acme.procurement)
                for number in range(IMPORTS):
                    vendor_services.roster_import_start(
                        vendor=medix.vendor, user=medix.bid_manager, uploaded_file=roster(number)
                    )
            total = Screening.objects.count() + len(jobs) + RosterImport.objects.count()
            assert total == 200

            wait_for(
                lambda: sum(work_left().values()) <= total - 20,
                timeout=60,
                message="the worker did not start on the burst",
            )
            restart_private_redis(private_broker)
            restarted_at = time.monotonic()
            worker, crashed = back_after_broker_restart(worker, start)
            settled(worker, timeout=60)
            lost = work_left()
            print(
                f"lost in the restart: {lost} (of {total}); the worker "
                + ("exited and was started again" if crashed else "reconnected")
            )
            assert sum(lost.values()) >= 50

            time_passes()
            stale_at = time.monotonic()
            wait_for(
                lambda: not still_stale(),
                timeout=3 * PERIOD + 10,
                message="the reconcilers did not send the lost work again",
            )
            resent_after = time.monotonic() - stale_at
            wait_for(
                lambda: sum(work_left().values()) == 0,
                timeout=90,
                message="the reconcilers did not finish the lost work",
            )
            done_after = time.monotonic() - stale_at
            settled(worker, timeout=60)
        finally:
            stop_celery_worker(worker)

    runs, worked = successes(log)
    print(
        f"sent again {resent_after:.1f} s and all done {done_after:.1f} s after the work went "
        f"stale ({time.monotonic() - restarted_at:.1f} s after the restart); runs (that did "
        f"the work): {runs[SCREENING_TASK]} ({worked[SCREENING_TASK]}) screening, "
        f"{runs[MATCHING_TASK]} ({worked[MATCHING_TASK]}) matching, "
        f"{runs[ROSTER_TASK]} ({worked[ROSTER_TASK]}) roster import"
    )
    # Each piece of work was done once. The screening and matching reconcilers move a
    # re-sent row's request time on, so no later round sends it again while the backlog
    # drains; the roster reconciler sends a pending import every round until a run claims
    # it, and the runs that find it claimed do nothing.
    expected = {SCREENING_TASK: LABS * VENDORS, MATCHING_TASK: JOBS, ROSTER_TASK: IMPORTS}
    assert {name: worked[name] for name in expected} == expected
    assert runs[SCREENING_TASK] == LABS * VENDORS
    assert runs[MATCHING_TASK] == JOBS
    assert Screening.objects.count() == LABS * VENDORS
    assert not Invitation.objects.exists()
    assert Credential.objects.filter(specialist__vendor=medix.vendor).count() == IMPORTS * ROWS
    assert set(RosterImport.objects.values_list("rows_created", flat=True)) == {ROWS}
