"""A real HTTP receiver for webhook tests: an http.server on 127.0.0.1 in a thread,
answering with scripted status codes and recording every request."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        import json

        return json.loads(self.body)


@dataclass
class Receiver:
    url: str = ""
    requests: list[Received] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)  # answered in turn, then `status`
    status: int = 200
    delay: float = 0.0

    def next_status(self) -> int:
        return self.statuses.pop(0) if self.statuses else self.status

    def events(self, prefix: str = "") -> list[Received]:
        return [r for r in self.requests if r.headers["X-Webhook-Event"].startswith(prefix)]


def start_receiver() -> tuple[Receiver, ThreadingHTTPServer]:
    receiver = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            receiver.requests.append(Received(self.path, dict(self.headers.items()), body))
            if receiver.delay:
                time.sleep(receiver.delay)
            status = receiver.next_status()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "text/plain")
                self.end_headers()
                self.wfile.write(b"ok" if status < 300 else b"receiver says no")
            except (BrokenPipeError, ConnectionResetError):
                pass  # the sender timed out and hung up: that is the test

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hooks"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return receiver, server


@pytest.fixture
def receiver(settings: Any) -> Iterator[Receiver]:
    settings.WEBHOOK_ALLOW_HTTP_LOCALHOST = True
    received, server = start_receiver()
    yield received
    server.shutdown()
    server.server_close()


@pytest.fixture
def second_receiver(settings: Any) -> Iterator[Receiver]:
    settings.WEBHOOK_ALLOW_HTTP_LOCALHOST = True
    received, server = start_receiver()
    yield received
    server.shutdown()
    server.server_close()
