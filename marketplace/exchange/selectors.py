"""Reads where labs and vendors meet, scoped to the caller's organisation. A row of
another organisation raises the same NotFound as a missing row."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import (
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.utils import timezone

from labs.models import Job, JobStatus, Lab, Visibility
from labs.selectors import job_terms_prefetch
from marketplace.accounts.models import User
from marketplace.core.errors import DomainError, NotFound
from marketplace.core.models import QualificationLevel
from marketplace.exchange.concentration import VendorGroupSpend
from marketplace.exchange.matching import (
    SeatNeed,
    Staffing,
    assign_seats,
    seat_needs,
    seat_qualifications,
    vendor_groups,
)
from marketplace.exchange.models import (
    Bid,
    BidRevision,
    BidStatus,
    Contract,
    ContractStatus,
    Invitation,
    Notification,
    Question,
    Screening,
    Verdict,
)
from vendors.models import Credential, CredentialStatus, Specialist, Vendor
from vendors.selectors import attestation_list, specialist_list

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


# Bids in, on which the lab has still to decide: neither rejected, disqualified nor awarded.
BIDS_AWAITING_DECISION = (BidStatus.SUBMITTED, BidStatus.SHORTLISTED)


def job_list_in_evaluation_for_lab(*, lab: Lab) -> QuerySet[Job]:
    """The lab's jobs in evaluation, longest waiting first, each annotated with
    `bids_awaiting_decision`."""
    return (
        Job.objects.filter(lab=lab, status=JobStatus.EVALUATION)
        .annotate(
            bids_awaiting_decision=Count("bids", filter=Q(bids__status__in=BIDS_AWAITING_DECISION))
        )
        .order_by("evaluation_started_at", "pk")
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
        .prefetch_related(*job_terms_prefetch())
    )


def job_get_for_vendor(*, vendor: Vendor, job_id: int, with_terms: bool = True) -> Job:
    """One job the vendor can see; `with_terms=False` skips loading its seats and
    attestations, for a caller that only acts on it."""
    jobs = job_list_for_vendor(vendor=vendor)
    if not with_terms:
        jobs = jobs.prefetch_related(None)
    job = jobs.filter(pk=job_id).first()
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


# A lab is dealing with a vendor invited to, or bidding on, one of its jobs still in play.
JOB_STATUSES_IN_PLAY = (JobStatus.OPEN, JobStatus.EVALUATION)
ALERT_VERDICTS = (Verdict.BLOCKED, Verdict.REVIEW)


def screening_alert_list_for_lab(*, lab: Lab) -> QuerySet[Screening]:
    """The lab's screenings whose verdict is blocked or review, of vendors it is dealing
    with: invited to or bidding on one of its open or evaluating jobs, or holding an active
    contract with it. Newest first."""
    invited = Invitation.objects.filter(
        vendor=OuterRef("vendor"), job__lab=lab, job__status__in=JOB_STATUSES_IN_PLAY
    )
    bidding = Bid.objects.filter(
        vendor=OuterRef("vendor"), job__lab=lab, job__status__in=JOB_STATUSES_IN_PLAY
    ).exclude(status__in=[BidStatus.DRAFT, BidStatus.WITHDRAWN])
    contracted = Contract.objects.filter(
        vendor=OuterRef("vendor"), lab=lab, status=ContractStatus.ACTIVE
    )
    return (
        screening_list_for_lab(lab=lab)
        .filter(verdict__in=ALERT_VERDICTS)
        .filter(Exists(invited) | Exists(bidding) | Exists(contracted))
        .select_related("bid__job")
        .order_by(F("computed_at").desc(nulls_last=True), "-requested_at", "-pk")
    )


def screening_get_for_lab(*, lab: Lab, screening_id: int) -> Screening:
    screening = screening_list_for_lab(lab=lab).filter(pk=screening_id).first()
    if screening is None:
        raise NotFound("No such screening.")
    return screening


def contract_spend_for_lab(*, lab: Lab) -> list[dict[str, Any]]:
    """What the lab has awarded: the value of every contract it holds, active or
    completed, summed per currency (values in different currencies are never added), as
    rows of `currency`, `total` and `contracts` (how many)."""
    return [
        dict(row)
        for row in Contract.objects.filter(lab=lab)
        .values("currency")
        .annotate(total=Sum("value"), contracts=Count("pk"))
        .order_by("currency")
    ]


def contract_list_for_job(*, lab: Lab, job: Job) -> QuerySet[Contract]:
    """The contracts of the lab's award on `job` (none before the award), largest share
    first."""
    if job.lab_id != lab.pk:
        raise NotFound("No such job.")
    return (
        Contract.objects.filter(lab=lab, award__job=job)
        .select_related("award", "vendor__organisation", "bid")
        .order_by("-share_percent", "pk")
    )


def spend_by_vendor_group_for_lab(*, lab: Lab, as_of: date | None = None) -> list[VendorGroupSpend]:
    """What the lab has awarded (contract values, active and completed) per vendor group
    and currency: vendors under one ultimate parent form one group, grouped the way
    matching's diversification score groups them (matching.vendor_groups)."""
    rows = list(
        Contract.objects.filter(lab=lab)
        .values("currency", "vendor__entity_id", "vendor__organisation__name")
        .annotate(total=Sum("value"), contracts=Count("pk"))
        .order_by("currency", "vendor__organisation__name")
    )
    if not rows:
        return []
    roots, root_names = vendor_groups(
        {row["vendor__entity_id"] for row in rows}, as_of=as_of or timezone.localdate()
    )
    groups: dict[tuple[str, int], dict[str, Any]] = {}
    for row in rows:
        entity = row["vendor__entity_id"]
        root = roots.get(entity, entity)
        group = groups.setdefault(
            (row["currency"], root),
            {
                "name": root_names.get(root, row["vendor__organisation__name"]),
                "vendors": [],
                "total": Decimal(0),
                "contracts": 0,
            },
        )
        group["vendors"].append(row["vendor__organisation__name"])
        group["total"] += row["total"] or Decimal(0)
        group["contracts"] += row["contracts"]
    return [
        VendorGroupSpend(
            currency=currency,
            group_name=group["name"],
            vendor_names=tuple(group["vendors"]),
            total=group["total"],
            contracts=group["contracts"],
        )
        for (currency, _root), group in groups.items()
    ]


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


