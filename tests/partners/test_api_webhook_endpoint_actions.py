"""Re-enabling and pinging a webhook endpoint over the API, as the admin can: the
organisation's owner or a write key only, repeatable with an Idempotency-Key, and another
organisation's endpoint answers 404."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from marketplace.partners.models import WebhookDelivery, WebhookDeliveryStatus, WebhookEndpoint
from tests.api.conftest import key_client, session_client
from tests.partners import webhook_receiver
from tests.partners.webhook_helpers import documented_verifier, subscribe

pytestmark = pytest.mark.django_db

receiver = webhook_receiver.receiver

API = "/api/v1/webhooks/endpoints"


def disabled(endpoint: WebhookEndpoint) -> WebhookEndpoint:
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        is_active=False, disabled_reason="Disabled after 20 failures.", consecutive_failures=20
    )
    endpoint.refresh_from_db()
    return endpoint


def test_a_write_key_re_enables_a_disabled_endpoint(acme, acme_key, receiver):
    endpoint = disabled(subscribe(acme, receiver.url, ["job.published"])[0])

    response = acme_key.post(f"{API}/{endpoint.pk}/enable/")

    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["id"], body["is_active"], body["disabled_reason"]) == (endpoint.pk, True, "")
    assert body["consecutive_failures"] == 0 and body["failing_since"] is None
    endpoint.refresh_from_db()
    assert endpoint.is_active


def test_re_enabling_an_enabled_endpoint_is_refused(acme, acme_key, receiver):
    endpoint, _ = subscribe(acme, receiver.url, ["job.published"])

    response = acme_key.post(f"{API}/{endpoint.pk}/enable/")

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "invalid_transition"


def test_a_ping_reaches_the_endpoint_signed(
    acme, acme_key, receiver, django_capture_on_commit_callbacks
):
    endpoint, secret = subscribe(acme, receiver.url, ["job.awarded"])

    with django_capture_on_commit_callbacks(execute=True):
        response = acme_key.post(f"{API}/{endpoint.pk}/ping/")

    assert response.status_code == 202, response.json()
    body = response.json()
    assert (body["endpoint"], body["event_type"]) == (endpoint.pk, "ping")
    [request] = receiver.requests
    assert documented_verifier()(secret, request.headers, request.body)
    assert request.json()["data"] == {"endpoint_id": endpoint.pk, "message": "Test delivery."}
    assert request.headers["X-Webhook-Id"] == body["event_id"]
    delivery = WebhookDelivery.objects.get(pk=body["id"])
    assert delivery.status == WebhookDeliveryStatus.SUCCEEDED


def test_a_disabled_endpoint_can_be_pinged_before_it_is_re_enabled(
    acme, acme_key, receiver, django_capture_on_commit_callbacks
):
    endpoint = disabled(subscribe(acme, receiver.url, ["job.published"])[0])

    with django_capture_on_commit_callbacks(execute=True):
        assert acme_key.post(f"{API}/{endpoint.pk}/ping/").status_code == 202

    assert [r.headers["X-Webhook-Event"] for r in receiver.requests] == ["ping"]
    endpoint.refresh_from_db()
    assert not endpoint.is_active  # a successful ping proves the receiver, no more


def test_the_owner_may_by_session_and_the_other_roles_may_not(acme, receiver):
    endpoint = disabled(subscribe(acme, receiver.url, ["job.published"])[0])

    for user in (acme.procurement, acme.reviewer):
        client = session_client(user)
        for action in ("enable", "ping"):
            response = client.post(f"{API}/{endpoint.pk}/{action}/")
            assert response.status_code == 403
            assert response.json()["error"]["code"] == "not_permitted"
    assert not WebhookDelivery.objects.exists()

    owner = session_client(acme.owner)
    assert owner.post(f"{API}/{endpoint.pk}/ping/").status_code == 202
    assert owner.post(f"{API}/{endpoint.pk}/enable/").status_code == 200


def test_a_read_key_may_do_neither(acme, receiver):
    endpoint = disabled(subscribe(acme, receiver.url, ["job.published"])[0])
    read_key = key_client(acme.lab.organisation, "read")

    for action in ("enable", "ping"):
        response = read_key.post(f"{API}/{endpoint.pk}/{action}/")
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "read_only_key"
    endpoint.refresh_from_db()
    assert not endpoint.is_active and not WebhookDelivery.objects.exists()


@pytest.mark.parametrize("other", ["rival", "medix"])
def test_another_organisations_endpoint_answers_404(request, acme, receiver, other):
    endpoint = disabled(subscribe(acme, receiver.url, ["job.published"])[0])
    team = request.getfixturevalue(other)
    organisation = getattr(team, "lab", None) or team.vendor
    clients: list[APIClient] = [
        key_client(organisation.organisation),
        session_client(team.owner),
    ]

    for client in clients:
        for action in ("enable", "ping"):
            response = client.post(f"{API}/{endpoint.pk}/{action}/")
            assert response.status_code == 404
            assert response.json()["error"]["code"] == "not_found"
        missing = client.post(f"{API}/{endpoint.pk + 1000}/ping/")
        assert missing.status_code == 404
    endpoint.refresh_from_db()
    assert not endpoint.is_active and not WebhookDelivery.objects.exists()
    assert receiver.requests == []


def test_a_repeated_ping_with_the_same_idempotency_key_pings_once(
    acme, acme_key, receiver, django_capture_on_commit_callbacks
):
    endpoint, _ = subscribe(acme, receiver.url, ["job.published"])

    with django_capture_on_commit_callbacks(execute=True):
        first = acme_key.post(f"{API}/{endpoint.pk}/ping/", HTTP_IDEMPOTENCY_KEY="ping-1")
        again = acme_key.post(f"{API}/{endpoint.pk}/ping/", HTTP_IDEMPOTENCY_KEY="ping-1")

    assert first.status_code == again.status_code == 202
    assert again["Idempotent-Replayed"] == "true"
    assert first.json() == again.json()
    assert WebhookDelivery.objects.count() == 1 and len(receiver.requests) == 1


def test_a_repeated_enable_with_the_same_idempotency_key_replays_not_409(acme, acme_key, receiver):
    endpoint = disabled(subscribe(acme, receiver.url, ["job.published"])[0])

    first = acme_key.post(f"{API}/{endpoint.pk}/enable/", HTTP_IDEMPOTENCY_KEY="enable-1")
    again = acme_key.post(f"{API}/{endpoint.pk}/enable/", HTTP_IDEMPOTENCY_KEY="enable-1")
    fresh = acme_key.post(f"{API}/{endpoint.pk}/enable/", HTTP_IDEMPOTENCY_KEY="enable-2")

    assert first.status_code == again.status_code == 200
    assert again["Idempotent-Replayed"] == "true"
    assert fresh.status_code == 409  # a new request meets the endpoint as it now is


def test_the_schema_documents_both_actions(db):
    schema = APIClient().get("/api/schema/?format=json").json()
    paths = schema["paths"]

    enable = paths["/api/v1/webhooks/endpoints/{endpoint_id}/enable/"]["post"]
    ping = paths["/api/v1/webhooks/endpoints/{endpoint_id}/ping/"]["post"]
    assert "requestBody" not in enable and "requestBody" not in ping
    assert enable["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/WebhookEndpointOutput"
    }
    assert ping["responses"]["202"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/WebhookDeliveryOutput"
    }
    assert {"404", "409"} <= set(enable["responses"]) and "404" in ping["responses"]
