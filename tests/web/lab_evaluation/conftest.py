"""Jobs in evaluation with bids, invitations and screenings, as the lab's evaluation
pages show them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest
from django.utils import timezone

from labs.models import Job, WorkState
from marketplace.exchange.models import Bid, Invitation, Screening
from tests.exchange.helpers import start_evaluation
from tests.factories import CredentialFactory
from tests.plugins.personas import LabTeam, VendorTeam, make_open_job, qualify, submit_bid


@dataclass
class Evaluation:
    job: Job
    medix_bid: Bid
    mathly_bid: Bid


def set_verdict(bid: Bid, verdict: str | None, *, vendor_level: bool = True) -> None:
    """The screenings the bid's submission requested, as if computed with `verdict`."""
    done = {
        "verdict": verdict,
        "computed_verdict": verdict,
        "state": WorkState.DONE,
        "computed_at": timezone.now(),
        "as_of": timezone.localdate(),
    }
    Screening.objects.filter(bid=bid).update(**done)
    if vendor_level:
        Screening.objects.filter(lab=bid.job.lab, vendor=bid.vendor, bid__isnull=True).update(
            **done
        )


def invite(job: Job, team: VendorTeam, score: str, rank: int = 1) -> Invitation:
    return Invitation.objects.create(
        job=job, vendor=team.vendor, rank=rank, score=Decimal(score), reasons=["Matched."]
    )


def make_evaluation(
    acme: LabTeam, medix: VendorTeam, mathly: VendorTeam, **job_terms: object
) -> Evaluation:
    job = make_open_job(acme, **job_terms)
    invite(job, medix, "82.5", rank=1)
    invite(job, mathly, "64", rank=2)
    specialist = medix.specialists[0]
    CredentialFactory(specialist=specialist, expires_on=date(2031, 1, 31))
    qualify([specialist], job)
    medix_bid = submit_bid(medix, job, "30000", specialists=[specialist], note="Senior MDs only.")
    mathly_bid = submit_bid(mathly, job, "25000")
    set_verdict(medix_bid, "clear")
    set_verdict(mathly_bid, "review")
    start_evaluation(job)
    return Evaluation(job=job, medix_bid=medix_bid, mathly_bid=mathly_bid)


@pytest.fixture
def evaluation(acme, medix, mathly) -> Evaluation:
    """Acme's job (no split) in evaluation with Medix's and Mathly's bids."""
    return make_evaluation(acme, medix, mathly)


@pytest.fixture
def split_evaluation(acme, medix, mathly) -> Evaluation:
    """Acme's job that allows a split, at most 70% per vendor, in evaluation."""
    return make_evaluation(acme, medix, mathly, split_allowed=True, max_share_per_vendor="70")
