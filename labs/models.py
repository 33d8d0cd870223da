"""Labs, their competitors and conflict policy, and the jobs they post."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q

from marketplace.accounts.models import Organisation
from marketplace.core.models import AttestationKind, CredentialField, Domain, QualificationLevel
from marketplace.ownership.models import Entity

PERCENT = [MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))]


class Lab(models.Model):
    organisation = models.OneToOneField(Organisation, on_delete=models.PROTECT, related_name="lab")
    entity = models.OneToOneField(
        Entity,
        on_delete=models.PROTECT,
        related_name="lab",
        help_text="The lab as an owner in the ownership graph.",
    )
    description = models.TextField(blank=True)
    website = models.URLField(blank=True)
    screening_inputs_changed_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When competitors or the conflict policy last changed; screenings requested "
        "before this are stale and are redone.",
    )

    class Meta:
        ordering = ["organisation__name"]

    def __str__(self) -> str:
        return self.organisation.name


class Competitor(models.Model):
    """An entity the lab names as a rival, on the platform or not."""

    lab = models.ForeignKey(Lab, on_delete=models.CASCADE, related_name="competitors")
    entity = models.ForeignKey(Entity, on_delete=models.PROTECT, related_name="named_as_competitor")
    note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["entity__name"]
        constraints = [
            models.UniqueConstraint(fields=["lab", "entity"], name="competitor_unique_per_lab"),
        ]

    def __str__(self) -> str:
        return f"{self.entity} (rival of {self.lab})"


def _default_block() -> Decimal:
    return Decimal(settings.SCREENING_DEFAULT_BLOCK_PERCENT)


def _default_review() -> Decimal:
    return Decimal(settings.SCREENING_DEFAULT_REVIEW_PERCENT)


def _default_lookback() -> int:
    return int(settings.SCREENING_DEFAULT_LOOKBACK_MONTHS)


class ConflictPolicy(models.Model):
    """The thresholds a lab screens vendors with (defaults from DESIGN section 4)."""

    lab = models.OneToOneField(Lab, on_delete=models.CASCADE, related_name="conflict_policy")
    block_percent = models.DecimalField(
        max_digits=6,
        decimal_places=3,
        default=_default_block,
        validators=PERCENT,
        help_text="Blocked when a competitor's effective stake (lower bound) reaches this.",
    )
    review_percent = models.DecimalField(
        max_digits=6,
        decimal_places=3,
        default=_default_review,
        validators=PERCENT,
        help_text="Review when a competitor's effective stake (upper bound) reaches this.",
    )
    lookback_months = models.PositiveSmallIntegerField(
        default=_default_lookback,
        help_text="How long a vendor's former senior official moving to a rival still counts.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "conflict policies"
        constraints = [
            models.CheckConstraint(
                condition=Q(review_percent__gte=0)
                & Q(review_percent__lte=F("block_percent"))
                & Q(block_percent__lte=100),
                name="policy_thresholds_ordered",
            ),
            models.CheckConstraint(
                condition=Q(lookback_months__lte=120), name="policy_lookback_at_most_ten_years"
            ),
        ]

    def __str__(self) -> str:
        return f"Policy of {self.lab}: review {self.review_percent}%, block {self.block_percent}%"


class JobStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    OPEN = "open", "Open"
    EVALUATION = "evaluation", "Evaluation"
    AWARDED = "awarded", "Awarded"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"
    UNSUCCESSFUL = "unsuccessful", "Unsuccessful"


class VolumeUnit(models.TextChoices):
    ITEMS = "items", "Items"
    HOURS = "hours", "Hours"


class Bidding(models.TextChoices):
    SEALED = "sealed", "Sealed"
    OPEN = "open", "Open"


class Sensitivity(models.TextChoices):
    STANDARD = "standard", "Standard"
    CONFIDENTIAL = "confidential", "Confidential"
    PHI = "phi", "Contains protected health information"


class Visibility(models.TextChoices):
    ALL_VENDORS = "all_vendors", "All vendors"
    INVITED = "invited", "Invited vendors only"


class WorkState(models.TextChoices):
    """State of a piece of async work, kept in the database so a reconciler can re-enqueue
    work whose message was lost."""

    IDLE = "idle", "Idle"
    PENDING = "pending", "Pending"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class Job(models.Model):
    lab = models.ForeignKey(Lab, on_delete=models.PROTECT, related_name="jobs")
    title = models.CharField(max_length=200)
    domain = models.ForeignKey(Domain, on_delete=models.PROTECT, related_name="jobs")
    description = models.TextField()
    volume = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    volume_unit = models.CharField(max_length=10, choices=VolumeUnit.choices)
    budget_min = models.DecimalField(max_digits=14, decimal_places=2)
    budget_max = models.DecimalField(max_digits=14, decimal_places=2)
    currency = models.CharField(max_length=3, help_text="ISO 4217 code")
    question_deadline = models.DateTimeField()
    bid_deadline = models.DateTimeField()
    delivery_date = models.DateField()
    sensitivity = models.CharField(
        max_length=20, choices=Sensitivity.choices, default=Sensitivity.STANDARD
    )
    required_attestations = models.ManyToManyField(
        AttestationKind, blank=True, related_name="required_by_jobs"
    )
    bidding = models.CharField(max_length=10, choices=Bidding.choices, default=Bidding.SEALED)
    visibility = models.CharField(
        max_length=20, choices=Visibility.choices, default=Visibility.ALL_VENDORS
    )
    split_allowed = models.BooleanField(default=False)
    max_share_per_vendor = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        default=Decimal(100),
        validators=PERCENT,
        help_text="The largest volume share one vendor may be awarded, in percent.",
    )
    status = models.CharField(max_length=20, choices=JobStatus.choices, default=JobStatus.DRAFT)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    published_at = models.DateTimeField(null=True, blank=True)
    evaluation_started_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(
        null=True, blank=True, help_text="When the job reached a final state."
    )
    cancellation_reason = models.TextField(blank=True)
    matching_state = models.CharField(
        max_length=10, choices=WorkState.choices, default=WorkState.IDLE
    )
    matching_requested_at = models.DateTimeField(null=True, blank=True)
    matching_finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["status", "bid_deadline"]),
            models.Index(fields=["lab", "status"]),
            models.Index(fields=["matching_state", "matching_requested_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(budget_min__gte=0) & Q(budget_min__lte=F("budget_max")),
                name="job_budget_range_valid",
            ),
            models.CheckConstraint(
                condition=Q(question_deadline__lte=F("bid_deadline")),
                name="job_questions_close_before_bids",
            ),
            models.CheckConstraint(
                condition=Q(max_share_per_vendor__gt=0) & Q(max_share_per_vendor__lte=100),
                name="job_max_share_in_range",
            ),
            models.CheckConstraint(
                condition=Q(split_allowed=True) | Q(max_share_per_vendor=100),
                name="job_max_share_only_with_split",
            ),
            models.CheckConstraint(
                condition=Q(status__in=[s.value for s in JobStatus]), name="job_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(currency__regex=r"^[A-Z]{3}$"), name="job_currency_iso"
            ),
            models.CheckConstraint(
                condition=Q(volume_unit__in=[v.value for v in VolumeUnit])
                & Q(sensitivity__in=[v.value for v in Sensitivity])
                & Q(bidding__in=[v.value for v in Bidding])
                & Q(visibility__in=[v.value for v in Visibility]),
                name="job_codes_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_sealed(self) -> bool:
        return self.bidding == Bidding.SEALED


class SeatRequirement(models.Model):
    """N specialists holding a credential in a field at or above a level."""

    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="seat_requirements")
    count = models.PositiveSmallIntegerField(validators=[MinValueValidator(1)])
    field = models.ForeignKey(CredentialField, on_delete=models.PROTECT, related_name="+")
    min_level = models.ForeignKey(QualificationLevel, on_delete=models.PROTECT, related_name="+")
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(count__gte=1), name="seat_count_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.count} x {self.min_level} in {self.field}"
