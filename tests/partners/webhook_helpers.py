"""Helpers shared by the webhook tests: subscribing a persona's organisation, the
documented signature check, and losing the outbox's messages on purpose."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any
from unittest import mock

from django.utils import timezone

from labs.models import Job
from marketplace.partners import webhook_services
from marketplace.partners.events import EVENT_TYPES
from marketplace.partners.models import WebhookEndpoint, WebhookEvent
from marketplace.partners.webhook_services import webhook_endpoint_create
from tests.factories import JobFactory, SeatRequirementFactory
from tests.plugins.personas import LabTeam

DOCS = Path(__file__).resolve().parents[2] / "docs" / "webhooks.md"


def documented_verifier() -> Any:
    """The verification snippet from docs/webhooks.md, run as written."""
    text = DOCS.read_text()
    code = re.search(r"<!-- verify-snippet -->\s*```python\n(.*?)```", text, re.S)
    assert code, "docs/webhooks.md lost its verification snippet"
    namespace: dict[str, Any] = {}
    exec(code.group(1), namespace)
    return namespace["verify_webhook"]


def subscribe(team: Any, url: str, events: list[str] | None = None) -> tuple[WebhookEndpoint, str]:
    organisation = getattr(team, "lab", None) or team.vendor
    return webhook_endpoint_create(
        organisation=organisation.organisation,
        url=url,
        event_types=events or list(EVENT_TYPES),
        created_by=team.owner,
    )


def draft_job(team: LabTeam) -> Job:
    job = JobFactory(lab=team.lab, created_by=team.procurement)
    SeatRequirementFactory(job=job)
    return job


def lose_the_message() -> Any:
    """As if the broker lost every fan-out message sent meanwhile."""
    return mock.patch.object(webhook_services, "_enqueue_dispatch")


def as_if_recorded_a_minute_ago() -> None:
    """Every event in the outbox is past the reconciler's grace period."""
    WebhookEvent.objects.update(created_at=timezone.now() - timedelta(minutes=1))
