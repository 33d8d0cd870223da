"""Writes that stay inside a lab: the lab itself, competitors, conflict policy, and
drafting jobs with their seat requirements. Moves that involve vendors (publish,
close, award, ...) live in marketplace.exchange.services."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from labs.models import (
    Bidding,
    Competitor,
    ConflictPolicy,
    Job,
    JobStatus,
    Lab,
    SeatRequirement,
    Sensitivity,
    Visibility,
    VolumeUnit,
)
from labs.permissions import can_manage_competitors, can_manage_jobs, can_manage_policy
from labs.selectors import lab_entity_source
from marketplace.accounts.models import OrganisationKind, User
from marketplace.accounts.services import organisation_create
from marketplace.core.async_work import enqueue_on_commit
from marketplace.core.errors import InvalidTransition, NotPermitted, RuleViolation
from marketplace.core.models import AttestationKind, CredentialField, Domain, QualificationLevel
from marketplace.ownership.models import Entity, EntityType
from marketplace.ownership.services import entity_create


@transaction.atomic
def lab_create(
    *,
    name: str,
    slug: str | None = None,
    entity: Entity | None = None,
    description: str = "",
    website: str = "",
) -> Lab:
    """Creates the lab organisation, its entity (unless given) and its default policy."""
    organisation = organisation_create(kind=OrganisationKind.LAB, name=name, slug=slug)
    if entity is None:
        entity = entity_create(
            name=name, entity_type=EntityType.REGISTERED_ENTITY, source="platform"
        )
    lab = Lab.objects.create(
        organisation=organisation, entity=entity, description=description, website=website
    )
    ConflictPolicy.objects.create(lab=lab)
    return lab


MAX_LOOKBACK_MONTHS = 120
RESCREEN_LAB_TASK = "marketplace.exchange.tasks.rescreen_lab_task"


def _screening_inputs_changed(lab: Lab) -> None:
    """Caller holds a transaction. The lab's vendors are re-screened after commit; the
    timestamp lets the reconciler redo it if that message is lost."""
    Lab.objects.filter(pk=lab.pk).update(screening_inputs_changed_at=timezone.now())
    enqueue_on_commit(RESCREEN_LAB_TASK, lab.pk)


@transaction.atomic
def competitor_add(*, lab: Lab, user: User, entity: Entity, note: str = "") -> Competitor:
    if not can_manage_competitors(user, lab):
        raise NotPermitted("Only the lab's owner or procurement may change its competitors.")
    if entity.pk == lab.entity_id:
        raise RuleViolation("A lab cannot name itself as a competitor.", field="entity")
    competitor, created = Competitor.objects.get_or_create(
        lab=lab, entity=entity, defaults={"note": note}
    )
    if not created:
        raise RuleViolation(f"{entity.name} is already one of your competitors.", field="entity")
    _screening_inputs_changed(lab)
    return competitor


@transaction.atomic
def competitor_declare(
    *,
    lab: Lab,
    user: User,
    entity_record_id: str | None = None,
    entity_name: str | None = None,
    note: str = "",
) -> Competitor:
    """Names a rival: an entity already in the ownership graph by its record id, or a new
    entity by its name (created here, sourced to the lab). Exactly one of the two. All or
    nothing, so a refused caller leaves no entity behind."""
    if (entity_record_id is None) == (entity_name is None):
        raise RuleViolation(
            "Give the record id of an existing entity or the name of a new one, not both."
        )
    if not can_manage_competitors(user, lab):
        raise NotPermitted("Only the lab's owner or procurement may change its competitors.")
    if entity_record_id is not None:
        entity = Entity.objects.filter(record_id=entity_record_id).first()
        if entity is None:
            raise RuleViolation("No entity has that record id.", field="record_id")
    else:
        entity = entity_create(name=entity_name or "", source=lab_entity_source(lab))
    return competitor_add(lab=lab, user=user, entity=entity, note=note)


@transaction.atomic
def competitor_remove(*, competitor: Competitor, user: User) -> None:
    if not can_manage_competitors(user, competitor.lab):
        raise NotPermitted("Only the lab's owner or procurement may change its competitors.")
    competitor.delete()
    _screening_inputs_changed(competitor.lab)


@transaction.atomic
def conflict_policy_update(
    *,
    lab: Lab,
    user: User,
    block_percent: Decimal | None = None,
    review_percent: Decimal | None = None,
    lookback_months: int | None = None,
) -> ConflictPolicy:
    if not can_manage_policy(user, lab):
        raise NotPermitted("Only the lab's owner may change its conflict policy.")
    policy = ConflictPolicy.objects.select_for_update().get(lab=lab)
    if block_percent is not None:
        policy.block_percent = block_percent
    if review_percent is not None:
        policy.review_percent = review_percent
    if lookback_months is not None:
        if not 0 <= lookback_months <= MAX_LOOKBACK_MONTHS:
            raise RuleViolation(
                f"The lookback must be between 0 and {MAX_LOOKBACK_MONTHS} months.",
                field="lookback_months",
            )
        policy.lookback_months = lookback_months
    if not (Decimal(0) <= policy.review_percent <= policy.block_percent <= Decimal(100)):
        raise RuleViolation(
            "Thresholds must satisfy 0 <= review <= block <= 100 percent.", field="block_percent"
        )
    policy.save()
    _screening_inputs_changed(lab)
    return policy


ISO_CURRENCY = re.compile(r"[A-Z]{3}")


def _validate_job_terms(job: Job) -> None:
    job.title = (job.title or "").strip()
    if not job.title:
        raise RuleViolation("A job needs a title.", field="title")
    for name, choices in (
        ("volume_unit", VolumeUnit),
        ("sensitivity", Sensitivity),
        ("bidding", Bidding),
        ("visibility", Visibility),
    ):
        if getattr(job, name) not in choices.values:
            raise RuleViolation(
                f"{name.replace('_', ' ').capitalize()} must be one of "
                f"{', '.join(choices.values)}.",
                field=name,
            )
    if job.budget_min < 0 or job.budget_min > job.budget_max:
        raise RuleViolation(
            "The budget minimum must be between 0 and the maximum.", field="budget_min"
        )
    if not ISO_CURRENCY.fullmatch(job.currency or ""):
        raise RuleViolation("The currency must be an ISO 4217 code such as USD.", field="currency")
    if job.question_deadline > job.bid_deadline:
        raise RuleViolation(
            "Questions must close no later than bidding.", field="question_deadline"
        )
    if job.delivery_date <= job.bid_deadline.date():
        raise RuleViolation("Delivery must come after the bid deadline.", field="delivery_date")
    if job.volume < 1:
        raise RuleViolation("The volume must be at least 1.", field="volume")
    if not job.split_allowed and job.max_share_per_vendor != Decimal(100):
        raise RuleViolation(
            "A maximum share per vendor only applies when splitting is allowed.",
            field="max_share_per_vendor",
        )
    if not (Decimal(0) < job.max_share_per_vendor <= Decimal(100)):
        raise RuleViolation(
            "The maximum share per vendor must be above 0 and at most 100%.",
            field="max_share_per_vendor",
        )


@transaction.atomic
def job_create(
    *,
    lab: Lab,
    user: User,
    title: str,
    domain: Domain,
    description: str,
    volume: int,
    volume_unit: str,
    budget_min: Decimal,
    budget_max: Decimal,
    currency: str,
    question_deadline: datetime,
    bid_deadline: datetime,
    delivery_date: date,
    sensitivity: str = "standard",
    bidding: str = "sealed",
    visibility: str = "all_vendors",
    split_allowed: bool = False,
    max_share_per_vendor: Decimal = Decimal(100),
    required_attestations: list[AttestationKind] | None = None,
) -> Job:
    """Creates a draft job."""
    if not can_manage_jobs(user, lab):
        raise NotPermitted("Only the lab's owner or procurement may post jobs.")
    job = Job(
        lab=lab,
        created_by=user,
        title=title.strip(),
        domain=domain,
        description=description,
        volume=volume,
        volume_unit=volume_unit,
        budget_min=budget_min,
        budget_max=budget_max,
        currency=currency,
        question_deadline=question_deadline,
        bid_deadline=bid_deadline,
        delivery_date=delivery_date,
        sensitivity=sensitivity,
        bidding=bidding,
        visibility=visibility,
        split_allowed=split_allowed,
        max_share_per_vendor=max_share_per_vendor,
    )
    _validate_job_terms(job)
    job.save()
    if required_attestations:
        job.required_attestations.set(required_attestations)
    return job


JOB_DRAFT_FIELDS = frozenset(
    {
        "title",
        "domain",
        "description",
        "volume",
        "volume_unit",
        "budget_min",
        "budget_max",
        "currency",
        "question_deadline",
        "bid_deadline",
        "delivery_date",
        "sensitivity",
        "bidding",
        "visibility",
        "split_allowed",
        "max_share_per_vendor",
    }
)


def _draft_job_for_update(job: Job, user: User) -> Job:
    """Caller holds a transaction."""
    if not can_manage_jobs(user, job.lab):
        raise NotPermitted("Only the lab's owner or procurement may edit jobs.")
    job = Job.objects.select_for_update().get(pk=job.pk)
    if job.status != JobStatus.DRAFT:
        raise InvalidTransition("Only a draft job can be edited.")
    return job


@transaction.atomic
def job_update_draft(
    *,
    job: Job,
    user: User,
    required_attestations: list[AttestationKind] | None = None,
    **changes: object,
) -> Job:
    unknown = set(changes) - JOB_DRAFT_FIELDS
    if unknown:
        raise RuleViolation(f"These job fields cannot be changed: {', '.join(sorted(unknown))}.")
    job = _draft_job_for_update(job, user)
    for name, value in changes.items():
        setattr(job, name, value)
    _validate_job_terms(job)
    job.save()
    if required_attestations is not None:
        job.required_attestations.set(required_attestations)
    return job


@transaction.atomic
def seat_requirement_add(
    *,
    job: Job,
    user: User,
    count: int,
    field: CredentialField,
    min_level: QualificationLevel,
    note: str = "",
) -> SeatRequirement:
    job = _draft_job_for_update(job, user)
    if count < 1:
        raise RuleViolation("A seat requirement needs at least one seat.", field="count")
    return SeatRequirement.objects.create(
        job=job, count=count, field=field, min_level=min_level, note=note
    )


@transaction.atomic
def seat_requirement_remove(*, seat_requirement: SeatRequirement, user: User) -> None:
    _draft_job_for_update(seat_requirement.job, user)
    seat_requirement.delete()
