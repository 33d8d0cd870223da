"""Announcing exchange events to partners' webhooks without importing the partners app.

Exchange and partners are peers (partners imports exchange, for notifications); to keep
the dependency one-way, exchange asks for the partners task by its registered name once
the transaction commits (marketplace.core.async_work.enqueue_on_commit). A rolled-back
transaction therefore announces nothing.

Each caller decides what the receiving organisation may see: a lab never reads a sealed
bid's terms before evaluation, and a vendor never hears of another vendor's bid."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder

from labs.models import Job
from marketplace.accounts.models import Organisation
from marketplace.core.async_work import enqueue_on_commit

# marketplace.partners.events.EMIT_EVENT_TASK, spelt out: exchange does not import partners.
EMIT_EVENT_TASK = "marketplace.partners.tasks.emit_event_task"


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
    """Caller holds a transaction (or none: then it is sent at once)."""
    ids = sorted({o if isinstance(o, int) else o.pk for o in organisations})
    if not ids:
        return
    event_id = event_id_for(event_type, key) if key else str(uuid.uuid4())
    data = json.loads(json.dumps(payload, cls=DjangoJSONEncoder))
    enqueue_on_commit(EMIT_EVENT_TASK, ids, event_type, data, event_id)


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
