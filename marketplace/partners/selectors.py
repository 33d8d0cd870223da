"""Reads for partner access, scoped to the caller's organisation."""

from __future__ import annotations

from django.db.models import QuerySet

from marketplace.accounts.models import Organisation
from marketplace.core.errors import NotFound
from marketplace.partners.models import OrganisationAPIKey, WebhookDelivery, WebhookEndpoint


def api_key_list_for_org(*, organisation: Organisation) -> QuerySet[OrganisationAPIKey]:
    return OrganisationAPIKey.objects.filter(organisation=organisation).select_related(
        "organisation", "created_by"
    )


def api_key_get_for_org(*, organisation: Organisation, prefix: str) -> OrganisationAPIKey:
    try:
        return api_key_list_for_org(organisation=organisation).get(prefix=prefix)
    except OrganisationAPIKey.DoesNotExist:
        raise NotFound("No such API key.") from None


def webhook_endpoint_list_for_org(*, organisation: Organisation) -> QuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.filter(organisation=organisation).select_related("organisation")


def webhook_endpoint_get_for_org(
    *, organisation: Organisation, endpoint_id: int
) -> WebhookEndpoint:
    try:
        return webhook_endpoint_list_for_org(organisation=organisation).get(pk=endpoint_id)
    except WebhookEndpoint.DoesNotExist:
        raise NotFound("No such webhook endpoint.") from None


def webhook_delivery_list_for_org(*, organisation: Organisation) -> QuerySet[WebhookDelivery]:
    return WebhookDelivery.objects.filter(endpoint__organisation=organisation).select_related(
        "endpoint"
    )


def webhook_delivery_get_for_org(
    *, organisation: Organisation, delivery_id: int
) -> WebhookDelivery:
    try:
        return webhook_delivery_list_for_org(organisation=organisation).get(pk=delivery_id)
    except WebhookDelivery.DoesNotExist:
        raise NotFound("No such webhook delivery.") from None
