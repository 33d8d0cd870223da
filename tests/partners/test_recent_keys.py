"""A process remembers the API keys it looked up for API_KEY_CACHE_SECONDS: no key query
while it remembers, a key revoked here refused at once, one revoked elsewhere refused once
the time is up, and no request sees what another changed on the remembered objects."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from marketplace.partners import recent_keys as recent_keys_module
from marketplace.partners.models import OrganisationAPIKey
from marketplace.partners.recent_keys import recent_keys
from marketplace.partners.services import api_key_create, api_key_revoke

API = "/api/v1"


@pytest.fixture
def clock(monkeypatch):
    """The monotonic clock the remembered keys age by, moved by hand."""
    now = [1000.0]
    monkeypatch.setattr(recent_keys_module.time, "monotonic", lambda: now[0])
    return now


@pytest.fixture
def medix_client(medix):
    api_key, raw_key = api_key_create(
        organisation=medix.vendor.organisation, scope="write", name="loop"
    )
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw_key}")
    client.api_key = api_key  # type: ignore[attr-defined]
    return client


def key_queries(queries: CaptureQueriesContext) -> int:
    return sum('FROM "partners_organisationapikey"' in q["sql"] for q in queries)


def test_a_remembered_key_is_not_looked_up_again(db, medix_client, clock):
    assert medix_client.get(f"{API}/vendor/bids/").status_code == 200
    with CaptureQueriesContext(connection) as queries:
        assert medix_client.get(f"{API}/vendor/bids/").status_code == 200
    assert key_queries(queries) == 0

    clock[0] += 5
    with CaptureQueriesContext(connection) as queries:
        assert medix_client.get(f"{API}/vendor/bids/").status_code == 200
    assert key_queries(queries) == 1


def test_a_key_revoked_in_this_process_is_refused_at_once(db, medix, medix_client, clock):
    assert medix_client.get(f"{API}/vendor/bids/").status_code == 200
    api_key_revoke(api_key=medix_client.api_key, user=medix.owner)

    response = medix_client.get(f"{API}/vendor/bids/")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_api_key"


def test_a_key_revoked_elsewhere_is_refused_when_the_time_is_up(db, medix_client, clock):
    assert medix_client.get(f"{API}/vendor/bids/").status_code == 200
    # Another process revokes it: this one's memory is not told.
    OrganisationAPIKey.objects.filter(pk=medix_client.api_key.pk).update(revoked=True)

    clock[0] += 4.9
    assert medix_client.get(f"{API}/vendor/bids/").status_code == 200
    clock[0] += 0.2
    assert medix_client.get(f"{API}/vendor/bids/").status_code == 401


def test_with_no_memory_every_request_looks_the_key_up(db, medix_client, settings):
    settings.API_KEY_CACHE_SECONDS = 0
    assert medix_client.get(f"{API}/vendor/bids/").status_code == 200
    OrganisationAPIKey.objects.filter(pk=medix_client.api_key.pk).update(revoked=True)
    assert medix_client.get(f"{API}/vendor/bids/").status_code == 401


def test_a_wrong_secret_is_refused_even_for_a_remembered_prefix(db, medix_client, clock):
    assert medix_client.get(f"{API}/vendor/bids/").status_code == 200
    prefix = medix_client.api_key.prefix
    guesser = APIClient()
    guesser.credentials(HTTP_AUTHORIZATION=f"Bearer {prefix}.not-the-secret")
    assert guesser.get(f"{API}/vendor/bids/").status_code == 401


def test_each_request_gets_its_own_copy(db, medix_client, clock):
    first = recent_keys.get(medix_client.api_key.prefix)
    assert first is not None
    first.organisation.name = "Changed by one request"
    first.scope = "read"

    second = recent_keys.get(medix_client.api_key.prefix)
    assert second is not None
    assert second.organisation.name == "Medix Annotations"
    assert second.scope == "write"


def test_unknown_prefixes_are_not_remembered(db, clock):
    assert recent_keys.get("nosuchprefix") is None
    assert "nosuchprefix" not in recent_keys._keys
