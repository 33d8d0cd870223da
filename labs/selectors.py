"""Reads for labs, scoped to the caller's organisation."""

from __future__ import annotations

from django.db.models import Count, Prefetch, Q, QuerySet

from labs.models import Competitor, ConflictPolicy, Job, JobStatus, Lab, SeatRequirement
from marketplace.core.errors import NotFound
from marketplace.ownership.models import Entity, RecordType


def job_terms_prefetch() -> tuple[Prefetch, str]:
    """What showing a job's terms needs besides the job row: its seats with their field
    and level in one query (a join, not two more prefetches), and its attestations."""
    seats = SeatRequirement.objects.select_related("field", "min_level")
    return Prefetch("seat_requirements", queryset=seats), "required_attestations"


def job_list_for_lab(*, lab: Lab, status: str | None = None) -> QuerySet[Job]:
    jobs = (
        Job.objects.filter(lab=lab).select_related("domain").prefetch_related(*job_terms_prefetch())
    )
    if status:
        jobs = jobs.filter(status=status)
    return jobs


def job_count_by_status_for_lab(*, lab: Lab) -> dict[str, int]:
    """How many of the lab's jobs are in each status (every status present, zero or not)."""
    counts = dict(
        Job.objects.filter(lab=lab).order_by().values_list("status").annotate(n=Count("pk"))
    )
    return {status: counts.get(status, 0) for status in JobStatus.values}


def job_get_for_lab(*, lab: Lab, job_id: int) -> Job:
    try:
        return Job.objects.select_related("domain", "lab__organisation").get(lab=lab, pk=job_id)
    except Job.DoesNotExist:
        raise NotFound("No such job.") from None


def seat_requirement_list_for_job(*, lab: Lab, job_id: int) -> QuerySet[SeatRequirement]:
    """A job's seat requirements; another lab's job is as unknown as a missing one."""
    job = job_get_for_lab(lab=lab, job_id=job_id)
    return SeatRequirement.objects.filter(job=job).select_related("field", "min_level", "job")


def seat_requirement_get_for_lab(*, lab: Lab, job_id: int, seat_id: int) -> SeatRequirement:
    seat = seat_requirement_list_for_job(lab=lab, job_id=job_id).filter(pk=seat_id).first()
    if seat is None:
        raise NotFound("No such seat requirement.")
    return seat


def competitor_list_for_lab(*, lab: Lab) -> QuerySet[Competitor]:
    return Competitor.objects.filter(lab=lab).select_related("entity", "lab")


def competitor_get_for_lab(*, lab: Lab, competitor_id: int) -> Competitor:
    competitor = competitor_list_for_lab(lab=lab).filter(pk=competitor_id).first()
    if competitor is None:
        raise NotFound("No such competitor.")
    return competitor


COMPETITOR_SEARCH_LIMIT = 20


def lab_entity_source(lab: Lab) -> str:
    """The `source` of entities a lab brought into the graph by naming them as rivals."""
    return f"lab:{lab.organisation.slug}"


def competitor_candidate_list(*, lab: Lab, query: str) -> QuerySet[Entity]:
    """Entities of the ownership graph the lab may name as a rival, by name: companies
    and arrangements (not people), not the lab itself nor an entity already named, and
    not an entity another lab brought in by naming it (that would tell who names whom).
    At most COMPETITOR_SEARCH_LIMIT, by name."""
    query = query.strip()
    if not query:
        return Entity.objects.none()
    return (
        Entity.objects.filter(name__icontains=query, record_type=RecordType.ENTITY)
        .filter(is_component=False)
        .filter(~Q(source__startswith="lab:") | Q(source=lab_entity_source(lab)))
        .exclude(pk=lab.entity_id)
        .exclude(named_as_competitor__lab=lab)
        .order_by("name", "pk")[:COMPETITOR_SEARCH_LIMIT]
    )


def conflict_policy_get_for_lab(*, lab: Lab) -> ConflictPolicy:
    policy, _ = ConflictPolicy.objects.get_or_create(lab=lab)
    return policy
