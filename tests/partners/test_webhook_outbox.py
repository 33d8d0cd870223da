"""The webhook outbox: an event is written in the transaction of the change it announces,
fanned out into deliveries once that commits, and fanned out by the periodic reconciler
if the message asking for it was lost; fanning out twice delivers once."""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

import pytest
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from labs.models import Job, JobStatus
from marketplace.core.management.commands.run_periodic import run_task
from marketplace.exchange import services as exchange
from marketplace.partners import webhook_services
from marketplace.partners.models import WebhookDelivery, WebhookDeliveryStatus, WebhookEvent
from marketplace.partners.tasks import webhook_event_dispatch_task, webhook_event_reconcile_task
from tests.exchange.test_concurrency import all_at_once, split_outcomes
from tests.factories import CredentialFactory
from tests.partners import webhook_receiver
from tests.partners.webhook_helpers import (
    as_if_recorded_a_minute_ago,
    draft_job,
    lose_the_message,
    subscribe,
)

receiver = webhook_receiver.receiver
second_receiver = webhook_receiver.second_receiver

RECONCILE_TASK = "marketplace.partners.tasks.webhook_event_reconcile_task"


@pytest.mark.django_db
def test_the_event_is_written_with_the_change_and_delivered_after_it_commits(
    acme, receiver, django_capture_on_commit_callbacks
):
    subscribe(acme, receiver.url, ["job.published"])
    job = draft_job(acme)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        exchange.job_publish(job=job, user=acme.procurement)

    event = WebhookEvent.objects.get()
    assert (event.event_type, event.organisation_ids) == (
        "job.published",
        [acme.lab.organisation_id],
    )
    assert event.payload["job"]["id"] == job.pk
    assert event.dispatched_at is None
    assert not WebhookDelivery.objects.exists() and receiver.requests == []

    with django_capture_on_commit_callbacks(execute=True):
        for callback in callbacks:
            callback()

    event.refresh_from_db()
    assert event.dispatched_at is not None
    delivery = WebhookDelivery.objects.get()
    assert (delivery.event_id, delivery.status) == (event.event_id, WebhookDeliveryStatus.SUCCEEDED)
    [request] = receiver.requests
    assert request.headers["X-Webhook-Id"] == str(event.event_id)


@pytest.mark.django_db
def test_a_change_that_rolls_back_leaves_no_event(
    acme, receiver, django_capture_on_commit_callbacks
):
    subscribe(acme, receiver.url, ["job.published"])
    job = draft_job(acme)

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        exchange.job_publish(job=job, user=acme.procurement)
        assert WebhookEvent.objects.exists()  # written, but only inside the transaction
        raise RuntimeError("something later in the same use case failed")

    assert Job.objects.get(pk=job.pk).status == JobStatus.DRAFT
    assert not WebhookEvent.objects.exists()
    assert not WebhookDelivery.objects.exists()
    assert callbacks == [] and receiver.requests == []


@pytest.mark.django_db
def test_nothing_is_stored_for_an_event_nobody_subscribes_to(acme, receiver):
    subscribe(acme, receiver.url, ["job.awarded"])

    exchange.job_publish(job=draft_job(acme), user=acme.procurement)

    assert not WebhookEvent.objects.exists()


@pytest.mark.django_db
def test_an_event_whose_message_was_lost_is_delivered_by_the_reconciler(
    acme, receiver, django_capture_on_commit_callbacks
):
    subscribe(acme, receiver.url, ["job.published"])
    job = draft_job(acme)
    with lose_the_message(), django_capture_on_commit_callbacks(execute=True):
        exchange.job_publish(job=job, user=acme.procurement)
    assert WebhookEvent.objects.get().dispatched_at is None
    # Still within the grace period: the message may just be slow.
    assert webhook_event_reconcile_task.apply().get() == 0

    as_if_recorded_a_minute_ago()
    with django_capture_on_commit_callbacks(execute=True):
        assert webhook_event_reconcile_task.apply().get() == 1

    [request] = receiver.requests
    assert request.json()["data"]["job"]["id"] == job.pk
    assert WebhookEvent.objects.get().dispatched_at is not None
    assert webhook_event_reconcile_task.apply().get() == 0


