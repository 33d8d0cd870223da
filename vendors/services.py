"""Writes for vendors: profile, attestations, roster and the credential lifecycle
(pending -> verified | rejected; verified -> expired by date)."""

from __future__ import annotations

import csv
import hashlib
import io
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, BinaryIO, cast

from django.apps import apps
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from marketplace.accounts.models import OrganisationKind, User
from marketplace.accounts.services import organisation_create
from marketplace.core import uploads
from marketplace.core.async_work import enqueue_on_commit
from marketplace.core.errors import InvalidTransition, NotFound, NotPermitted, RuleViolation
from marketplace.core.models import AttestationKind, CredentialField, QualificationLevel
from marketplace.ownership.bods import DeclarationScope, ImportSummary, bods_import
from marketplace.ownership.models import Entity, EntityType, Provenance, Stake
from marketplace.ownership.services import entity_create, stake_create, stake_end
from vendors.models import (
    Affiliation,
    AffiliationRole,
    Attestation,
    AttestationStatus,
    Credential,
    CredentialStatus,
    DuplicateCredentialFlag,
    RosterImport,
    RosterImportStatus,
    Specialist,
    Vendor,
    normalise_identifier,
)
from vendors.permissions import can_manage_profile, can_manage_roster, can_verify_credentials
from vendors.selectors import declared_entity_list, vendor_declaration_source

logger = logging.getLogger(__name__)

# Work owned by the exchange app, asked for by name (vendors must not import exchange).
REEVALUATE_INVITATIONS_TASK = "marketplace.exchange.tasks.reevaluate_vendor_invitations_task"
NOTIFY_EXPIRIES_TASK = "marketplace.exchange.tasks.notify_vendor_expiries_task"
# The partners app's webhook outbox, reached through the app registry (docs/webhooks.md).
WEBHOOK_OUTBOX_APP = "partners"


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
    document_type = uploads.check_attestation_document(document) if document is not None else None
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
    if document is not None and document_type is not None:
        # Named after the type its content shows; the client's name is never stored.
        attestation.document.save(f"document.{document_type.suffix}", document, save=False)
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
        vendor_ids: set[int] = set()
        for attestation in Attestation.objects.filter(id__in=ids):
            # Saved one by one so the change history records each expiry.
            attestation.status = AttestationStatus.EXPIRED
            attestation.save(update_fields=["status"])
            vendor_ids.add(attestation.vendor_id)
        if ids:
            enqueue_on_commit(NOTIFY_EXPIRIES_TASK, [], ids)
            enqueue_on_commit(REEVALUATE_INVITATIONS_TASK, sorted(vendor_ids))
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


SPECIALIST_EDITABLE_FIELDS = frozenset({"full_name", "email", "headline"})


@transaction.atomic
def specialist_update(*, specialist: Specialist, user: User | None, **changes: str) -> Specialist:
    """Corrects a specialist's name, e-mail address or headline; their credentials are
    untouched (a credential is corrected with credential_update)."""
    unknown = set(changes) - SPECIALIST_EDITABLE_FIELDS
    if unknown:
        raise RuleViolation(f"These fields cannot be changed: {', '.join(sorted(unknown))}.")
    if user is not None and not can_manage_roster(user, specialist.vendor):
        raise NotPermitted("Only the vendor's owner or bid managers may change the roster.")
    specialist = Specialist.objects.select_for_update().get(pk=specialist.pk)
    if "full_name" in changes:
        changes["full_name"] = changes["full_name"].strip()
        if not changes["full_name"]:
            raise RuleViolation("A specialist needs a name.", field="full_name")
    for name, value in changes.items():
        setattr(specialist, name, value)
    if changes:
        specialist.save(update_fields=sorted(changes))
    return specialist


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
    credential = Credential.objects.create(
        specialist=specialist,
        field=field,
        level=level,
        issuer=issuer,
        identifier=identifier.strip(),
        identifier_normalised=normalise_identifier(identifier),
        issued_on=issued_on,
        expires_on=expires_on,
    )
    _flag_duplicates_across_vendors([credential], vendor=specialist.vendor)
    return credential


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
    credential.identifier_normalised = normalise_identifier(credential.identifier)
    credential.save()
    if "identifier" in changes or "level" in changes:
        _reflag_duplicates(credential, user=user)
    if changes:
        # A corrected credential is pending again: the vendor's open invitations are checked.
        enqueue_on_commit(REEVALUATE_INVITATIONS_TASK, [credential.specialist.vendor_id])
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
    _refuse_while_flagged(credential)
    credential.status = CredentialStatus.VERIFIED
    credential._history_user = user  # type: ignore[attr-defined]
    credential.verified_by = user
    credential.verified_at = timezone.now()
    credential.rejection_reason = ""
    credential.save(update_fields=["status", "verified_by", "verified_at", "rejection_reason"])
    enqueue_on_commit(REEVALUATE_INVITATIONS_TASK, [credential.specialist.vendor_id])
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
        vendor_ids: set[int] = set()
        for credential in Credential.objects.filter(id__in=ids).select_related("specialist"):
            # Saved one by one so the change history records each expiry.
            credential.status = CredentialStatus.EXPIRED
            credential.save(update_fields=["status"])
            vendor_ids.add(credential.specialist.vendor_id)
        if ids:
            _announce_credentials_expired(ids)
            enqueue_on_commit(NOTIFY_EXPIRIES_TASK, ids, [])
            enqueue_on_commit(REEVALUATE_INVITATIONS_TASK, sorted(vendor_ids))
    return ids


