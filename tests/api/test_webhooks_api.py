"""Webhook endpoints and the delivery log over the API, and marking notifications read."""

from __future__ import annotations

import uuid
from unittest import mock

import pytest
from django.utils import timezone

from marketplace.exchange.models import Notification
from marketplace.partners.models import WebhookDelivery, WebhookDeliveryStatus, WebhookEndpoint
from marketplace.partners.webhook_services import webhook_endpoint_create
from tests.api.conftest import key_client, session_client
from tests.api.query_budget import queries_for

pytestmark = pytest.mark.django_db
API = "/api/v1"
NEW = {"url": "https://hooks.example.test/in", "event_types": ["job.published", "bid.submitted"]}


def make_endpoint(organisation, url: str = "https://hooks.example.test/a") -> WebhookEndpoint:  # type: ignore[no-untyped-def]
    endpoint, _ = webhook_endpoint_create(
        organisation=organisation, url=url, event_types=["job.published"]
    )
    return endpoint


def make_delivery(endpoint: WebhookEndpoint, **fields) -> WebhookDelivery:  # type: ignore[no-untyped-def]
    defaults = {"event_type": "job.published", "status": WebhookDeliveryStatus.SUCCEEDED}
    return WebhookDelivery.objects.create(
        endpoint=endpoint, event_id=uuid.uuid4(), payload={}, **(defaults | fields)
    )


def test_the_owner_creates_an_endpoint_and_sees_the_secret_once(acme):
    client = session_client(acme.owner)
    response = client.post(f"{API}/webhooks/endpoints/", NEW, format="json")

    assert response.status_code == 201, response.json()
    body = response.json()
    endpoint = WebhookEndpoint.objects.get(pk=body["id"])
    assert body["secret"] == endpoint.secret and body["secret"].startswith("whsec_")
    assert body["event_types"] == ["job.published", "bid.submitted"]
    assert "secret" not in client.get(f"{API}/webhooks/endpoints/{endpoint.pk}/").json()
    listed = client.get(f"{API}/webhooks/endpoints/").json()["results"]
    assert [e["id"] for e in listed] == [endpoint.pk]
    assert "secret" not in listed[0]


def test_a_write_key_acts_as_an_owner(medix, medix_key):
    response = medix_key.post(f"{API}/webhooks/endpoints/", NEW, format="json")
    assert response.status_code == 201
    assert WebhookEndpoint.objects.get().organisation == medix.vendor.organisation


@pytest.mark.parametrize("role", ["procurement", "reviewer"])
def test_other_lab_roles_read_but_cannot_manage(acme, role):
    endpoint = make_endpoint(acme.lab.organisation)
    delivery = make_delivery(endpoint)
    client = session_client(getattr(acme, role))

    assert client.get(f"{API}/webhooks/endpoints/").json()["count"] == 1
    assert client.post(f"{API}/webhooks/endpoints/", NEW, format="json").status_code == 403
    url = f"{API}/webhooks/endpoints/{endpoint.pk}/"
    assert client.patch(url, {"url": "https://x.test/"}, format="json").status_code == 403
    assert client.delete(url).status_code == 403
    redeliver = f"{API}/webhooks/deliveries/{delivery.pk}/redeliver/"
    assert client.post(redeliver).status_code == 403
    assert WebhookEndpoint.objects.filter(pk=endpoint.pk).exists()


def test_a_bid_manager_cannot_manage_endpoints(medix):
    response = session_client(medix.bid_manager).post(
        f"{API}/webhooks/endpoints/", NEW, format="json"
    )
    assert response.status_code == 403


