"""Enqueueing work owned by a later app without importing it.

The ownership and labs apps sit below exchange and must not import it, yet a stake change
or a new competitor must trigger re-screening there. They record the change in their own
tables inside the transaction (the source of truth a reconciler can replay) and ask for
the exchange task by its registered name once the transaction commits."""

from __future__ import annotations

from typing import Any

from celery import current_app
from django.db import transaction


def enqueue_on_commit(task_name: str, *args: Any) -> None:
    def send() -> None:
        current_app.tasks[task_name].delay(*args)

    transaction.on_commit(send)