def _announce_credentials_expired(credential_ids: list[int]) -> None:
    """Caller holds the transaction that expired the credentials: the credential.expired
    event (one per vendor) is recorded in the webhook outbox with it, so a lost message
    cannot lose the event."""
    expired = (
        Credential.objects.filter(pk__in=credential_ids)
        .select_related("specialist__vendor", "field", "level")
        .order_by("specialist__full_name", "pk")
    )
    by_vendor: dict[Vendor, list[Credential]] = {}
    for credential in expired:
        by_vendor.setdefault(credential.specialist.vendor, []).append(credential)
    for vendor, credentials in by_vendor.items():
        digest = hashlib.sha256("\n".join(str(c.pk) for c in credentials).encode()).hexdigest()
        apps.get_app_config(WEBHOOK_OUTBOX_APP).event_emit(  # type: ignore[attr-defined]
            organisation_ids=[vendor.organisation_id],
            event_type="credential.expired",
            payload={
                "vendor_id": vendor.pk,
                "credentials": [
                    {
                        "id": c.pk,
                        "specialist_id": c.specialist_id,
                        "specialist": c.specialist.full_name,
                        "field": str(c.field),
                        "level": str(c.level),
                        "expires_on": c.expires_on,
                    }
                    for c in credentials
                ],
            },
            event_id=uuid.uuid5(
                uuid.NAMESPACE_URL,
                f"marketplace-event:credential.expired:{vendor.pk}:{digest[:16]}",
            ),
        )


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


@transaction.atomic
def affiliation_end(*, affiliation: Affiliation, user: User | None, end_date: date) -> Affiliation:
    """Ends a specialist's affiliation: from `end_date` on it no longer holds. An
    affiliation already ended may be ended earlier, never later."""
    affiliation = (
        Affiliation.objects.select_for_update()
        .select_related("specialist__vendor")
        .get(pk=affiliation.pk)
    )
    if user is not None and not can_manage_roster(user, affiliation.specialist.vendor):
        raise NotPermitted("Only the vendor's owner or bid managers may change the roster.")
    if affiliation.end_date is not None and affiliation.end_date <= end_date:
        raise InvalidTransition(
            f"This affiliation already ended on {affiliation.end_date.isoformat()}."
        )
    if affiliation.start_date is not None and end_date <= affiliation.start_date:
        raise RuleViolation("An affiliation must end after it starts.", field="end_date")
    affiliation.end_date = end_date
    affiliation.save(update_fields=["end_date"])
    return affiliation


# --- The same licence at two vendors ---------------------------------------------------------

IDENTIFIER_LOOKUP_CHUNK = 500


