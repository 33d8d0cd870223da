"""Builders for the matching tests: the qualification vocabulary, vendors with verified
specialists, jobs with seat requirements, and a vendor's history with a lab."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone

from labs.models import Job
from marketplace.core.models import AttestationKind, CredentialField, QualificationLevel
from marketplace.exchange import services as exchange
from marketplace.exchange.models import Contract
from tests.exchange.helpers import platform_admin, start_evaluation
from tests.factories import (
    AttestationFactory,
    AttestationKindFactory,
    CredentialFactory,
    CredentialFieldFactory,
    JobFactory,
    QualificationLevelFactory,
    SeatRequirementFactory,
    SpecialistFactory,
)
from tests.plugins.personas import LabTeam, VendorTeam, make_open_job, make_vendor_team, submit_bid
from vendors.models import Credential, CredentialStatus, Specialist


@dataclass
class Vocabulary:
    medicine: CredentialField
    nursing: CredentialField
    mathematics: CredentialField
    md: QualificationLevel
    rn: QualificationLevel
    np: QualificationLevel
    master: QualificationLevel
    doctorate: QualificationLevel
    hipaa: AttestationKind
    soc2: AttestationKind


def vocabulary() -> Vocabulary:
    level = QualificationLevelFactory
    return Vocabulary(
        medicine=CredentialFieldFactory(code="medicine"),
        nursing=CredentialFieldFactory(code="nursing"),
        mathematics=CredentialFieldFactory(code="mathematics"),
        md=level(code="md", name="MD", kind="licence", ladder="physician", rank=1),
        rn=level(code="rn", name="RN", kind="licence", ladder="nursing", rank=1),
        np=level(code="np", name="NP", kind="licence", ladder="nursing", rank=2),
        master=level(code="master", name="Master", kind="degree", ladder="degree", rank=2),
        doctorate=level(code="doctorate", name="Doctorate", kind="degree", ladder="degree", rank=3),
        hipaa=AttestationKindFactory(code="hipaa-baa", name="HIPAA BAA"),
        soc2=AttestationKindFactory(code="soc2", name="SOC 2"),
    )


def delivery_date() -> date:
    """JobFactory's delivery date."""
    return timezone.localdate() + timedelta(days=60)


def credential(
    specialist: Specialist,
    field: CredentialField,
    level: QualificationLevel,
    *,
    status: str = CredentialStatus.VERIFIED,
    expires_on: date | None = None,
) -> Credential:
    verified = status == CredentialStatus.VERIFIED
    return CredentialFactory(
        specialist=specialist,
        field=field,
        level=level,
        status=status,
        expires_on=expires_on,
        verified_by=platform_admin() if verified else None,
        verified_at=timezone.now() if verified else None,
        rejection_reason="Not found in the register" if status == CredentialStatus.REJECTED else "",
    )


def specialist_with(
    team: VendorTeam,
    *held: tuple[CredentialField, QualificationLevel],
    expires_on: date | None = None,
    status: str = CredentialStatus.VERIFIED,
) -> Specialist:
    """A new specialist of the vendor holding these credentials (field, level)."""
    specialist = SpecialistFactory(vendor=team.vendor)
    for field, level in held:
        credential(specialist, field, level, expires_on=expires_on, status=status)
    return specialist


def staffed_vendor(
    name: str,
    v: Vocabulary,
    *,
    md: int = 0,
    rn: int = 0,
    attestations: tuple[AttestationKind, ...] = (),
) -> VendorTeam:
    """A vendor with `md` verified MDs and `rn` verified RNs (none expiring), and valid
    attestations of the given kinds running well past the delivery date."""
    team = make_vendor_team(name)
    for _ in range(md):
        specialist_with(team, (v.medicine, v.md))
    for _ in range(rn):
        specialist_with(team, (v.nursing, v.rn))
    for kind in attestations:
        AttestationFactory(
            vendor=team.vendor, kind=kind, expires_on=delivery_date() + timedelta(days=300)
        )
    return team


def job_needing(
    team: LabTeam,
    *seats: tuple[int, CredentialField, QualificationLevel],
    attestations: tuple[AttestationKind, ...] = (),
    **terms: object,
) -> Job:
    """A draft job of the lab with these seat requirements (count, field, level)."""
    job = JobFactory(lab=team.lab, created_by=team.procurement, **terms)
    for count, field, level in seats:
        SeatRequirementFactory(job=job, count=count, field=field, min_level=level)
    if attestations:
        job.required_attestations.set(attestations)
    return Job.objects.select_related("lab__organisation").get(pk=job.pk)


def contract_with(
    lab: LabTeam,
    vendor: VendorTeam,
    *,
    price: str = "30000",
    rating: int | None = None,
    on_time: bool = True,
) -> Contract:
    """A job of the lab awarded to the vendor (a contract worth `price`), completed with
    `rating` if one is given."""
    job = make_open_job(lab)
    bid = submit_bid(vendor, job, price)
    start_evaluation(job)
    award = exchange.award_make(job=job, user=lab.procurement, shares={bid.pk: Decimal(100)})
    contract = award.contracts.get()
    if rating is not None:
        if not on_time:
            yesterday = timezone.localdate() - timedelta(days=1)
            Job.objects.filter(pk=job.pk).update(delivery_date=yesterday)
        contract = exchange.contract_complete(
            contract=contract, user=lab.reviewer, delivered_on=timezone.localdate(), rating=rating
        )
    return contract
