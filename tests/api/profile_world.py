"""Objects the route-policy world needs for the profile, roster and webhook routes."""

from __future__ import annotations

import uuid
from typing import Any

from django.utils import timezone

from marketplace.exchange.models import Notification
from marketplace.partners.models import WebhookDelivery, WebhookDeliveryStatus
from marketplace.partners.webhook_services import webhook_endpoint_create
from tests.factories import (
    AttestationKindFactory,
    CredentialFactory,
    CredentialFieldFactory,
    EntityFactory,
    QualificationLevelFactory,
)
from tests.plugins.personas import LabTeam, VendorTeam
from vendors.models import RosterImport


def profile_world(
    acme: LabTeam, medix: VendorTeam
) -> tuple[dict[str, dict[str, Any]], dict[str, dict]]:
    """Route ids and request bodies, keyed like the policy table. Object ids are Acme's
    (webhooks) and Medix's (roster), so every other organisation must get 404."""
    specialist = medix.specialists[0]
    credential = CredentialFactory(specialist=specialist)
    roster_import = RosterImport.objects.create(
        vendor=medix.vendor, uploaded_by=medix.owner, total_rows=1
    )
    endpoint, _ = webhook_endpoint_create(
        organisation=acme.lab.organisation,
        url="https://hooks.example.test/acme",
        event_types=["job.published"],
    )
    delivery = WebhookDelivery.objects.create(
        endpoint=endpoint,
        event_type="job.published",
        event_id=uuid.uuid4(),
        payload={},
        status=WebhookDeliveryStatus.SUCCEEDED,
    )
    notification = Notification.objects.create(
        recipient=acme.owner,
        organisation=acme.lab.organisation,
        kind="test",
        title="Hello",
        created_at=timezone.now(),
    )
    ids = {
        "api:v1:vendor-specialist": {"specialist_id": specialist.pk},
        "api:v1:vendor-specialist-credentials": {"specialist_id": specialist.pk},
        "api:v1:vendor-specialist-affiliations": {"specialist_id": specialist.pk},
        "api:v1:vendor-credential": {"credential_id": credential.pk},
        "api:v1:vendor-roster-import": {"import_id": roster_import.pk},
        "api:v1:webhook-endpoint": {"endpoint_id": endpoint.pk},
        "api:v1:webhook-delivery-redeliver": {"delivery_id": delivery.pk},
    }
    today = timezone.localdate()
    bodies = {
        "api:v1:vendor-profile-update": {"headquarters": "Boston"},
        "api:v1:vendor-attestations-create": {
            "kind": AttestationKindFactory().code,
            "issued_on": str(today.replace(year=today.year - 1)),
            "expires_on": str(today.replace(year=today.year + 1)),
        },
        "api:v1:vendor-specialists-create": {"full_name": "Dr Ada Obi"},
        "api:v1:vendor-specialist-credentials": {
            "field": CredentialFieldFactory().code,
            "level": QualificationLevelFactory().code,
            "issuer": "Medical Board",
            "identifier": "NEW-1",
        },
        "api:v1:vendor-specialist-affiliations": {
            "organisation": EntityFactory().pk,
            "role": "advisor",
        },
        "api:v1:vendor-credential-update": {"issuer": "Another Board"},
        "api:v1:notifications-mark-read": {"ids": [notification.pk]},
        "api:v1:webhook-endpoints-create": {
            "url": "https://hooks.example.test/new",
            "event_types": ["job.published"],
        },
        "api:v1:webhook-endpoint-update": {"event_types": ["job.awarded"]},
    }
    return ids, bodies