def _flag_duplicates_across_vendors(
    credentials: Sequence[Credential],
    *,
    vendor: Vendor,
    already_flagged: frozenset[tuple[int, int]] = frozenset(),
) -> list[DuplicateCredentialFlag]:
    """Flags each of `credentials` (all at `vendor`, saved) whose normalised identifier is
    already recorded at another vendor for the same qualification level: possibly the same
    person offered twice. Caller holds a transaction.

    Platform staff have no organisation to send an in-app notification to, so the flags
    are logged and wait in the admin's list of open duplicate flags."""
    by_key: dict[tuple[str, int], list[Credential]] = {}
    for credential in credentials:
        if credential.identifier_normalised:
            key = (credential.identifier_normalised, credential.level_id)
            by_key.setdefault(key, []).append(credential)
    identifiers = sorted({identifier for identifier, _ in by_key})
    flags: list[DuplicateCredentialFlag] = []
    for start in range(0, len(identifiers), IDENTIFIER_LOOKUP_CHUNK):
        others = (
            Credential.objects.filter(
                identifier_normalised__in=identifiers[start : start + IDENTIFIER_LOOKUP_CHUNK]
            )
            .exclude(specialist__vendor=vendor)
            .values_list("pk", "identifier_normalised", "level_id", "specialist__vendor_id")
        )
        for other_id, identifier, level_id, other_vendor_id in others:
            for credential in by_key.get((identifier, level_id), ()):
                if (credential.pk, other_id) in already_flagged:
                    continue
                flags.append(
                    DuplicateCredentialFlag(
                        identifier_normalised=identifier,
                        level_id=level_id,
                        credential=credential,
                        vendor=vendor,
                        other_credential_id=other_id,
                        other_vendor_id=other_vendor_id,
                    )
                )
    if flags:
        DuplicateCredentialFlag.objects.bulk_create(flags, batch_size=1000)
        logger.warning(
            "%d duplicate credential flag(s) opened for vendor %s: identifiers %s",
            len(flags),
            vendor.pk,
            ", ".join(sorted({flag.identifier_normalised for flag in flags})[:20]),
        )
    return flags


def _reflag_duplicates(credential: Credential, *, user: User | None) -> None:
    """After the identifier or level changed: open flags that no longer hold are closed,
    and new duplicates are flagged. Caller holds the credential's row lock."""
    key = (credential.identifier_normalised, credential.level_id)
    still_open: set[tuple[int, int]] = set()
    open_flags = DuplicateCredentialFlag.objects.filter(
        Q(credential=credential) | Q(other_credential=credential), resolved_at__isnull=True
    ).select_related("credential", "other_credential")
    for flag in open_flags:
        counterpart = (
            flag.other_credential if flag.credential_id == credential.pk else flag.credential
        )
        if (counterpart.identifier_normalised, counterpart.level_id) == key:
            still_open.add((flag.credential_id, flag.other_credential_id))
            continue
        flag.resolved_at = timezone.now()
        flag.resolved_by = user
        flag.resolution_note = "No longer a duplicate: the identifier or level was changed."
        flag.save(update_fields=["resolved_at", "resolved_by", "resolution_note"])
    _flag_duplicates_across_vendors(
        [credential], vendor=credential.specialist.vendor, already_flagged=frozenset(still_open)
    )


def _refuse_while_flagged(credential: Credential) -> None:
    flag = (
        DuplicateCredentialFlag.objects.filter(
            Q(credential=credential) | Q(other_credential=credential), resolved_at__isnull=True
        )
        .select_related("vendor__organisation", "other_vendor__organisation")
        .order_by("created_at")
        .first()
    )
    if flag is None:
        return
    other = flag.other_vendor if flag.credential_id == credential.pk else flag.vendor
    raise RuleViolation(
        f"The identifier {credential.identifier} is also recorded at {other} for the same "
        "level; resolve the duplicate flag before verifying.",
        code="duplicate_credential",
    )


@transaction.atomic
def duplicate_flag_resolve(
    *, flag: DuplicateCredentialFlag, user: User, note: str
) -> DuplicateCredentialFlag:
    """An admin has looked into the duplicate (one person at two vendors, a typo, a fake)
    and says what they found; the credentials can then be verified or rejected."""
    if not can_verify_credentials(user):
        raise NotPermitted("Only platform admins resolve duplicate credential flags.")
    if not note.strip():
        raise RuleViolation("Say what was found.", field="note")
    flag = DuplicateCredentialFlag.objects.select_for_update().get(pk=flag.pk)
    if flag.resolved_at is not None:
        raise InvalidTransition("This flag is already resolved.")
    flag.resolved_at = timezone.now()
    flag.resolved_by = user
    flag.resolution_note = note.strip()
    flag.save(update_fields=["resolved_at", "resolved_by", "resolution_note"])
    return flag