# --- For the vendor's browser pages --------------------------------------------------------


def job_list_open_for_vendor(*, vendor: Vendor, domain_code: str = "") -> QuerySet[Job]:
    """Open jobs the vendor can see, nearest bid deadline first, with `invited` (whether
    the vendor was invited) and `your_bid_id` / `your_bid_status` (its active bid, if any)."""
    own_bid = Bid.objects.filter(job=OuterRef("pk"), vendor=vendor).exclude(
        status=BidStatus.WITHDRAWN
    )
    jobs = job_list_for_vendor(vendor=vendor).filter(status=JobStatus.OPEN)
    if domain_code:
        jobs = jobs.filter(domain__code=domain_code)
    return jobs.annotate(
        invited=Exists(Invitation.objects.filter(job=OuterRef("pk"), vendor=vendor)),
        your_bid_id=Subquery(own_bid.values("pk")[:1]),
        your_bid_status=Subquery(own_bid.values("status")[:1]),
    ).order_by("bid_deadline", "pk")


def bid_active_for_vendor(*, vendor: Vendor, job: Job) -> Bid | None:
    """The vendor's bid on the job that is not withdrawn (there is at most one), or None."""
    return (
        bid_list_for_vendor(vendor=vendor)
        .filter(job=job)
        .exclude(status=BidStatus.WITHDRAWN)
        .first()
    )


def bid_list_awaiting_decision_for_vendor(*, vendor: Vendor) -> QuerySet[Bid]:
    """The vendor's bids still in the running, nearest job deadline first."""
    return (
        Bid.objects.filter(vendor=vendor, status__in=BIDS_AWAITING_DECISION)
        .select_related("job__lab__organisation")
        .order_by("job__bid_deadline", "pk")
    )


@dataclass(frozen=True)
class RevisionView:
    """A bid revision with the names of the specialists it proposed."""

    revision: BidRevision
    specialist_names: list[str]


def bid_revision_list_for_vendor(*, vendor: Vendor, bid: Bid) -> list[RevisionView]:
    """Every revision of the vendor's own bid, newest first."""
    if bid.vendor_id != vendor.pk:
        raise NotFound("No such bid.")
    revisions = list(
        BidRevision.objects.filter(bid=bid).select_related("created_by").order_by("-number")
    )
    ids = {i for r in revisions for i in r.specialist_ids}
    # Specialists since taken off the roster are still named in the history.
    names = dict(
        Specialist.objects.filter(vendor=vendor, pk__in=ids).values_list("pk", "full_name")
    )
    return [
        RevisionView(
            revision=r,
            specialist_names=sorted(names.get(i, f"Specialist {i}") for i in r.specialist_ids),
        )
        for r in revisions
    ]


