"""Counting the queries one API call makes."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext


def queries_for(client, url: str) -> int:  # type: ignore[no-untyped-def]
    """The queries of one request in steady state: a first request has written the key's
    last-used time (at most once a minute), so it is not the one counted."""
    client.get(url)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, response.json()
    return len(captured)