# --- Bulk roster import ------------------------------------------------------------------------
# The CSV format is documented in docs/roster-import.md; keep the two in step.

ROSTER_COLUMNS = (
    "specialist_name",
    "specialist_email",
    "field",
    "level",
    "issuer",
    "identifier",
    "issued_on",
    "expires_on",
)
ROSTER_REQUIRED_CELLS = (
    "specialist_name",
    "specialist_email",
    "field",
    "level",
    "issuer",
    "issued_on",
)
ROSTER_MAX_LENGTHS = {
    "specialist_name": 200,
    "specialist_email": 254,
    "issuer": 200,
    "identifier": 100,
}
# Checked in marketplace/core/uploads.py; set from the environment (ROSTER_CSV_MAX_BYTES).
ROSTER_IMPORT_MAX_BYTES: int = settings.ROSTER_CSV_MAX_BYTES
# Rows checked between two progress updates (each a short committed UPDATE).
ROSTER_PROGRESS_EVERY = 500
# An import's errors are kept up to this many, then summarised.
ROSTER_ERRORS_KEPT = 1000
ROSTER_WRITE_BATCH = 1000
# A pending import not started after this long has lost its message; the reconciler
# sends it again.
ROSTER_IMPORT_RESEND_AFTER = timedelta(minutes=5)


def _roster_import_lease() -> timedelta:
    """A running import older than the task's hard time limit was killed: its one
    write transaction never committed, so it can start again."""
    return timedelta(seconds=int(getattr(settings, "CELERY_TASK_TIME_LIMIT", 600)) + 60)


def _roster_text(data: bytes) -> str:
    return uploads.csv_text(data, field="file")


def _roster_records(text: str) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """The header's column names and the non-blank data records, each with its row number
    as a spreadsheet shows it (the header is row 1). Refuses a file whose header is not
    the roster header."""
    try:
        rows = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as error:
        raise RuleViolation(f"The file is not valid CSV: {error}.", field="file") from None
    if not rows:
        raise RuleViolation("The file is empty.", field="file")
    header = [name.strip().lower() for name in rows[0]]
    while header and not header[-1]:  # spreadsheets may leave empty cells after the last
        header.pop()
    expected = ", ".join(ROSTER_COLUMNS)
    missing = [name for name in ROSTER_COLUMNS if name not in header]
    unknown = [name for name in header if name not in ROSTER_COLUMNS]
    if missing or unknown or len(set(header)) != len(header):
        problems = []
        if missing:
            problems.append(f"missing {', '.join(missing)}")
        if unknown:
            problems.append(f"unknown {', '.join(repr(name) for name in unknown[:10])}")
        if len(set(header)) != len(header):
            problems.append("a column named twice")
        raise RuleViolation(
            f"The first row must name the roster columns ({expected}); "
            f"this one has {'; '.join(problems)}.",
            field="file",
        )
    records = [
        (number, cells)
        for number, cells in enumerate(rows[1:], start=2)
        if any(cell.strip() for cell in cells)
    ]
    if not records:
        raise RuleViolation("The file has a header but no rows.", field="file")
    return header, records


@transaction.atomic
def roster_import_start(
    *, vendor: Vendor, user: User, uploaded_file: UploadedFile, valid_rows_only: bool = False
) -> RosterImport:
    """Accepts a roster CSV (docs/roster-import.md) and queues its import. The file is
    checked here only for what makes it unreadable (size, encoding, header); every row is
    checked by `roster_import_run`."""
    if not can_manage_roster(user, vendor):
        raise NotPermitted("Only the vendor's owner or bid managers may change the roster.")
    data = uploads.read_roster_csv(uploaded_file, max_bytes=ROSTER_IMPORT_MAX_BYTES)
    _, records = _roster_records(_roster_text(data))
    roster_import = RosterImport.objects.create(
        vendor=vendor, uploaded_by=user, valid_rows_only=valid_rows_only, total_rows=len(records)
    )
    roster_import.file.save("roster.csv", ContentFile(data), save=True)
    _send_roster_import(roster_import.pk)
    return roster_import


def _send_roster_import(import_id: int) -> None:
    from vendors.tasks import roster_import_task

    roster_import_task.delay_on_commit(import_id)


