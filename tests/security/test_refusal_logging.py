"""Every failed authorisation is logged on "marketplace.security" at WARNING: who (a user
id, or an API key's prefix, never the key), what (method and path) and why (a code). And
the admin is for staff only."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from marketplace.partners.services import api_key_create
from tests.api.conftest import session_client
from tests.factories import PASSWORD, UserFactory
from tests.security.conftest import Refusals

pytestmark = pytest.mark.django_db

PROFILE = "/api/v1/vendor/profile/"


def with_key(organisation: Any, scope: str = "write") -> tuple[APIClient, str, str]:
    key, raw_key = api_key_create(organisation=organisation, scope=scope, name="test key")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw_key}")
    return client, key.prefix, raw_key


def only(refusals: Refusals) -> dict[str, Any]:
    logged = refusals()
    assert len(logged) == 1, logged
    assert logged[0]["level"] == "WARNING"
    return logged[0]


# --- the API --------------------------------------------------------------------------------


def test_a_call_without_credentials(refusals: Refusals) -> None:
    response = APIClient().get(PROFILE)

    assert response.status_code == 401
    assert only(refusals) == {
        "code": "not_authenticated",
        "method": "GET",
        "path": PROFILE,
        "user": None,
        "key": None,
        "ip": "127.0.0.1",
        "status": 401,
        "level": "WARNING",
    }


def test_a_wrong_key_is_logged_by_its_prefix_never_its_secret(
    refusals: Refusals, caplog: pytest.LogCaptureFixture
) -> None:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer AbCd1234.not-the-real-secret-at-all")

    assert client.get(PROFILE).status_code == 401

    entry = only(refusals)
    assert (entry["code"], entry["key"], entry["user"]) == ("invalid_api_key", "AbCd1234", None)
    assert "not-the-real-secret" not in caplog.text


def test_a_header_that_is_not_a_key_is_never_logged(
    refusals: Refusals, caplog: pytest.LogCaptureFixture
) -> None:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer whole-secret-without-a-prefix")

    assert client.get(PROFILE).status_code == 401

    assert only(refusals)["key"] == "malformed"
    assert "whole-secret" not in caplog.text


def test_a_read_only_key_writing(
    medix: Any, refusals: Refusals, caplog: pytest.LogCaptureFixture
) -> None:
    client, prefix, raw_key = with_key(medix.vendor.organisation, scope="read")

    response = client.patch(PROFILE, {"description": "x"}, format="json")

    assert response.status_code == 403
    entry = only(refusals)
    assert (entry["code"], entry["key"], entry["user"]) == ("read_only_key", prefix, None)
    assert (entry["method"], entry["path"]) == ("PATCH", PROFILE)
    assert raw_key not in caplog.text and raw_key.partition(".")[2] not in caplog.text


def test_a_lab_key_at_a_vendor_endpoint(acme: Any, refusals: Refusals) -> None:
    client, prefix, _ = with_key(acme.lab.organisation)

    assert client.get(PROFILE).status_code == 403

    entry = only(refusals)
    assert (entry["code"], entry["key"]) == ("wrong_organisation_kind", prefix)


def test_a_person_naming_an_organisation_they_are_not_in(
    medix: Any, mathly: Any, refusals: Refusals
) -> None:
    client = session_client(medix.owner)

    response = client.get(PROFILE, HTTP_X_ORGANISATION=mathly.vendor.organisation.slug)

    assert response.status_code == 403
    entry = only(refusals)
    assert (entry["code"], entry["user"], entry["key"]) == ("not_a_member", medix.owner.pk, None)


def test_a_member_without_the_role(medix: Any, refusals: Refusals) -> None:
    client = session_client(medix.bid_manager)

    response = client.patch(PROFILE, {"description": "x"}, format="json")

    assert response.status_code == 403
    entry = only(refusals)
    assert (entry["code"], entry["user"]) == ("not_permitted", medix.bid_manager.pk)


def test_allowed_calls_log_nothing(medix: Any, refusals: Refusals) -> None:
    client, _, _ = with_key(medix.vendor.organisation)

    assert client.get(PROFILE).status_code == 200
    assert refusals() == []


# --- the browser --------------------------------------------------------------------------


@pytest.mark.urls("tests.security.urls")
def test_a_browser_page_refusing_a_person(refusals: Refusals) -> None:
    user = UserFactory()
    client = Client(raise_request_exception=False)
    client.force_login(user)

    assert client.get("/test-errors/forbidden/").status_code == 403

    entry = only(refusals)
    assert (entry["code"], entry["user"], entry["path"]) == (
        "permission_denied",
        user.pk,
        "/test-errors/forbidden/",
    )


# --- the admin ------------------------------------------------------------------------------


def test_someone_signed_in_but_not_staff_is_refused_by_the_admin(refusals: Refusals) -> None:
    member = UserFactory()
    client = Client()
    client.force_login(member)

    response = client.get(reverse("admin:index"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
    entry = only(refusals)
    assert (entry["code"], entry["user"], entry["path"]) == (
        "admin_not_staff",
        member.pk,
        reverse("admin:index"),
    )


def test_the_admin_login_refuses_a_correct_password_that_is_not_staffs(
    refusals: Refusals,
) -> None:
    member = UserFactory()
    client = Client()

    response = client.post(reverse("admin:login"), {"username": member.email, "password": PASSWORD})

    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert [(e["code"], e["user"]) for e in refusals()] == [("admin_not_staff", member.pk)]


def test_staff_reach_the_admin_and_nothing_is_logged(refusals: Refusals) -> None:
    staff = UserFactory(is_staff=True)
    client = Client()
    client.force_login(staff)

    assert client.get(reverse("admin:index")).status_code == 200
    assert refusals() == []


def test_inactive_staff_are_refused(refusals: Refusals) -> None:
    former = UserFactory(is_staff=True, is_active=False)
    client = Client()

    response = client.post(reverse("admin:login"), {"username": former.email, "password": PASSWORD})

    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert [e["code"] for e in refusals()] == ["login_failed"]


def test_a_visitor_not_signed_in_is_sent_to_the_admin_login(refusals: Refusals) -> None:
    response = Client().get(reverse("admin:index"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
    assert refusals() == []


def test_the_admin_login_page_tells_a_signed_in_member_they_are_not_staff(
    refusals: Refusals,
) -> None:
    member = UserFactory()
    client = Client()
    client.force_login(member)

    response = client.get(reverse("admin:login"))

    assert response.status_code == 200
    assert [(e["code"], e["user"], e["status"]) for e in refusals()] == [
        ("admin_not_staff", member.pk, 200)
    ]
