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
    """Once per transaction for the same task and arguments: a bulk import that writes
    2,000 stakes asks for one re-screening, not 2,000."""
    key = (task_name, args)
    connection = transaction.get_connection()
    if any(
        getattr(func, "task_key", None) == key and not func.sent  # type: ignore[attr-defined]
        for _, func, _ in connection.run_on_commit
    ):
        return

    def send() -> None:
        send.sent = True  # type: ignore[attr-defined]
        current_app.tasks[task_name].delay(*args)

    send.task_key = key  # type: ignore[attr-defined]
    send.sent = False  # type: ignore[attr-defined]
    transaction.on_commit(send)
