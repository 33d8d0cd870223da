"""Where labs and vendors meet: invitations, questions, bids, screenings, awards,
contracts and notifications."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from labs.models import Job, Lab, WorkState
from marketplace.accounts.models import Organisation
from vendors.models import Specialist, Vendor


class Invitation(models.Model):
    """A matching result: this vendor is invited to bid on this job, with why."""

    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="invitations")
    vendor = models.ForeignKey(Vendor, on_delete=models.CASCADE, related_name="invitations")
    rank = models.PositiveIntegerField()
    score = models.DecimalField(max_digits=7, decimal_places=3)
    reasons = models.JSONField(default=list, help_text="Sentences a lab can read.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["job", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["job", "vendor"], name="invitation_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.vendor} invited to {self.job}"


class Question(models.Model):
    """A vendor's question during the open period. The asker is never shown to anyone
    but the asking vendor and platform admins."""

    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="questions")
    asked_by_vendor = models.ForeignKey(Vendor, on_delete=models.CASCADE, related_name="+")
    asked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    body = models.TextField()
    answer = models.TextField(blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    asked_at = models.DateTimeField(auto_now_add=True)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["job", "asked_at"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(answered_at__isnull=True) & Q(answer=""))
                | (Q(answered_at__isnull=False) & ~Q(answer="")),
                name="question_answer_consistent",
            ),
        ]

    def __str__(self) -> str:
        return self.body[:60]


class BidStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"
    WITHDRAWN = "withdrawn", "Withdrawn"
    SHORTLISTED = "shortlisted", "Shortlisted"
    REJECTED = "rejected", "Rejected"
    DISQUALIFIED = "disqualified", "Disqualified (conflict)"
    AWARDED = "awarded", "Awarded"


class Bid(models.Model):
    """A vendor's offer. The current terms live here; every submitted version is kept
    as a BidRevision."""

    job = models.ForeignKey(Job, on_delete=models.PROTECT, related_name="bids")
    vendor = models.ForeignKey(Vendor, on_delete=models.PROTECT, related_name="bids")
    status = models.CharField(max_length=20, choices=BidStatus.choices, default=BidStatus.DRAFT)
    price = models.DecimalField(max_digits=14, decimal_places=2)
    currency = models.CharField(max_length=3)
    timeline_days = models.PositiveIntegerField()
    note = models.TextField(blank=True)
    proposed_specialists = models.ManyToManyField(Specialist, blank=True, related_name="bids")
    revision_number = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(blank=True)

    history = HistoricalRecords(m2m_fields=[proposed_specialists])

    class Meta:
        ordering = ["job", "price"]
        indexes = [
            models.Index(fields=["vendor", "status"]),
            models.Index(fields=["job", "status"]),
        ]
        constraints = [
            # One active bid per vendor per job: a withdrawn bid makes room for a new one.
            models.UniqueConstraint(
                fields=["job", "vendor"],
                condition=~Q(status=BidStatus.WITHDRAWN),
                name="bid_one_active_per_vendor_job",
            ),
            models.CheckConstraint(condition=Q(price__gt=0), name="bid_price_positive"),
            models.CheckConstraint(
                condition=Q(currency__regex=r"^[A-Z]{3}$"), name="bid_currency_iso"
            ),
            models.CheckConstraint(
                condition=Q(status__in=[s.value for s in BidStatus]), name="bid_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=[BidStatus.DRAFT, BidStatus.WITHDRAWN])
                | Q(submitted_at__isnull=False),
                name="bid_submitted_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.vendor} on {self.job}"


class BidRevision(models.Model):
    """An immutable copy of the bid's terms as submitted (revision 1) or revised (2, 3...)."""

    bid = models.ForeignKey(Bid, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    price = models.DecimalField(max_digits=14, decimal_places=2)
    currency = models.CharField(max_length=3)
    timeline_days = models.PositiveIntegerField()
    note = models.TextField(blank=True)
    specialist_ids = models.JSONField(default=list)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["bid", "number"]
        constraints = [
            models.UniqueConstraint(fields=["bid", "number"], name="bid_revision_number_unique"),
            models.CheckConstraint(condition=Q(number__gte=1), name="bid_revision_number_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.bid} rev {self.number}"


class Verdict(models.TextChoices):
    CLEAR = "clear", "Clear"
    REVIEW = "review", "Review"
    BLOCKED = "blocked", "Blocked"
    CLEARED_BY_OVERRIDE = "cleared_by_override", "Cleared by override"


# Worse verdicts sort higher: a lab is told when its verdict moves up this scale.
VERDICT_SEVERITY = {
    Verdict.CLEAR: 0,
    Verdict.CLEARED_BY_OVERRIDE: 0,
    Verdict.REVIEW: 1,
    Verdict.BLOCKED: 2,
}


class Screening(models.Model):
    """The conflict-of-interest verdict for a lab and a vendor (bid is null), or for a
    bid with its proposed specialists, with the evidence that produced it."""

    lab = models.ForeignKey(Lab, on_delete=models.CASCADE, related_name="screenings")
    vendor = models.ForeignKey(Vendor, on_delete=models.CASCADE, related_name="screenings")
    bid = models.OneToOneField(
        Bid, on_delete=models.CASCADE, null=True, blank=True, related_name="screening"
    )
    # NULL means "not computed yet", which is not the same as any verdict.
    verdict = models.CharField(max_length=20, choices=Verdict.choices, null=True, blank=True)  # noqa: DJ001
    computed_verdict = models.CharField(  # noqa: DJ001
        max_length=20,
        choices=Verdict.choices,
        null=True,
        blank=True,
        help_text="What the rules gave, before any override.",
    )
    evidence = models.JSONField(default=dict, blank=True)
    policy = models.JSONField(default=dict, blank=True, help_text="The policy values used.")
    as_of = models.DateField(null=True, blank=True)
    ownership_version = models.PositiveBigIntegerField(null=True, blank=True)
    state = models.CharField(max_length=10, choices=WorkState.choices, default=WorkState.PENDING)
    requested_at = models.DateTimeField()
    computed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    override_reason = models.TextField(blank=True)
    overridden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    overridden_at = models.DateTimeField(null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-requested_at"]
        indexes = [models.Index(fields=["state", "requested_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["lab", "vendor"],
                condition=Q(bid__isnull=True),
                name="screening_one_per_lab_vendor",
            ),
            models.CheckConstraint(
                condition=Q(verdict__isnull=True) | Q(verdict__in=[v.value for v in Verdict]),
                name="screening_verdict_valid",
            ),
            models.CheckConstraint(
                condition=~Q(verdict=Verdict.CLEARED_BY_OVERRIDE)
                | (
                    ~Q(override_reason="")
                    & Q(overridden_by__isnull=False)
                    & Q(overridden_at__isnull=False)
                ),
                name="screening_override_has_reason",
            ),
        ]

    def __str__(self) -> str:
        target = f"bid {self.bid_id}" if self.bid_id else str(self.vendor)
        return f"{self.lab} x {target}: {self.verdict or 'pending'}"

    @property
    def blocks_award(self) -> bool:
        return self.verdict == Verdict.BLOCKED


class Award(models.Model):
    """The lab's decision on a job. One per job, so a job is awarded exactly once."""

    job = models.OneToOneField(Job, on_delete=models.PROTECT, related_name="award")
    awarded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    awarded_at = models.DateTimeField(auto_now_add=True)
    note = models.TextField(blank=True)

    history = HistoricalRecords()

    def __str__(self) -> str:
        return f"Award of {self.job}"


class ContractStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    COMPLETED = "completed", "Completed"


class Contract(models.Model):
    """One awarded bid with its share of the job's volume, then delivery and rating."""

    award = models.ForeignKey(Award, on_delete=models.PROTECT, related_name="contracts")
    bid = models.OneToOneField(Bid, on_delete=models.PROTECT, related_name="contract")
    vendor = models.ForeignKey(Vendor, on_delete=models.PROTECT, related_name="contracts")
    lab = models.ForeignKey(Lab, on_delete=models.PROTECT, related_name="contracts")
    share_percent = models.DecimalField(max_digits=5, decimal_places=2)
    value = models.DecimalField(
        max_digits=14, decimal_places=2, help_text="The bid price times the share."
    )
    currency = models.CharField(max_length=3)
    status = models.CharField(
        max_length=10, choices=ContractStatus.choices, default=ContractStatus.ACTIVE
    )
    delivered_on = models.DateField(null=True, blank=True)
    on_time = models.BooleanField(null=True, blank=True)
    rating = models.PositiveSmallIntegerField(null=True, blank=True)
    rating_comment = models.TextField(blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    completed_at = models.DateTimeField(null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["award", "-share_percent"]
        indexes = [
            models.Index(fields=["lab", "status"]),
            models.Index(fields=["vendor", "status"]),
        ]
        constraints = [
            models.UniqueConstraint(fields=["award", "vendor"], name="contract_one_per_vendor"),
            models.CheckConstraint(
                condition=Q(share_percent__gt=0) & Q(share_percent__lte=100),
                name="contract_share_in_range",
            ),
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | (Q(rating__gte=1) & Q(rating__lte=5)),
                name="contract_rating_1_to_5",
            ),
            models.CheckConstraint(
                condition=Q(status=ContractStatus.ACTIVE)
                | (
                    Q(completed_at__isnull=False)
                    & Q(rating__isnull=False)
                    & Q(delivered_on__isnull=False)
                ),
                name="contract_completed_has_rating",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.vendor}: {self.share_percent}% of {self.award.job}"

    @property
    def share_fraction(self) -> Decimal:
        return self.share_percent / Decimal(100)


class Notification(models.Model):
    """An in-app message to one person, optionally also e-mailed."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=50)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=300, blank=True)
    dedupe_key = models.CharField(
        max_length=200,
        blank=True,
        help_text="Same key, same recipient: one notification, so retried tasks do not repeat.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["recipient", "read_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "dedupe_key"],
                condition=~Q(dedupe_key=""),
                name="notification_dedupe",
            ),
        ]

    def __str__(self) -> str:
        return self.title
