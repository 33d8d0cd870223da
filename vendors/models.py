"""Vendors, their compliance attestations, and their roster of credentialed specialists."""

from __future__ import annotations

import re
from datetime import date

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from marketplace.accounts.models import Organisation
from marketplace.core.models import AttestationKind, CredentialField, QualificationLevel
from marketplace.ownership.models import Entity


class Vendor(models.Model):
    organisation = models.OneToOneField(
        Organisation, on_delete=models.PROTECT, related_name="vendor"
    )
    entity = models.OneToOneField(
        Entity,
        on_delete=models.PROTECT,
        related_name="vendor",
        help_text="The vendor as a subject in the ownership graph.",
    )
    description = models.TextField(blank=True)
    website = models.URLField(blank=True)
    headquarters = models.CharField(max_length=120, blank=True)

    class Meta:
        ordering = ["organisation__name"]

    def __str__(self) -> str:
        return self.organisation.name


def attestation_upload_to(instance: Attestation, filename: str) -> str:
    # The user's file name is never trusted: the stored name is derived from ids only.
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    suffix = suffix if suffix.isalnum() and len(suffix) <= 5 else "bin"
    return f"attestations/{instance.vendor_id}/{instance.kind_id}-{date.today():%Y%m%d}.{suffix}"


class AttestationStatus(models.TextChoices):
    VALID = "valid", "Valid"
    EXPIRED = "expired", "Expired"
    REVOKED = "revoked", "Revoked"


