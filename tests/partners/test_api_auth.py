"""Bearer API keys and session callers: who the request acts for, and refusals."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from rest_framework.test import APIClient

from marketplace.partners.models import OrganisationAPIKey
from marketplace.partners.services import api_key_create, api_key_revoke
from tests.api.conftest import key_client, session_client
from tests.factories import MembershipFactory


def bearer(raw_key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw_key}")
    return client


def assert_error(response, status: int, code: str) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.json()
    assert response.json()["error"]["code"] == code


def test_a_valid_key_reads_its_organisations_jobs(db, acme, acme_key):
    assert acme_key.get("/api/v1/lab/jobs/").status_code == 200


def test_anonymous_gets_401_with_the_error_body(db):
    response = APIClient().get("/api/v1/lab/jobs/")
    assert_error(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_an_unknown_key_gets_401(db, acme):
    assert_error(bearer("nope.nothing").get("/api/v1/lab/jobs/"), 401, "invalid_api_key")


def test_a_wrong_secret_gets_401(db, acme):
    api_key, _ = api_key_create(organisation=acme.lab.organisation, scope="read", name="x")
    forged = f"{api_key.prefix}.{'x' * 32}"
    assert_error(bearer(forged).get("/api/v1/lab/jobs/"), 401, "invalid_api_key")


def test_a_revoked_key_gets_401(db, acme):
    api_key, raw_key = api_key_create(organisation=acme.lab.organisation, scope="read", name="x")
    api_key_revoke(api_key=api_key, user=acme.owner)
    assert_error(bearer(raw_key).get("/api/v1/lab/jobs/"), 401, "invalid_api_key")


def test_an_expired_key_gets_401(db, acme):
    api_key, raw_key = api_key_create(
        organisation=acme.lab.organisation,
        scope="read",
        name="x",
        expires_at=timezone.now() + timedelta(hours=1),
    )
    OrganisationAPIKey.objects.filter(pk=api_key.pk).update(
        expiry_date=timezone.now() - timedelta(seconds=1)
    )
    assert_error(bearer(raw_key).get("/api/v1/lab/jobs/"), 401, "expired_api_key")


def test_last_used_is_recorded_at_most_once_a_minute(db, acme, time_machine):
    api_key, raw_key = api_key_create(organisation=acme.lab.organisation, scope="read", name="x")
    client = bearer(raw_key)
    time_machine.move_to(timezone.now(), tick=False)
    client.get("/api/v1/lab/jobs/")
    api_key.refresh_from_db()
    first = api_key.last_used_at
    assert first is not None
    time_machine.shift(timedelta(seconds=30))
    client.get("/api/v1/lab/jobs/")
    api_key.refresh_from_db()
    assert api_key.last_used_at == first
    time_machine.shift(timedelta(seconds=31))
    client.get("/api/v1/lab/jobs/")
    api_key.refresh_from_db()
    assert api_key.last_used_at > first


def test_a_read_key_may_not_write(db, acme):
    client = key_client(acme.lab.organisation, scope="read")
    assert_error(client.post("/api/v1/lab/jobs/", {}, format="json"), 403, "read_only_key")


def test_a_lab_key_is_refused_on_vendor_endpoints(db, acme, acme_key):
    assert_error(acme_key.get("/api/v1/vendor/jobs/"), 403, "wrong_organisation_kind")


def test_a_vendor_key_is_refused_on_lab_endpoints(db, medix, medix_key):
    assert_error(medix_key.get("/api/v1/lab/jobs/"), 403, "wrong_organisation_kind")


def test_a_session_user_with_one_membership_needs_no_header(db, acme):
    assert session_client(acme.procurement).get("/api/v1/lab/jobs/").status_code == 200


def test_a_session_user_in_several_organisations_must_name_one(db, acme, medix):
    MembershipFactory(user=acme.owner, organisation=medix.vendor.organisation, role="bid_manager")
    client = session_client(acme.owner)
    assert_error(client.get("/api/v1/lab/jobs/"), 400, "organisation_required")
    response = client.get(
        "/api/v1/vendor/jobs/", HTTP_X_ORGANISATION=medix.vendor.organisation.slug
    )
    assert response.status_code == 200
    response = client.get("/api/v1/lab/jobs/", HTTP_X_ORGANISATION=acme.lab.organisation.slug)
    assert response.status_code == 200


def test_naming_an_organisation_you_do_not_belong_to_is_refused(db, acme, rival):
    client = session_client(acme.owner)
    response = client.get("/api/v1/lab/jobs/", HTTP_X_ORGANISATION=rival.lab.organisation.slug)
    assert_error(response, 403, "not_a_member")
