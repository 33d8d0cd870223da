"""Writes for vendors: profile, attestations, roster and the credential lifecycle
(pending -> verified | rejected; verified -> expired by date)."""

from __future__ import annotations

from datetime import date

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from marketplace.accounts.models import OrganisationKind, User
from marketplace.accounts.services import organisation_create
from marketplace.core.errors import InvalidTransition, NotPermitted, RuleViolation
from marketplace.core.models import AttestationKind, CredentialField, QualificationLevel
from marketplace.ownership.models import Entity, EntityType
from marketplace.ownership.services import entity_create
from vendors.models import (
    Affiliation,
    AffiliationRole,
    Attestation,
    AttestationStatus,
    Credential,
    CredentialStatus,
    Specialist,
    Vendor,
)
from vendors.permissions import can_manage_profile, can_manage_roster, can_verify_credentials


@transaction.atomic
def vendor_create(
    *,
    name: str,
    slug: str | None = None,
    entity: Entity | None = None,
    description: str = "",
    website: str = "",
    headquarters: str = "",
    jurisdiction: str = "",
) -> Vendor:
    """Creates the vendor organisation and, unless given, its entity in the ownership graph."""
    organisation = organisation_create(kind=OrganisationKind.VENDOR, name=name, slug=slug)
    if entity is None:
        entity = entity_create(
            name=name,
            entity_type=EntityType.REGISTERED_ENTITY,
            jurisdiction=jurisdiction,
            source="platform",
        )
    return Vendor.objects.create(
        organisation=organisation,
        entity=entity,
        description=description,
        website=website,
        headquarters=headquarters,
    )


@transaction.atomic
def vendor_update_profile(*, vendor: Vendor, user: User, **changes: str) -> Vendor:
    if not can_manage_profile(user, vendor):
        raise NotPermitted("Only the vendor's owner may edit its profile.")
    allowed = {"description", "website", "headquarters"}
    if set(changes) - allowed:
        raise RuleViolation(f"Only {', '.join(sorted(allowed))} can be changed here.")
    for name, value in changes.items():
        setattr(vendor, name, value)
    vendor.save(update_fields=list(changes))
    return vendor


@transaction.atomic
def attestation_add(
    *,
    vendor: Vendor,
    user: User,
    kind: AttestationKind,
    issued_on: date,
    expires_on: date,
    issuer: str = "",
    document: UploadedFile | None = None,
) -> Attestation:
    if not can_manage_profile(user, vendor):
        raise NotPermitted("Only the vendor's owner may add attestations.")
    if expires_on <= issued_on:
        raise RuleViolation("An attestation must expire after it is issued.", field="expires_on")
    status = (
        AttestationStatus.VALID if expires_on > timezone.localdate() else AttestationStatus.EXPIRED
    )
    attestation = Attestation(
        vendor=vendor,
        kind=kind,
        issued_on=issued_on,
        expires_on=expires_on,
        issuer=issuer,
        status=status,
    )
    if document is not None:
        attestation.document.save(document.name or "attestation", document, save=False)
    attestation.save()
    return attestation


def attestation_expire_due(*, today: date | None = None) -> list[int]:
    """Marks valid attestations whose expiry date has come as expired. Idempotent: the
    guarded update touches only rows still valid. Returns the ids it expired."""
    today = today or timezone.localdate()
    with transaction.atomic():
        ids = list(
            Attestation.objects.select_for_update(skip_locked=True)
            .filter(status=AttestationStatus.VALID, expires_on__lte=today)
            .values_list("id", flat=True)
        )
        for attestation in Attestation.objects.filter(id__in=ids):
            # Saved one by one so the change history records each expiry.
            attestation.status = AttestationStatus.EXPIRED
            attestation.save(update_fields=["status"])
    return ids


@transaction.atomic
def specialist_create(
    *,
    vendor: Vendor,
    user: User | None,
    full_name: str,
    email: str = "",
    headline: str = "",
    person: Entity | None = None,
) -> Specialist:
    if user is not None and not can_manage_roster(user, vendor):
        raise NotPermitted("Only the vendor's owner or bid managers may change the roster.")
    if not full_name.strip():
        raise RuleViolation("A specialist needs a name.", field="full_name")
    return Specialist.objects.create(
        vendor=vendor, full_name=full_name.strip(), email=email, headline=headline, person=person
    )


@transaction.atomic
def credential_add(
    *,
    specialist: Specialist,
    user: User | None,
    field: CredentialField,
    level: QualificationLevel,
    issuer: str,
    identifier: str = "",
    issued_on: date | None = None,
    expires_on: date | None = None,
) -> Credential:
    """Adds a credential for verification; it counts for matching only once verified."""
    if user is not None and not can_manage_roster(user, specialist.vendor):
        raise NotPermitted("Only the vendor's owner or bid managers may change the roster.")
    if issued_on and expires_on and expires_on <= issued_on:
        raise RuleViolation("A credential must expire after it is issued.", field="expires_on")
    return Credential.objects.create(
        specialist=specialist,
        field=field,
        level=level,
        issuer=issuer,
        identifier=identifier.strip(),
        issued_on=issued_on,
        expires_on=expires_on,
    )