# {"row": spreadsheet row number or None for the whole file, "column": name or None,
#  "message": a sentence for the uploader}
RosterError = dict[str, Any]


@dataclass
class _RosterRow:
    number: int
    name: str
    email: str
    field_id: int
    level_id: int
    issuer: str
    identifier: str
    identifier_normalised: str
    issued_on: date
    expires_on: date | None


def _parse_day(value: str) -> date | None:
    if len(value) != 10 or value[4] != "-" or value[7] != "-":
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


class _RosterChecker:
    """Checks roster records against the vocabularies, the date rules, each other and the
    vendor's roster, with a fixed number of queries whatever the number of rows."""

    def __init__(self, vendor: Vendor) -> None:
        self.fields = {f.code.lower(): f for f in CredentialField.objects.active()}
        self.levels = {lv.code.lower(): lv for lv in QualificationLevel.objects.active()}
        self.level_names = {lv.pk: lv.name for lv in self.levels.values()}
        # Current (pending or verified) credentials: a renewal of an expired one is welcome.
        self.on_roster: dict[tuple[str, int], str] = {}
        current = (
            Credential.objects.filter(
                specialist__vendor=vendor,
                status__in=[CredentialStatus.PENDING, CredentialStatus.VERIFIED],
            )
            .exclude(identifier="")
            .values_list("identifier", "level_id", "specialist__full_name")
        )
        for identifier, level_id, name in current:
            self.on_roster.setdefault((normalise_identifier(identifier), level_id), name)
        # Every row naming each (identifier, level), valid otherwise or not.
        self.rows_by_identifier: dict[tuple[str, int], list[int]] = {}
        self.errors: list[RosterError] = []

    def error(self, row: int, column: str | None, message: str) -> None:
        self.errors.append({"row": row, "column": column, "message": message})

    def _known(self, kind: str, value: str, vocabulary: dict[str, object]) -> str:
        codes = sorted(vocabulary)
        shown = ", ".join(codes[:20]) + (", ..." if len(codes) > 20 else "")
        return f"Unknown {kind} code '{value}'. Known codes: {shown or 'none'}."

    def check(self, number: int, header: list[str], cells: list[str]) -> _RosterRow | None:
        before = len(self.errors)
        if len(cells) > len(header) and any(cell.strip() for cell in cells[len(header) :]):
            self.error(
                number, None, f"This row has {len(cells)} cells; the header has {len(header)}."
            )
        values = dict(zip(header, (cell.strip() for cell in cells), strict=False))
        for column in ROSTER_COLUMNS:
            values.setdefault(column, "")
        for column in ROSTER_REQUIRED_CELLS:
            if not values[column]:
                self.error(number, column, "Required; this cell is empty.")
        for column, limit in ROSTER_MAX_LENGTHS.items():
            if len(values[column]) > limit:
                self.error(number, column, f"At most {limit} characters.")
        email = values["specialist_email"].lower()
        if email:
            try:
                validate_email(email)
            except ValidationError:
                self.error(number, "specialist_email", f"'{email}' is not an e-mail address.")
        field = self.fields.get(values["field"].lower())
        if values["field"] and field is None:
            self.error(number, "field", self._known("field", values["field"], self.fields))
        level = self.levels.get(values["level"].lower())
        if values["level"] and level is None:
            self.error(number, "level", self._known("level", values["level"], self.levels))
        days: dict[str, date | None] = {}
        for column in ("issued_on", "expires_on"):
            days[column] = _parse_day(values[column]) if values[column] else None
            if values[column] and days[column] is None:
                self.error(
                    number, column, f"'{values[column]}' is not a date in the form YYYY-MM-DD."
                )
        issued_on, expires_on = days["issued_on"], days["expires_on"]
        if issued_on and expires_on and expires_on <= issued_on:
            self.error(
                number, "expires_on", f"The expiry date must be after the issue date ({issued_on})."
            )
        identifier_normalised = normalise_identifier(values["identifier"])
        if level is not None and identifier_normalised:
            key = (identifier_normalised, level.pk)
            self.rows_by_identifier.setdefault(key, []).append(number)
            holder = self.on_roster.get((identifier_normalised, level.pk))
            if holder is not None:
                self.error(
                    number,
                    "identifier",
                    f"{values['identifier']} ({level.name}) is already on the roster, "
                    f"held by {holder}.",
                )
        if len(self.errors) > before or field is None or level is None or issued_on is None:
            return None
        return _RosterRow(
            number=number,
            name=values["specialist_name"],
            email=email,
            field_id=field.pk,
            level_id=level.pk,
            issuer=values["issuer"],
            identifier=values["identifier"],
            identifier_normalised=identifier_normalised,
            issued_on=issued_on,
            expires_on=expires_on,
        )

    def drop_duplicates_within_file(self, rows: list[_RosterRow]) -> list[_RosterRow]:
        """Every row of a licence number given twice is refused: which one is right is
        for the vendor to say. Call after every record has been checked."""
        refused = set()
        for (_, level_id), numbers in self.rows_by_identifier.items():
            if len(numbers) < 2:
                continue
            level = self.level_names[level_id]
            for number in numbers:
                refused.add(number)
                others = ", ".join(str(n) for n in numbers if n != number)
                self.error(number, "identifier", f"The same {level} number is on row {others}.")
        return [row for row in rows if row.number not in refused]

    def sorted_errors(self) -> list[RosterError]:
        def position(error: RosterError) -> tuple[int, int]:
            column = error["column"]
            return (error["row"] or 0, ROSTER_COLUMNS.index(column) if column else -1)

        errors = sorted(self.errors, key=position)
        if len(errors) > ROSTER_ERRORS_KEPT:
            left = len(errors) - ROSTER_ERRORS_KEPT
            errors = errors[:ROSTER_ERRORS_KEPT]
            errors.append({"row": None, "column": None, "message": f"... and {left} more errors."})
        return errors


