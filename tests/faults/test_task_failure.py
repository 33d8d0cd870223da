"""A task that always fails with a transient error is retried max_retries times with a
growing backoff (shortened for the test through TASK_RETRY_BACKOFF*, see conftest), then
recorded as failed for good: a TaskFailure row a platform admin finds in the admin."""

from __future__ import annotations

import itertools
import uuid
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from marketplace.celery import app
from marketplace.core.models import TaskFailure
from marketplace.core.tasks import MarketplaceTask, task_failure_record
from tests.plugins.services import wait_for

ALWAYS_FAILS = "tests.faults.always_fails"
# TASK_RETRY_BACKOFF=1, TASK_RETRY_BACKOFF_MAX=2, no jitter: 1 * 2**n seconds, at most 2.
COUNTDOWNS = [1, 2, 2, 2, 2]


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_a_task_that_always_fails_is_retried_then_recorded_for_the_admin(
    worker, fault_dir: Path, admin_client: Client
):
    marker = uuid.uuid4().hex

    sent = app.send_task(ALWAYS_FAILS, args=[marker])

    failure = wait_for(
        lambda: TaskFailure.objects.filter(task_id=sent.id).first(),
        timeout=sum(COUNTDOWNS) + 20,
        message="no TaskFailure was recorded after the retries",
    )
    assert failure is not None
    attempts = [
        line.split() for line in (fault_dir / f"attempts-{marker}").read_text().splitlines()
    ]
    assert [int(retries) for _, retries in attempts] == [0, 1, 2, 3, 4, 5]
    times = [float(at) for at, _ in attempts]
    gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
    print("seconds between attempts:", ", ".join(f"{gap:.2f}" for gap in gaps))
    assert all(gap >= countdown - 0.05 for gap, countdown in zip(gaps, COUNTDOWNS, strict=True))
    assert MarketplaceTask.max_retries == len(COUNTDOWNS)
    assert (failure.task_name, failure.args, failure.retries) == (ALWAYS_FAILS, [marker], 5)
    assert "ConnectionError" in failure.exception and marker in failure.exception
    assert "Traceback" in failure.traceback

    changelist = reverse("admin:core_taskfailure_changelist")
    found = admin_client.get(changelist, {"q": marker})
    assert found.status_code == 200 and sent.id in found.text
    assert sent.id not in admin_client.get(changelist, {"q": "no-such-task"}).text
    detail = admin_client.get(reverse("admin:core_taskfailure_change", args=[failure.pk]))
    assert detail.status_code == 200 and "Traceback" in detail.text
    assert admin_client.get(reverse("admin:core_taskfailure_add")).status_code == 403
    assert (
        admin_client.post(
            reverse("admin:core_taskfailure_delete", args=[failure.pk]), {"post": "yes"}
        ).status_code
        == 403
    )


@pytest.mark.django_db
def test_a_failure_is_recorded_once_per_task_id():
    for attempt in range(2):
        task_failure_record(
            task_name="marketplace.exchange.tasks.screening_run_task",
            task_id="b4b1e2c8-0000-4000-8000-000000000001",
            args=[42],
            kwargs={},
            exception=f"OperationalError('attempt {attempt}')",
            traceback="Traceback ...",
            retries=5,
        )

    [failure] = TaskFailure.objects.all()
    assert failure.exception == "OperationalError('attempt 1')"
