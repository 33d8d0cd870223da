import pytest
from pytest_django.fixtures import Settings

pytest_plugins = ["tests.plugins.services", "tests.plugins.personas"]


@pytest.fixture(autouse=True)
def fast_password_hashing(settings: Settings) -> None:
    # Every persona has a password; the production hasher would make it the slowest part.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def eager_tasks(request: pytest.FixtureRequest):
    """Runs Celery tasks in-process at commit, as the embedded mode does, even when
    REDIS_URL is set: tests are about what tasks do. Tests marked celery_worker are about
    delivery and send their tasks through the broker to a real worker instead; nothing
    else reaches that worker, so it never races another test's teardown."""
    from celery import _state

    from marketplace.celery import app

    # Eager calls from several threads at once (the concurrency tests) can leave Celery's
    # process-wide "inside a task" flag set, which would forbid result.get() later on.
    _state._set_task_join_will_block(False)
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = request.node.get_closest_marker("celery_worker") is None
    yield
    app.conf.task_always_eager = previous