def roster_import_run(*, import_id: int) -> RosterImport | None:
    """Runs a queued import: checks every row first (recording progress as it goes), then
    writes all rows in one transaction, or none if any row is wrong, unless the uploader
    chose to import the valid rows only. Idempotent: only a pending import (or a running
    one whose worker died) is claimed; otherwise returns None and does nothing."""
    started = timezone.now()
    claimed = (
        RosterImport.objects.filter(pk=import_id)
        .filter(
            Q(status=RosterImportStatus.PENDING)
            | Q(status=RosterImportStatus.RUNNING, started_at__lt=started - _roster_import_lease())
        )
        .update(status=RosterImportStatus.RUNNING, started_at=started, rows_done=0, errors=[])
    )
    if not claimed:
        return None
    # Our claim: a run that took over after our lease ran out changes started_at.
    ours = RosterImport.objects.filter(
        pk=import_id, status=RosterImportStatus.RUNNING, started_at=started
    )
    try:
        _roster_import_claimed(import_id, ours)
    except Exception:
        # Hand the import back so the task's retry can claim it: it wrote nothing.
        try:
            ours.update(status=RosterImportStatus.PENDING, rows_done=0)
        except Exception:  # the database itself may be failing; then the lease runs out
            logger.exception("could not hand roster import %s back", import_id)
        raise
    return RosterImport.objects.select_related("vendor").get(pk=import_id)


def _announce_roster_import_finished(import_id: int) -> None:
    """Caller holds the transaction that finished the import: the event is recorded in
    the webhook outbox with it."""
    roster_import = RosterImport.objects.select_related("vendor").get(pk=import_id)
    assert roster_import.finished_at is not None
    run = f"{roster_import.pk}:{roster_import.finished_at.isoformat()}"
    apps.get_app_config(WEBHOOK_OUTBOX_APP).event_emit(  # type: ignore[attr-defined]
        organisation_ids=[roster_import.vendor.organisation_id],
        event_type="roster_import.finished",
        payload={
            "roster_import_id": roster_import.pk,
            "vendor_id": roster_import.vendor_id,
            "status": roster_import.status,
            "total_rows": roster_import.total_rows,
            "rows_created": roster_import.rows_created,
            "specialists_created": roster_import.specialists_created,
            "error_count": len(roster_import.errors or []),
            "finished_at": roster_import.finished_at.isoformat(),
        },
        event_id=uuid.uuid5(uuid.NAMESPACE_URL, f"marketplace-event:roster_import.finished:{run}"),
    )


