"""A rolled-back transaction enqueues nothing, whether the work was asked for with
delay_on_commit (a screening) or enqueue_on_commit (a lab's re-screening, asked for by
name): the worker never receives the message. A savepoint rolled back inside a
transaction that commits drops only its own work."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from celery.signals import before_task_publish
from django.db import transaction

from marketplace.celery import app
from marketplace.core.async_work import enqueue_on_commit
from marketplace.exchange.models import Screening
from marketplace.exchange.services.screenings import screening_request
from tests.faults.test_pool_process_killed import SCREENING_TASK, tasks_run
from tests.plugins.services import wait_for

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]

RESCREEN_TASK = "marketplace.exchange.tasks.rescreen_lab_task"


class Abandoned(Exception):
    pass


@pytest.fixture
def published() -> Iterator[list[tuple[str, tuple[object, ...]]]]:
    """(task name, args) of every message this process hands to the broker."""
    sent: list[tuple[str, tuple[object, ...]]] = []

    def record(sender: str | None = None, body: object = None, **_: object) -> None:
        args = body[0] if isinstance(body, tuple) else ()
        sent.append((str(sender), tuple(args)))

    before_task_publish.connect(record, weak=False)
    try:
        yield sent
    finally:
        before_task_publish.disconnect(record)


def drained(fault_dir: Path, name: str) -> None:
    """Sends a marker behind everything sent so far and waits until the worker ran it:
    one pool process takes the queue in order, so whatever was ahead has been taken."""
    app.send_task("tests.faults.mark", args=[name])
    wait_for(lambda: (fault_dir / f"mark-{name}").exists(), message="the marker was not run")


def test_a_rolled_back_transaction_sends_the_worker_nothing(
    acme, medix, worker, fault_dir, published
):
    before = tasks_run(worker)

    with pytest.raises(Abandoned), transaction.atomic():
        screening_request(lab=acme.lab, vendor=medix.vendor)
        enqueue_on_commit(RESCREEN_TASK, acme.lab.pk)
        raise Abandoned

    assert published == []
    drained(fault_dir, "after-rollback")
    after = tasks_run(worker)
    for name in (SCREENING_TASK, RESCREEN_TASK):
        assert after.get(name, 0) == before.get(name, 0), f"the worker received {name}"
    assert not Screening.objects.exists()


def test_a_rolled_back_savepoint_drops_only_its_own_work(
    acme, rival, medix, worker, fault_dir, published
):
    before = tasks_run(worker)

    with transaction.atomic():
        with contextlib.suppress(Abandoned), transaction.atomic():
            screening_request(lab=acme.lab, vendor=medix.vendor)
            enqueue_on_commit(RESCREEN_TASK, acme.lab.pk)
            raise Abandoned
        # Asked for again after the savepoint's request was dropped: still sent, once.
        enqueue_on_commit(RESCREEN_TASK, acme.lab.pk)
        enqueue_on_commit(RESCREEN_TASK, acme.lab.pk)
        enqueue_on_commit(RESCREEN_TASK, rival.lab.pk)

    assert published == [(RESCREEN_TASK, (acme.lab.pk,)), (RESCREEN_TASK, (rival.lab.pk,))]
    drained(fault_dir, "after-savepoint")
    after = tasks_run(worker)
    assert after.get(RESCREEN_TASK, 0) - before.get(RESCREEN_TASK, 0) == 2
    assert after.get(SCREENING_TASK, 0) == before.get(SCREENING_TASK, 0)
    assert not Screening.objects.exists()
