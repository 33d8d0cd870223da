"""Reads for vendors, scoped to the caller's organisation."""

from __future__ import annotations

from datetime import date, timedelta

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet

from marketplace.core.errors import NotFound
from marketplace.ownership.models import Entity, RecordType, Stake
from vendors.models import (
    Affiliation,
    Attestation,
    AttestationStatus,
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


# --- For the vendor's browser pages --------------------------------------------------------

# How far ahead an expiry date is flagged on the vendor's pages ("expires in 12 days").
EXPIRING_SOON_DAYS = 60


def expiry_state(*, expires_on: date | None, today: date) -> str:
    """ "expired", "expiring" (within EXPIRING_SOON_DAYS) or "" for an expiry date."""
    if expires_on is None:
        return ""
    if expires_on <= today:
        return "expired"
    if (expires_on - today).days <= EXPIRING_SOON_DAYS:
        return "expiring"
    return ""


def roster_list(*, vendor: Vendor, name: str = "") -> QuerySet[Specialist]:
    """The vendor's active specialists with their credentials and affiliations, for the
    roster page: a fixed number of queries per page, whatever the number of rows."""
    specialists = Specialist.objects.filter(vendor=vendor, is_active=True)
    if name:
        specialists = specialists.filter(full_name__icontains=name)
    return specialists.prefetch_related(
        Prefetch(
            "credentials",
            queryset=Credential.objects.select_related("field", "level").order_by(
                "level__name", "pk"
            ),
        ),
        Prefetch(
            "affiliations",
            queryset=Affiliation.objects.select_related("organisation").order_by(
                "end_date", "-start_date", "pk"
            ),
        ),
    ).order_by("full_name", "pk")


def affiliation_get_for_vendor(*, vendor: Vendor, affiliation_id: int) -> Affiliation:
    try:
        return Affiliation.objects.select_related("specialist", "organisation").get(
            specialist__vendor=vendor, pk=affiliation_id
        )
    except Affiliation.DoesNotExist:
        raise NotFound("No such affiliation.") from None


def attestation_get_for_vendor(*, vendor: Vendor, attestation_id: int) -> Attestation:
    try:
        return attestation_list(vendor=vendor).get(pk=attestation_id)
    except Attestation.DoesNotExist:
        raise NotFound("No such attestation.") from None


def _visible_to(vendor: Vendor) -> Q:
    # Entities another vendor declared are that vendor's own data.
    return ~Q(source__startswith="vendor:") | Q(source=vendor_declaration_source(vendor))


def affiliation_organisation_choices(*, vendor: Vendor) -> QuerySet[Entity]:
    """The organisations a specialist of `vendor` may be affiliated with (the same set
    `affiliation_organisation_find` accepts), by name."""
    return Entity.objects.filter(_visible_to(vendor), record_type=RecordType.ENTITY).order_by(
        "name", "pk"
    )


def stake_party_choices(*, vendor: Vendor) -> QuerySet[Entity]:
    """Existing entities and persons the vendor may name as holding a stake in it: any in
    the ownership graph but its own entity and those other vendors declared, by name."""
    return (
        Entity.objects.filter(_visible_to(vendor))
        .exclude(pk=vendor.entity_id)
        .order_by("name", "pk")
    )


def credential_list_expiring(*, vendor: Vendor, today: date) -> QuerySet[Credential]:
    """Credentials of the vendor's active specialists that expire within
    EXPIRING_SOON_DAYS or have expired, unless a renewal (pending or verified, of the same
    specialist, field and level) runs beyond that window: what the vendor should renew."""
    horizon = today + timedelta(days=EXPIRING_SOON_DAYS)
    renewed = Credential.objects.filter(
        Q(expires_on__isnull=True) | Q(expires_on__gt=horizon),
        specialist=OuterRef("specialist"),
        field=OuterRef("field"),
        level=OuterRef("level"),
        status__in=[CredentialStatus.PENDING, CredentialStatus.VERIFIED],
    )
    return (
        Credential.objects.filter(
            specialist__vendor=vendor,
            specialist__is_active=True,
            expires_on__lte=horizon,
            status__in=[
                CredentialStatus.PENDING,
                CredentialStatus.VERIFIED,
                CredentialStatus.EXPIRED,
            ],
        )
        .exclude(Exists(renewed))
        .select_related("specialist", "field", "level")
        .order_by("expires_on", "pk")
    )


def attestation_list_expiring(*, vendor: Vendor, today: date) -> QuerySet[Attestation]:
    """The vendor's attestations that expire within EXPIRING_SOON_DAYS or have expired,
    unless a valid one of the same kind runs beyond that window."""
    horizon = today + timedelta(days=EXPIRING_SOON_DAYS)
    renewed = Attestation.objects.filter(
        vendor=OuterRef("vendor"),
        kind=OuterRef("kind"),
        status=AttestationStatus.VALID,
        expires_on__gt=horizon,
    )
    return (
        Attestation.objects.filter(
            vendor=vendor,
            expires_on__lte=horizon,
            status__in=[AttestationStatus.VALID, AttestationStatus.EXPIRED],
        )
        .exclude(Exists(renewed))
        .select_related("kind")
        .order_by("expires_on", "pk")
    )