def _roster_import_claimed(import_id: int, ours: QuerySet[RosterImport]) -> None:
    roster_import = RosterImport.objects.select_related("vendor", "uploaded_by").get(pk=import_id)
    vendor = roster_import.vendor
    if not can_manage_roster(roster_import.uploaded_by, vendor):
        _roster_import_failed(
            import_id,
            ours,
            "The uploader can no longer change this vendor's roster; nothing was imported.",
        )
        return
    try:
        with roster_import.file.open("rb") as stored:
            header, records = _roster_records(_roster_text(stored.read()))
    except (OSError, ValueError, RuleViolation) as error:
        message = error.message if isinstance(error, RuleViolation) else "The file is missing."
        _roster_import_failed(import_id, ours, f"{message} Nothing was imported.")
        return

    checker = _RosterChecker(vendor)
    rows: list[_RosterRow] = []
    for done, (number, cells) in enumerate(records, start=1):
        row = checker.check(number, header, cells)
        if row is not None:
            rows.append(row)
        if done % ROSTER_PROGRESS_EVERY == 0 and done < len(records):
            ours.update(rows_done=done)  # committed on its own, for the progress bar
    rows = checker.drop_duplicates_within_file(rows)
    errors = checker.sorted_errors()

    with transaction.atomic():
        if not ours.select_for_update().exists():
            return
        written = bool(rows) and (not errors or roster_import.valid_rows_only)
        specialists_created, credentials = (
            _roster_write(roster_import, rows) if written else (0, [])
        )
        if ours.update(
            status=RosterImportStatus.DONE if written else RosterImportStatus.FAILED,
            rows_done=len(records),
            rows_created=len(credentials),
            specialists_created=specialists_created,
            errors=errors,
            finished_at=timezone.now(),
        ):
            _announce_roster_import_finished(import_id)


@transaction.atomic
def _roster_import_failed(import_id: int, ours: QuerySet[RosterImport], message: str) -> None:
    if ours.update(
        status=RosterImportStatus.FAILED,
        errors=[{"row": None, "column": None, "message": message}],
        finished_at=timezone.now(),
    ):
        _announce_roster_import_finished(import_id)


def _roster_write(
    roster_import: RosterImport, rows: list[_RosterRow]
) -> tuple[int, list[Credential]]:
    """Caller holds the transaction. Specialists are matched by e-mail within the vendor
    (the first row names a new one); credentials start pending, as with credential_add."""
    vendor = roster_import.vendor
    by_email: dict[str, int] = {}
    existing = (
        Specialist.objects.filter(vendor=vendor)
        .exclude(email="")
        .order_by("pk")
        .values_list("email", "pk")
    )
    for email, pk in existing:
        by_email.setdefault(email.lower(), pk)
    new_specialists: dict[str, Specialist] = {}
    for row in rows:
        if row.email not in by_email and row.email not in new_specialists:
            new_specialists[row.email] = Specialist(
                vendor=vendor, full_name=row.name, email=row.email
            )
    created = Specialist.objects.bulk_create(
        list(new_specialists.values()), batch_size=ROSTER_WRITE_BATCH
    )
    if any(specialist.pk is None for specialist in created):  # a backend returning no ids
        created = list(Specialist.objects.filter(vendor=vendor, email__in=list(new_specialists)))
    for specialist in created:
        by_email.setdefault(specialist.email.lower(), specialist.pk)
    credentials = bulk_create_with_history(
        [
            Credential(
                specialist_id=by_email[row.email],
                field_id=row.field_id,
                level_id=row.level_id,
                issuer=row.issuer,
                identifier=row.identifier,
                identifier_normalised=row.identifier_normalised,
                issued_on=row.issued_on,
                expires_on=row.expires_on,
                status=CredentialStatus.PENDING,
            )
            for row in rows
        ],
        Credential,
        batch_size=ROSTER_WRITE_BATCH,
        default_user=roster_import.uploaded_by,
        default_change_reason=f"Roster import {roster_import.pk}",
    )
    _flag_duplicates_across_vendors(credentials, vendor=vendor)
    return len(created), credentials


def roster_import_record_failure(*, import_id: int) -> None:
    """The task failed for good: the import ends as failed, having written nothing."""
    _roster_import_failed(
        import_id,
        RosterImport.objects.filter(
            pk=import_id, status__in=[RosterImportStatus.PENDING, RosterImportStatus.RUNNING]
        ),
        "The import stopped on an internal error; nothing was imported. "
        "Please upload the file again.",
    )


