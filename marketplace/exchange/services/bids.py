"""The bid lifecycle: draft -> submitted (revisions keep it submitted) -> withdrawn, or
after the deadline -> shortlisted / rejected / disqualified -> awarded."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone

from labs.models import Job, JobStatus
from labs.permissions import can_evaluate_bids
from marketplace.accounts.models import User
from marketplace.core.errors import InvalidTransition, NotFound, NotPermitted, RuleViolation
from marketplace.core.models import QualificationLevel
from marketplace.exchange.matching import seat_needs, seat_qualifications
from marketplace.exchange.models import Bid, BidRevision, BidStatus
from marketplace.exchange.permissions import can_bid_on, vendor_can_see_job
from marketplace.exchange.selectors import bids_are_visible_to_lab
from marketplace.exchange.services.screenings import screening_request
from marketplace.exchange.services.webhook_events import event_announce
from vendors.models import Credential, Specialist, Vendor
from vendors.permissions import can_bid

ACTIVE_BEFORE_DEADLINE = (BidStatus.DRAFT, BidStatus.SUBMITTED)


def _job_open_for_bids(job: Job, *, now: datetime | None = None) -> Job:
    """Locks the job row against the closing move (caller holds a transaction) and checks
    that bidding is still open at this very moment (`now`, the time the caller records
    for the move), not only as the periodic task saw it."""
    job = (
        Job.objects.select_for_update(no_key=True, of=("self",))
        .select_related("lab")
        .get(pk=job.pk)
    )
    if job.status != JobStatus.OPEN:
        raise InvalidTransition("Bids are accepted only while the job is open.")
    if (now or timezone.now()) >= job.bid_deadline:
        raise RuleViolation("The bid deadline has passed.")
    return job


def _validated_terms(
    *,
    job: Job,
    vendor: Vendor,
    price: Decimal,
    currency: str,
    timeline_days: int,
    specialists: Sequence[Specialist],
) -> list[Specialist]:
    if price <= 0:
        raise RuleViolation("The price must be above zero.", field="price")
    if currency != job.currency:
        raise RuleViolation(f"This job is priced in {job.currency}.", field="currency")
    if timeline_days < 1:
        raise RuleViolation("The timeline must be at least one day.", field="timeline_days")
    specialists = list(specialists)
    ids = [s.pk for s in specialists]
    if len(set(ids)) != len(ids):
        raise RuleViolation("A specialist is proposed twice.", field="specialists")
    if ids:
        own = set(
            Specialist.objects.filter(pk__in=ids, vendor=vendor, is_active=True).values_list(
                "pk", flat=True
            )
        )
        if own != set(ids):
            raise RuleViolation(
                "Every proposed specialist must be on your own active roster.", field="specialists"
            )
        _refuse_unfit(job, specialists)
    return specialists


def _refuse_unfit(job: Job, specialists: list[Specialist]) -> None:
    """A proposed specialist must be able to fill one of the job's seats on its delivery
    date, by matching's rules (a verified credential in the seat's field at or above its
    level, unexpired that day): the lab reads the proposal as who would do the work. A
    job without seat requirements asks for no particular credential."""
    requirements = list(job.seat_requirements.select_related("field", "min_level"))
    if not requirements:
        return
    needs = seat_needs(requirements, QualificationLevel.objects.all())
    credentials = Credential.objects.filter(specialist__in=specialists)
    qualified = seat_qualifications(needs, credentials, job.delivery_date)
    unfit = [s for s in specialists if not qualified.get(s.pk)]
    if unfit:
        names = ", ".join(s.full_name for s in unfit)
        raise RuleViolation(
            f"{names} can fill none of this job's seats: a proposed specialist needs a "
            f"verified credential in a seat's field, at or above its level, valid on the "
            f"delivery date ({job.delivery_date}).",
            field="specialists",
            code="specialist_unfit",
        )


def _record_revision(bid: Bid, user: User, specialists: list[Specialist]) -> BidRevision:
    """Keeps the bid's terms as its revision `bid.revision_number`, which the caller
    numbered and saved with the terms (one write of the bid, one history row)."""
    return BidRevision.objects.create(
        bid=bid,
        number=bid.revision_number,
        price=bid.price,
        currency=bid.currency,
        timeline_days=bid.timeline_days,
        note=bid.note,
        specialist_ids=sorted(s.pk for s in specialists),
        created_by=user,
    )


def _announce_to_lab(bid: Bid, job: Job, event_type: str) -> None:
    """Tells the lab's webhooks (never another vendor's) of a bid. While the job's bids
    are sealed the lab learns only that a bid arrived, changed or left: no price, no terms."""
    payload: dict[str, object] = {
        "job_id": job.pk,
        "bid_id": bid.pk,
        "vendor": bid.vendor.organisation.name,
    }
    if event_type != "bid.withdrawn" and bids_are_visible_to_lab(job):
        payload |= {
            "revision": bid.revision_number,
            "price": f"{bid.price:.2f}",
            "currency": bid.currency,
            "timeline_days": bid.timeline_days,
        }
    event_announce(
        organisations=[job.lab.organisation_id],
        event_type=event_type,
        payload=payload,
        key=f"{bid.pk}:{bid.revision_number}:{bid.status}",
    )


def _require_bidder(user: User, vendor: Vendor, job: Job) -> None:
    if not vendor_can_see_job(vendor, job):
        raise NotFound("No such job.")
    if not can_bid_on(user, vendor, job):
        raise NotPermitted("Only the vendor's owner or bid managers may bid.")


def _create_bid(*, status: str, **fields: object) -> Bid:
    try:
        with transaction.atomic():
            return Bid.objects.create(status=status, **fields)
    except IntegrityError as exc:
        if "bid_one_active_per_vendor_job" in str(exc) or "UNIQUE" in str(exc).upper():
            raise RuleViolation(
                "Your organisation already has a bid on this job: revise or withdraw it instead.",
                code="bid_exists",
            ) from None
        raise


def _open_job_and_terms(
    job: Job,
    vendor: Vendor,
    user: User,
    *,
    price: Decimal,
    currency: str,
    timeline_days: int,
    specialists: Sequence[Specialist],
    now: datetime | None = None,
) -> tuple[Job, list[Specialist]]:
    """Caller holds a transaction. The bidder's right, the job locked and still open, and
    the terms checked: what every new bid, draft or submitted, needs first."""
    _require_bidder(user, vendor, job)
    job = _job_open_for_bids(job, now=now)
    chosen = _validated_terms(
        job=job,
        vendor=vendor,
        price=price,
        currency=currency,
        timeline_days=timeline_days,
        specialists=specialists,
    )
    return job, chosen


@transaction.atomic
def bid_draft_create(
    *,
    job: Job,
    vendor: Vendor,
    user: User,
    price: Decimal,
    currency: str,
    timeline_days: int,
    note: str = "",
    specialists: Sequence[Specialist] = (),
) -> Bid:
    """Saves a bid without submitting it; the lab never sees a draft."""
    job, chosen = _open_job_and_terms(
        job,
        vendor,
        user,
        price=price,
        currency=currency,
        timeline_days=timeline_days,
        specialists=specialists,
    )
    bid = _create_bid(
        status=BidStatus.DRAFT,
        job=job,
        vendor=vendor,
        price=price,
        currency=currency,
        timeline_days=timeline_days,
        note=note,
        created_by=user,
    )
    bid.proposed_specialists.set(chosen)
    return bid


@transaction.atomic
def bid_submit(
    *,
    job: Job,
    vendor: Vendor,
    user: User,
    price: Decimal,
    currency: str,
    timeline_days: int,
    note: str = "",
    specialists: Sequence[Specialist] = (),
) -> Bid:
    """Submits the vendor's bid (revision 1). A draft the vendor saved earlier is submitted
    with these terms; any other active bid means this is a revision, not a new bid."""
    # One instant for the deadline check and the submission time: a bid accepted before
    # the deadline is never stamped after it.
    now = timezone.now()
    job, chosen = _open_job_and_terms(
        job,
        vendor,
        user,
        price=price,
        currency=currency,
        timeline_days=timeline_days,
        specialists=specialists,
        now=now,
    )
    draft = (
        Bid.objects.select_for_update()
        .filter(job=job, vendor=vendor, status=BidStatus.DRAFT)
        .first()
    )
    if draft is not None:
        bid = draft
        bid.price, bid.currency, bid.timeline_days, bid.note = price, currency, timeline_days, note
        bid.status = BidStatus.SUBMITTED
        bid.submitted_at = now
        bid.revision_number += 1
        bid.save()
    else:
        bid = _create_bid(
            status=BidStatus.SUBMITTED,
            job=job,
            vendor=vendor,
            price=price,
            currency=currency,
            timeline_days=timeline_days,
            note=note,
            created_by=user,
            submitted_at=now,
            revision_number=1,
        )
    bid.proposed_specialists.set(chosen)
    _record_revision(bid, user, chosen)
    screening_request(lab=job.lab, vendor=vendor, bid=bid)
    _announce_to_lab(bid, job, "bid.submitted")
    return bid


def _bid_for_update(bid: Bid) -> Bid:
    return Bid.objects.select_for_update().select_related("job__lab", "vendor").get(pk=bid.pk)


@transaction.atomic
def bid_revise(
    *,
    bid: Bid,
    user: User,
    price: Decimal | None = None,
    currency: str | None = None,
    timeline_days: int | None = None,
    note: str | None = None,
    specialists: Sequence[Specialist] | None = None,
) -> Bid:
    """Changes a submitted bid's terms before the deadline; the old terms stay on record."""
    if not can_bid(user, bid.vendor):
        raise NotPermitted("Only the vendor's owner or bid managers may revise its bids.")
    _job_open_for_bids(bid.job)
    bid = _bid_for_update(bid)
    if bid.status != BidStatus.SUBMITTED:
        raise InvalidTransition(f"Only a submitted bid can be revised; this one is {bid.status}.")
    chosen = _validated_terms(
        job=bid.job,
        vendor=bid.vendor,
        price=bid.price if price is None else price,
        currency=bid.currency if currency is None else currency,
        timeline_days=bid.timeline_days if timeline_days is None else timeline_days,
        specialists=list(bid.proposed_specialists.all()) if specialists is None else specialists,
    )
    if price is not None:
        bid.price = price
    if currency is not None:
        bid.currency = currency
    if timeline_days is not None:
        bid.timeline_days = timeline_days
    if note is not None:
        bid.note = note
    bid.revision_number += 1
    bid.save()
    bid.proposed_specialists.set(chosen)
    _record_revision(bid, user, chosen)
    if specialists is not None:
        screening_request(lab=bid.job.lab, vendor=bid.vendor, bid=bid)
    _announce_to_lab(bid, bid.job, "bid.revised")
    return bid


