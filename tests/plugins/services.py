"""Tests that need real services: PostgreSQL, Redis and a Celery worker process.

Markers (declared in pyproject.toml):

- ``postgres``: the test needs PostgreSQL as the default database.
- ``celery_worker``: the test needs PostgreSQL and Redis and uses a real Celery worker
  (the ``celery_worker_process`` fixture). Such a test runs on a transactional database
  (added automatically when the test has no ``django_db`` mark) so that the worker, a
  separate process, sees what the test commits.

Without the services these tests are skipped; with ``REQUIRE_SERVICES=1`` (as in CI) the
skip becomes a failure, so a service-dependent test can never pass by not running.

With ``REDIS_URL`` set, every task the test process sends goes to a queue of its own, so
a test session neither takes nor leaves messages on the queue of a worker run by hand.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.conf import settings
from kombu import Connection, Queue

T = TypeVar("T")

REPO_ROOT = Path(__file__).resolve().parents[2]
WORKER_START_TIMEOUT = 30.0
WORKER_STOP_TIMEOUT = 15.0
LOG_TAIL_LINES = 60

_queue_key = pytest.StashKey[str]()
_worker_log_key = pytest.StashKey[Path]()


def wait_for(
    predicate: Callable[[], T], timeout: float = 20, interval: float = 0.1, message: str = ""
) -> T:
    """Poll ``predicate`` until it returns something truthy, and return that; fail the test
    after ``timeout`` seconds. Read fresh rows inside the predicate (``refresh_from_db``)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            pytest.fail(message or f"not true within {timeout} s: {predicate!r}", pytrace=False)
        time.sleep(interval)


@pytest.fixture(name="wait_for")
def _wait_for_fixture() -> Callable[..., object]:
    return wait_for


def _uses_postgres() -> bool:
    return str(settings.DATABASES["default"]["ENGINE"]).startswith("django.db.backends.postgresql")


def missing_services(*, postgres: bool, redis: bool) -> str | None:
    """What is missing for a test needing these services, or None."""
    missing = []
    if postgres and not _uses_postgres():
        missing.append("PostgreSQL (DATABASE_URL=postgres://...)")
    if redis and not settings.REDIS_URL:
        missing.append("Redis (REDIS_URL=redis://...)")
    return f"needs {' and '.join(missing)}" if missing else None


def services_required() -> bool:
    return os.environ.get("REQUIRE_SERVICES", "").lower() in {"1", "true", "yes"}


def skip_or_fail(reason: str | None) -> None:
    """Skip for ``reason``; fail instead when REQUIRE_SERVICES=1."""
    if reason is None:
        return
    if services_required():
        pytest.fail(f"{reason}, and REQUIRE_SERVICES=1 forbids skipping", pytrace=False)
    pytest.skip(reason)


def _missing_for(item: pytest.Item) -> str | None:
    needs_worker = item.get_closest_marker("celery_worker") is not None
    needs_postgres = needs_worker or item.get_closest_marker("postgres") is not None
    return missing_services(postgres=needs_postgres, redis=needs_worker)


def pytest_configure(config: pytest.Config) -> None:
    from marketplace.celery import app

    # Before anything is sent: Celery caches its queues and routes on first use.
    queue = f"pytest-{uuid.uuid4().hex[:12]}"
    app.conf.task_default_queue = queue
    config.stash[_queue_key] = queue


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "celery_worker_process" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.celery_worker)
        if item.get_closest_marker("celery_worker") and not item.get_closest_marker("django_db"):
            item.add_marker(pytest.mark.django_db(transaction=True))
        # A skip mark, rather than pytest.skip() at setup, reports the test's own location.
        missing = _missing_for(item)
        if missing and not services_required():
            item.add_marker(pytest.mark.skip(reason=missing))


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    missing = _missing_for(item)
    if missing and services_required():
        skip_or_fail(missing)
    if item.get_closest_marker("celery_worker"):
        db = item.get_closest_marker("django_db")
        transaction = db and db.kwargs.get("transaction", db.args[0] if db.args else False)
        if not transaction and "transactional_db" not in getattr(item, "fixturenames", ()):
            pytest.fail(
                "a celery_worker test needs django_db(transaction=True) or the "
                "transactional_db fixture: the worker cannot see uncommitted rows",
                pytrace=False,
            )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    log_path = item.config.stash.get(_worker_log_key, None)
    if report.failed and log_path is not None and item.get_closest_marker("celery_worker"):
        report.sections.append(("Celery worker log", _tail(log_path)))
    return report


@dataclass(frozen=True)
class CeleryWorker:
    process: subprocess.Popen[bytes]
    nodename: str
    queue: str
    log_path: Path

    def log_tail(self) -> str:
        return _tail(self.log_path)


