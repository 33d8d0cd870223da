"""Helpers for the lab and exchange tests: job terms, moving a job to evaluation,
screenings made directly with the ORM, and a platform admin."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone

from labs.models import Job, Lab, WorkState
from labs.services import competitor_add
from marketplace.accounts.models import Organisation, User
from marketplace.exchange import services as exchange
from marketplace.exchange.models import Notification, Screening, Verdict
from marketplace.ownership.models import Entity, InterestType, Provenance
from marketplace.ownership.services import entity_create, stake_create
from tests.factories import DomainFactory, UserFactory
from tests.plugins.personas import LabTeam, VendorTeam, pass_bid_deadline
from vendors.models import Vendor


def job_terms(**overrides: Any) -> dict[str, Any]:
    """Keyword arguments for labs.services.job_create: valid terms unless overridden."""
    now = timezone.now()
    terms: dict[str, Any] = {
        "title": "Grade clinical answers",
        "domain": DomainFactory(),
        "description": "Physicians grade model answers to clinical questions.",
        "volume": 2000,
        "volume_unit": "items",
        "budget_min": Decimal("20000"),
        "budget_max": Decimal("60000"),
        "currency": "USD",
        "question_deadline": now + timedelta(days=5),
        "bid_deadline": now + timedelta(days=10),
        "delivery_date": timezone.localdate() + timedelta(days=60),
    }
    terms.update(overrides)
    return terms


def start_evaluation(job: Job) -> Job:
    """The bid deadline passes and the periodic task closes bidding."""
    pass_bid_deadline(job)
    assert exchange.close_due_bidding() == [job.pk]
    job.refresh_from_db()
    return job


def screening_with_verdict(
    lab: Lab, vendor: Vendor, verdict: str | None = Verdict.BLOCKED, **fields: Any
) -> Screening:
    """A finished lab x vendor screening (bid null unless given) written straight to the
    database. An award recomputes screenings from ownership data first: to block an
    award, use `rival_stake`."""
    return Screening.objects.create(
        lab=lab,
        vendor=vendor,
        requested_at=timezone.now(),
        computed_at=timezone.now(),
        state=WorkState.DONE,
        verdict=verdict,
        computed_verdict=verdict,
        **fields,
    )


def rival_stake(lab_team: LabTeam, vendor_team: VendorTeam, share: str) -> Entity:
    """The lab names Rival Corp as a competitor, and Rival Corp holds `share` percent of
    the vendor: the ownership data a screening is computed from."""
    rival_corp = entity_create(name="Rival Corp")
    competitor_add(lab=lab_team.lab, user=lab_team.owner, entity=rival_corp)
    stake_create(
        interested_party=rival_corp,
        subject=vendor_team.vendor.entity,
        interest_type=InterestType.SHAREHOLDING,
        provenance=Provenance.SELF_DECLARED,
        share_exact=Decimal(share),
    )
    return rival_corp


def platform_admin() -> User:
    return UserFactory(is_staff=True)


def notifications_to(organisation: Organisation, kind: str | None = None) -> list[Notification]:
    notifications = Notification.objects.filter(organisation=organisation)
    if kind is not None:
        notifications = notifications.filter(kind=kind)
    return list(notifications.select_related("recipient"))