@transaction.atomic
def bid_withdraw(*, bid: Bid, user: User) -> Bid:
    if not can_bid(user, bid.vendor):
        raise NotPermitted("Only the vendor's owner or bid managers may withdraw its bids.")
    _job_open_for_bids(bid.job)
    bid = _bid_for_update(bid)
    if bid.status not in ACTIVE_BEFORE_DEADLINE:
        raise InvalidTransition(f"A {bid.status} bid cannot be withdrawn.")
    was_submitted = bid.status == BidStatus.SUBMITTED
    bid.status = BidStatus.WITHDRAWN
    bid.withdrawn_at = timezone.now()
    bid.save(update_fields=["status", "withdrawn_at"])
    if was_submitted:  # the lab never knew of a draft
        _announce_to_lab(bid, bid.job, "bid.withdrawn")
    return bid


def _decide(bid: Bid, user: User, *, to: str, allowed_from: tuple[str, ...], reason: str) -> Bid:
    """Caller holds a transaction."""
    if not can_evaluate_bids(user, bid.job.lab):
        raise NotPermitted("Only members of the lab that posted the job may evaluate bids.")
    bid = _bid_for_update(bid)
    if bid.job.status != JobStatus.EVALUATION:
        raise InvalidTransition("Bids are evaluated only after bidding has closed.")
    if bid.status not in allowed_from:
        raise InvalidTransition(f"A {bid.status} bid cannot be {to}.")
    bid.status = to
    bid.decided_at = timezone.now()
    bid.decision_reason = reason
    bid.save(update_fields=["status", "decided_at", "decision_reason"])
    return bid


@transaction.atomic
def bid_shortlist(*, bid: Bid, user: User) -> Bid:
    return _decide(
        bid, user, to=BidStatus.SHORTLISTED, allowed_from=(BidStatus.SUBMITTED,), reason=""
    )


@transaction.atomic
def bid_reject(*, bid: Bid, user: User, reason: str = "") -> Bid:
    return _decide(
        bid,
        user,
        to=BidStatus.REJECTED,
        allowed_from=(BidStatus.SUBMITTED, BidStatus.SHORTLISTED),
        reason=reason.strip(),
    )
