"""Matching a job to vendors, as async work: `job.matching_state` says what is owed
(idle -> pending -> running -> done, or failed), so a reconciler can re-enqueue work whose
message was lost. The ranking itself is computed in marketplace/exchange/matching.py.

Invitations are never withdrawn by a re-run: a vendor that was told it is invited may
already be preparing a bid. A re-run re-ranks and re-scores the invitations that exist,
and invites whoever is now in the top MATCHING_INVITE_TOP_N and not yet invited."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from labs.models import Job, JobStatus, WorkState
from marketplace.exchange.matching import Ranking, rank_vendors
from marketplace.exchange.models import Invitation
from marketplace.exchange.services.notifications import notify_organisation
from marketplace.exchange.services.screenings import screening_request
from marketplace.exchange.services.webhook_events import event_announce, job_summary
from vendors.models import Vendor

logger = logging.getLogger("marketplace.matching")

# Matching still pending or running this long after it was requested lost its message.
MATCHING_STALE_AFTER = timedelta(minutes=2)
CLAIMABLE = (WorkState.PENDING, WorkState.RUNNING)


@dataclass
class MatchResult:
    job_id: int
    ranking: Ranking
    invited_vendor_ids: list[int] = field(default_factory=list)  # every invitation now held
    newly_invited_vendor_ids: list[int] = field(default_factory=list)


def _enqueue(job_id: int) -> None:
    from marketplace.exchange.tasks import match_job_task

    match_job_task.delay_on_commit(job_id)


def job_request_matching(*, job: Job) -> None:
    """Marks matching as owed and enqueues it once the caller's transaction commits."""
    now = timezone.now()
    with transaction.atomic():
        Job.objects.filter(pk=job.pk).update(
            matching_state=WorkState.PENDING, matching_requested_at=now
        )
        job.matching_state = WorkState.PENDING
        job.matching_requested_at = now
        _enqueue(job.pk)


def _claim(job_id: int, *, rerun: bool) -> bool:
    """pending (or running, after a lost worker) -> running; any state with `rerun`."""
    claimable = Job.objects.filter(pk=job_id)
    if not rerun:
        claimable = claimable.filter(matching_state__in=CLAIMABLE)
    update: dict[str, object] = {"matching_state": WorkState.RUNNING}
    if rerun:
        update["matching_requested_at"] = timezone.now()
    return bool(claimable.update(**update))


def job_match(*, job_id: int, rerun: bool = False) -> MatchResult | None:
    """Ranks the vendors for the job and, while the job is open, invites the top N.

    Idempotent: the invitation is unique per job and vendor, a re-run updates the
    existing ones, and each invitation notifies its vendor once. Returns None when the
    job is gone or no matching is owed (it is done, or was never asked for); `rerun`
    (the management command) runs it whatever the state."""
    if not _claim(job_id, rerun=rerun):
        return None
    job = Job.objects.select_related("lab__organisation").filter(pk=job_id).first()
    if job is None:
        return None
    ranking = rank_vendors(job=job)
    with transaction.atomic():
        # The row lock serialises concurrent runs for one job (a redelivered message).
        job = (
            Job.objects.select_for_update(of=("self",))
            .select_related("lab__organisation")
            .get(pk=job_id)
        )
        result = _store(job, ranking)
        Job.objects.filter(pk=job_id, matching_state=WorkState.RUNNING).update(
            matching_state=WorkState.DONE, matching_finished_at=timezone.now()
        )
    return result


