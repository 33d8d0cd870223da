"""Thin task edges for webhooks: ids in, a service call, nothing else."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from marketplace.core.tasks import MarketplaceTask
from marketplace.partners import idempotency, webhook_services


@shared_task(base=MarketplaceTask)
def emit_event_task(
    organisation_ids: list[int], event_type: str, payload: dict[str, Any], event_id: str
) -> int:
    """Asked for by name (marketplace.partners.events.EMIT_EVENT_TASK) by the exchange and
    vendors apps once their transaction commits; they never import this app. The event id
    comes with the message, so a redelivered message creates no second delivery."""
    return len(
        webhook_services.event_emit(
            organisation_ids=organisation_ids,
            event_type=event_type,
            payload=payload,
            event_id=event_id,
        )
    )


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
