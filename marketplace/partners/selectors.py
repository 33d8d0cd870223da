"""Reads for partner access, scoped to the caller's organisation."""

from __future__ import annotations

from django.db.models import QuerySet

from marketplace.accounts.models import Organisation
from marketplace.core.errors import NotFound
from marketplace.partners.models import OrganisationAPIKey


def api_key_list_for_org(*, organisation: Organisation) -> QuerySet[OrganisationAPIKey]:
    return OrganisationAPIKey.objects.filter(organisation=organisation).select_related(
        "organisation", "created_by"
    )


def api_key_get_for_org(*, organisation: Organisation, prefix: str) -> OrganisationAPIKey:
    try:
        return api_key_list_for_org(organisation=organisation).get(prefix=prefix)
    except OrganisationAPIKey.DoesNotExist:
        raise NotFound("No such API key.") from None
