"""Fixtures for the API tests: clients that call as an API key or as a signed-in person."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from marketplace.accounts.models import Organisation, User
from marketplace.partners.services import api_key_create


def key_client(organisation: Organisation, scope: str = "write") -> APIClient:
    """A client sending `Authorization: Bearer` with a new key of `organisation`."""
    _, raw_key = api_key_create(organisation=organisation, scope=scope, name=f"{scope} key")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw_key}")
    return client


def session_client(user: User) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


@pytest.fixture
def acme_key(acme) -> APIClient:  # type: ignore[no-untyped-def]
    return key_client(acme.lab.organisation)


@pytest.fixture
def medix_key(medix) -> APIClient:  # type: ignore[no-untyped-def]
    return key_client(medix.vendor.organisation)


@pytest.fixture
def mathly_key(mathly) -> APIClient:  # type: ignore[no-untyped-def]
    return key_client(mathly.vendor.organisation)


@pytest.fixture
def rival_key(rival) -> APIClient:  # type: ignore[no-untyped-def]
    return key_client(rival.lab.organisation)
