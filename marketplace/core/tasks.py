"""The task base every app's tasks use: late acknowledgement, bounded retries with
backoff on transient errors, and a final-failure record (TaskFailure) an admin can see."""

from __future__ import annotations

import logging
from typing import Any

from celery import shared_task
from celery.contrib.django.task import DjangoTask
from django.conf import settings
from django.db import InterfaceError, OperationalError

logger = logging.getLogger("marketplace.tasks")

TRANSIENT_ERRORS = (OperationalError, InterfaceError, ConnectionError, TimeoutError)
# Kept whole in the log line; a record keeps this much of each text.
FAILURE_TEXT_LIMIT = 20_000


class MarketplaceTask(DjangoTask):
    acks_late = True
    reject_on_worker_lost = True
    autoretry_for = TRANSIENT_ERRORS
    max_retries = 5
    # Read once, when the task class is built: Celery binds the retry policy then.
    retry_backoff = settings.TASK_RETRY_BACKOFF
    retry_backoff_max = settings.TASK_RETRY_BACKOFF_MAX
    retry_jitter = settings.TASK_RETRY_JITTER

    def on_failure(self, exc, task_id, args, kwargs, einfo):  # type: ignore[no-untyped-def]
        logger.error("task %s[%s] failed for good: %r args=%r", self.name, task_id, exc, args)
        task_failure_record(
            task_name=self.name,
            task_id=task_id,
            args=args,
            kwargs=kwargs,
            exception=repr(exc),
            traceback=str(einfo or ""),
            retries=self.request.retries or 0,
        )
        super().on_failure(exc, task_id, args, kwargs, einfo)


def task_failure_record(
    *,
    task_name: str,
    task_id: str,
    args: Any,
    kwargs: Any,
    exception: str,
    traceback: str,
    retries: int,
) -> None:
    """Records (or, for a task id seen before, updates) the failure. Never raises: the
    database may be what failed, and the log line above is then the only record."""
    # Imported here: every app's tasks module imports this one, before the models load.
    from marketplace.core.models import TaskFailure

    try:
        TaskFailure.objects.update_or_create(
            task_id=task_id,
            defaults={
                "task_name": task_name,
                "args": list(args or []),
                "kwargs": dict(kwargs or {}),
                "exception": exception[:FAILURE_TEXT_LIMIT],
                "traceback": traceback[-FAILURE_TEXT_LIMIT:],
                "retries": retries,
            },
        )
    except Exception:
        logger.exception("could not record the failure of task %s[%s]", task_name, task_id)


@shared_task(base=MarketplaceTask)
def form_submission_purge_task() -> int:
    # Imported here: every app's tasks module imports this one, before web's models load.
    from marketplace.core.web import form_submission_purge

    return form_submission_purge()
