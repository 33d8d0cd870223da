"""Awarding a job (single or split) and completing its contracts."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from labs.models import Job, JobStatus
from labs.permissions import can_award, can_evaluate_bids
from marketplace.accounts.models import User
from marketplace.core.errors import InvalidTransition, NotPermitted, RuleViolation
from marketplace.exchange.models import (
    Award,
    Bid,
    BidStatus,
    Contract,
    ContractStatus,
    Screening,
    Verdict,
)
from marketplace.exchange.services.jobs import _notify_bidders
from marketplace.exchange.services.notifications import notify_organisation
from marketplace.exchange.services.screenings import screening_refresh_now
from marketplace.exchange.services.webhook_events import event_announce, job_summary

AWARDABLE = (BidStatus.SUBMITTED, BidStatus.SHORTLISTED)
HUNDRED = Decimal(100)


def _refresh_screenings(job: Job, bid_ids: list[int]) -> None:
    """Screens each chosen vendor (and its bid's proposed specialists) afresh, each in a
    transaction of its own, so the verdicts are kept even when the award is refused and a
    platform admin can review them."""
    for bid in Bid.objects.filter(job=job, pk__in=bid_ids).select_related("vendor", "job__lab"):
        screening_refresh_now(lab=job.lab, vendor=bid.vendor)
        screening_refresh_now(lab=job.lab, vendor=bid.vendor, bid=bid)


def _check_screenings(job: Job, bids: list[Bid]) -> None:
    """Refuses the award where a verdict is blocked; an admin override
    (cleared_by_override) that still stands lifts the block."""
    blocked = (
        Screening.objects.filter(lab_id=job.lab_id, verdict=Verdict.BLOCKED)
        .filter(Q(bid__isnull=True, vendor__in=[b.vendor_id for b in bids]) | Q(bid__in=bids))
        .values_list("vendor__organisation__name", flat=True)
    )
    names = sorted(set(blocked))
    if names:
        raise RuleViolation(
            f"Conflict-of-interest screening blocks an award to {', '.join(names)}; "
            "a platform admin must review and override the screening first.",
            code="screening_blocked",
        )


def _validated_shares(job: Job, shares: Mapping[int, Decimal]) -> dict[int, Decimal]:
    if not shares:
        raise RuleViolation("Choose at least one bid to award.", field="shares")
    cleaned = {int(bid_id): Decimal(share) for bid_id, share in shares.items()}
    for share in cleaned.values():
        if share <= 0 or share > HUNDRED:
            raise RuleViolation("Each share must be above 0 and at most 100%.", field="shares")
    if sum(cleaned.values()) > HUNDRED:
        raise RuleViolation("The shares add up to more than 100%.", field="shares")
    if len(cleaned) > 1 and not job.split_allowed:
        raise RuleViolation("This job does not allow a split award.", field="shares")
    if job.split_allowed and any(s > job.max_share_per_vendor for s in cleaned.values()):
        raise RuleViolation(
            f"No vendor may be awarded more than {job.max_share_per_vendor.normalize():f}% "
            "of this job.",
            field="shares",
        )
    return cleaned


def award_make(*, job: Job, user: User, shares: Mapping[int, Decimal], note: str = "") -> Award:
    """Awards the job to one bid, or splits it across several: `shares` maps bid id to the
    percentage of the job's volume. Safe under concurrent attempts: the job row is locked
    and the award row is unique per job, so exactly one award is ever made."""
    if not can_award(user, job.lab):
        raise NotPermitted("Only the lab's owner or procurement may award jobs.")
    cleaned = _validated_shares(job, shares)
    if job.status == JobStatus.EVALUATION:
        _refresh_screenings(job, list(cleaned))
    return _award_locked(job=job, user=user, cleaned=cleaned, note=note)


@transaction.atomic
def _award_locked(*, job: Job, user: User, cleaned: dict[int, Decimal], note: str) -> Award:
    job = Job.objects.select_for_update().select_related("lab__organisation").get(pk=job.pk)
    if job.status != JobStatus.EVALUATION:
        raise InvalidTransition(
            "A job can be awarded only in evaluation"
            + (" and it has already been awarded." if job.status == JobStatus.AWARDED else ".")
        )
    bids = list(
        Bid.objects.select_for_update()
        .filter(job=job, pk__in=cleaned.keys())
        .select_related("vendor__organisation")
    )
    if len(bids) != len(cleaned):
        raise RuleViolation("Every awarded bid must be a bid on this job.", field="shares")
    not_awardable = [b for b in bids if b.status not in AWARDABLE]
    if not_awardable:
        raise RuleViolation(f"A {not_awardable[0].status} bid cannot be awarded.", field="shares")
    _check_screenings(job, bids)
    try:
        with transaction.atomic():
            award = Award.objects.create(job=job, awarded_by=user, note=note)
    except IntegrityError:
        raise InvalidTransition("This job has already been awarded.") from None
    now = timezone.now()
    contracts: dict[int, Contract] = {}
    for bid in bids:
        share = cleaned[bid.pk]
        contracts[bid.pk] = Contract.objects.create(
            award=award,
            bid=bid,
            vendor=bid.vendor,
            lab=job.lab,
            share_percent=share,
            value=(bid.price * share / HUNDRED).quantize(Decimal("0.01"), ROUND_HALF_UP),
            currency=bid.currency,
        )
        bid.status = BidStatus.AWARDED
        bid.decided_at = now
        bid.save(update_fields=["status", "decided_at"])
    Bid.objects.filter(job=job, status__in=AWARDABLE).exclude(pk__in=cleaned.keys()).update(
        status=BidStatus.REJECTED, decided_at=now, decision_reason="Another bid was awarded."
    )
    job.status = JobStatus.AWARDED
    job.save(update_fields=["status", "updated_at"])
    for bid in bids:
        notify_organisation(
            organisation=bid.vendor.organisation,
            kind="award.made",
            title=f"You were awarded {cleaned[bid.pk].normalize():f}% of {job.title}",
            dedupe_key=f"award.made:{award.pk}",
        )
    _notify_bidders(job, kind="job.awarded", title=f"{job.title} has been awarded")
    _announce_award(job, award, bids, contracts)
    return award


def _announce_award(
    job: Job, award: Award, bids: list[Bid], contracts: dict[int, Contract]
) -> None:
    def terms(bid: Bid) -> dict[str, object]:
        contract = contracts[bid.pk]
        return {
            "bid_id": bid.pk,
            "contract_id": contract.pk,
            "share_percent": f"{contract.share_percent:.2f}",
            "value": f"{contract.value:.2f}",
            "currency": contract.currency,
        }

    event_announce(
        organisations=[job.lab.organisation_id],
        event_type="job.awarded",
        payload={
            "job": job_summary(job),
            "award_id": award.pk,
            "contracts": [{**terms(b), "vendor": b.vendor.organisation.name} for b in bids],
        },
        key=str(award.pk),
    )
    # Each awarded vendor hears of its own share only.
    for bid in bids:
        event_announce(
            organisations=[bid.vendor.organisation_id],
            event_type="award.made",
            payload={"job": job_summary(job), "award_id": award.pk, **terms(bid)},
            key=f"{award.pk}:{bid.pk}",
        )


@transaction.atomic
def contract_complete(
    *, contract: Contract, user: User, delivered_on: date, rating: int, comment: str = ""
) -> Contract:
    """Records delivery and the lab's rating; the job completes with its last contract."""
    if not can_evaluate_bids(user, contract.lab):
        raise NotPermitted("Only members of the lab may complete and rate its contracts.")
    contract = (
        Contract.objects.select_for_update()
        .select_related("award__job", "vendor__organisation")
        .get(pk=contract.pk)
    )
    if contract.status != ContractStatus.ACTIVE:
        raise InvalidTransition("This contract is already completed.")
    if not 1 <= int(rating) <= 5:
        raise RuleViolation("The rating must be between 1 and 5.", field="rating")
    if delivered_on > timezone.localdate():
        raise RuleViolation("Delivery cannot be in the future.", field="delivered_on")
    job = Job.objects.select_for_update().get(pk=contract.award.job_id)
    contract.status = ContractStatus.COMPLETED
    contract.delivered_on = delivered_on
    contract.on_time = delivered_on <= job.delivery_date
    contract.rating = int(rating)
    contract.rating_comment = comment.strip()
    contract.completed_by = user
    contract.completed_at = timezone.now()
    contract.save()
    if not Contract.objects.filter(award__job=job, status=ContractStatus.ACTIVE).exists():
        job.status = JobStatus.COMPLETED
        job.closed_at = contract.completed_at
        job.save(update_fields=["status", "closed_at", "updated_at"])
    notify_organisation(
        organisation=contract.vendor.organisation,
        kind="contract.completed",
        title=f"{job.title} was completed and rated {contract.rating}/5",
        dedupe_key=f"contract.completed:{contract.pk}",
    )
    return contract
