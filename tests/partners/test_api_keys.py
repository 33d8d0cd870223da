"""Organisation API keys: created with a service user, shown once, revocable."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from marketplace.accounts.models import Membership
from marketplace.core.errors import NotPermitted
from marketplace.partners.models import OrganisationAPIKey
from marketplace.partners.services import api_key_create, api_key_revoke
from tests.api.conftest import session_client
from tests.factories import UserFactory


def test_a_key_acts_through_an_owner_service_user(db, acme):
    api_key, raw_key = api_key_create(
        organisation=acme.lab.organisation, scope="write", name="ci", created_by=acme.owner
    )
    assert raw_key.startswith(api_key.prefix + ".")
    assert raw_key not in api_key.hashed_key  # stored hashed, never raw
    assert api_key.actor.email == f"api-key-{api_key.prefix.lower()}@keys.invalid"
    assert not api_key.actor.has_usable_password()
    membership = Membership.objects.get(user=api_key.actor)
    assert (membership.organisation, membership.role) == (acme.lab.organisation, "lab_owner")


def test_a_vendor_key_gets_the_vendor_owner_role(db, medix):
    api_key, _ = api_key_create(organisation=medix.vendor.organisation, scope="read", name="x")
    assert Membership.objects.get(user=api_key.actor).role == "vendor_owner"


def test_only_the_owner_creates_and_revokes_keys(db, acme):
    with pytest.raises(NotPermitted):
        api_key_create(
            organisation=acme.lab.organisation, scope="read", name="x", created_by=acme.procurement
        )
    api_key, _ = api_key_create(organisation=acme.lab.organisation, scope="read", name="x")
    with pytest.raises(NotPermitted):
        api_key_revoke(api_key=api_key, user=acme.procurement)


def test_revoking_deactivates_the_service_user(db, acme):
    api_key, _ = api_key_create(organisation=acme.lab.organisation, scope="write", name="x")
    api_key_revoke(api_key=api_key, user=acme.owner)
    api_key.refresh_from_db()
    api_key.actor.refresh_from_db()
    assert api_key.revoked
    assert not api_key.actor.is_active


def test_the_command_prints_the_key_alone_on_its_last_line(db, acme):
    out = StringIO()
    call_command(
        "create_api_key",
        acme.lab.organisation.slug,
        "--scope",
        "write",
        "--name",
        "ci",
        stdout=out,
        stderr=StringIO(),
    )
    raw_key = out.getvalue().strip().splitlines()[-1]
    api_key = OrganisationAPIKey.objects.get_from_key(raw_key)
    assert (api_key.scope, api_key.name) == ("write", "ci")


def test_the_command_lists_organisations(db, acme, medix):
    out = StringIO()
    call_command("create_api_key", "--list", stdout=out)
    rows = [line.split("\t") for line in out.getvalue().splitlines()]
    assert [acme.lab.organisation.slug, "lab", "Acme AI"] in rows
    assert [medix.vendor.organisation.slug, "vendor", "Medix Annotations"] in rows


def test_the_command_refuses_an_unknown_organisation(db):
    with pytest.raises(CommandError):
        call_command("create_api_key", "nobody", "--scope", "read")


def test_the_owner_creates_lists_and_revokes_keys_over_the_api(db, acme):
    client = session_client(acme.owner)
    created = client.post("/api/v1/api-keys/", {"name": "ci", "scope": "read"}, format="json")
    assert created.status_code == 201
    raw_key = created.json()["key"]
    key_id = created.json()["id"]
    listed = client.get("/api/v1/api-keys/").json()["results"]
    assert [k["id"] for k in listed] == [key_id]
    assert "key" not in listed[0]  # shown once only
    assert client.post(f"/api/v1/api-keys/{key_id}/revoke/").json()["revoked"] is True
    bearer = session_client(UserFactory())
    bearer.logout()
    bearer.credentials(HTTP_AUTHORIZATION=f"Bearer {raw_key}")
    assert bearer.get("/api/v1/lab/jobs/").status_code == 401


def test_a_key_cannot_make_more_keys(db, acme, acme_key):
    response = acme_key.post("/api/v1/api-keys/", {"name": "x", "scope": "write"}, format="json")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "not_permitted"


def test_admin_adds_a_key_and_sees_it_once(db, acme, client):
    admin_user = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(admin_user)
    response = client.post(
        "/admin/partners/organisationapikey/add/",
        {"organisation": acme.lab.organisation.pk, "name": "partner", "scope": "read"},
        follow=True,
    )
    assert response.status_code == 200
    api_key = OrganisationAPIKey.objects.get(name="partner")
    shown = [str(m) for m in response.context["messages"]]
    assert any(api_key.prefix in m for m in shown)
    assert client.get("/admin/partners/organisationapikey/").status_code == 200
    from django.contrib.admin.utils import quote

    change_url = f"/admin/partners/organisationapikey/{quote(api_key.pk)}/change/"
    assert client.get(change_url).status_code == 200
    client.post(
        "/admin/partners/organisationapikey/",
        {"action": "revoke", "_selected_action": [api_key.pk]},
    )
    api_key.refresh_from_db()
    assert api_key.revoked
