"""kill -9 of the whole worker (its main process; the pool process dies with it) in the
middle of a matching run. The message stays unacknowledged in Redis; a worker started
again returns it to the queue once the visibility timeout has passed (shortened here to
5 s, with the time limits below it as settings.py demands), and the work is done exactly
once."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from labs.models import Job, WorkState
from marketplace.exchange import services as exchange
from marketplace.exchange.models import Invitation, Notification, Screening
from tests.exchange.matching_builders import job_needing, staffed_vendor, vocabulary
from tests.faults.conftest import (
    FAULT_APP,
    new_queue,
    record_worker_log,
    routed_to,
    settled,
    worker_env,
)
from tests.faults.test_pool_process_killed import MATCHING_TASK, tasks_run
from tests.plugins.services import (
    pool_child_pids,
    start_celery_worker,
    stop_celery_worker,
    wait_for,
)

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]

VISIBILITY_TIMEOUT = 5
SHORT_TIMEOUTS = {
    "CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT),
    "CELERY_TASK_TIME_LIMIT": "4",
    "CELERY_TASK_SOFT_TIME_LIMIT": "3",
}


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"


def test_a_matching_run_is_done_once_after_the_whole_worker_is_killed(
    request, acme, private_broker, fault_dir, pause_point, tmp_path
):
    queue = new_queue()
    env = worker_env(fault_dir, private_broker, **SHORT_TIMEOUTS)
    log = tmp_path / "worker.log"
    v = vocabulary()
    teams = [staffed_vendor(f"Clinic {n}", v, md=1) for n in range(3)]
    job = job_needing(acme, (1, v.medicine, v.md))

    with routed_to(queue):
        first = start_celery_worker(queue=queue, log_path=log, app_module=FAULT_APP, env=env)
        record_worker_log(request, first)
        try:
            pause = pause_point("matching.invite").arm()
            exchange.job_publish(job=job, user=acme.procurement)
            child = pause.reached()
            reached_at = time.monotonic()
            assert pool_child_pids(first) == [child]

            first.process.send_signal(signal.SIGKILL)
            first.process.wait()
            killed_at = time.monotonic()
            # The pool process was told to die with its parent (PR_SET_PDEATHSIG).
            wait_for(lambda: not alive(child), timeout=5, message="the pool process lived on")
        finally:
            stop_celery_worker(first)
        assert Job.objects.get(pk=job.pk).matching_state == WorkState.RUNNING
        assert not Invitation.objects.filter(job=job).exists()

        second = start_celery_worker(queue=queue, log_path=log, app_module=FAULT_APP, env=env)
        try:
            restarted_after = time.monotonic() - killed_at
            wait_for(
                lambda: Job.objects.get(pk=job.pk).matching_state == WorkState.DONE,
                timeout=VISIBILITY_TIMEOUT + 20,
                message="the restarted worker did not finish the matching",
            )
            done_after = time.monotonic() - killed_at
            vendors = {team.vendor.pk for team in teams}
            screenings = Screening.objects.filter(lab=acme.lab, bid=None)
            wait_for(
                lambda: screenings.filter(state="done").count() == len(vendors),
                timeout=30,
                message="the invited vendors were not all screened",
            )
            settled(second)
            print(
                f"worker restarted {restarted_after:.2f} s after the kill; matching done "
                f"{done_after:.2f} s after it (visibility timeout {VISIBILITY_TIMEOUT} s)"
            )
            assert tasks_run(second).get(MATCHING_TASK, 0) == 1
        finally:
            stop_celery_worker(second)

    invited = list(Invitation.objects.filter(job=job).values_list("vendor_id", flat=True))
    assert sorted(invited) == sorted(vendors)
    members = {m.email for team in teams for m in (team.owner, team.bid_manager)}
    told = Notification.objects.filter(kind="invitation.created")
    assert sorted(told.values_list("recipient__email", flat=True)) == sorted(members)
    assert sorted(screenings.values_list("vendor_id", flat=True)) == sorted(vendors)
    # Handed out again by the visibility timeout, not sooner: kombu keeps the message in
    # its unacknowledged set, scored with the time it was delivered.
    assert killed_at + done_after - reached_at >= VISIBILITY_TIMEOUT - 0.5
