"""Named personas shared by the tests: a lab with one member per role, a vendor with one
member per role, a second lab and vendor for wrong-tenant checks, and an open job."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.utils import timezone

from labs.models import Job, Lab
from marketplace.accounts.models import Role, User
from marketplace.exchange import services as exchange
from tests.factories import (
    JobFactory,
    LabFactory,
    MembershipFactory,
    SeatRequirementFactory,
    SpecialistFactory,
    UserFactory,
    VendorFactory,
)
from tests.vendors.builders import platform_admin, verified_credential
from vendors.models import Specialist, Vendor


@dataclass
class LabTeam:
    lab: Lab
    owner: User
    procurement: User
    reviewer: User


@dataclass
class VendorTeam:
    vendor: Vendor
    owner: User
    bid_manager: User
    specialists: list[Specialist]


def make_lab_team(name: str) -> LabTeam:
    lab = LabFactory(organisation__name=name)
    team = LabTeam(lab=lab, owner=UserFactory(), procurement=UserFactory(), reviewer=UserFactory())
    for user, role in (
        (team.owner, Role.LAB_OWNER),
        (team.procurement, Role.PROCUREMENT),
        (team.reviewer, Role.REVIEWER),
    ):
        MembershipFactory(user=user, organisation=lab.organisation, role=role)
    return team


def make_vendor_team(name: str) -> VendorTeam:
    vendor = VendorFactory(organisation__name=name)
    team = VendorTeam(
        vendor=vendor,
        owner=UserFactory(),
        bid_manager=UserFactory(),
        specialists=SpecialistFactory.create_batch(3, vendor=vendor),
    )
    MembershipFactory(user=team.owner, organisation=vendor.organisation, role=Role.VENDOR_OWNER)
    MembershipFactory(
        user=team.bid_manager, organisation=vendor.organisation, role=Role.BID_MANAGER
    )
    return team


@pytest.fixture
def acme() -> LabTeam:
    """The lab whose point of view most tests take."""
    return make_lab_team("Acme AI")


@pytest.fixture
def rival() -> LabTeam:
    """Another lab: never sees Acme's data."""
    return make_lab_team("Rival Intelligence")


@pytest.fixture
def medix() -> VendorTeam:
    """A boutique medical vendor."""
    return make_vendor_team("Medix Annotations")


@pytest.fixture
def mathly() -> VendorTeam:
    """A second vendor, competing with Medix for Acme's jobs."""
    return make_vendor_team("Mathly Experts")


def make_open_job(team: LabTeam, **overrides: object) -> Job:
    job = JobFactory(lab=team.lab, created_by=team.procurement, **overrides)
    SeatRequirementFactory(job=job)
    return exchange.job_publish(job=job, user=team.procurement)


@pytest.fixture
def open_job(acme: LabTeam) -> Job:
    return make_open_job(acme)


def qualify(specialists: list[Specialist], job: Job) -> list[Specialist]:
    """Gives each specialist a verified credential for the job's first seat, so they may
    be proposed on a bid for it."""
    seat = job.seat_requirements.select_related("field", "min_level").first()
    assert seat is not None, "the job has no seat to qualify for"
    verifier = platform_admin()
    for specialist in specialists:
        verified_credential(
            specialist, verified_by=verifier, field=seat.field, level=seat.min_level
        )
    return specialists


def submit_bid(team: VendorTeam, job: Job, price: str = "30000", **kwargs: object):
    return exchange.bid_submit(
        job=job,
        vendor=team.vendor,
        user=team.bid_manager,
        price=Decimal(price),
        currency=job.currency,
        timeline_days=30,
        **kwargs,
    )


def pass_bid_deadline(job: Job) -> Job:
    """Moves the job's deadlines into the past, as if time had run on."""
    from datetime import timedelta

    past = timezone.now() - timedelta(seconds=1)
    Job.objects.filter(pk=job.pk).update(question_deadline=past, bid_deadline=past)
    job.refresh_from_db()
    return job
