"""Property-based API tests: schemathesis generates requests from the project's own
OpenAPI schema (drf-spectacular, loaded in-process through the WSGI app) and calls every
operation as a lab's write key and as a vendor's write key. Each response must not be a
5xx and must conform to the schema: a documented status code, content type, headers and
body. The data is a small persona world: a lab with an open job, a vendor with a bid.

Kept fast: a handful of examples per operation, no shrinking, no coverage phase."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import schemathesis
from django.core.cache import cache
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from marketplace.accounts.models import Organisation
from marketplace.partners.services import api_key_create
from tests.plugins.personas import LabTeam, VendorTeam, make_open_job, submit_bid

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]

# Operations (labels "METHOD /path") or checks left out, each with the reason.
EXCLUDED: dict[str, str] = {}

SETTINGS = settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],
)


@pytest.fixture
def api_schema(keep_connection: None) -> Any:
    config = SchemathesisConfig.from_dict({"generation": {"no-shrink": True}})
    return schemathesis.openapi.from_wsgi("/api/schema/?format=json", WSGIHandler(), config=config)


@pytest.fixture
def keep_connection() -> Iterator[None]:
    """Requests go through Django's real WSGI handler, which closes the database
    connection when a request starts and finishes; that would end the test's transaction
    (on PostgreSQL). Django's test client does the same as this while it calls."""
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


@dataclass
class World:
    lab_key: dict[str, str]
    vendor_key: dict[str, str]
    ids: dict[str, int]


def bearer(organisation: Organisation) -> dict[str, str]:
    _, raw_key = api_key_create(organisation=organisation, scope="write", name="schemathesis")
    return {"Authorization": f"Bearer {raw_key}"}


@pytest.fixture
def world(acme: LabTeam, medix: VendorTeam, settings: Any, keep_connection: None) -> World:
    """A lab with an open job and a vendor with a bid on it; a write key for each."""
    # Hundreds of calls per key would run into the write-key throttle.
    settings.API_THROTTLE_RATES = {"write_key": None, "read_key": None, "user": None}
    cache.clear()
    job = make_open_job(acme)
    bid = submit_bid(medix, job)
    return World(
        lab_key=bearer(acme.lab.organisation),
        vendor_key=bearer(medix.vendor.organisation),
        ids={
            "job_id": job.pk,
            "bid_id": bid.pk,
            "seat_id": job.seat_requirements.first().pk,
            "specialist_id": medix.specialists[0].pk,
        },
    )


def run_schema(schema: Any, headers: dict[str, str], ids: dict[str, int]) -> None:
    """Runs every operation with generated data (valid and invalid), half the time on the
    world's own objects, and reports every operation that fails a check."""
    failures: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.label in EXCLUDED:
            continue
        names = {p.name for p in operation.path_parameters}
        known = {name: value for name, value in ids.items() if name in names}
        strategies = [operation.as_strategy(mode) for mode in GenerationMode]
        if known:
            strategies.append(operation.as_strategy(path_parameters=known))

        @SETTINGS
        @given(case=st.one_of(strategies))
        def check(case: Any) -> None:
            case.call_and_validate(headers=headers, checks=CHECKS)

        try:
            check()
        except KeyboardInterrupt:
            raise
        except BaseException as exc:  # schemathesis' FailureGroup is a BaseExceptionGroup
            failures.append(f"{operation.label}: {exc}")
    assert not failures, f"{len(failures)} operations fail:\n\n" + "\n\n".join(failures)


@pytest.mark.django_db
def test_the_api_conforms_to_its_schema_as_a_lab_key(api_schema: Any, world: World) -> None:
    run_schema(api_schema, world.lab_key, world.ids)


@pytest.mark.django_db
def test_the_api_conforms_to_its_schema_as_a_vendor_key(api_schema: Any, world: World) -> None:
    run_schema(api_schema, world.vendor_key, world.ids)