def roster_import_reconcile() -> list[int]:
    """Sends again the imports whose message was lost: pending, or running past the
    lease (the worker died), and not sent for ROSTER_IMPORT_RESEND_AFTER. Each is sent
    once per window, even by reconcilers running at once (a guarded update of
    `requested_at` decides); sending twice is harmless anyway: a run claims first."""
    now = timezone.now()
    due = Q(requested_at__lt=now - ROSTER_IMPORT_RESEND_AFTER)
    candidates = RosterImport.objects.filter(
        due,
        Q(status=RosterImportStatus.PENDING)
        | Q(status=RosterImportStatus.RUNNING, started_at__lt=now - _roster_import_lease()),
    ).values_list("pk", flat=True)
    resent = []
    for import_id in candidates:
        if RosterImport.objects.filter(due, pk=import_id).update(requested_at=now):
            _send_roster_import(import_id)
            resent.append(import_id)
    return resent


# --- Ownership declaration ----------------------------------------------------------------
# The ownership services take no user: the vendor-owner rule is checked here.

# Checked in marketplace/core/uploads.py; set from the environment (BODS_MAX_BYTES).
BODS_UPLOAD_MAX_BYTES: int = settings.BODS_MAX_BYTES


def _require_profile_manager(user: User, vendor: Vendor) -> None:
    if not can_manage_profile(user, vendor):
        raise NotPermitted("Only the vendor's owner may change its ownership declaration.")


@transaction.atomic
def vendor_stake_declare(
    *,
    vendor: Vendor,
    user: User,
    interested_party: Entity | None = None,
    interested_party_name: str = "",
    interested_party_type: str = EntityType.REGISTERED_ENTITY,
    subject: Entity | None = None,
    interested_party_record_id: str = "",
    subject_record_id: str = "",
    **terms: Any,
) -> Stake:
    """A self-declared stake in the vendor's entity (or in an entity the vendor declared),
    held by an existing entity (given, or named by its record id) or by a new one named
    here. The browser page and the API both declare through here."""
    _require_profile_manager(user, vendor)
    if interested_party is None and interested_party_record_id:
        interested_party = _entity_by_record_id(
            interested_party_record_id, field="interested_party_record_id"
        )
    if subject is None and subject_record_id:
        subject = _entity_by_record_id(subject_record_id, field="subject_record_id")
    if subject is None:
        subject = vendor.entity
    elif not declared_entity_list(vendor=vendor).filter(pk=subject.pk).exists():
        raise NotFound("No such entity among those you declare.", field="subject")
    if interested_party is None:
        if interested_party_type not in EntityType.values:
            raise RuleViolation(
                f"Unknown entity type {interested_party_type!r}.", field="interested_party_type"
            )
        interested_party = entity_create(
            name=interested_party_name,
            entity_type=interested_party_type,
            source=vendor_declaration_source(vendor),
        )
    return stake_create(
        interested_party=interested_party,
        subject=subject,
        provenance=Provenance.SELF_DECLARED,
        declared_at=timezone.localdate(),
        source_note=vendor_declaration_source(vendor),
        **terms,
    )


def _entity_by_record_id(record_id: str, *, field: str) -> Entity:
    entity = Entity.objects.filter(record_id=record_id).first()
    if entity is None:
        raise RuleViolation("No entity has that record id.", field=field)
    return entity


def vendor_stake_end(*, vendor: Vendor, user: User, stake: Stake, end_date: date) -> Stake:
    """Ends a stake the vendor declared itself; imported and verified ones are not its own."""
    _require_profile_manager(user, vendor)
    if stake.provenance != Provenance.SELF_DECLARED:
        raise NotPermitted("Only self-declared stakes can be ended here.")
    return stake_end(stake=stake, end_date=end_date)


def vendor_bods_import(*, vendor: Vendor, user: User, upload: UploadedFile) -> ImportSummary:
    """Imports the vendor's BODS 0.4 file (JSON or JSON Lines), all or nothing."""
    _require_profile_manager(user, vendor)
    uploads.check_json_upload(upload, max_bytes=BODS_UPLOAD_MAX_BYTES)
    source = vendor_declaration_source(vendor)
    return bods_import(
        stream=cast(BinaryIO, upload),  # an uploaded file reads as bytes
        source=source,
        scope=DeclarationScope(own_entity_id=vendor.entity_id, source=source),
    )
