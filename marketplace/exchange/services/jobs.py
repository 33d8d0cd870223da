"""The job lifecycle moves that involve vendors:
draft -> open -> evaluation -> awarded -> completed; draft/open/evaluation -> cancelled;
evaluation -> unsuccessful."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from labs.models import Job, JobStatus
from labs.permissions import can_manage_jobs
from marketplace.accounts.models import Role, User
from marketplace.core.errors import InvalidTransition, NotPermitted, RuleViolation
from marketplace.exchange.models import Bid, BidStatus
from marketplace.exchange.services.matching import job_request_matching
from marketplace.exchange.services.notifications import notify_organisation
from marketplace.exchange.services.webhook_events import event_announce, job_summary
from vendors.models import Vendor

LAB_DECIDERS = (Role.LAB_OWNER, Role.PROCUREMENT, Role.REVIEWER)


def _job_for_update(job: Job) -> Job:
    """Caller holds a transaction."""
    return Job.objects.select_for_update().select_related("lab__organisation").get(pk=job.pk)


def _require_job_manager(user: User, job: Job) -> None:
    if not can_manage_jobs(user, job.lab):
        raise NotPermitted("Only the lab's owner or procurement may do this.")


@transaction.atomic
def job_publish(*, job: Job, user: User) -> Job:
    _require_job_manager(user, job)
    job = _job_for_update(job)
    if job.status != JobStatus.DRAFT:
        raise InvalidTransition(f"Only a draft job can be published; this one is {job.status}.")
    now = timezone.now()
    if job.bid_deadline <= now:
        raise RuleViolation("The bid deadline has already passed.", field="bid_deadline")
    if job.question_deadline <= now:
        raise RuleViolation("The question deadline has already passed.", field="question_deadline")
    if not job.seat_requirements.exists():
        raise RuleViolation(
            "Add at least one seat requirement before publishing.", field="seat_requirements"
        )
    job.status = JobStatus.OPEN
    job.published_at = now
    job.save(update_fields=["status", "published_at", "updated_at"])
    job_request_matching(job=job)
    event_announce(
        organisations=[job.lab.organisation_id],
        event_type="job.published",
        payload={"job": job_summary(job)},
        key=str(job.pk),
    )
    return job


def _start_evaluation(job: Job, now: datetime) -> None:
    """Caller holds the job row lock and has checked the job is open."""
    job.status = JobStatus.EVALUATION
    job.evaluation_started_at = now
    job.save(update_fields=["status", "evaluation_started_at", "updated_at"])
    # Drafts never submitted by the deadline lapse: nothing of them reaches the lab.
    Bid.objects.filter(job=job, status=BidStatus.DRAFT).update(
        status=BidStatus.WITHDRAWN, withdrawn_at=now
    )
    submitted = Bid.objects.filter(job=job, status=BidStatus.SUBMITTED).count()
    notify_organisation(
        organisation=job.lab.organisation,
        kind="job.evaluation_started",
        title=f"Bidding closed on {job.title}: {submitted} bid(s) to evaluate",
        roles=LAB_DECIDERS,
        dedupe_key=f"job.evaluation_started:{job.pk}",
    )
    event_announce(
        organisations=[job.lab.organisation_id],
        event_type="job.evaluation_started",
        payload={"job": job_summary(job), "submitted_bids": submitted},
        key=f"lab:{job.pk}",
    )
    # Bidders hear that bidding closed, not how many others bid.
    event_announce(
        organisations=Bid.objects.filter(job=job, status=BidStatus.SUBMITTED).values_list(
            "vendor__organisation_id", flat=True
        ),
        event_type="job.evaluation_started",
        payload={"job": job_summary(job)},
        key=f"vendors:{job.pk}",
    )


@transaction.atomic
def job_close_bidding(*, job: Job, user: User | None) -> Job:
    """Moves an open job to evaluation. With a user, the lab closes early; without one the
    deadline has passed (periodic task)."""
    if user is not None:
        _require_job_manager(user, job)
    job = _job_for_update(job)
    if job.status != JobStatus.OPEN:
        raise InvalidTransition(f"Only an open job can close bidding; this one is {job.status}.")
    now = timezone.now()
    if user is None and job.bid_deadline > now:
        raise RuleViolation("The bid deadline has not passed yet.")
    _start_evaluation(job, now)
    return job


def close_due_bidding(*, now: datetime | None = None) -> list[int]:
    """Closes bidding on every open job whose deadline has passed. Idempotent, and safe to
    run from several workers at once: each job is closed under its row lock, which waits
    for any bid being submitted at that instant to commit first."""
    now = now or timezone.now()
    due = list(
        Job.objects.filter(status=JobStatus.OPEN, bid_deadline__lte=now).values_list(
            "id", flat=True
        )
    )
    closed = []
    for job_id in due:
        with transaction.atomic():
            job = (
                Job.objects.select_for_update()
                .select_related("lab__organisation")
                .filter(pk=job_id, status=JobStatus.OPEN, bid_deadline__lte=now)
                .first()
            )
            if job is None:
                continue
            _start_evaluation(job, now)
            closed.append(job_id)
    return closed


def _notify_bidders(job: Job, *, kind: str, title: str, body: str = "") -> None:
    vendor_ids = (
        Bid.objects.filter(job=job)
        .exclude(status=BidStatus.DRAFT)
        .values_list("vendor_id", flat=True)
    )
    for vendor in Vendor.objects.filter(pk__in=vendor_ids).select_related("organisation"):
        notify_organisation(
            organisation=vendor.organisation,
            kind=kind,
            title=title,
            body=body,
            dedupe_key=f"{kind}:{job.pk}",
        )


@transaction.atomic
def job_cancel(*, job: Job, user: User, reason: str) -> Job:
    _require_job_manager(user, job)
    job = _job_for_update(job)
    if job.status not in (JobStatus.DRAFT, JobStatus.OPEN, JobStatus.EVALUATION):
        raise InvalidTransition(f"A job that is {job.status} cannot be cancelled.")
    if not reason.strip():
        raise RuleViolation("Say why the job is cancelled.", field="reason")
    now = timezone.now()
    was_published = job.status != JobStatus.DRAFT
    job.status = JobStatus.CANCELLED
    job.cancellation_reason = reason.strip()
    job.closed_at = now
    job.save(update_fields=["status", "cancellation_reason", "closed_at", "updated_at"])
    Bid.objects.filter(job=job, status__in=[BidStatus.SUBMITTED, BidStatus.SHORTLISTED]).update(
        status=BidStatus.REJECTED, decided_at=now, decision_reason="The job was cancelled."
    )
    Bid.objects.filter(job=job, status=BidStatus.DRAFT).update(
        status=BidStatus.WITHDRAWN, withdrawn_at=now
    )
    if was_published:
        _notify_bidders(
            job,
            kind="job.cancelled",
            title=f"{job.title} was cancelled",
            body=job.cancellation_reason,
        )
    return job


@transaction.atomic
def job_mark_unsuccessful(*, job: Job, user: User, reason: str) -> Job:
    """No acceptable bid: the job ends without an award and every open bid is rejected."""
    _require_job_manager(user, job)
    job = _job_for_update(job)
    if job.status != JobStatus.EVALUATION:
        raise InvalidTransition("Only a job in evaluation can be marked unsuccessful.")
    if not reason.strip():
        raise RuleViolation("Say why no bid was acceptable.", field="reason")
    now = timezone.now()
    job.status = JobStatus.UNSUCCESSFUL
    job.cancellation_reason = reason.strip()
    job.closed_at = now
    job.save(update_fields=["status", "cancellation_reason", "closed_at", "updated_at"])
    Bid.objects.filter(job=job, status__in=[BidStatus.SUBMITTED, BidStatus.SHORTLISTED]).update(
        status=BidStatus.REJECTED, decided_at=now, decision_reason=job.cancellation_reason
    )
    _notify_bidders(
        job,
        kind="job.unsuccessful",
        title=f"{job.title} ended without an award",
        body=job.cancellation_reason,
    )
    return job
