"""The reads behind the vendor's pages: which specialists can fill which seats (by
matching's rules), what needs renewing, and what an invitation's vendor may read."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from marketplace.exchange.models import BidStatus
from marketplace.exchange.permissions import (
    bidding_is_open,
    can_revise_bid,
    can_withdraw_bid,
    questions_are_open,
)
from marketplace.exchange.selectors import (
    invitation_warning_for_vendor,
    specialist_fit_list_for_job,
)
from tests.exchange.matching_builders import job_needing, specialist_with, vocabulary
from tests.factories import AttestationFactory, AttestationKindFactory, SpecialistFactory
from tests.plugins.personas import pass_bid_deadline, submit_bid
from tests.web.vendor_jobs.conftest import in_days, invite, md_credential
from vendors.models import AttestationStatus, CredentialStatus
from vendors.selectors import attestation_list_expiring, credential_list_expiring

pytestmark = pytest.mark.django_db


def test_a_specialist_fits_every_seat_they_qualify_for_but_fills_one(acme, medix):
    v = vocabulary()
    job = job_needing(acme, (1, v.medicine, v.md), (1, v.nursing, v.rn))
    both = specialist_with(medix, (v.medicine, v.md), (v.nursing, v.np))
    maths = specialist_with(medix, (v.mathematics, v.doctorate))

    fits = specialist_fit_list_for_job(vendor=medix.vendor, job=job)

    by_specialist = {f.specialist: f for f in fits.fits}
    assert [s.label for s in by_specialist[both].seats] == ["MD in Medicine", "RN in Nursing"]
    assert not by_specialist[maths].eligible
    assert fits.eligible == [by_specialist[both]]
    # One person, two seats: a bipartite assignment fills only one.
    assert fits.staffing.total_filled == 1
    assert not fits.staffing.complete


def test_a_credential_expiring_on_the_delivery_date_does_not_fit(acme, medix):
    v = vocabulary()
    job = job_needing(acme, (1, v.medicine, v.md))
    on_the_day = specialist_with(medix, (v.medicine, v.md), expires_on=job.delivery_date)
    day_after = specialist_with(
        medix, (v.medicine, v.md), expires_on=job.delivery_date + timedelta(days=1)
    )

    fits = {f.specialist: f for f in specialist_fit_list_for_job(vendor=medix.vendor, job=job).fits}

    assert not fits[on_the_day].eligible
    assert "by the delivery date" in fits[on_the_day].why_not
    assert fits[day_after].eligible


def test_inactive_and_other_vendors_specialists_are_never_listed(acme, medix, mathly):
    v = vocabulary()
    job = job_needing(acme, (1, v.medicine, v.md))
    gone = specialist_with(medix, (v.medicine, v.md))
    gone.is_active = False
    gone.save()
    theirs = specialist_with(mathly, (v.medicine, v.md))

    listed = {f.specialist for f in specialist_fit_list_for_job(vendor=medix.vendor, job=job).fits}

    assert gone not in listed
    assert theirs not in listed


def test_expiring_credentials_within_sixty_days_or_expired_and_not_renewed(medix):
    today = timezone.localdate()
    a, b, c, d = SpecialistFactory.create_batch(4, vendor=medix.vendor)
    soon = md_credential(a, expires_on=in_days(60))
    md_credential(b, expires_on=in_days(61))
    lapsed = md_credential(c, expires_on=in_days(300))
    type(lapsed).objects.filter(pk=lapsed.pk).update(
        status=CredentialStatus.EXPIRED, expires_on=in_days(-5)
    )
    md_credential(d, expires_on=in_days(5))
    md_credential(d, status=CredentialStatus.PENDING, expires_on=in_days(900))  # the renewal
    md_credential(SpecialistFactory(), expires_on=in_days(3))  # another vendor's

    listed = list(credential_list_expiring(vendor=medix.vendor, today=today))

    assert [cr.pk for cr in listed] == [lapsed.pk, soon.pk]


def test_expiring_attestations_within_sixty_days_or_expired_and_not_renewed(medix, mathly):
    today = timezone.localdate()
    soc2 = AttestationKindFactory(code="soc2")
    iso = AttestationKindFactory(code="iso27001")
    hipaa = AttestationKindFactory(code="hipaa-baa")
    soon = AttestationFactory(vendor=medix.vendor, kind=soc2, expires_on=in_days(10))
    lapsed = AttestationFactory(
        vendor=medix.vendor,
        kind=iso,
        issued_on=in_days(-400),
        expires_on=in_days(-1),
        status=AttestationStatus.EXPIRED,
    )
    AttestationFactory(vendor=medix.vendor, kind=hipaa, expires_on=in_days(20))
    AttestationFactory(vendor=medix.vendor, kind=hipaa, expires_on=in_days(500))  # renewed
    AttestationFactory(
        vendor=medix.vendor, kind=soc2, expires_on=in_days(5), status=AttestationStatus.REVOKED
    )
    AttestationFactory(vendor=mathly.vendor, kind=soc2, expires_on=in_days(3))

    listed = list(attestation_list_expiring(vendor=medix.vendor, today=today))

    assert listed == [lapsed, soon]


def test_the_vendor_reads_only_the_warning_of_its_invitation(medix, open_job):
    plain = invite(open_job, medix, "Score 80 of 100.", "Screening clear.")
    assert invitation_warning_for_vendor(plain) == ""

    plain.reasons = ["Score 80.", "No longer eligible: no HIPAA BAA attestation."]
    assert invitation_warning_for_vendor(plain) == "No longer eligible: no HIPAA BAA attestation."

    plain.reasons = [
        "No longer eligible: Screening blocked: Rival Corp holds 40%. "
        "(re-matched on 2030-01-01; the invitation stands)"
    ]
    warning = invitation_warning_for_vendor(plain)
    assert warning.startswith("No longer eligible: a new match found")
    assert "Rival" not in warning


def test_bidding_and_question_periods_and_who_may_change_a_bid(medix, open_job, mathly):
    bid = submit_bid(medix, open_job)

    assert bidding_is_open(open_job) and questions_are_open(open_job)
    assert can_revise_bid(medix.bid_manager, bid)
    assert can_withdraw_bid(medix.owner, bid)
    assert not can_revise_bid(mathly.owner, bid)

    pass_bid_deadline(open_job)
    bid.refresh_from_db()
    assert not bidding_is_open(bid.job)
    assert not questions_are_open(bid.job)
    assert not can_revise_bid(medix.bid_manager, bid)
    assert not can_withdraw_bid(medix.bid_manager, bid)


def test_a_withdrawn_bid_can_be_neither_revised_nor_withdrawn_again(medix, open_job):
    bid = submit_bid(medix, open_job)
    bid.status = BidStatus.WITHDRAWN

    assert not can_revise_bid(medix.owner, bid)
    assert not can_withdraw_bid(medix.owner, bid)