def _tail(path: Path, lines: int = LOG_TAIL_LINES) -> str:
    text = path.read_text(errors="replace") if path.exists() else ""
    return f"(last {lines} lines of {path})\n" + "\n".join(text.splitlines()[-lines:])


def test_database_url() -> str:
    """DATABASE_URL with the test database's name, once pytest-django has created it."""
    name = settings.DATABASES["default"]["NAME"]
    parts = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(parts._replace(path=f"/{name}"))


test_database_url.__test__ = False  # type: ignore[attr-defined]


@pytest.fixture(scope="session")
def celery_worker_process(
    request: pytest.FixtureRequest,
    django_db_setup: None,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[CeleryWorker]:
    """A real Celery worker (prefork, one child) on Redis and the test database, for the
    whole session. Tests using it need committed data: see this module's docstring."""
    skip_or_fail(missing_services(postgres=True, redis=True))
    from marketplace.celery import app

    queue = request.config.stash[_queue_key]
    log_path = tmp_path_factory.mktemp("celery-worker") / "worker.log"
    request.config.stash[_worker_log_key] = log_path
    with app.connection_for_write() as connection:
        _declared(queue, connection).purge()

    try:
        worker = start_celery_worker(queue=queue, log_path=log_path)
        try:
            yield worker
        finally:
            _stop(worker)
    finally:
        with app.connection_for_write() as connection:
            _declared(queue, connection).delete()


def start_celery_worker(
    *,
    queue: str,
    log_path: Path,
    app_module: str = "tests.plugins.celery_worker_app",
    concurrency: int = 1,
    env: dict[str, str] | None = None,
    extra_args: tuple[str, ...] = (),
) -> CeleryWorker:
    """Starts a prefork worker consuming only ``queue`` on the test database, with
    ``env`` added to this process's environment, and returns once it answers a ping.
    The caller stops it with ``stop_celery_worker``."""
    worker_env = {
        **os.environ,
        "DATABASE_URL": test_database_url(),
        "TEST_CELERY_QUEUE": queue,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")])),
        "PYTHONUNBUFFERED": "1",
        **(env or {}),
    }
    nodename = f"{queue}@pytest"
    command = [
        sys.executable, "-m", "celery", "-A", app_module, "worker",
        "--pool=prefork", f"--concurrency={concurrency}", "-l", "info", "-Q", queue,
        "-n", nodename, "--without-gossip", "--without-mingle", "--without-heartbeat",
        *extra_args,
    ]  # fmt: skip
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            command,
            cwd=REPO_ROOT,
            env=worker_env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    worker = CeleryWorker(process=process, nodename=nodename, queue=queue, log_path=log_path)
    try:
        _wait_until_ready(worker)
    except BaseException:
        _stop(worker)
        raise
    return worker


def stop_celery_worker(worker: CeleryWorker) -> None:
    _stop(worker)


def pool_child_pids(worker: CeleryWorker) -> list[int]:
    """The pids of the worker's pool processes (Linux: read from /proc)."""
    pid = worker.process.pid
    children = Path(f"/proc/{pid}/task/{pid}/children")
    try:
        return [int(child) for child in children.read_text().split()]
    except FileNotFoundError:
        return []


def _declared(queue: str, connection: Connection) -> Queue:
    """The session's queue, declared on ``connection``: kombu's Redis transport removes a
    queue's binding keys only on a channel that declared it."""
    from marketplace.celery import app

    bound = app.amqp.queues[queue].bind(connection.default_channel)
    bound.declare()
    return bound


def _wait_until_ready(worker: CeleryWorker) -> None:
    from marketplace.celery import app

    deadline = time.monotonic() + WORKER_START_TIMEOUT
    while time.monotonic() < deadline:
        if worker.process.poll() is not None:
            pytest.fail(
                f"the Celery worker exited with status {worker.process.returncode} before "
                f"answering a ping\n{worker.log_tail()}",
                pytrace=False,
            )
        if app.control.ping(destination=[worker.nodename], timeout=0.5):
            return
    pytest.fail(
        f"the Celery worker did not answer a ping within {WORKER_START_TIMEOUT:.0f} s\n"
        f"{worker.log_tail()}",
        pytrace=False,
    )


def _stop(worker: CeleryWorker) -> None:
    """Warm shutdown (SIGTERM), then kill the worker's process group if it lingers."""
    if worker.process.poll() is None:
        worker.process.send_signal(signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            worker.process.wait(timeout=WORKER_STOP_TIMEOUT)
    with contextlib.suppress(ProcessLookupError):  # the pool's children, if any are left
        os.killpg(worker.process.pid, signal.SIGKILL)
    worker.process.wait()


@pytest.fixture(autouse=True)
def _worker_idle_before_teardown(request: pytest.FixtureRequest) -> Iterator[None]:
    """A worker test ends only once the worker has nothing queued or running: work the
    test set off (a re-screening, a notification) must not race the flush of its tables."""
    yield
    if "celery_worker_process" not in request.fixturenames:
        return
    worker = request.getfixturevalue("celery_worker_process")
    wait_for(
        lambda: worker_idle(worker), timeout=30, message="the worker did not go idle after the test"
    )


def worker_idle(worker: CeleryWorker) -> bool:
    """Nothing queued for the worker and nothing running or reserved in it."""
    from marketplace.celery import app

    with app.connection_for_write() as connection:
        queued = _declared(worker.queue, connection).queue_declare().message_count  # type: ignore[union-attr]
    inspector = app.control.inspect(destination=[worker.nodename], timeout=2)
    busy = (inspector.active() or {}).get(worker.nodename, []) + (inspector.reserved() or {}).get(
        worker.nodename, []
    )
    return queued == 0 and not busy


REDIS_SERVER = os.environ.get("REDIS_SERVER", "redis-server")
REDIS_START_TIMEOUT = 10.0


@dataclass
class PrivateRedis:
    """A redis-server of this test session's own, on a free port, keeping nothing on disk.
    The machine's Redis is shared with other people and CI: a test that stops, restarts or
    loses a Redis does it to this one."""

    port: int
    directory: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        command = [
            REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1",
            "--save", "", "--appendonly", "no", "--dir", str(self.directory),
        ]  # fmt: skip
        with (self.directory / "redis.log").open("ab") as log:
            self.process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        import redis

        client = redis.Redis(port=self.port, socket_connect_timeout=0.5)
        deadline = time.monotonic() + REDIS_START_TIMEOUT
        while True:
            with contextlib.suppress(redis.ConnectionError):
                if client.ping():
                    client.close()
                    return
            if self.process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"redis-server on port {self.port} did not start", pytrace=False)
            time.sleep(0.05)

    def kill(self) -> None:
        """As a crash: SIGKILL, and every message it held is gone."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
        if self.process is not None:
            self.process.wait()

    def restart(self) -> None:
        self.kill()
        self.start()


def free_port() -> int:
    with contextlib.closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def private_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrivateRedis]:
    if shutil.which(REDIS_SERVER) is None:
        skip_or_fail(f"needs {REDIS_SERVER} to start a Redis of the test's own")
    server = PrivateRedis(port=free_port(), directory=tmp_path_factory.mktemp("redis"))
    server.start()
    try:
        yield server
    finally:
        server.kill()


# --- A live gunicorn server -------------------------------------------------------------

GUNICORN_START_TIMEOUT = 30.0


@dataclass(frozen=True)
class LiveServer:
    url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def __call__(self, path: str) -> str:
        return self.url + path

    def log_tail(self, lines: int = 80) -> str:
        return _tail(self.log_path, lines)


@contextlib.contextmanager
def gunicorn_server(
    *, log_path: Path, env: dict[str, str], workers: int, threads: int = 1
) -> Iterator[LiveServer]:
    """gunicorn as deployed (several workers, `marketplace.wsgi`), on the test database
    (DATABASE_URL is set here) with `env` on top, serving until the block ends."""
    port = free_port()
    full_env = {
        **os.environ,
        "DATABASE_URL": test_database_url(),
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")])),
        "PYTHONUNBUFFERED": "1",
        **env,
    }
    command = [
        sys.executable, "-m", "gunicorn", "marketplace.wsgi:application",
        "--workers", str(workers), "--threads", str(threads),
        "--bind", f"127.0.0.1:{port}", "--timeout", "60", "--access-logfile", "-",
    ]  # fmt: skip
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command,
            cwd=REPO_ROOT,
            env=full_env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = LiveServer(url=f"http://127.0.0.1:{port}", process=process, log_path=log_path)
    try:
        _wait_until_serving(server)
        yield server
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=10)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def _wait_until_serving(server: LiveServer) -> None:
    import requests

    deadline = time.monotonic() + GUNICORN_START_TIMEOUT
    while time.monotonic() < deadline and server.process.poll() is None:
        with contextlib.suppress(requests.RequestException):
            if requests.get(server("/healthz"), timeout=1).status_code == 200:
                return
        time.sleep(0.2)
    pytest.fail(
        f"gunicorn did not serve /healthz within {GUNICORN_START_TIMEOUT:.0f} s\n"
        f"{server.log_tail()}",
        pytrace=False,
    )
