"""kill -9 of a worker's pool process in the middle of a screening and of a matching run:
inside the work's transaction, or after it committed but before the task returned. The
worker replaces the process, the message goes back to the queue (acks_late with
reject_on_worker_lost), and the run that follows leaves the work done once: one
screening per lab x vendor, no invitation or notification twice.

Killed after the task returned and stored its result, the task is not run again: Celery
(5.5 and later) finds the success in the result backend and acknowledges the message."""

from __future__ import annotations

import os
import signal
import time
from typing import Any

import pytest

from labs.models import Job, WorkState
from marketplace.celery import app
from marketplace.exchange import services as exchange
from marketplace.exchange.models import Invitation, Notification, Screening, Verdict
from marketplace.exchange.services.screenings import screening_request
from tests.exchange.helpers import rival_stake
from tests.exchange.matching_builders import job_needing, staffed_vendor, vocabulary
from tests.faults.conftest import PausePoint, settled
from tests.plugins.services import CeleryWorker, pool_child_pids, wait_for

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]

SCREENING_TASK = "marketplace.exchange.tasks.screening_run_task"
MATCHING_TASK = "marketplace.exchange.tasks.match_job_task"


def tasks_run(worker: CeleryWorker) -> dict[str, int]:
    """How many messages of each task the worker has taken, since it started."""
    stats: dict[str, Any] = (
        app.control.inspect(destination=[worker.nodename], timeout=2).stats() or {}
    )
    return dict(stats.get(worker.nodename, {}).get("total", {}))


def kill_paused_pool_process(point: PausePoint, worker: CeleryWorker) -> float:
    """SIGKILLs the pool process paused at `point`; returns when it was killed."""
    pid = point.reached()
    assert pid in pool_child_pids(worker), "the paused process is one of the worker's pool"
    os.kill(pid, signal.SIGKILL)
    killed_at = time.monotonic()
    wait_for(lambda: pid not in pool_child_pids(worker), message="the pool process lived on")
    return killed_at


# runs: how many times the worker takes the screening's message.
@pytest.mark.parametrize(
    ("point", "runs"),
    [("screening.compute", 2), ("screening.committed", 2), (f"after.{SCREENING_TASK}", 1)],
    ids=["mid-transaction", "committed", "result-stored"],
)
def test_a_screening_is_done_once_after_its_pool_process_is_killed(
    acme, medix, worker, pause_point, point, runs
):
    rival_stake(acme, medix, "49")
    settled(worker)
    before = tasks_run(worker).get(SCREENING_TASK, 0)
    pause = pause_point(point).arm()

    [screening_id] = screening_request(lab=acme.lab, vendor=medix.vendor)
    killed_at = kill_paused_pool_process(pause, worker)

    wait_for(
        lambda: tasks_run(worker).get(SCREENING_TASK, 0) - before == runs,
        timeout=30,
        message="the screening's message was not taken again after the kill",
    )
    taken = time.monotonic() - killed_at
    settled(worker)
    print(
        f"{point}: taken again after {taken:.2f} s, idle after {time.monotonic() - killed_at:.2f} s"
    )
    screening = Screening.objects.get(pk=screening_id)
    assert screening.state == "done"
    assert Screening.objects.filter(lab=acme.lab, vendor=medix.vendor, bid=None).count() == 1
    assert screening.verdict == Verdict.BLOCKED
    # Killed inside its transaction, the first run left nothing: the second is the first
    # to count. Killed after its commit, the second run recomputed the same verdict.
    assert screening.attempts == (2 if point == "screening.committed" else 1)
    assert tasks_run(worker).get(SCREENING_TASK, 0) - before == runs
    told = Notification.objects.filter(organisation=acme.lab.organisation, kind="screening.changed")
    assert sorted(told.values_list("recipient__email", flat=True)) == sorted(
        [acme.owner.email, acme.procurement.email, acme.reviewer.email]
    )


@pytest.mark.parametrize(
    "point", ["matching.invite", "matching.committed"], ids=["mid-transaction", "committed"]
)
def test_a_matching_run_invites_once_after_its_pool_process_is_killed(
    acme, worker, pause_point, point
):
    v = vocabulary()
    teams = [staffed_vendor(f"Clinic {n}", v, md=1) for n in range(3)]
    job = job_needing(acme, (1, v.medicine, v.md))
    before = tasks_run(worker).get(MATCHING_TASK, 0)
    pause = pause_point(point).arm()

    exchange.job_publish(job=job, user=acme.procurement)
    killed_at = kill_paused_pool_process(pause, worker)

    wait_for(
        lambda: tasks_run(worker).get(MATCHING_TASK, 0) - before == 2,
        timeout=30,
        message="the matching's message was not taken again after the kill",
    )
    taken = time.monotonic() - killed_at
    vendors = {team.vendor.pk for team in teams}
    screenings = Screening.objects.filter(lab=acme.lab, bid=None)
    wait_for(
        lambda: screenings.filter(state="done").count() == len(vendors),
        timeout=30,
        message="the invited vendors were not all screened",
    )
    settled(worker)
    print(
        f"{point}: taken again after {taken:.2f} s, idle after {time.monotonic() - killed_at:.2f} s"
    )
    assert Job.objects.get(pk=job.pk).matching_state == WorkState.DONE
    invited = list(Invitation.objects.filter(job=job).values_list("vendor_id", flat=True))
    assert sorted(invited) == sorted(vendors)
    members = {m.email for team in teams for m in (team.owner, team.bid_manager)}
    told = list(
        Notification.objects.filter(kind="invitation.created").values_list(
            "recipient__email", flat=True
        )
    )
    assert sorted(told) == sorted(members)
    assert sorted(screenings.values_list("vendor_id", flat=True)) == sorted(vendors)
