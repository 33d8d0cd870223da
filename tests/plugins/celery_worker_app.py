"""The Celery app a test session's worker runs (``celery -A tests.plugins.celery_worker_app``).

It is the project's own app with the session's queue as its default queue, so tasks that
tasks enqueue stay within the session, plus test-only tasks for the worker smoke test.
"""

import os

import celery.contrib.testing.tasks  # noqa: F401  (registers the built-in celery.ping)
from django.apps import apps

from marketplace.celery import app

app.conf.task_default_queue = os.environ["TEST_CELERY_QUEUE"]


@app.task(name="tests.row_exists")
def row_exists(model_label: str, pk: int) -> bool:
    """Whether the worker's database holds the row: proof it sees what the test committed."""
    return apps.get_model(model_label)._default_manager.filter(pk=pk).exists()
