"""When a vendor's credentials or attestations expire (the hourly tasks), the vendor is
told, and its invitations to jobs still open are checked again: an invitation whose
vendor can no longer staff the job gets a warning among its reasons, and the vendor and
the lab are told."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from labs.models import Job
from marketplace.accounts.models import User
from marketplace.exchange import services as exchange
from marketplace.exchange.models import Invitation
from marketplace.exchange.services.invitations import (
    WARNING_PREFIX,
    invitations_reevaluate,
    staffing_problems,
)
from tests.exchange.helpers import notifications_to, platform_admin
from tests.factories import (
    AttestationFactory,
    AttestationKindFactory,
    CredentialFactory,
    CredentialFieldFactory,
    QualificationLevelFactory,
    SeatRequirementFactory,
)
from tests.plugins.personas import LabTeam, VendorTeam, make_open_job
from vendors.models import Credential, CredentialStatus, Specialist
from vendors.services import credential_update, credential_verify
from vendors.tasks import expire_attestations_task, expire_credentials_task

pytestmark = pytest.mark.django_db


@pytest.fixture
def verifier() -> User:
    return platform_admin()


def verified(specialist: Specialist, verifier: User, *, expires_in: int = 1000, **fields: Any):
    today = timezone.localdate()
    return CredentialFactory(
        specialist=specialist,
        status=CredentialStatus.VERIFIED,
        verified_by=verifier,
        verified_at=timezone.now(),
        issued_on=today - timedelta(days=2000),
        expires_on=today + timedelta(days=expires_in),
        **fields,
    )


def invite(job: Job, team: VendorTeam) -> Invitation:
    return Invitation.objects.create(
        job=job, vendor=team.vendor, rank=1, score=Decimal("0.9"), reasons=["Covers every seat"]
    )


def run_expiry(task: Any, capture: Any) -> None:
    """The hourly task runs; what it asks of the exchange runs when its work commits."""
    with capture(execute=True):
        assert task.apply().successful()


@pytest.fixture
def md_job(acme: LabTeam) -> Job:
    """An open job with one requirement: two specialists licensed as physicians (MD)."""
    return make_open_job(acme)


def test_an_expiring_credential_leaves_the_vendor_short_and_both_sides_are_told(
    acme, medix, md_job, verifier, django_capture_on_commit_callbacks
):
    verified(medix.specialists[0], verifier)
    expiring = verified(medix.specialists[1], verifier, expires_in=0)
    invitation = invite(md_job, medix)

    run_expiry(expire_credentials_task, django_capture_on_commit_callbacks)

    expiring.refresh_from_db()
    assert expiring.status == CredentialStatus.EXPIRED
    invitation.refresh_from_db()
    assert invitation.reasons[0] == "Covers every seat"
    [warning] = invitation.reasons[1:]
    assert warning.startswith(WARNING_PREFIX)
    assert warning == (
        f"{WARNING_PREFIX}1 of 2 seats: MD in Medicine needs 2, only 1 verified specialist."
    )

    [vendor_told] = {
        n.title for n in notifications_to(medix.vendor.organisation, "invitation.cannot_staff")
    }
    assert vendor_told == (
        f"Your invitation to {md_job.title}: an expired credential or attestation means you "
        "can no longer fill the seats"
    )
    told = notifications_to(medix.vendor.organisation, "invitation.cannot_staff")
    assert {n.recipient for n in told} == {medix.owner, medix.bid_manager}
    lab_told = notifications_to(acme.lab.organisation, "invitation.cannot_staff")
    assert {n.recipient for n in lab_told} == {acme.owner, acme.procurement, acme.reviewer}
    assert lab_told[0].title == f"Medix Annotations can no longer staff {md_job.title}"
    expired = notifications_to(medix.vendor.organisation, "credential.expired")
    assert {n.recipient for n in expired} == {medix.owner, medix.bid_manager}
    assert f"{medix.specialists[1].full_name}: MD in Medicine" in expired[0].body


def test_checking_again_changes_nothing_and_tells_nobody_twice(
    acme, medix, md_job, verifier, django_capture_on_commit_callbacks
):
    verified(medix.specialists[0], verifier)
    verified(medix.specialists[1], verifier, expires_in=0)
    invitation = invite(md_job, medix)
    run_expiry(expire_credentials_task, django_capture_on_commit_callbacks)
    invitation.refresh_from_db()
    before = (invitation.reasons, len(notifications_to(acme.lab.organisation)))

    with django_capture_on_commit_callbacks(execute=True):
        assert invitations_reevaluate(vendor_ids=[medix.vendor.pk]) == []
    run_expiry(expire_credentials_task, django_capture_on_commit_callbacks)

    invitation.refresh_from_db()
    assert (invitation.reasons, len(notifications_to(acme.lab.organisation))) == before


def test_a_vendor_with_a_spare_specialist_is_only_told_what_expired(
    acme, medix, md_job, verifier, django_capture_on_commit_callbacks
):
    for specialist in medix.specialists[:2]:
        verified(specialist, verifier)
    verified(medix.specialists[2], verifier, expires_in=0)
    invitation = invite(md_job, medix)

    run_expiry(expire_credentials_task, django_capture_on_commit_callbacks)

    invitation.refresh_from_db()
    assert invitation.reasons == ["Covers every seat"]
    assert notifications_to(acme.lab.organisation, "invitation.cannot_staff") == []
    assert len(notifications_to(medix.vendor.organisation, "credential.expired")) == 2


def test_only_invitations_to_open_jobs_are_checked_again(
    acme, medix, verifier, django_capture_on_commit_callbacks
):
    open_job, cancelled_job = make_open_job(acme), make_open_job(acme)
    exchange.job_cancel(job=cancelled_job, user=acme.procurement, reason="Budget moved")
    verified(medix.specialists[0], verifier)
    verified(medix.specialists[1], verifier, expires_in=0)
    open_invitation, cancelled_invitation = invite(open_job, medix), invite(cancelled_job, medix)

    run_expiry(expire_credentials_task, django_capture_on_commit_callbacks)

    open_invitation.refresh_from_db()
    cancelled_invitation.refresh_from_db()
    assert len(open_invitation.reasons) == 2
    assert cancelled_invitation.reasons == ["Covers every seat"]


def test_a_specialist_fills_one_seat_however_many_credentials_they_hold(
    acme, medix, verifier, django_capture_on_commit_callbacks
):
    """Dr Okafor is both MD and RN; with the other nurse's licence expired she can take the
    MD seat or the RN seat, not both."""
    nursing = CredentialFieldFactory(code="nursing", name="Nursing")
    rn = QualificationLevelFactory(code="rn", name="RN", ladder="nursing", rank=2)
    job = make_open_job(acme)
    job.seat_requirements.update(count=1)
    SeatRequirementFactory(job=job, count=1, field=nursing, min_level=rn)
    okafor, nurse = medix.specialists[:2]
    verified(okafor, verifier)
    verified(okafor, verifier, field=nursing, level=rn)
    nurse_licence = verified(nurse, verifier, field=nursing, level=rn)
    invitation = invite(job, medix)
    job.refresh_from_db()
    assert staffing_problems(job, list(Credential.objects.all()), []) == []
    # Time passes: the nurse's licence reaches its expiry date.
    Credential.objects.filter(pk=nurse_licence.pk).update(expires_on=timezone.localdate())

    run_expiry(expire_credentials_task, django_capture_on_commit_callbacks)

    invitation.refresh_from_db()
    assert len(invitation.reasons) == 2
    assert invitation.reasons[1].startswith(f"{WARNING_PREFIX}1 of 2 seats: ")
    assert "also needed for other seats" in invitation.reasons[1]


def test_an_expiring_attestation_the_job_requires_is_a_reason_too(
    acme, medix, verifier, django_capture_on_commit_callbacks
):
    baa = AttestationKindFactory(code="hipaa-baa", name="HIPAA BAA")
    job = make_open_job(acme)
    job.required_attestations.add(baa)
    today = timezone.localdate()
    AttestationFactory(vendor=medix.vendor, kind=baa, expires_on=today)
    for specialist in medix.specialists[:2]:
        verified(specialist, verifier)
    invitation = invite(job, medix)

    run_expiry(expire_attestations_task, django_capture_on_commit_callbacks)

    invitation.refresh_from_db()
    assert "no HIPAA BAA attestation valid through the delivery date" in invitation.reasons[1]
    assert len(notifications_to(medix.vendor.organisation, "attestation.expired")) == 2
    assert len(notifications_to(acme.lab.organisation, "invitation.cannot_staff")) == 3


def test_the_warning_goes_once_the_vendor_can_staff_the_job_again(
    acme, medix, md_job, verifier, django_capture_on_commit_callbacks
):
    verified(medix.specialists[0], verifier)
    verified(medix.specialists[1], verifier, expires_in=0)
    invitation = invite(md_job, medix)
    run_expiry(expire_credentials_task, django_capture_on_commit_callbacks)

    verified(medix.specialists[1], verifier, identifier="RENEWED-1")
    with django_capture_on_commit_callbacks(execute=True):
        invitations_reevaluate(vendor_ids=[medix.vendor.pk])

    invitation.refresh_from_db()
    assert invitation.reasons == ["Covers every seat"]


def test_a_corrected_credential_goes_back_to_verification_and_the_invitation_is_checked(
    medix, md_job, verifier, django_capture_on_commit_callbacks
):
    verified(medix.specialists[0], verifier)
    corrected = verified(medix.specialists[1], verifier)
    invitation = invite(md_job, medix)

    with django_capture_on_commit_callbacks(execute=True):
        credential_update(credential=corrected, user=medix.owner, issuer="Another board")

    invitation.refresh_from_db()
    assert invitation.reasons[-1].startswith(WARNING_PREFIX)

    with django_capture_on_commit_callbacks(execute=True):
        credential_verify(credential=corrected, user=verifier)

    invitation.refresh_from_db()
    assert invitation.reasons == ["Covers every seat"]
