"""A real Celery worker runs against Redis and the test database."""

import pytest
from django.contrib.auth.models import Group

from marketplace.celery import app

pytestmark = pytest.mark.celery_worker


def test_worker_answers_a_task_sent_through_redis(celery_worker_process):
    result = app.send_task("celery.ping")

    assert result.get(timeout=20) == "pong"


def test_worker_sees_rows_the_test_committed(celery_worker_process):
    group = Group.objects.create(name="committed before the task is sent")

    result = app.send_task("tests.row_exists", args=["auth.Group", group.pk])

    assert result.get(timeout=20) is True
