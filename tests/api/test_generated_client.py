"""A Python client GENERATED from the OpenAPI schema (openapi-python-client) drives the
main flow against a live server: if the schema misdescribes an endpoint, the generated
client cannot make the call, and this test fails. Generation runs offline, once per module.
"""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from drf_spectacular.generators import SchemaGenerator

from labs.models import Job
from marketplace.exchange import services as exchange
from marketplace.partners.services import api_key_create
from tests.api.payloads import job_payload
from tests.plugins.personas import pass_bid_deadline

PACKAGE = "generated_marketplace_client"
GENERATOR = Path(sys.executable).with_name("openapi-python-client")


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    """The generated client package, imported from a temporary directory."""
    root = tmp_path_factory.mktemp("generated_client")
    schema = SchemaGenerator().get_schema(request=None, public=True)
    (root / "schema.json").write_text(json.dumps(schema, default=str))
    # No post hooks (they would run ruff over the generated code): nothing but the schema.
    (root / "config.yaml").write_text("post_hooks: []\n")
    result = subprocess.run(
        [
            str(GENERATOR),
            "generate",
            "--path",
            "schema.json",
            "--output-path",
            str(root / PACKAGE),
            "--meta",
            "none",
            "--config",
            "config.yaml",
            # A part of the schema the generator cannot turn into code fails the test.
            "--fail-on-warning",
        ],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    sys.path.insert(0, str(root))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(root))
        for name in [m for m in sys.modules if m == PACKAGE or m.startswith(PACKAGE + ".")]:
            del sys.modules[name]


def operation(api: ModuleType, name: str) -> Any:
    return importlib.import_module(f"{api.__name__}.api.v1.{name}")


def model(api: ModuleType, name: str) -> Any:
    return getattr(importlib.import_module(f"{api.__name__}.models"), name)


def test_the_generated_client_drives_the_main_flow(api, live_server, acme, medix):
    _, lab_key = api_key_create(organisation=acme.lab.organisation, scope="write", name="gen")
    _, vendor_key = api_key_create(organisation=medix.vendor.organisation, scope="write", name="g")
    # prefix "Bearer" is the generated client's default; named here because the API needs it.
    lab = api.AuthenticatedClient(
        base_url=live_server.url, token=lab_key, prefix="Bearer", raise_on_unexpected_status=True
    )
    vendor = api.AuthenticatedClient(
        base_url=live_server.url, token=vendor_key, prefix="Bearer", raise_on_unexpected_status=True
    )

    # The lab creates a draft job with its seat requirements, and publishes it
    body = model(api, "JobCreateInput").from_dict(job_payload())
    assert len(body.seat_requirements) == 1
    created = operation(api, "lab_jobs_create").sync_detailed(client=lab, body=body)
    assert created.status_code == 201, created.content
    job = created.parsed
    assert job.status == "draft"
    assert [(s.count, s.field) for s in job.seat_requirements] == [
        (2, body.seat_requirements[0].field)
    ]
    published = operation(api, "v1_lab_jobs_publish_create").sync(client=lab, job_id=job.id)
    assert published.status == "open"

    # The vendor sees it and bids
    seen = operation(api, "v1_vendor_jobs_list").sync(client=vendor)
    assert [j.id for j in seen.results] == [job.id]
    bid_body = model(api, "BidSubmitInput")(
        job=job.id, price="30000.00", currency="USD", timeline_days=30, note="Hi"
    )
    submitted = operation(api, "v1_vendor_bids_create").sync_detailed(client=vendor, body=bid_body)
    assert submitted.status_code == 201, submitted.content
    bid = submitted.parsed
    assert (bid.job, bid.status, bid.price) == (job.id, "submitted", "30000.00")

    # While bidding is open the bids are sealed
    bids_list = operation(api, "v1_lab_jobs_bids_list")
    # (a client that returns undocumented statuses instead of raising on them)
    unchecked = api.AuthenticatedClient(base_url=live_server.url, token=lab_key, prefix="Bearer")
    sealed = bids_list.sync_detailed(client=unchecked, job_id=job.id)
    assert sealed.status_code == 409
    assert json.loads(sealed.content)["error"]["code"] == "bids_sealed"

    # Time passes: the deadline closes bidding
    pass_bid_deadline(Job.objects.get(pk=job.id))
    assert exchange.close_due_bidding() == [job.id]

    # The lab lists the bids and awards the whole job to the one it got
    bids = bids_list.sync(client=lab, job_id=job.id)
    assert bids.count == 1
    assert [(b.id, b.vendor_name) for b in bids.results] == [
        (bid.id, medix.vendor.organisation.name)
    ]
    share = model(api, "AwardShare")(bid=bid.id, percent="100")
    awarded = operation(api, "v1_lab_jobs_award_create").sync_detailed(
        client=lab, job_id=job.id, body=model(api, "AwardInput")(shares=[share])
    )
    assert awarded.status_code == 201, awarded.content
    assert [c.bid for c in awarded.parsed.contracts] == [bid.id]
    assert operation(api, "lab_jobs_retrieve").sync(client=lab, job_id=job.id).status == "awarded"
    mine = operation(api, "v1_vendor_bids_retrieve").sync(client=vendor, bid_id=bid.id)
    assert mine.status == "awarded"
