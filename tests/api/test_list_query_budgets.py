"""The remaining list endpoints: queries pinned, and equal for 3 rows and for 10."""

from __future__ import annotations

from django.utils import timezone

from marketplace.exchange.models import Notification
from marketplace.partners.services import api_key_create
from tests.api.query_budget import queries_for
from tests.exchange.helpers import screening_with_verdict
from tests.factories import VendorFactory


def test_screening_list(db, acme, acme_key):
    for _ in range(3):
        screening_with_verdict(acme.lab, VendorFactory(), verdict="clear")
    three = queries_for(acme_key, "/api/v1/lab/screenings/")
    for _ in range(7):
        screening_with_verdict(acme.lab, VendorFactory(), verdict="clear")
    assert queries_for(acme_key, "/api/v1/lab/screenings/") == three <= 10


def test_notification_list(db, acme):
    from tests.api.conftest import session_client

    client = session_client(acme.owner)

    def notify(n: int) -> None:
        for i in range(n):
            Notification.objects.create(
                recipient=acme.owner,
                organisation=acme.lab.organisation,
                kind="test",
                title=f"n{i}",
                created_at=timezone.now(),
            )

    notify(3)
    three = queries_for(client, "/api/v1/notifications/")
    notify(7)
    assert queries_for(client, "/api/v1/notifications/") == three <= 10


def test_api_key_list(db, acme):
    from tests.api.conftest import session_client

    client = session_client(acme.owner)
    for _ in range(3):
        api_key_create(organisation=acme.lab.organisation, scope="read", name="k")
    three = queries_for(client, "/api/v1/api-keys/")
    for _ in range(7):
        api_key_create(organisation=acme.lab.organisation, scope="read", name="k")
    assert queries_for(client, "/api/v1/api-keys/") == three <= 10
