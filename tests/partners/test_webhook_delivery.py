"""Sending webhook deliveries to a real local receiver: retries with backoff, giving up,
disabling an endpoint that keeps failing, redelivery, and sending once."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from marketplace.core.errors import InvalidTransition
from marketplace.exchange.models import Notification
from marketplace.partners import webhook_services
from marketplace.partners.models import WebhookDelivery, WebhookDeliveryStatus, WebhookEndpoint
from marketplace.partners.tasks import webhook_deliver_task, webhook_retry_due_task
from tests.partners import webhook_receiver

pytestmark = pytest.mark.django_db

receiver = webhook_receiver.receiver

Status = WebhookDeliveryStatus


@pytest.fixture
def endpoint(acme, receiver) -> WebhookEndpoint:
    endpoint, _ = webhook_services.webhook_endpoint_create(
        organisation=acme.lab.organisation,
        url=receiver.url,
        event_types=["job.published", "award.made"],
        created_by=acme.owner,
    )
    return endpoint


def emit(endpoint: WebhookEndpoint, capture: Any) -> WebhookDelivery:
    """Emits an event to the endpoint; its delivery is sent once the emission commits."""
    with capture(execute=True):
        event = webhook_services.event_emit(
            organisation_ids=[endpoint.organisation_id],
            event_type="job.published",
            payload={"job": {"id": 1, "title": "Radiology labels"}},
        )
    assert event is not None
    return WebhookDelivery.objects.get(endpoint=endpoint, event_id=event.event_id)


def time_passes(delivery: WebhookDelivery) -> None:
    """As if the delivery's next attempt were due now."""
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        next_attempt_at=timezone.now() - timedelta(minutes=1)
    )


def test_a_failed_delivery_is_retried_with_backoff_until_it_succeeds(
    endpoint, receiver, django_capture_on_commit_callbacks
):
    receiver.statuses = [500, 503]

    delivery = emit(endpoint, django_capture_on_commit_callbacks)

    assert delivery.status == Status.FAILED
    assert delivery.attempts == 1 and delivery.last_status_code == 500
    assert "receiver says no" in delivery.last_error
    wait = delivery.next_attempt_at - timezone.now()
    assert timedelta(seconds=25) < wait <= timedelta(seconds=30)
    # Not due yet: the periodic task leaves it alone.
    assert webhook_retry_due_task.delay().get() == 0

    time_passes(delivery)
    with django_capture_on_commit_callbacks(execute=True):
        webhook_retry_due_task.delay()
    delivery.refresh_from_db()
    assert delivery.status == Status.FAILED and delivery.attempts == 2
    assert timedelta(seconds=110) < delivery.next_attempt_at - timezone.now()

    time_passes(delivery)
    with django_capture_on_commit_callbacks(execute=True):
        webhook_retry_due_task.delay()
    delivery.refresh_from_db()
    assert delivery.status == Status.SUCCEEDED
    assert delivery.delivered_at is not None and delivery.next_attempt_at is None
    log = list(delivery.attempt_log.order_by("attempted_at").values_list("status_code", flat=True))
    assert log == [500, 503, 200]
    assert all(a.latency_ms is not None for a in delivery.attempt_log.all())
    # Every attempt carries the same event id, so the receiver can de-duplicate.
    assert len({r.headers["X-Webhook-Id"] for r in receiver.requests}) == 1
    endpoint.refresh_from_db()
    assert endpoint.consecutive_failures == 0 and endpoint.failing_since is None


def test_a_delivery_gives_up_after_the_bounded_number_of_attempts(
    endpoint, receiver, django_capture_on_commit_callbacks
):
    receiver.status = 500
    delivery = emit(endpoint, django_capture_on_commit_callbacks)

    while delivery.status == Status.FAILED:
        time_passes(delivery)
        webhook_deliver_task.delay(delivery.pk)
        delivery.refresh_from_db()

    assert delivery.status == Status.GAVE_UP
    assert delivery.attempts == webhook_services.MAX_ATTEMPTS
    assert len(receiver.requests) == webhook_services.MAX_ATTEMPTS
    assert delivery.next_attempt_at is None
    assert webhook_retry_due_task.delay().get() == 0


def test_a_delivery_gives_up_once_a_retry_would_fall_after_a_day(
    endpoint, receiver, django_capture_on_commit_callbacks
):
    receiver.status = 500
    delivery = emit(endpoint, django_capture_on_commit_callbacks)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        created_at=timezone.now() - timedelta(hours=24)
    )
    time_passes(delivery)

    webhook_deliver_task.delay(delivery.pk)

    delivery.refresh_from_db()
    assert delivery.status == Status.GAVE_UP and delivery.attempts == 2


def test_a_timeout_is_a_failed_attempt(
    endpoint, receiver, settings, django_capture_on_commit_callbacks
):
    settings.WEBHOOK_TIMEOUT_SECONDS = 0.2
    receiver.delay = 1.0

    delivery = emit(endpoint, django_capture_on_commit_callbacks)

    assert delivery.status == Status.FAILED
    assert delivery.last_status_code is None
    assert "Timeout" in delivery.last_error