class Attestation(models.Model):
    vendor = models.ForeignKey(Vendor, on_delete=models.CASCADE, related_name="attestations")
    kind = models.ForeignKey(AttestationKind, on_delete=models.PROTECT, related_name="+")
    issuer = models.CharField(max_length=200, blank=True)
    issued_on = models.DateField()
    expires_on = models.DateField()
    document = models.FileField(upload_to=attestation_upload_to, blank=True)
    status = models.CharField(
        max_length=10, choices=AttestationStatus.choices, default=AttestationStatus.VALID
    )
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["vendor", "kind", "-expires_on"]
        indexes = [models.Index(fields=["status", "expires_on"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(issued_on__lt=F("expires_on")), name="attestation_issued_before_expiry"
            ),
            models.CheckConstraint(
                condition=Q(status__in=[s.value for s in AttestationStatus]),
                name="attestation_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} for {self.vendor} (to {self.expires_on})"

    def document_download_stem(self) -> str:
        """The name its document downloads under, before the extension (which comes
        from the file's bytes): ids and the kind's code in ASCII letters, digits and
        dashes, nothing a browser or a shell would read as a path, a header or a quote."""
        kind = re.sub(r"[^a-z0-9]+", "-", self.kind.code.lower()).strip("-")[:40]
        return f"attestation-{self.pk}-{kind}" if kind else f"attestation-{self.pk}"

    def is_valid_through(self, day: date) -> bool:
        return self.status == AttestationStatus.VALID and self.issued_on <= day < self.expires_on


class Specialist(models.Model):
    vendor = models.ForeignKey(Vendor, on_delete=models.CASCADE, related_name="specialists")
    full_name = models.CharField(max_length=200)
    email = models.EmailField(blank=True)
    headline = models.CharField(max_length=200, blank=True)
    person = models.ForeignKey(
        Entity,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="specialist_profiles",
        help_text="The specialist as a person in the ownership graph.",
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["full_name"]
        indexes = [models.Index(fields=["vendor", "is_active"])]

    def __str__(self) -> str:
        return self.full_name


class CredentialStatus(models.TextChoices):
    PENDING = "pending", "Pending verification"
    VERIFIED = "verified", "Verified"
    REJECTED = "rejected", "Rejected"
    EXPIRED = "expired", "Expired"


_IDENTIFIER_NOISE = re.compile(r"[\s\-\u2010-\u2015\u2212]+")


def normalise_identifier(identifier: str) -> str:
    """ "rn-123 456" and "RN123456" are one licence number: upper case, without spaces or
    dashes (of any kind)."""
    return _IDENTIFIER_NOISE.sub("", identifier).upper()


class Credential(models.Model):
    specialist = models.ForeignKey(Specialist, on_delete=models.CASCADE, related_name="credentials")
    field = models.ForeignKey(CredentialField, on_delete=models.PROTECT, related_name="+")
    level = models.ForeignKey(QualificationLevel, on_delete=models.PROTECT, related_name="+")
    issuer = models.CharField(max_length=200)
    identifier = models.CharField(
        max_length=100, blank=True, help_text="Licence or certificate number."
    )
    identifier_normalised = models.CharField(
        max_length=100,
        blank=True,
        editable=False,
        help_text="The identifier in upper case without spaces or dashes, set by the services: "
        "how the same licence recorded at two vendors is found.",
    )
    issued_on = models.DateField(null=True, blank=True)
    expires_on = models.DateField(
        null=True, blank=True, help_text="Blank for credentials that do not expire (degrees)."
    )
    status = models.CharField(
        max_length=10, choices=CredentialStatus.choices, default=CredentialStatus.PENDING
    )
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    verified_at = models.DateTimeField(null=True, blank=True)
    rejection_reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["specialist", "level"]
        indexes = [
            models.Index(fields=["status", "expires_on"]),
            models.Index(fields=["identifier"]),
            models.Index(
                fields=["identifier_normalised", "level"], name="credential_ident_norm_level"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=[s.value for s in CredentialStatus]),
                name="credential_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(issued_on__isnull=True)
                | Q(expires_on__isnull=True)
                | Q(issued_on__lt=F("expires_on")),
                name="credential_issued_before_expiry",
            ),
            models.CheckConstraint(
                condition=~Q(status=CredentialStatus.VERIFIED)
                | (Q(verified_at__isnull=False) & Q(verified_by__isnull=False)),
                name="credential_verified_has_verifier",
            ),
            models.CheckConstraint(
                condition=~Q(status=CredentialStatus.REJECTED) | ~Q(rejection_reason=""),
                name="credential_rejected_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.level} in {self.field} ({self.specialist})"

    def is_valid_on(self, day: date) -> bool:
        return self.status == CredentialStatus.VERIFIED and (
            self.expires_on is None or self.expires_on > day
        )


class AffiliationRole(models.TextChoices):
    EMPLOYEE = "employee", "Employee"
    ADVISOR = "advisor", "Advisor"
    BOARD_MEMBER = "board_member", "Board member"
    CONTRACTOR = "contractor", "Contractor"


class Affiliation(models.Model):
    """A specialist's tie to another organisation (employer, advisory role), with dates."""

    specialist = models.ForeignKey(
        Specialist, on_delete=models.CASCADE, related_name="affiliations"
    )
    organisation = models.ForeignKey(
        Entity, on_delete=models.PROTECT, related_name="specialist_affiliations"
    )
    role = models.CharField(max_length=20, choices=AffiliationRole.choices)
    start_date = models.DateField(null=True, blank=True)
    end_date = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["specialist", "-start_date"]
        constraints = [
            models.CheckConstraint(
                condition=Q(start_date__isnull=True)
                | Q(end_date__isnull=True)
                | Q(start_date__lt=F("end_date")),
                name="affiliation_start_before_end",
            ),
            models.CheckConstraint(
                condition=Q(role__in=[r.value for r in AffiliationRole]),
                name="affiliation_role_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.specialist}: {self.get_role_display()} at {self.organisation}"

    def is_current_on(self, day: date) -> bool:
        return (self.start_date is None or self.start_date <= day) and (
            self.end_date is None or self.end_date > day
        )


class DuplicateCredentialFlag(models.Model):
    """The same licence or certificate number, at the same qualification level, recorded
    at two vendors: possibly one person offered twice. Neither credential can be verified
    while the flag is open; a platform admin resolves it with a note."""

    identifier_normalised = models.CharField(max_length=100)
    level = models.ForeignKey(QualificationLevel, on_delete=models.PROTECT, related_name="+")
    credential = models.ForeignKey(
        Credential,
        on_delete=models.CASCADE,
        related_name="duplicate_flags",
        help_text="The credential recorded (or changed) last.",
    )
    vendor = models.ForeignKey(Vendor, on_delete=models.CASCADE, related_name="+")
    other_credential = models.ForeignKey(
        Credential,
        on_delete=models.CASCADE,
        related_name="duplicate_flags_as_other",
        help_text="The credential already recorded at another vendor.",
    )
    other_vendor = models.ForeignKey(Vendor, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    resolution_note = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["resolved_at", "created_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["credential", "other_credential"],
                condition=Q(resolved_at__isnull=True),
                name="duplicate_flag_one_open_per_pair",
            ),
            models.CheckConstraint(
                condition=~Q(credential=F("other_credential")) & ~Q(vendor=F("other_vendor")),
                name="duplicate_flag_two_vendors",
            ),
            models.CheckConstraint(
                condition=(Q(resolved_at__isnull=True) & Q(resolution_note=""))
                | (Q(resolved_at__isnull=False) & ~Q(resolution_note="")),
                name="duplicate_flag_resolved_has_note",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.identifier_normalised} at {self.vendor} and {self.other_vendor}"

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None


class RosterImportStatus(models.TextChoices):
    PENDING = "pending", "Waiting to start"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


def roster_import_upload_to(instance: RosterImport, filename: str) -> str:
    # The user's file name is neither trusted nor kept: the row is saved before its file,
    # so its id names it.
    return f"roster-imports/{instance.vendor_id}/{instance.pk}.csv"


class RosterImport(models.Model):
    """A bulk roster upload (one CSV row per specialist credential, docs/roster-import.md)
    and the progress of its import, which a worker runs and a browser polls."""

    vendor = models.ForeignKey(Vendor, on_delete=models.CASCADE, related_name="roster_imports")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    file = models.FileField(upload_to=roster_import_upload_to, max_length=200)
    status = models.CharField(
        max_length=10, choices=RosterImportStatus.choices, default=RosterImportStatus.PENDING
    )
    valid_rows_only = models.BooleanField(
        default=False,
        help_text="Import the valid rows and report the others, instead of all or nothing.",
    )
    total_rows = models.PositiveIntegerField(default=0)
    rows_done = models.PositiveIntegerField(default=0, help_text="Rows checked so far.")
    rows_created = models.PositiveIntegerField(default=0, help_text="Credentials created.")
    specialists_created = models.PositiveIntegerField(default=0)
    errors = models.JSONField(
        default=list, blank=True, help_text='Problems found: [{"row", "column", "message"}].'
    )
    created_at = models.DateTimeField(auto_now_add=True)
    requested_at = models.DateTimeField(
        default=timezone.now,
        help_text="When its task was last sent; the reconciler sends it again only after "
        "this is old enough.",
    )
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "requested_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=[s.value for s in RosterImportStatus]),
                name="roster_import_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(rows_done__lte=F("total_rows")) & Q(rows_created__lte=F("total_rows")),
                name="roster_import_counts_within_total",
            ),
            models.CheckConstraint(
                condition=(
                    Q(status__in=[RosterImportStatus.DONE, RosterImportStatus.FAILED])
                    & Q(finished_at__isnull=False)
                )
                | (
                    Q(status__in=[RosterImportStatus.PENDING, RosterImportStatus.RUNNING])
                    & Q(finished_at__isnull=True)
                ),
                name="roster_import_finished_when_final",
            ),
            models.CheckConstraint(
                condition=~Q(status=RosterImportStatus.RUNNING) | Q(started_at__isnull=False),
                name="roster_import_running_has_start",
            ),
        ]

    def __str__(self) -> str:
        return f"Roster import {self.pk} for {self.vendor}"

    @property
    def percent_done(self) -> int:
        if self.status == RosterImportStatus.DONE:
            return 100
        return (100 * self.rows_done // self.total_rows) if self.total_rows else 0
