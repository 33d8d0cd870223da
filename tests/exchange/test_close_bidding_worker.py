"""Async work on a real broker and worker: the periodic close runs in the worker, and a
notification e-mail is enqueued only when its transaction commits."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from celery.signals import before_task_publish
from django.db import transaction

from labs.models import Job, JobStatus
from marketplace.accounts.models import Role
from marketplace.exchange.models import Notification
from marketplace.exchange.services import notify_organisation
from marketplace.exchange.tasks import close_due_bidding_task, send_notification_email_task
from tests.exchange.helpers import notifications_to
from tests.plugins.personas import make_open_job, pass_bid_deadline

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]


def test_the_worker_closes_bidding_on_a_job_past_its_deadline(
    acme, celery_worker_process, wait_for
):
    due = pass_bid_deadline(make_open_job(acme))
    not_due = make_open_job(acme)

    close_due_bidding_task.delay()

    wait_for(
        lambda: Job.objects.get(pk=due.pk).status == JobStatus.EVALUATION,
        timeout=20,
        message="the worker did not close bidding within 20 s",
    )
    assert Job.objects.get(pk=not_due.pk).status == JobStatus.OPEN
    told = notifications_to(acme.lab.organisation, "job.evaluation_started")
    assert {n.recipient for n in told} == {acme.owner, acme.procurement, acme.reviewer}


@pytest.fixture
def published_tasks() -> Iterator[list[str]]:
    """Names of the tasks this process hands to the broker while the test runs."""
    names: list[str] = []

    def record(sender: str | None = None, **_: object) -> None:
        names.append(str(sender))

    before_task_publish.connect(record, weak=False)
    try:
        yield names
    finally:
        before_task_publish.disconnect(record)


class Abandoned(Exception):
    pass


def test_a_rolled_back_notification_enqueues_no_email(
    acme, celery_worker_process, published_tasks, wait_for
):
    with pytest.raises(Abandoned), transaction.atomic():
        notify_organisation(
            organisation=acme.lab.organisation,
            kind="test.rolled_back",
            title="Never sent",
            roles=[Role.LAB_OWNER],
        )
        raise Abandoned

    assert published_tasks == []
    assert not Notification.objects.filter(kind="test.rolled_back").exists()

    # The same call, committed, does reach the worker: the spy above can see a send.
    with transaction.atomic():
        [sent] = notify_organisation(
            organisation=acme.lab.organisation,
            kind="test.committed",
            title="Sent",
            roles=[Role.LAB_OWNER],
        )
    assert published_tasks == [send_notification_email_task.name]
    wait_for(
        lambda: Notification.objects.get(pk=sent.pk).emailed_at is not None,
        timeout=20,
        message="the worker did not e-mail the committed notification within 20 s",
    )
