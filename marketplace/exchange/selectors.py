"""Reads where labs and vendors meet, scoped to the caller's organisation. A row of
another organisation raises the same NotFound as a missing row."""

from __future__ import annotations

from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef, Q, QuerySet

from labs.models import Job, JobStatus, Lab, Visibility
from marketplace.accounts.models import User
from marketplace.core.errors import DomainError, NotFound
from marketplace.exchange.models import (
    Bid,
    BidStatus,
    Contract,
    Invitation,
    Notification,
    Question,
    Screening,
)
from vendors.models import Vendor

# With sealed bidding the lab reads bid contents only from evaluation on.
UNSEALED_JOB_STATUSES = (
    JobStatus.EVALUATION,
    JobStatus.AWARDED,
    JobStatus.COMPLETED,
    JobStatus.UNSUCCESSFUL,
)


class BidsSealed(DomainError):
    code = "bids_sealed"


def bids_are_visible_to_lab(job: Job) -> bool:
    # A job cancelled during evaluation keeps its bids readable: they were unsealed then.
    return (
        not job.is_sealed
        or job.status in UNSEALED_JOB_STATUSES
        or (job.status == JobStatus.CANCELLED and job.evaluation_started_at is not None)
    )


def _bids_for_lab() -> QuerySet[Bid]:
    # The lab never sees drafts; a withdrawn bid leaves no contents behind either.
    return (
        Bid.objects.exclude(status__in=[BidStatus.DRAFT, BidStatus.WITHDRAWN])
        .select_related("vendor__organisation", "job")
        .prefetch_related("proposed_specialists")
    )


def bid_list_for_lab(*, lab: Lab, job: Job) -> QuerySet[Bid]:
    if job.lab_id != lab.pk:
        raise NotFound("No such job.")
    if not bids_are_visible_to_lab(job):
        raise BidsSealed("Bids on this job are sealed until bidding closes.")
    return _bids_for_lab().filter(job=job).order_by("price")


def bid_count_for_lab(*, lab: Lab, job: Job) -> int:
    """How many bids are in, without their contents: what a lab may know while sealed."""
    if job.lab_id != lab.pk:
        raise NotFound("No such job.")
    return (
        Bid.objects.filter(job=job)
        .exclude(status__in=[BidStatus.DRAFT, BidStatus.WITHDRAWN])
        .count()
    )


def bid_get_for_lab(*, lab: Lab, bid_id: int) -> Bid:
    bid = _bids_for_lab().filter(job__lab=lab, pk=bid_id).first()
    if bid is None:
        raise NotFound("No such bid.")
    if not bids_are_visible_to_lab(bid.job):
        raise BidsSealed("Bids on this job are sealed until bidding closes.")
    return bid


def bid_list_for_vendor(*, vendor: Vendor) -> QuerySet[Bid]:
    """A vendor's own bids; never another vendor's."""
    return (
        Bid.objects.filter(vendor=vendor)
        .select_related("job__lab__organisation")
        .prefetch_related("proposed_specialists")
    )


def bid_get_for_vendor(*, vendor: Vendor, bid_id: int) -> Bid:
    bid = bid_list_for_vendor(vendor=vendor).filter(pk=bid_id).first()
    if bid is None:
        raise NotFound("No such bid.")
    return bid


def job_list_for_vendor(*, vendor: Vendor) -> QuerySet[Job]:
    """Published jobs the vendor can see: open to all vendors, or it was invited."""
    invited = Invitation.objects.filter(job=OuterRef("pk"), vendor=vendor)
    return (
        Job.objects.exclude(status=JobStatus.DRAFT)
        .filter(Q(visibility=Visibility.ALL_VENDORS) | Q(Exists(invited)))
        .select_related("lab__organisation", "domain")
        .prefetch_related(
            "seat_requirements__field", "seat_requirements__min_level", "required_attestations"
        )
    )


def job_get_for_vendor(*, vendor: Vendor, job_id: int) -> Job:
    job = job_list_for_vendor(vendor=vendor).filter(pk=job_id).first()
    if job is None:
        raise NotFound("No such job.")
    return job


def question_list_for_job(*, job: Job) -> QuerySet[Question]:
    """Questions and answers on a job. Callers show `body` and `answer` only: the asker is
    never named to the lab or to other vendors."""
    return Question.objects.filter(job=job).order_by("asked_at")


def notification_list_for_user(*, user: User, unread_only: bool = False) -> QuerySet[Notification]:
    notifications = Notification.objects.filter(recipient=user)
    if unread_only:
        notifications = notifications.filter(read_at__isnull=True)
    return notifications


def screening_list_for_lab(*, lab: Lab) -> QuerySet[Screening]:
    """The lab's screenings of vendors and of bids, with their verdicts and evidence."""
    return Screening.objects.filter(lab=lab).select_related("vendor__organisation", "bid")


def screening_get_for_lab(*, lab: Lab, screening_id: int) -> Screening:
    screening = screening_list_for_lab(lab=lab).filter(pk=screening_id).first()
    if screening is None:
        raise NotFound("No such screening.")
    return screening


def contract_get_for_lab(*, lab: Lab, contract_id: int) -> Contract:
    contract = (
        Contract.objects.filter(lab=lab, pk=contract_id)
        .select_related("award__job", "vendor__organisation", "lab")
        .first()
    )
    if contract is None:
        raise NotFound("No such contract.")
    return contract


def question_list_for_vendor(*, vendor: Vendor, job_id: int) -> QuerySet[Question]:
    """Every question and answer on a job the vendor can see, with `asked_by_you`: whether
    this vendor asked it. Never who asked."""
    if not job_list_for_vendor(vendor=vendor).filter(pk=job_id).exists():
        raise NotFound("No such job.")
    return (
        Question.objects.filter(job_id=job_id)
        .order_by("asked_at", "pk")
        .annotate(
            asked_by_you=ExpressionWrapper(Q(asked_by_vendor=vendor), output_field=BooleanField())
        )
    )


def question_get_for_lab(*, lab: Lab, question_id: int) -> Question:
    question = Question.objects.filter(job__lab=lab, pk=question_id).select_related("job").first()
    if question is None:
        raise NotFound("No such question.")
    return question


def invitation_list_for_lab(*, lab: Lab, job: Job) -> QuerySet[Invitation]:
    """The vendors matched to the lab's job, best first, with the reasons."""
    if job.lab_id != lab.pk:
        raise NotFound("No such job.")
    return (
        Invitation.objects.filter(job=job)
        .select_related("vendor__organisation")
        .order_by("rank", "pk")
    )


def invitation_list_for_vendor(*, vendor: Vendor) -> QuerySet[Invitation]:
    """The vendor's own invitations; never another vendor's, nor its rank among others."""
    return (
        Invitation.objects.filter(vendor=vendor)
        .exclude(job__status=JobStatus.DRAFT)
        .select_related("job__lab__organisation")
        .order_by("-created_at", "-pk")
    )