def test_the_reconciler_is_on_the_beat_schedule_and_run_by_run_periodic(
    transactional_db, acme, receiver
):
    assert RECONCILE_TASK in {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    subscribe(acme, receiver.url, ["job.published"])
    with lose_the_message():
        exchange.job_publish(job=draft_job(acme), user=acme.procurement)
    as_if_recorded_a_minute_ago()

    # How the embedded mode's stand-in for Celery beat (`manage.py run_periodic`) runs
    # each entry of the schedule.
    assert run_task(RECONCILE_TASK)

    assert [r.headers["X-Webhook-Event"] for r in receiver.requests] == ["job.published"]


@pytest.mark.django_db
def test_fanning_out_an_event_twice_delivers_it_once(
    acme, receiver, second_receiver, django_capture_on_commit_callbacks
):
    subscribe(acme, receiver.url, ["job.published"])
    subscribe(acme, second_receiver.url, ["job.published"])
    with lose_the_message():
        exchange.job_publish(job=draft_job(acme), user=acme.procurement)
    event = WebhookEvent.objects.get()

    with django_capture_on_commit_callbacks(execute=True):
        assert webhook_event_dispatch_task.apply(args=(event.pk,)).get() == 2
        # A duplicated message, or the reconciler racing the original one.
        assert webhook_event_dispatch_task.apply(args=(event.pk,)).get() == 0
        webhook_services.webhook_event_reconcile(now=timezone.now() + timedelta(hours=1))

    assert WebhookDelivery.objects.count() == 2
    assert len(receiver.requests) == len(second_receiver.requests) == 1


@pytest.mark.django_db
def test_emitting_an_unknown_event_is_refused(acme):
    from marketplace.core.errors import RuleViolation

    with pytest.raises(RuleViolation):
        webhook_services.event_emit(
            organisation_ids=[acme.lab.organisation_id], event_type="job.stolen", payload={}
        )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_workers_fanning_out_one_event_at_once_create_its_deliveries_once(acme):
    for n in range(3):
        subscribe(acme, f"https://hooks.example.test/acme/{n}", ["job.published"])
    with lose_the_message():
        exchange.job_publish(job=draft_job(acme), user=acme.procurement)
    event = WebhookEvent.objects.get()

    with mock.patch.object(webhook_services, "_enqueue"):  # the race, not the sending
        created, errors = split_outcomes(
            all_at_once(
                8, lambda _: len(webhook_services.webhook_event_dispatch(event_pk=event.pk))
            )
        )

    assert errors == []
    assert created.count(3) == 1 and created.count(0) == 7
    assert WebhookDelivery.objects.filter(event_id=event.event_id).count() == 3


@pytest.mark.django_db
def test_credential_expired_is_recorded_with_the_expiry_even_if_every_message_is_lost(medix):
    from vendors.models import CredentialStatus
    from vendors.services import credential_expire_due

    subscribe(medix, "https://partner.example.test/hooks", ["credential.expired"])
    credential = CredentialFactory(
        specialist=medix.specialists[0],
        status=CredentialStatus.VERIFIED,
        verified_by=medix.owner,
        verified_at=timezone.now() - timedelta(days=300),
        expires_on=timezone.localdate() - timedelta(days=1),
    )

    # No on-commit callback runs here: the notify task and the fan-out are both "lost".
    assert credential_expire_due() == [credential.pk]

    event = WebhookEvent.objects.get(event_type="credential.expired")
    assert event.organisation_ids == [medix.vendor.organisation_id]
    assert [c["id"] for c in event.payload["credentials"]] == [credential.pk]
    assert event.dispatched_at is None  # the reconciler fans it out