def test_an_endpoint_failing_continuously_is_disabled_and_its_owners_told(
    acme, endpoint, receiver, django_capture_on_commit_callbacks
):
    receiver.status = 500
    older = emit(endpoint, django_capture_on_commit_callbacks)
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        consecutive_failures=webhook_services.DISABLE_AFTER_FAILURES - 1
    )

    emit(endpoint, django_capture_on_commit_callbacks)

    endpoint.refresh_from_db()
    assert not endpoint.is_active
    assert "20 consecutive failed deliveries" in endpoint.disabled_reason
    older.refresh_from_db()
    assert older.status == Status.GAVE_UP  # nothing more is sent to it
    told = Notification.objects.filter(kind="webhook.disabled")
    assert {n.recipient for n in told} == {acme.owner}
    # A disabled endpoint gets no new deliveries.
    with django_capture_on_commit_callbacks(execute=True):
        assert (
            webhook_services.event_emit(
                organisation_ids=[endpoint.organisation_id],
                event_type="job.published",
                payload={},
            )
            is None
        )
    assert WebhookDelivery.objects.filter(endpoint=endpoint).count() == 2


def test_an_endpoint_failing_for_more_than_three_days_is_disabled(
    endpoint, receiver, django_capture_on_commit_callbacks
):
    receiver.status = 500
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        consecutive_failures=3, failing_since=timezone.now() - timedelta(days=3, minutes=1)
    )

    emit(endpoint, django_capture_on_commit_callbacks)

    endpoint.refresh_from_db()
    assert not endpoint.is_active and endpoint.consecutive_failures == 4


def test_a_disabled_endpoint_is_re_enabled_with_a_clean_slate(acme, endpoint):
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        is_active=False, disabled_reason="broken", consecutive_failures=20
    )
    endpoint.refresh_from_db()

    webhook_services.webhook_endpoint_enable(endpoint=endpoint, user=acme.owner)

    endpoint.refresh_from_db()
    assert endpoint.is_active and endpoint.consecutive_failures == 0
    with pytest.raises(InvalidTransition):
        webhook_services.webhook_endpoint_enable(endpoint=endpoint, user=acme.owner)


def test_a_delivery_can_be_redelivered_by_hand(
    acme, endpoint, receiver, django_capture_on_commit_callbacks
):
    delivery = emit(endpoint, django_capture_on_commit_callbacks)
    assert delivery.status == Status.SUCCEEDED

    with django_capture_on_commit_callbacks(execute=True):
        webhook_services.webhook_redeliver(delivery=delivery, user=acme.owner)

    delivery.refresh_from_db()
    assert delivery.status == Status.SUCCEEDED and delivery.attempts == 2
    first, second = receiver.requests
    assert first.headers["X-Webhook-Id"] == second.headers["X-Webhook-Id"]
    assert first.body == second.body


def test_running_the_delivery_task_twice_sends_once(
    endpoint, receiver, django_capture_on_commit_callbacks
):
    delivery = emit(endpoint, django_capture_on_commit_callbacks)

    assert webhook_deliver_task.delay(delivery.pk).get() is None
    webhook_services.webhook_retry_due(now=timezone.now() + timedelta(hours=1))
    assert webhook_deliver_task.delay(delivery.pk).get() is None

    assert len(receiver.requests) == 1
    assert WebhookDelivery.objects.get(pk=delivery.pk).attempts == 1


def test_a_delivery_claimed_by_another_run_is_not_sent_again(acme, endpoint, receiver):
    """A second message for a delivery being sent right now finds it claimed."""
    delivery = WebhookDelivery.objects.create(
        endpoint=endpoint,
        event_type="job.published",
        event_id="00000000-0000-0000-0000-000000000001",
        payload={},
        next_attempt_at=timezone.now() + webhook_services.CLAIM_LEASE,  # as a claim leaves it
    )

    assert webhook_services.webhook_deliver(delivery_id=delivery.pk) is None
    assert receiver.requests == []


def test_emitting_the_same_event_twice_delivers_once(
    endpoint, receiver, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(2):
            webhook_services.event_emit(
                organisation_ids=[endpoint.organisation_id],
                event_type="job.published",
                payload={},
                event_id="00000000-0000-0000-0000-0000000000aa",
            )

    assert WebhookDelivery.objects.count() == 1
    assert len(receiver.requests) == 1


def test_the_admin_pings_an_endpoint_and_redelivers_from_the_log(
    admin_client, endpoint, receiver, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("admin:partners_webhookendpoint_changelist"),
            {"action": "send_test_ping", "_selected_action": [endpoint.pk]},
        )
    assert response.status_code == 302
    [ping] = receiver.requests
    assert ping.headers["X-Webhook-Event"] == "ping"
    delivery = WebhookDelivery.objects.get(event_type="ping")

    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(
            reverse("admin:partners_webhookdelivery_changelist"),
            {"action": "redeliver", "_selected_action": [delivery.pk]},
        )
    assert len(receiver.requests) == 2
    page = admin_client.get(reverse("admin:partners_webhookdelivery_change", args=[delivery.pk]))
    assert page.status_code == 200
    assert endpoint.secret not in page.content.decode()


def test_the_admin_shows_the_secret_once_when_adding_an_endpoint(admin_client, acme, receiver):
    response = admin_client.post(
        reverse("admin:partners_webhookendpoint_add"),
        {
            "organisation": acme.lab.organisation.pk,
            "url": receiver.url,
            "event_types": ["job.published", "bid.submitted"],
        },
        follow=True,
    )

    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.event_types == ["job.published", "bid.submitted"]
    assert endpoint.secret in response.content.decode()
    change = admin_client.get(reverse("admin:partners_webhookendpoint_change", args=[endpoint.pk]))
    assert endpoint.secret not in change.content.decode()