def _store(job: Job, ranking: Ranking) -> MatchResult:
    """Caller holds the job row lock."""
    result = MatchResult(job_id=job.pk, ranking=ranking)
    existing = {i.vendor_id: i for i in Invitation.objects.filter(job=job)}
    by_vendor = {e.vendor_id: e for e in ranking.ranked}
    changed = []
    # Invitations whose vendor is no longer eligible rank after every eligible vendor.
    unranked = len(ranking.ranked)
    ineligible = {e.vendor_id: e for e in ranking.ineligible}
    for vendor_id, invitation in sorted(existing.items()):
        evaluation = by_vendor.get(vendor_id)
        if evaluation is not None:
            assert evaluation.rank is not None and evaluation.score is not None
            rank, score, reasons = evaluation.rank, evaluation.score, evaluation.reasons
        else:
            # One warning among the reasons it had, in the form invitations_reevaluate
            # writes and clears, so either can replace the other's.
            from marketplace.exchange.services.invitations import WARNING_PREFIX

            unranked += 1
            rank, score = unranked, Decimal(0)
            why = ineligible[vendor_id].reasons if vendor_id in ineligible else []
            kept = [r for r in invitation.reasons if not str(r).startswith(WARNING_PREFIX)]
            reasons = [
                *kept,
                f"{WARNING_PREFIX}{' '.join(why) or 'not among the candidates.'} "
                f"(re-matched on {ranking.as_of.isoformat()}; the invitation stands)",
            ]
        if (invitation.rank, invitation.score, invitation.reasons) != (rank, score, reasons):
            invitation.rank, invitation.score, invitation.reasons = rank, score, reasons
            changed.append(invitation)
    if changed:
        Invitation.objects.bulk_update(changed, ["rank", "score", "reasons"])

    newcomers = []
    if job.status == JobStatus.OPEN:
        newcomers = [
            e
            for e in ranking.ranked[: settings.MATCHING_INVITE_TOP_N]
            if e.vendor_id not in existing
        ]
    vendors = Vendor.objects.select_related("organisation").in_bulk(
        [e.vendor_id for e in newcomers]
    )
    for evaluation in newcomers:
        assert evaluation.rank is not None and evaluation.score is not None
        vendor = vendors[evaluation.vendor_id]
        invitation = Invitation.objects.create(
            job=job,
            vendor=vendor,
            rank=evaluation.rank,
            score=evaluation.score,
            reasons=evaluation.reasons,
        )
        existing[vendor.pk] = invitation
        result.newly_invited_vendor_ids.append(vendor.pk)
        _notify_invited(job, ranking, vendor, invitation)
        # Screened for real (and stored) now that the vendor is involved with the lab.
        screening_request(lab=job.lab, vendor=vendor)
    result.invited_vendor_ids = sorted(existing)
    return result


def _notify_invited(job: Job, ranking: Ranking, vendor: Vendor, invitation: Invitation) -> None:
    # The reasons are the lab's (its spend, its competitors): the vendor hears only the job.
    seats = "; ".join(f"{need.count} x {need.label}" for need in ranking.needs)
    notify_organisation(
        organisation=vendor.organisation,
        kind="invitation.created",
        title=f"{job.lab.organisation.name} invites you to bid on {job.title}",
        body=(
            f"Bids close {job.bid_deadline:%Y-%m-%d %H:%M %Z}; delivery by "
            f"{job.delivery_date.isoformat()}. Seats: {seats}."
        ),
        dedupe_key=f"invitation.created:{invitation.pk}",
    )
    event_announce(
        organisations=[vendor.organisation_id],
        event_type="invitation.created",
        payload={"invitation_id": invitation.pk, "job": job_summary(job)},
        key=str(invitation.pk),
    )


def job_matching_record_failure(*, job_id: int, error: str) -> None:
    """The task failed for good: the job says so instead of waiting forever."""
    logger.error("matching job %s failed: %s", job_id, error)
    Job.objects.filter(pk=job_id, matching_state__in=CLAIMABLE).update(
        matching_state=WorkState.FAILED, matching_finished_at=timezone.now()
    )


def reconcile_matching(*, now: datetime | None = None) -> list[int]:
    """Re-enqueues matching still pending or running well after it was requested: its
    message was lost (broker restart, killed worker). The request time moves on, so the
    next round waits again instead of piling up messages."""
    now = now or timezone.now()
    with transaction.atomic():
        stale = list(
            Job.objects.select_for_update(skip_locked=True)
            .filter(
                matching_state__in=CLAIMABLE,
                matching_requested_at__lt=now - MATCHING_STALE_AFTER,
            )
            .order_by("matching_requested_at")
            .values_list("pk", flat=True)[:500]
        )
        if stale:
            Job.objects.filter(pk__in=stale).update(matching_requested_at=now)
        for job_id in stale:
            _enqueue(job_id)
    return stale
