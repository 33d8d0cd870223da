"""Races over HTTP: gunicorn with several worker processes serving the PostgreSQL test
database, and requests fired together from many threads with organisation API keys.

The tests run on a transactional database (the server is another process and sees only
what the test commits). The server runs embedded Celery (no broker): a task a request
sets off runs in that request's process once its transaction commits."""

from __future__ import annotations

import threading
from collections.abc import Callable, Generator, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

import pytest
import requests

from tests.plugins.services import (
    LiveServer,
    gunicorn_server,
    missing_services,
    skip_or_fail,
)

T = TypeVar("T")
SERVER_WORKERS = 4
THREADS = 50


Server = LiveServer


@dataclass
class Answer:
    """What the server answered: status, JSON body and headers."""

    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def code(self) -> str | None:
        error = self.body.get("error") if isinstance(self.body, dict) else None
        return error.get("code") if isinstance(error, dict) else None


@dataclass(frozen=True)
class Client:
    """An API client acting with one organisation API key."""

    server: Server
    key: str

    def post(self, path: str, body: dict[str, Any], idempotency_key: str | None = None) -> Answer:
        headers = {"Authorization": f"Bearer {self.key}"}
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        return _answer(
            requests.post(self.server.url + path, json=body, headers=headers, timeout=60)
        )

    def get(self, path: str) -> Answer:
        headers = {"Authorization": f"Bearer {self.key}"}
        return _answer(requests.get(self.server.url + path, headers=headers, timeout=60))


def _answer(response: requests.Response) -> Answer:
    try:
        body = response.json()
    except ValueError:
        body = response.text
    return Answer(status=response.status_code, body=body, headers=dict(response.headers))


def together(calls: list[Callable[[], T]]) -> list[T]:
    """Runs the calls in threads of their own, released at the same instant."""
    barrier = threading.Barrier(len(calls))

    def run(call: Callable[[], T]) -> T:
        barrier.wait()
        return call()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


@pytest.fixture(scope="package")
def server(django_db_setup: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """gunicorn with several sync workers, as deployed, on the test database."""
    skip_or_fail(missing_services(postgres=True, redis=False))
    env = {
        # Embedded mode: tasks run in the request's process after commit, so nothing is
        # left on a queue no worker of this test reads.
        "REDIS_URL": "",
        "CELERY_BROKER_URL": "",
        "DJANGO_DEBUG": "false",
    }
    log_path = tmp_path_factory.mktemp("gunicorn") / "gunicorn.log"
    with gunicorn_server(log_path=log_path, env=env, workers=SERVER_WORKERS) as live:
        yield live


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if report.failed and "server" in getattr(item, "fixturenames", ()):
        site = item.funcargs.get("server") if hasattr(item, "funcargs") else None
        if isinstance(site, Server):
            report.sections.append(("gunicorn log", site.log_tail()))
    return report


def client_for(server: Server, organisation: Any) -> Client:
    """A client with a new write key of the organisation, made as `manage.py
    create_api_key` makes one."""
    from marketplace.partners.services import api_key_create

    _, raw_key = api_key_create(organisation=organisation, scope="write", name="race test")
    return Client(server=server, key=raw_key)


def assert_no_server_error(answers: list[Answer]) -> None:
    errors = [answer for answer in answers if answer.status >= 500]
    assert not errors, f"{len(errors)} server errors, the first: {errors[0].body!r}"
