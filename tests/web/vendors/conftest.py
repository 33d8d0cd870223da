"""Fixtures and helpers for the vendor's pages: vocabularies, stored files in a
temporary directory, signed-in clients and posting forms the way a browser does."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from marketplace.accounts.models import User
from tests.factories import (
    AttestationKindFactory,
    CredentialFieldFactory,
    QualificationLevelFactory,
)


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def vocabulary(db: None) -> dict[str, Any]:
    return {
        "soc2": AttestationKindFactory(code="soc2", name="SOC 2"),
        "hipaa": AttestationKindFactory(code="hipaa-baa", name="HIPAA BAA"),
        "medicine": CredentialFieldFactory(code="medicine"),
        "nursing": CredentialFieldFactory(code="nursing"),
        "md": QualificationLevelFactory(code="md", name="MD", ladder="physician", rank=1),
        "rn": QualificationLevelFactory(code="rn", name="RN", ladder="nursing", rank=2),
    }


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def as_user() -> Callable[[User], Client]:
    return signed_in


def post_form(client: Client, url: str, data: dict[str, Any], *, token: str | None = None):  # type: ignore[no-untyped-def]
    """Posts like a browser does from one of our forms: with its act-once token."""
    return client.post(url, {**data, "form_token": token or str(uuid.uuid4())})


def text_of(response: Any) -> str:
    return response.content.decode()


def queries_for(client: Client, url: str) -> int:
    """How many queries a page takes (it must answer 200)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


def error_next_to(page: str, field: str, message: str) -> bool:
    """The message is in the error list of `field` (which the input points to)."""
    return f'<ul class="errorlist" id="id_{field}_error"><li>{message}' in page
