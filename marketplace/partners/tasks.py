"""Thin task edges for webhooks: ids in, a service call, nothing else."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from marketplace.core.tasks import MarketplaceTask
from marketplace.partners import idempotency, webhook_services


@shared_task(base=MarketplaceTask)
def webhook_event_dispatch_task(event_pk: int) -> int:
    """Enqueued when an event in the outbox commits, and by the reconciler if that message
    was lost; a second run creates nothing (the service's guarded update)."""
    return len(webhook_services.webhook_event_dispatch(event_pk=event_pk))


@shared_task(base=MarketplaceTask)
def webhook_event_reconcile_task() -> int:
    """Periodic (CELERY_BEAT_SCHEDULE): fans out the events whose message was lost."""
    return len(webhook_services.webhook_event_reconcile())


@shared_task(base=MarketplaceTask)
def emit_event_task(
    organisation_ids: list[int], event_type: str, payload: dict[str, Any], event_id: str
) -> bool:
    """How events were emitted before the outbox: kept so that messages already queued
    when it shipped are still delivered. Nothing sends it any more; remove it a release
    later. The event id comes with the message, so a redelivered one adds nothing."""
    event = webhook_services.event_emit(
        organisation_ids=organisation_ids,
        event_type=event_type,
        payload=payload,
        event_id=event_id,
    )
    return event is not None


@shared_task(base=MarketplaceTask)
def webhook_deliver_task(delivery_id: int) -> str | None:
    """One attempt at one delivery; a failed attempt is scheduled again by the service
    (next_attempt_at), not by a Celery retry, so the schedule survives a lost message."""
    delivery = webhook_services.webhook_deliver(delivery_id=delivery_id)
    return delivery.status if delivery else None


@shared_task(base=MarketplaceTask)
def webhook_retry_due_task() -> int:
    return len(webhook_services.webhook_retry_due())


@shared_task(base=MarketplaceTask)
def idempotency_purge_expired_task() -> int:
    """Hourly (CELERY_BEAT_SCHEDULE): deletes Idempotency-Key records older than 24 hours."""
    return idempotency.idempotency_purge_expired()