def test_the_owner_edits_and_deletes_an_endpoint(acme):
    endpoint = make_endpoint(acme.lab.organisation)
    client = session_client(acme.owner)
    url = f"{API}/webhooks/endpoints/{endpoint.pk}/"

    response = client.patch(
        url, {"event_types": ["job.awarded"], "is_active": False}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert response.json()["event_types"] == ["job.awarded"]
    assert response.json()["is_active"] is True  # not an input here

    bad = client.patch(url, {"url": "http://plain.example.test/"}, format="json")
    assert bad.status_code == 400

    assert client.delete(url).status_code == 204
    assert not WebhookEndpoint.objects.filter(pk=endpoint.pk).exists()


def test_unknown_event_types_are_refused(acme):
    response = session_client(acme.owner).post(
        f"{API}/webhooks/endpoints/", {"url": NEW["url"], "event_types": ["nope"]}, format="json"
    )
    assert response.status_code == 400
    assert "event_types" in response.json()["error"]["fields"]


def test_another_organisations_endpoints_and_deliveries_answer_404(acme, rival, medix):
    endpoint = make_endpoint(acme.lab.organisation)
    delivery = make_delivery(endpoint)
    for client in (key_client(rival.lab.organisation), session_client(medix.owner)):
        url = f"{API}/webhooks/endpoints/{endpoint.pk}/"
        assert client.get(url).status_code == 404
        assert client.patch(url, {"url": "https://x.test/"}, format="json").status_code == 404
        assert client.delete(url).status_code == 404
        redeliver = f"{API}/webhooks/deliveries/{delivery.pk}/redeliver/"
        assert client.post(redeliver).status_code == 404
        assert client.get(f"{API}/webhooks/endpoints/").json()["count"] == 0
        assert client.get(f"{API}/webhooks/deliveries/").json()["count"] == 0
    assert WebhookEndpoint.objects.filter(pk=endpoint.pk).exists()


def test_deliveries_filter_by_endpoint_status_and_event_type(acme):
    first = make_endpoint(acme.lab.organisation)
    second = make_endpoint(acme.lab.organisation, url="https://hooks.example.test/b")
    ok = make_delivery(first)
    failed = make_delivery(first, status=WebhookDeliveryStatus.FAILED, event_type="bid.submitted")
    other = make_delivery(second)
    client = session_client(acme.reviewer)

    def ids(query: str) -> set[int]:
        return {
            d["id"] for d in client.get(f"{API}/webhooks/deliveries/?{query}").json()["results"]
        }

    assert ids("") == {ok.pk, failed.pk, other.pk}
    assert ids(f"endpoint={first.pk}") == {ok.pk, failed.pk}
    assert ids("status=failed") == {failed.pk}
    assert ids("event_type=job.published") == {ok.pk, other.pk}
    assert client.get(f"{API}/webhooks/deliveries/?status=bogus").status_code == 400


def test_the_owner_redelivers(acme):
    delivery = make_delivery(make_endpoint(acme.lab.organisation))
    with mock.patch("marketplace.partners.webhook_services._enqueue") as enqueue:
        response = session_client(acme.owner).post(
            f"{API}/webhooks/deliveries/{delivery.pk}/redeliver/",
            HTTP_IDEMPOTENCY_KEY="redeliver-1",
        )

    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "pending"
    enqueue.assert_called_once_with(delivery.pk)


def test_redelivery_to_a_disabled_endpoint_is_refused(acme):
    endpoint = make_endpoint(acme.lab.organisation)
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(is_active=False)
    delivery = make_delivery(endpoint)
    response = session_client(acme.owner).post(
        f"{API}/webhooks/deliveries/{delivery.pk}/redeliver/"
    )
    assert response.status_code == 409


# --- Notifications ------------------------------------------------------------------------


def notify(user, organisation) -> Notification:  # type: ignore[no-untyped-def]
    return Notification.objects.create(
        recipient=user, organisation=organisation, kind="test", title="t", created_at=timezone.now()
    )


def test_mark_read_marks_only_the_callers_own(acme, rival):
    mine = notify(acme.owner, acme.lab.organisation)
    colleagues = notify(acme.reviewer, acme.lab.organisation)
    elsewhere = notify(rival.owner, rival.lab.organisation)
    client = session_client(acme.owner)

    response = client.post(
        f"{API}/notifications/mark-read/",
        {"ids": [mine.pk, colleagues.pk, elsewhere.pk]},
        format="json",
    )

    assert response.status_code == 200, response.json()
    assert response.json() == {"marked": 1}
    assert Notification.objects.filter(read_at__isnull=False).get() == mine
    assert client.get(f"{API}/notifications/?unread=true").json()["count"] == 0


def test_mark_read_needs_ids(acme):
    response = session_client(acme.owner).post(
        f"{API}/notifications/mark-read/", {"ids": []}, format="json"
    )
    assert response.status_code == 400


# --- Query budgets ------------------------------------------------------------------------


def test_endpoint_list_query_budget(acme, acme_key):
    for i in range(3):
        make_endpoint(acme.lab.organisation, url=f"https://hooks.example.test/{i}")
    three = queries_for(acme_key, f"{API}/webhooks/endpoints/")
    for i in range(7):
        make_endpoint(acme.lab.organisation, url=f"https://hooks.example.test/x{i}")
    assert queries_for(acme_key, f"{API}/webhooks/endpoints/") == three <= 10


def test_delivery_list_query_budget(acme, acme_key):
    endpoints = [
        make_endpoint(acme.lab.organisation, url=f"https://hooks.example.test/{i}")
        for i in range(3)
    ]
    for endpoint in endpoints:
        make_delivery(endpoint)
    three = queries_for(acme_key, f"{API}/webhooks/deliveries/")
    for _ in range(7):
        make_delivery(endpoints[0])
    assert queries_for(acme_key, f"{API}/webhooks/deliveries/") == three <= 10
