"""Settings come from the environment: embedded defaults for a developer, PostgreSQL and
Redis when their URLs are set, and a deployment-checklist-clean production mode.

Settings are read once per process, so each environment is tried in a subprocess with
an environment of its own; what does not depend on the environment is checked here."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from marketplace.celery import app
from marketplace.core.tasks import MarketplaceTask

REPO_ROOT = Path(__file__).resolve().parents[2]
STRIPPED_PREFIXES = ("DJANGO_", "CELERY_")
STRIPPED_NAMES = {"DATABASE_URL", "REDIS_URL", "EMAIL_URL"}

# Prints what a process configured from its environment ends up with.
SHOW_CONFIGURATION = """
import json, django
django.setup()
from django.conf import settings
from marketplace.celery import app
print(json.dumps({
    "engine": settings.DATABASES["default"]["ENGINE"],
    "cache": settings.CACHES["default"]["BACKEND"],
    "eager": settings.CELERY_TASK_ALWAYS_EAGER,
    "app_eager": app.conf.task_always_eager,
    "broker": app.conf.broker_url,
    "result_backend": app.conf.result_backend,
}))
"""


def environment(**variables: str) -> dict[str, str]:
    """This process's environment without any setting the project reads, plus `variables`."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(STRIPPED_PREFIXES) and name not in STRIPPED_NAMES
    }
    env.update(variables)
    return env


def run(args: list[str], **variables: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args],
        cwd=REPO_ROOT,
        env=environment(**variables),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def configuration(**variables: str) -> dict[str, object]:
    result = run(
        ["-c", SHOW_CONFIGURATION], DJANGO_SETTINGS_MODULE="marketplace.settings", **variables
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def production(**variables: str) -> dict[str, str]:
    return {
        "DJANGO_ENV": "production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
        "DJANGO_ALLOWED_HOSTS": "example.com",
        **variables,
    }


DEPLOY_CHECK = ["manage.py", "check", "--deploy", "--fail-level", "WARNING"]


# --- production ---------------------------------------------------------------------------


def test_production_settings_pass_the_deployment_checklist():
    result = run(DEPLOY_CHECK, **production())

    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("value", [None, ""], ids=["unset", "empty"])
@pytest.mark.parametrize("variable", ["DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS"])
def test_production_refuses_to_start_without_a_secret_key_or_allowed_hosts(variable, value):
    variables = production()
    if value is None:
        del variables[variable]
    else:
        variables[variable] = value

    result = run(DEPLOY_CHECK, **variables)

    assert result.returncode != 0
    assert variable in result.stderr


# --- embedded and real modes --------------------------------------------------------------


def test_with_nothing_set_the_project_runs_embedded():
    config = configuration()

    assert config["engine"] == "django.db.backends.sqlite3"
    assert config["cache"] == "django.core.cache.backends.locmem.LocMemCache"
    assert config["eager"] is True
    assert config["app_eager"] is True


def test_database_and_redis_urls_switch_to_postgresql_and_redis():
    redis_url = "redis://cache.internal:6379/2"

    config = configuration(
        DATABASE_URL="postgres://app:secret@db.internal:5432/marketplace", REDIS_URL=redis_url
    )

    assert config["engine"] == "django.db.backends.postgresql"
    assert config["cache"] == "django.core.cache.backends.redis.RedisCache"
    assert config["broker"] == redis_url
    assert config["result_backend"] == redis_url
    assert config["eager"] is False
    assert config["app_eager"] is False


def test_a_rabbitmq_broker_leaves_redis_as_cache_and_result_backend():
    redis_url = "redis://cache.internal:6379/2"
    amqp_url = "amqp://guest:guest@rabbit.internal:5672//"

    config = configuration(REDIS_URL=redis_url, CELERY_BROKER_URL=amqp_url)

    assert config["broker"] == amqp_url
    assert config["result_backend"] == redis_url
    assert config["cache"] == "django.core.cache.backends.redis.RedisCache"
    assert config["eager"] is False


def test_a_task_time_limit_not_below_the_visibility_timeout_is_refused():
    result = run(
        ["-c", "import django; django.setup()"],
        DJANGO_SETTINGS_MODULE="marketplace.settings",
        CELERY_VISIBILITY_TIMEOUT="600",
        CELERY_TASK_TIME_LIMIT="600",
    )

    assert result.returncode != 0
    assert "CELERY_TASK_TIME_LIMIT" in result.stderr


# --- Celery: delivery, retries and the beat schedule ---------------------------------------


def test_workers_acknowledge_late_and_take_one_message_at_a_time():
    assert app.conf.task_acks_late is True
    assert app.conf.task_reject_on_worker_lost is True
    assert app.conf.worker_prefetch_multiplier == 1


def test_a_running_task_is_stopped_before_the_broker_would_hand_it_out_again():
    visibility_timeout = app.conf.broker_transport_options["visibility_timeout"]

    assert app.conf.task_soft_time_limit < app.conf.task_time_limit < visibility_timeout


def test_tasks_retry_transient_errors_a_bounded_number_of_times_with_backoff():
    from django.db import OperationalError

    assert MarketplaceTask.acks_late is True
    assert MarketplaceTask.reject_on_worker_lost is True
    assert OperationalError in MarketplaceTask.autoretry_for
    assert isinstance(MarketplaceTask.max_retries, int)
    assert 0 < MarketplaceTask.max_retries <= 10
    assert MarketplaceTask.retry_backoff
    assert MarketplaceTask.retry_backoff_max is not None


@pytest.mark.parametrize(
    "task_name",
    [
        "marketplace.exchange.tasks.close_due_bidding_task",
        "vendors.tasks.expire_credentials_task",
        "vendors.tasks.expire_attestations_task",
    ],
)
def test_beat_runs_each_periodic_task_and_a_worker_knows_it(task_name):
    app.loader.import_default_modules()

    scheduled = {entry["task"] for entry in app.conf.beat_schedule.values()}
    assert task_name in scheduled
    assert task_name in app.tasks
    # Periodic tasks get the same delivery guarantees as every other task.
    assert isinstance(app.tasks[task_name], MarketplaceTask)
