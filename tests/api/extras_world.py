"""Objects the route-policy world needs for the lab and vendor extras routes (seats,
questions, invitations, competitors, conflict policy, stakes, BODS upload)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils import timezone

from labs.models import Competitor, Job
from marketplace.exchange.models import Invitation
from marketplace.exchange.services.questions import question_ask
from marketplace.ownership.models import Provenance
from tests.factories import (
    CredentialFieldFactory,
    EntityFactory,
    QualificationLevelFactory,
    StakeFactory,
)
from tests.plugins.personas import LabTeam, VendorTeam


def extras_world(
    acme: LabTeam, medix: VendorTeam, *, draft: Job, open_job: Job
) -> tuple[dict[str, dict[str, Any]], dict[str, dict]]:
    """Route ids and request bodies for the extras routes, keyed like the policy table."""
    seat = draft.seat_requirements.first()
    assert seat is not None
    question = question_ask(
        job=open_job, vendor=medix.vendor, user=medix.bid_manager, body="Which guideline?"
    )
    Invitation.objects.get_or_create(
        job=open_job,
        vendor=medix.vendor,
        defaults={"rank": 1, "score": Decimal("0.9"), "reasons": ["Fits."]},
    )
    competitor = Competitor.objects.create(lab=acme.lab, entity=EntityFactory())
    stake = StakeFactory(subject=medix.vendor.entity, provenance=Provenance.SELF_DECLARED)
    ids = {
        "api:v1:lab-job-seats": {"job_id": draft.pk},
        "api:v1:lab-job-seat": {"job_id": draft.pk, "seat_id": seat.pk},
        "api:v1:lab-job-questions": {"job_id": open_job.pk},
        "api:v1:lab-question-answer": {"question_id": question.pk},
        "api:v1:lab-job-invitations": {"job_id": open_job.pk},
        "api:v1:lab-competitor": {"competitor_id": competitor.pk},
        "api:v1:vendor-job-questions": {"job_id": open_job.pk},
        "api:v1:vendor-stake-end": {"stake_id": stake.pk},
    }
    bodies = {
        "api:v1:lab-job-seats-create": {
            "count": 1,
            "field": CredentialFieldFactory().code,
            "min_level": QualificationLevelFactory().code,
        },
        "api:v1:lab-question-answer": {"answer": "The 2024 one."},
        "api:v1:lab-competitors-create": {"name": "Newco Labs"},
        "api:v1:lab-conflict-policy-update": {"lookback_months": 6},
        "api:v1:vendor-job-questions-create": {"body": "Is the volume firm?"},
        "api:v1:vendor-stakes-create": {
            "interested_party_name": "Seed Fund LP",
            "interest_type": "shareholding",
            "share_exact": "12.5",
        },
        "api:v1:vendor-stake-end": {"end_date": str(timezone.localdate())},
    }
    return ids, bodies
