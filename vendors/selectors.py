"""Reads for vendors, scoped to the caller's organisation."""

from __future__ import annotations

from datetime import date

from django.db.models import Prefetch, Q, QuerySet

from marketplace.core.errors import NotFound
from marketplace.ownership.models import Entity, Stake
from vendors.models import (
    Attestation,
    Credential,
    CredentialStatus,
    RosterImport,
    Specialist,
    Vendor,
)


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


def vendor_declaration_source(vendor: Vendor) -> str:
    """The `source` of entities a vendor declared (by hand or in its BODS file)."""
    return f"vendor:{vendor.organisation.slug}"


def declared_entity_list(*, vendor: Vendor) -> QuerySet[Entity]:
    """The entities whose ownership the vendor declares: its own, and those it declared."""
    return Entity.objects.filter(
        Q(pk=vendor.entity_id) | Q(source=vendor_declaration_source(vendor))
    )


def stake_list_for_vendor(*, vendor: Vendor) -> QuerySet[Stake]:
    """Stakes in the vendor's entity or in an entity the vendor declared."""
    return (
        Stake.objects.filter(subject__in=declared_entity_list(vendor=vendor))
        .select_related("subject", "interested_party")
        .order_by("subject__name", "interested_party__name", "pk")
    )


def stake_get_for_vendor(*, vendor: Vendor, stake_id: int) -> Stake:
    stake = stake_list_for_vendor(vendor=vendor).filter(pk=stake_id).first()
    if stake is None:
        raise NotFound("No such stake.")
    return stake


def attestation_list(*, vendor: Vendor) -> QuerySet[Attestation]:
    return Attestation.objects.filter(vendor=vendor).select_related("kind")


def specialist_detail_for_vendor(*, vendor: Vendor, specialist_id: int) -> Specialist:
    """One of the vendor's specialists with its credentials and affiliations."""
    try:
        return (
            Specialist.objects.filter(vendor=vendor)
            .prefetch_related(
                Prefetch(
                    "credentials", queryset=Credential.objects.select_related("field", "level")
                ),
                "affiliations__organisation",
            )
            .get(pk=specialist_id)
        )
    except Specialist.DoesNotExist:
        raise NotFound("No such specialist.") from None


def credential_get_for_vendor(*, vendor: Vendor, credential_id: int) -> Credential:
    try:
        return Credential.objects.select_related("specialist__vendor", "field", "level").get(
            specialist__vendor=vendor, pk=credential_id
        )
    except Credential.DoesNotExist:
        raise NotFound("No such credential.") from None


def affiliation_organisation_find(*, vendor: Vendor, entity_id: int) -> Entity | None:
    """An entity a specialist of `vendor` may be affiliated with: any in the ownership
    graph except those another vendor declared (a vendor's declarations are its own)."""
    return (
        Entity.objects.filter(pk=entity_id)
        .filter(~Q(source__startswith="vendor:") | Q(source=vendor_declaration_source(vendor)))
        .first()
    )
