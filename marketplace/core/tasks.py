"""The task base every app's tasks use: late acknowledgement, bounded retries with
backoff on transient errors, and a final-failure log line."""

from __future__ import annotations

import logging

from celery import shared_task
from celery.contrib.django.task import DjangoTask
from django.db import InterfaceError, OperationalError

logger = logging.getLogger("marketplace.tasks")

TRANSIENT_ERRORS = (OperationalError, InterfaceError, ConnectionError, TimeoutError)


class MarketplaceTask(DjangoTask):
    acks_late = True
    reject_on_worker_lost = True
    autoretry_for = TRANSIENT_ERRORS
    max_retries = 5
    retry_backoff = 2
    retry_backoff_max = 300
    retry_jitter = True

    def on_failure(self, exc, task_id, args, kwargs, einfo):  # type: ignore[no-untyped-def]
        logger.error("task %s[%s] failed for good: %r args=%r", self.name, task_id, exc, args)
        super().on_failure(exc, task_id, args, kwargs, einfo)


@shared_task(base=MarketplaceTask)
def form_submission_purge_task() -> int:
    # Imported here: every app's tasks module imports this one, before web's models load.
    from marketplace.core.web import form_submission_purge

    return form_submission_purge()
