"""Sessions: signing in starts a new session (a session id planted before sign-in is
worth nothing after it), signing out ends it (the old id no longer signs anyone in), and
the cookie is out of reach of page script and of cross-site requests."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.test import Client
from django.urls import reverse

from tests.core.test_settings import production, run
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

COOKIE = settings.SESSION_COOKIE_NAME


def session_key(client: Client) -> str:
    return client.cookies[COOKIE].value


def anonymous_session(client: Client) -> str:
    """Gives the client a session before it signs in, as a fixation attacker would."""
    session = client.session
    session["seen_before_sign_in"] = True
    session.save()
    client.cookies[COOKIE] = session.session_key
    return session.session_key  # type: ignore[return-value]


def as_stranger_with(key: str) -> Client:
    stranger = Client()
    stranger.cookies[COOKIE] = key
    return stranger


def is_signed_in(client: Client) -> bool:
    # The admin index needs a signed-in staff user; anyone else is sent to its login.
    return client.get(reverse("admin:index")).status_code == 200


def test_signing_in_rotates_the_session_key() -> None:
    user = UserFactory(is_staff=True)
    client = Client()
    before = anonymous_session(client)

    response = client.post(reverse("login"), {"username": user.email, "password": PASSWORD})

    assert response.status_code == 302
    after = session_key(client)
    assert after != before
    assert not SessionStore().exists(before)
    assert is_signed_in(client)
    assert not is_signed_in(as_stranger_with(before))


def test_signing_in_at_the_admin_rotates_the_session_key() -> None:
    user = UserFactory(is_staff=True)
    client = Client()
    before = anonymous_session(client)

    client.post(reverse("admin:login"), {"username": user.email, "password": PASSWORD})

    assert session_key(client) != before
    assert is_signed_in(client)
    assert not is_signed_in(as_stranger_with(before))


def test_signing_out_ends_the_session() -> None:
    user = UserFactory(is_staff=True)
    client = Client()
    client.post(reverse("login"), {"username": user.email, "password": PASSWORD})
    key = session_key(client)
    assert is_signed_in(as_stranger_with(key))

    client.post(reverse("logout"))

    assert not SessionStore().exists(key)
    assert not is_signed_in(as_stranger_with(key))
    assert not is_signed_in(client)


def test_the_session_cookie_is_http_only_and_same_site_lax() -> None:
    user = UserFactory()
    client = Client()

    client.post(reverse("login"), {"username": user.email, "password": PASSWORD})

    cookie = client.cookies[COOKIE]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    assert 0 < int(cookie["max-age"]) <= 24 * 60 * 60


SHOW_COOKIE_SETTINGS = """
import json, django
django.setup()
from django.conf import settings as s
print(json.dumps({name: getattr(s, name) for name in (
    "SESSION_COOKIE_SECURE", "SESSION_COOKIE_HTTPONLY", "SESSION_COOKIE_SAMESITE",
    "CSRF_COOKIE_SECURE", "CSRF_COOKIE_SAMESITE", "SECURE_SSL_REDIRECT", "DEBUG")}))
"""


def test_in_production_cookies_travel_over_https_only() -> None:
    result = run(
        ["-c", SHOW_COOKIE_SETTINGS], DJANGO_SETTINGS_MODULE="marketplace.settings", **production()
    )
    assert result.returncode == 0, result.stderr
    values: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])

    assert values == {
        "SESSION_COOKIE_SECURE": True,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "CSRF_COOKIE_SECURE": True,
        "CSRF_COOKIE_SAMESITE": "Lax",
        "SECURE_SSL_REDIRECT": True,
        "DEBUG": False,
    }
