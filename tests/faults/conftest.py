"""Fixtures of the fault tests: a worker of their own (on its own queue, running
tests.faults.worker_app with short retry backoff), pause points, and a switch of this
process's broker to the session's private Redis."""

from __future__ import annotations

import contextlib
import shutil
import time
import uuid
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.plugins.services import (
    CeleryWorker,
    PrivateRedis,
    missing_services,
    skip_or_fail,
    start_celery_worker,
    stop_celery_worker,
    wait_for,
    worker_idle,
)

FAULT_APP = "tests.faults.worker_app"
# Retries a second apart, then two: the whole bounded sequence fits in a test.
FAST_RETRIES = {"TASK_RETRY_BACKOFF": "1", "TASK_RETRY_BACKOFF_MAX": "2", "TASK_RETRY_JITTER": "0"}

_worker_logs_key = pytest.StashKey[list[Path]]()


@dataclass
class PausePoint:
    """A named point in the worker's code (tests/faults/worker_app.py) where the first
    process to arrive waits, after the test armed it."""

    directory: Path
    name: str

    def _file(self, state: str) -> Path:
        return self.directory / f"{self.name}.{state}"

    def arm(self) -> PausePoint:
        for state in ("taken", "reached", "release"):
            self._file(state).unlink(missing_ok=True)
        self._file("armed").touch()
        return self

    def reached(self, timeout: float = 30) -> int:
        """Waits for a process to pause here; returns its pid."""
        wait_for(
            lambda: self._file("reached").exists(),
            timeout=timeout,
            message=f"no worker process reached the pause point {self.name}",
        )
        return int(self._file("reached").read_text())

    def release(self) -> None:
        self._file("armed").unlink(missing_ok=True)
        self._file("release").touch()


@pytest.fixture(scope="package")
def fault_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("faults")


@pytest.fixture
def pause_point(fault_dir: Path) -> Iterator[Callable[[str], PausePoint]]:
    """``pause_point("screening.compute").arm()``; every point is released at teardown,
    so no worker process is left waiting."""
    points: list[PausePoint] = []

    def make(name: str) -> PausePoint:
        point = PausePoint(fault_dir, name)
        points.append(point)
        return point

    yield make
    for point in points:
        point.release()


def new_queue() -> str:
    return f"pytest-faults-{uuid.uuid4().hex[:12]}"


@contextlib.contextmanager
def routed_to(queue: str) -> Iterator[None]:
    """Tasks this process sends go to `queue` (Celery reads the default queue per send)."""
    from marketplace.celery import app

    previous = app.conf.task_default_queue
    app.conf.task_default_queue = queue
    try:
        yield
    finally:
        app.conf.task_default_queue = previous


def _switch_broker(url: str) -> None:
    from kombu import pools

    from marketplace.celery import app

    app.conf.update(broker_url=url)
    # Celery and kombu cache connection and producer pools; the next send builds new ones.
    pools.reset()
    app._pool = None  # type: ignore[attr-defined]
    app.amqp._producer_pool = None  # type: ignore[attr-defined]
    app.control.mailbox.__dict__.pop("producer_pool", None)  # type: ignore[attr-defined]


@contextlib.contextmanager
def broker(url: str) -> Iterator[None]:
    """This process sends tasks and control messages through the broker at `url`."""
    from marketplace.celery import app

    previous = app.conf.broker_url
    _switch_broker(url)
    try:
        yield
    finally:
        _switch_broker(previous)


def restart_private_redis(redis: PrivateRedis) -> None:
    """Restarts the private Redis, and drops this process's pooled connections to it (a
    control message, unlike a task, is not retried on a dead connection)."""
    redis.restart()
    _switch_broker(redis.url)


def record_worker_log(request: pytest.FixtureRequest, worker: CeleryWorker) -> None:
    """Shows the worker's log under a failed test (see pytest_runtest_makereport)."""
    request.node.stash.setdefault(_worker_logs_key, []).append(worker.log_path)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if report.failed:
        paths: list[Path] = item.stash.get(_worker_logs_key, [])
        for path in dict.fromkeys(paths):
            text = path.read_text(errors="replace") if path.exists() else ""
            report.sections.append((f"fault worker log {path}", "\n".join(text.splitlines()[-80:])))
    return report


@pytest.fixture(scope="package")
def fault_worker(
    django_db_setup: None, fault_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[CeleryWorker]:
    """A worker on the session's Redis and a queue of its own, shared by the fault tests
    that leave it running (a killed pool process is replaced by the worker itself)."""
    skip_or_fail(missing_services(postgres=True, redis=True))
    queue = new_queue()
    worker = start_celery_worker(
        queue=queue,
        log_path=tmp_path_factory.mktemp("fault-worker") / "worker.log",
        app_module=FAULT_APP,
        env={"FAULT_DIR": str(fault_dir), **FAST_RETRIES},
    )
    try:
        yield worker
    finally:
        stop_celery_worker(worker)
        _delete_queue(queue)


def _delete_queue(queue: str) -> None:
    from marketplace.celery import app

    with app.connection_for_write() as connection:
        bound = app.amqp.queues[queue].bind(connection.default_channel)
        bound.declare()
        bound.delete()


def settled(worker: CeleryWorker, timeout: float = 30) -> None:
    """Waits until the worker is idle at two looks a moment apart: one look can fall
    between the broker handing a message over and the worker listing it as reserved."""

    def idle_twice() -> bool:
        if not worker_idle(worker):
            return False
        time.sleep(0.3)
        return worker_idle(worker)

    wait_for(idle_twice, timeout=timeout, message=f"the worker {worker.nodename} did not go idle")


@pytest.fixture
def worker(
    request: pytest.FixtureRequest, transactional_db: None, fault_worker: CeleryWorker
) -> Iterator[CeleryWorker]:
    """The fault worker, with this test's tasks sent to it. The test ends once the worker
    is idle, so nothing it set off races the flush of the tables."""
    record_worker_log(request, fault_worker)
    with routed_to(fault_worker.queue):
        yield fault_worker
        settled(fault_worker)


@pytest.fixture
def private_broker(private_redis: PrivateRedis) -> Iterator[PrivateRedis]:
    """This process's tasks and control messages go through the private Redis."""
    with broker(private_redis.url):
        yield private_redis


def worker_env(fault_dir: Path, redis: PrivateRedis, **extra: str) -> dict[str, str]:
    """A fault worker's environment on the private Redis (broker, results and cache)."""
    return {
        "FAULT_DIR": str(fault_dir),
        "REDIS_URL": redis.url,
        "CELERY_BROKER_URL": redis.url,
        **FAST_RETRIES,
        **extra,
    }


def clean(directory: Path) -> None:
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
