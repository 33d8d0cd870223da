"""Announcing exchange events to partners' webhooks without importing the partners app.

Exchange and partners are peers (partners imports exchange, for notifications); to keep
the dependency one-way, exchange reaches the partners app through Django's app registry
and records the event in its outbox inside the caller's transaction. The event commits
with the change it announces, or not at all: a rolled-back transaction announces nothing,
and a committed one is delivered even if a message to the workers is lost.

Each caller decides what the receiving organisation may see: a lab never reads a sealed
bid's terms before evaluation, and a vendor never hears of another vendor's bid."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from django.apps import apps

from labs.models import Job
from marketplace.accounts.models import Organisation

# The app label of marketplace.partners, whose AppConfig offers `event_emit`.
WEBHOOK_OUTBOX_APP = "partners"


def event_id_for(event_type: str, key: str) -> str:
    """A stable event id for an event with a natural key, so the same event announced
    twice (a retried task) is delivered once."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"marketplace-event:{event_type}:{key}"))


def event_announce(
    *,
    organisations: Iterable[Organisation | int],
    event_type: str,
    payload: dict[str, Any],
    key: str = "",
) -> None:
    """Caller holds the transaction of the change the event announces (or none: then the
    event is recorded and sent at once)."""
    ids = sorted({o if isinstance(o, int) else o.pk for o in organisations})
    if not ids:
        return
    apps.get_app_config(WEBHOOK_OUTBOX_APP).event_emit(  # type: ignore[attr-defined]
        organisation_ids=ids,
        event_type=event_type,
        payload=payload,
        event_id=event_id_for(event_type, key) if key else None,
    )


def job_summary(job: Job) -> dict[str, Any]:
    """What every party to a job may read about it."""
    return {
        "id": job.pk,
        "title": job.title,
        "lab": job.lab.organisation.name,
        "status": job.status,
        "bidding": job.bidding,
        "currency": job.currency,
        "bid_deadline": job.bid_deadline,
        "question_deadline": job.question_deadline,
        "delivery_date": job.delivery_date,
    }
