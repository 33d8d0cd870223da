"""Reads for labs, scoped to the caller's organisation."""

from __future__ import annotations

from django.db.models import QuerySet

from labs.models import Job, Lab
from marketplace.core.errors import NotFound


def job_list_for_lab(*, lab: Lab, status: str | None = None) -> QuerySet[Job]:
    jobs = (
        Job.objects.filter(lab=lab)
        .select_related("domain")
        .prefetch_related(
            "seat_requirements__field", "seat_requirements__min_level", "required_attestations"
        )
    )
    if status:
        jobs = jobs.filter(status=status)
    return jobs


def job_get_for_lab(*, lab: Lab, job_id: int) -> Job:
    try:
        return Job.objects.select_related("domain", "lab__organisation").get(lab=lab, pk=job_id)
    except Job.DoesNotExist:
        raise NotFound("No such job.") from None
