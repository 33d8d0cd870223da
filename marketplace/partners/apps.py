from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from django.apps import AppConfig


class PartnersConfig(AppConfig):
    name = "marketplace.partners"
    label = "partners"
    verbose_name = "Partner API and webhooks"

    def ready(self) -> None:
        # Register the tasks with Celery as soon as Django starts, so other apps can
        # enqueue them by name (see marketplace.core.async_work).
        from marketplace.partners import tasks  # noqa: F401

    def event_emit(
        self,
        *,
        organisation_ids: Iterable[int],
        event_type: str,
        payload: dict[str, Any],
        event_id: str | uuid.UUID | None = None,
    ) -> None:
        """The webhook outbox's entry point for the apps below this one (exchange,
        vendors), which must not import it: they reach it through the app registry,
        `apps.get_app_config("partners").event_emit(...)`, inside the transaction of the
        change the event announces. See webhook_services.event_emit."""
        from marketplace.partners.webhook_services import event_emit

        event_emit(
            organisation_ids=organisation_ids,
            event_type=event_type,
            payload=payload,
            event_id=event_id,
        )
