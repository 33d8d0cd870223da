"""The webhook outbox through a real broker and worker: a committed change's event is
fanned out and delivered by the worker, and one whose message was lost is replayed by the
reconciler running in the worker."""

from __future__ import annotations

import pytest

from marketplace.exchange import services as exchange
from marketplace.partners.models import WebhookEvent
from marketplace.partners.tasks import webhook_event_reconcile_task
from tests.partners import webhook_receiver
from tests.partners.webhook_helpers import (
    as_if_recorded_a_minute_ago,
    documented_verifier,
    draft_job,
    lose_the_message,
    subscribe,
)

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]

receiver = webhook_receiver.receiver


def test_the_worker_delivers_the_event_of_a_committed_change(
    acme, receiver, celery_worker_process, wait_for
):
    _, secret = subscribe(acme, receiver.url, ["job.published"])
    job = draft_job(acme)

    exchange.job_publish(job=job, user=acme.procurement)

    [request] = wait_for(
        lambda: receiver.events("job.published"), timeout=30, message="nothing was delivered"
    )
    assert documented_verifier()(secret, request.headers, request.body)
    assert request.json()["data"]["job"]["id"] == job.pk


def test_the_reconciler_in_the_worker_delivers_an_event_whose_message_was_lost(
    acme, receiver, celery_worker_process, wait_for
):
    subscribe(acme, receiver.url, ["job.published"])
    job = draft_job(acme)
    with lose_the_message():
        exchange.job_publish(job=job, user=acme.procurement)
    as_if_recorded_a_minute_ago()

    webhook_event_reconcile_task.delay()

    [request] = wait_for(
        lambda: receiver.events("job.published"),
        timeout=30,
        message="the lost event was not replayed",
    )
    assert request.json()["data"]["job"]["id"] == job.pk
    wait_for(lambda: WebhookEvent.objects.get().dispatched_at is not None, timeout=10)
