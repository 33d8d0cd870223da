"""Error pages reveal nothing: with DEBUG off, 400, 403, 404, 500 and a CSRF failure show
the site's own short pages, never a traceback, a setting, the exception's words or the
request; the API answers every error, a server error included, in its JSON shape."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template.loader import get_template
from django.test import Client
from django.urls import reverse

from tests.api.conftest import key_client
from tests.factories import UserFactory
from tests.security.conftest import Refusals
from tests.security.urls import SECRET_DETAIL
from vendors import services as vendor_services

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.security.urls")]

LEAKS = (
    SECRET_DETAIL,
    "hunter2",
    "Traceback",
    "SECRET_KEY",
    "DATABASES",
    "settings.py",
    "site-packages",
    "DEBUG",
)


@pytest.fixture(autouse=True)
def debug_off(settings: Any) -> None:
    settings.DEBUG = False


@pytest.fixture
def browser() -> Client:
    return Client(raise_request_exception=False)


def assert_reveals_nothing(body: str) -> None:
    for leak in LEAKS:
        assert leak not in body


@pytest.mark.parametrize(
    ("url", "status", "heading"),
    [
        ("/test-errors/suspicious/", 400, "Bad request"),
        ("/test-errors/forbidden/", 403, "Not allowed"),
        ("/no-such-page/<script>alert(1)</script>", 404, "Page not found"),
        ("/test-errors/crash/", 500, "Something went wrong"),
    ],
)
def test_each_error_shows_the_sites_own_page(
    browser: Client, url: str, status: int, heading: str
) -> None:
    response = browser.get(url)

    assert response.status_code == status
    body = response.content.decode()
    assert f"<h1>{heading}</h1>" in body
    assert_reveals_nothing(body)
    assert "<script>" not in body and "no-such-page" not in body


def test_the_500_page_uses_no_tag_or_variable_that_could_fail() -> None:
    source = (settings.BASE_DIR / "templates" / "500.html").read_text()

    assert "{%" not in source and "{{" not in source
    assert "Something went wrong" in get_template("500.html").render()


def test_a_signed_in_persons_details_are_not_on_an_error_page(browser: Client) -> None:
    user = UserFactory(email="private.person@example.test", full_name="Private Person")
    browser.force_login(user)

    for url in ("/test-errors/forbidden/", "/no-such-page/", "/test-errors/crash/"):
        body = browser.get(url).content.decode()
        assert "private.person" not in body and "Private Person" not in body


def test_a_server_error_is_still_logged_with_its_traceback(
    browser: Client, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="django.request"):
        browser.get("/test-errors/crash/")

    assert any(
        record.exc_info and SECRET_DETAIL in str(record.exc_info[1]) for record in caplog.records
    )


def test_a_csrf_failure_shows_a_page_that_names_no_reason(refusals: Refusals) -> None:
    strict = Client(enforce_csrf_checks=True)

    response = strict.post(reverse("login"), {"username": "a@example.test", "password": "x"})

    assert response.status_code == 403
    body = response.content.decode()
    assert "Form expired" in body
    assert "CSRF" not in body and "token" not in body.lower()
    assert_reveals_nothing(body)
    assert [entry["code"] for entry in refusals()] == ["csrf_failed"]


def test_media_files_are_not_served_by_url(browser: Client, media_root: Any) -> None:
    stored = media_root / "attestations" / "1" / "document.pdf"
    stored.parent.mkdir(parents=True)
    stored.write_bytes(b"%PDF-1.7 <html><script>alert(1)</script>")

    for url in (
        "/media/attestations/1/document.pdf",
        f"/{settings.MEDIA_URL}attestations/1/document.pdf",
    ):
        assert browser.get(url).status_code == 404


# --- the API ---------------------------------------------------------------------------------


def test_an_api_server_error_answers_json_without_details(
    medix: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(**kwargs: Any) -> None:
        raise RuntimeError(SECRET_DETAIL)

    monkeypatch.setattr(vendor_services, "vendor_update_profile", broken)
    client = key_client(medix.vendor.organisation)

    with caplog.at_level(logging.ERROR, logger="django.request"):
        response = client.patch("/api/v1/vendor/profile/", {"description": "x"}, format="json")

    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "error": {
            "code": "server_error",
            "message": "Something went wrong on our side. It has been logged; try again.",
            "fields": {},
        }
    }
    assert_reveals_nothing(response.content.decode())
    logged = [record for record in caplog.records if record.name == "django.request"]
    assert len(logged) == 1, "logged once, with the traceback"
    assert logged[0].exc_info is not None


def test_an_api_server_error_releases_its_idempotency_key(
    medix: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = vendor_services.vendor_update_profile
    calls = {"n": 0}

    def fails_once(**kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError(SECRET_DETAIL)
        return real(**kwargs)

    monkeypatch.setattr(vendor_services, "vendor_update_profile", fails_once)
    client = key_client(medix.vendor.organisation)

    def send() -> Any:
        return client.patch(
            "/api/v1/vendor/profile/",
            {"description": "retried"},
            format="json",
            HTTP_IDEMPOTENCY_KEY="profile-1",
        )

    assert send().status_code == 500
    assert send().status_code == 200


def test_in_development_an_api_exception_reaches_the_debug_page(
    medix: Any, monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    settings.DEBUG = True

    def broken(**kwargs: Any) -> None:
        raise RuntimeError("for the developer")

    monkeypatch.setattr(vendor_services, "vendor_update_profile", broken)

    with pytest.raises(RuntimeError, match="for the developer"):
        key_client(medix.vendor.organisation).patch(
            "/api/v1/vendor/profile/", {"description": "x"}, format="json"
        )


def test_an_unknown_api_url_answers_json_404(medix: Any) -> None:
    response = key_client(medix.vendor.organisation).get("/api/v1/no-such-endpoint/")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_a_body_nested_too_deeply_is_a_400_not_a_crash(medix: Any) -> None:
    body = "[" * 100_000 + "]" * 100_000

    response = key_client(medix.vendor.organisation).generic(
        "PATCH", "/api/v1/vendor/profile/", body, content_type="application/json"
    )

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "parse_error"


def test_a_body_over_the_size_limit_is_a_413(medix: Any, settings: Any) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    body = json.dumps({"description": "x" * 2048})

    response = key_client(medix.vendor.organisation).generic(
        "PATCH",
        "/api/v1/vendor/profile/",
        body,
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="big-1",
    )

    assert response.status_code == 413
    assert response.json()["error"]["code"] == "request_too_large"


@pytest.mark.parametrize("idempotency_key", [None, "big-2"], ids=["plain", "idempotent"])
def test_a_json_body_over_the_size_limit_is_refused_before_it_is_read(
    medix: Any, settings: Any, idempotency_key: str | None
) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    headers = {"HTTP_IDEMPOTENCY_KEY": idempotency_key} if idempotency_key else {}

    response = key_client(medix.vendor.organisation).generic(
        "POST",
        "/api/v1/vendor/specialists/",
        json.dumps({"full_name": "x" * 4096}),
        content_type="application/json",
        **headers,
    )

    assert response.status_code == 413
    assert response.json()["error"]["code"] == "request_too_large"


def test_an_upload_over_the_request_limit_is_refused(medix: Any, settings: Any) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    upload = SimpleUploadedFile("ownership.json", b"[" + b" " * 4096 + b"]", "application/json")

    response = key_client(medix.vendor.organisation).post(
        "/api/v1/vendor/bods/", {"file": upload}, format="multipart"
    )

    assert response.status_code == 413


def test_a_server_error_under_the_api_outside_its_views_answers_in_the_api_shape(
    browser: Client,
) -> None:
    response = browser.get("/api/test-errors/crash/")

    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"]["code"] == "server_error"
    assert_reveals_nothing(response.content.decode())