def invitation_list_open_for_vendor(*, vendor: Vendor) -> QuerySet[Invitation]:
    """The vendor's invitations to jobs still open, nearest bid deadline first."""
    return (
        invitation_list_for_vendor(vendor=vendor)
        .filter(job__status=JobStatus.OPEN)
        .order_by("job__bid_deadline", "pk")
    )


def invitation_warning_for_vendor(invitation: Invitation) -> str:
    """The warning an invitation carries, as its vendor may read it, or "". The reasons
    are written for the lab; the vendor reads only the warning. One written on re-checking
    the vendor's own credentials and attestations (services.invitations) is the vendor's
    own data and is shown as it is; one written by a re-run of matching may cite the lab's
    screening, so the vendor reads a summary."""
    from marketplace.exchange.services.invitations import WARNING_PREFIX

    reasons = invitation.reasons if isinstance(invitation.reasons, list) else []
    warning = next((str(r) for r in reasons if str(r).startswith(WARNING_PREFIX)), "")
    if warning and "(re-matched on " in warning:
        return (
            f"{WARNING_PREFIX}a new match found you can no longer meet this job's "
            "requirements. Check your roster and attestations; the invitation stands."
        )
    return warning


@dataclass(frozen=True)
class SpecialistFit:
    """One of the vendor's specialists against a job's seat requirements on its delivery
    date: the seats they can fill, or why they can fill none."""

    specialist: Specialist
    seats: tuple[SeatNeed, ...]
    why_not: str = ""

    @property
    def eligible(self) -> bool:
        return bool(self.seats)


@dataclass(frozen=True)
class JobStaffingForVendor:
    needs: list[SeatNeed]
    fits: list[SpecialistFit]
    staffing: Staffing  # the best assignment of every eligible specialist
    missing_attestations: list[str]  # required kinds not held valid through the delivery date

    @property
    def eligible(self) -> list[SpecialistFit]:
        return [f for f in self.fits if f.eligible]

    @property
    def ineligible(self) -> list[SpecialistFit]:
        return [f for f in self.fits if not f.eligible]


def _why_not(credentials: list[Credential], needs: list[SeatNeed], day: date) -> str:
    problems = []
    for credential in credentials:
        if not any(
            credential.field_id == n.field_id and credential.level_id in n.level_ids for n in needs
        ):
            continue
        what = f"{credential.level} in {credential.field}"
        if credential.status == CredentialStatus.PENDING:
            problems.append(f"{what} is waiting for verification")
        elif credential.status == CredentialStatus.REJECTED:
            problems.append(f"{what} was rejected")
        elif credential.expires_on is not None and credential.expires_on <= day:
            problems.append(
                f"{what} expires on {credential.expires_on.day} "
                f"{credential.expires_on:%b %Y}, by the delivery date"
            )
    if not problems:
        return "No credential in a required field at the required level."
    text = "; ".join(problems)
    return f"{text[0].upper()}{text[1:]}."


def specialist_fit_list_for_job(*, vendor: Vendor, job: Job) -> JobStaffingForVendor:
    """Which of the vendor's active specialists can fill which of the job's seats, by
    matching's rules (marketplace.exchange.matching): a verified credential in the seat's
    field, at or above its level, unexpired on the delivery date. With the job's required
    attestations the vendor does not hold valid through that date."""
    day = job.delivery_date
    needs = seat_needs(
        job.seat_requirements.select_related("field", "min_level"),
        QualificationLevel.objects.all(),
    )
    specialists = list(specialist_list(vendor=vendor))
    qualifications = seat_qualifications(
        needs, [c for s in specialists for c in s.credentials.all()], day
    )
    staffing = assign_seats([n.count for n in needs], qualifications)
    held = list(attestation_list(vendor=vendor))
    missing = [
        kind.name
        for kind in job.required_attestations.all()
        if not any(a.kind_id == kind.pk and a.is_valid_through(day) for a in held)
    ]
    fits = []
    for specialist in specialists:
        seats = tuple(needs[i] for i in sorted(qualifications.get(specialist.pk, ())))
        fits.append(
            SpecialistFit(
                specialist=specialist,
                seats=seats,
                why_not="" if seats else _why_not(list(specialist.credentials.all()), needs, day),
            )
        )
    return JobStaffingForVendor(
        needs=needs, fits=fits, staffing=staffing, missing_attestations=missing
    )
