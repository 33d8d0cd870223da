"""Reads for vendors, scoped to the caller's organisation."""

from __future__ import annotations

from datetime import date

from django.db.models import Prefetch, Q, QuerySet

from marketplace.core.errors import NotFound
from vendors.models import Credential, CredentialStatus, RosterImport, Specialist, Vendor


def specialist_list(*, vendor: Vendor) -> QuerySet[Specialist]:
    return (
        Specialist.objects.filter(vendor=vendor, is_active=True)
        .prefetch_related(
            Prefetch("credentials", queryset=Credential.objects.select_related("field", "level"))
        )
        .order_by("full_name")
    )


def specialist_get_for_vendor(*, vendor: Vendor, specialist_id: int) -> Specialist:
    try:
        return Specialist.objects.get(vendor=vendor, pk=specialist_id)
    except Specialist.DoesNotExist:
        raise NotFound("No such specialist.") from None


def credentials_valid_on(*, vendor: Vendor, day: date) -> QuerySet[Credential]:
    """Verified credentials of the vendor's active specialists that are unexpired on `day`."""
    return Credential.objects.filter(
        Q(expires_on__isnull=True) | Q(expires_on__gt=day),
        specialist__vendor=vendor,
        specialist__is_active=True,
        status=CredentialStatus.VERIFIED,
    ).select_related("field", "level", "specialist")


def roster_import_list(*, vendor: Vendor) -> QuerySet[RosterImport]:
    return RosterImport.objects.filter(vendor=vendor).select_related("uploaded_by")


def roster_import_get_for_vendor(*, vendor: Vendor, import_id: int) -> RosterImport:
    """One import with its progress, for the uploader's progress bar."""
    try:
        return RosterImport.objects.get(vendor=vendor, pk=import_id)
    except RosterImport.DoesNotExist:
        raise NotFound("No such roster import.") from None