CREDENTIAL_SUBSTANCE_FIELDS = frozenset(
    {"field", "level", "issuer", "identifier", "issued_on", "expires_on"}
)


@transaction.atomic
def credential_update(
    *, credential: Credential, user: User | None, **changes: object
) -> Credential:
    """Corrects a credential's details. What was verified is no longer what is recorded,
    so a verified or rejected credential goes back to pending verification."""
    unknown = set(changes) - CREDENTIAL_SUBSTANCE_FIELDS
    if unknown:
        raise RuleViolation(f"These fields cannot be changed: {', '.join(sorted(unknown))}.")
    credential = _credential_for_update(credential)
    if user is not None and not can_manage_roster(user, credential.specialist.vendor):
        raise NotPermitted("Only the vendor's owner or bid managers may change the roster.")
    if credential.status == CredentialStatus.EXPIRED:
        raise InvalidTransition("An expired credential cannot be changed; add the renewed one.")
    for name, value in changes.items():
        setattr(credential, name, value.strip() if isinstance(value, str) else value)
    if user is not None:
        credential._history_user = user  # type: ignore[attr-defined]
    if (
        credential.issued_on
        and credential.expires_on
        and credential.expires_on <= credential.issued_on
    ):
        raise RuleViolation("A credential must expire after it is issued.", field="expires_on")
    if changes:
        credential.status = CredentialStatus.PENDING
        credential.verified_by = None
        credential.verified_at = None
        credential.rejection_reason = ""
    credential.save()
    return credential


def _credential_for_update(credential: Credential) -> Credential:
    return Credential.objects.select_for_update().get(pk=credential.pk)


@transaction.atomic
def credential_verify(*, credential: Credential, user: User) -> Credential:
    if not can_verify_credentials(user):
        raise NotPermitted("Only platform admins verify credentials.")
    credential = _credential_for_update(credential)
    if credential.status != CredentialStatus.PENDING:
        status = credential.get_status_display().lower()
        raise InvalidTransition(f"Only a pending credential can be verified; this one is {status}.")
    if credential.expires_on is not None and credential.expires_on <= timezone.localdate():
        raise RuleViolation("This credential has already expired; it cannot be verified.")
    credential.status = CredentialStatus.VERIFIED
    credential._history_user = user  # type: ignore[attr-defined]
    credential.verified_by = user
    credential.verified_at = timezone.now()
    credential.rejection_reason = ""
    credential.save(update_fields=["status", "verified_by", "verified_at", "rejection_reason"])
    return credential


@transaction.atomic
def credential_reject(*, credential: Credential, user: User, reason: str) -> Credential:
    if not can_verify_credentials(user):
        raise NotPermitted("Only platform admins reject credentials.")
    if not reason.strip():
        raise RuleViolation("Say why the credential is rejected.", field="reason")
    credential = _credential_for_update(credential)
    if credential.status != CredentialStatus.PENDING:
        status = credential.get_status_display().lower()
        raise InvalidTransition(f"Only a pending credential can be rejected; this one is {status}.")
    credential.status = CredentialStatus.REJECTED
    credential._history_user = user  # type: ignore[attr-defined]
    credential.rejection_reason = reason.strip()
    credential.verified_by = user
    credential.verified_at = timezone.now()
    credential.save(update_fields=["status", "rejection_reason", "verified_by", "verified_at"])
    return credential


def credential_expire_due(*, today: date | None = None) -> list[int]:
    """Moves verified credentials whose expiry date has come to expired. Idempotent."""
    today = today or timezone.localdate()
    with transaction.atomic():
        ids = list(
            Credential.objects.select_for_update(skip_locked=True)
            .filter(status=CredentialStatus.VERIFIED, expires_on__lte=today)
            .values_list("id", flat=True)
        )
        for credential in Credential.objects.filter(id__in=ids):
            # Saved one by one so the change history records each expiry.
            credential.status = CredentialStatus.EXPIRED
            credential.save(update_fields=["status"])
    return ids


@transaction.atomic
def affiliation_add(
    *,
    specialist: Specialist,
    user: User | None,
    organisation: Entity,
    role: str,
    start_date: date | None = None,
    end_date: date | None = None,
) -> Affiliation:
    if user is not None and not can_manage_roster(user, specialist.vendor):
        raise NotPermitted("Only the vendor's owner or bid managers may change the roster.")
    if role not in AffiliationRole.values:
        raise RuleViolation(
            f"The role must be one of {', '.join(AffiliationRole.values)}.", field="role"
        )
    if start_date and end_date and end_date <= start_date:
        raise RuleViolation("An affiliation must end after it starts.", field="end_date")
    return Affiliation.objects.create(
        specialist=specialist,
        organisation=organisation,
        role=role,
        start_date=start_date,
        end_date=end_date,
    )
