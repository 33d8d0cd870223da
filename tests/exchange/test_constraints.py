"""The database keeps the invariants even when the services are bypassed: each write
below goes straight through the ORM and must be refused by a constraint."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from labs.models import ConflictPolicy
from marketplace.exchange.models import (
    Award,
    Bid,
    BidStatus,
    Contract,
    ContractStatus,
    Notification,
    Screening,
    Verdict,
)
from tests.exchange.helpers import platform_admin, screening_with_verdict, start_evaluation
from tests.factories import CredentialFactory, JobFactory
from tests.plugins.personas import make_open_job, submit_bid
from vendors.models import CredentialStatus

pytestmark = pytest.mark.django_db

D = Decimal


def refused_by_the_database(write):
    with pytest.raises(IntegrityError), transaction.atomic():
        write()


def orm_bid(job, team, status=BidStatus.SUBMITTED, **fields):
    values = {
        "price": D("1000"),
        "currency": "USD",
        "timeline_days": 10,
        "created_by": team.owner,
        "submitted_at": timezone.now(),
    }
    values.update(fields)
    return Bid.objects.create(job=job, vendor=team.vendor, status=status, **values)


# --- bids ------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [BidStatus.DRAFT, BidStatus.SUBMITTED, BidStatus.SHORTLISTED])
def test_one_active_bid_per_vendor_per_job(medix, open_job, status):
    orm_bid(open_job, medix, status=status)

    refused_by_the_database(lambda: orm_bid(open_job, medix))

    assert Bid.objects.count() == 1


def test_withdrawn_bids_do_not_count_as_active(medix, mathly, open_job):
    orm_bid(open_job, medix, status=BidStatus.WITHDRAWN)
    orm_bid(open_job, medix, status=BidStatus.WITHDRAWN)
    orm_bid(open_job, medix)
    orm_bid(open_job, mathly)

    assert Bid.objects.filter(job=open_job, vendor=medix.vendor).count() == 3


@pytest.mark.parametrize("price", ["0", "-5"])
def test_a_bid_price_is_above_zero(medix, open_job, price):
    refused_by_the_database(lambda: orm_bid(open_job, medix, price=D(price)))


def test_a_bid_currency_is_an_iso_code(medix, open_job):
    refused_by_the_database(lambda: orm_bid(open_job, medix, currency="usd"))


def test_a_submitted_bid_has_a_submission_time(medix, open_job):
    refused_by_the_database(lambda: orm_bid(open_job, medix, submitted_at=None))


# --- jobs ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "budget",
    [
        pytest.param({"budget_min": D("60000"), "budget_max": D("50000")}, id="min above max"),
        pytest.param({"budget_min": D("-1")}, id="negative min"),
    ],
)
def test_a_job_budget_is_a_valid_range(acme, budget):
    refused_by_the_database(lambda: JobFactory(lab=acme.lab, **budget))


def test_questions_close_no_later_than_bids(acme):
    late = timezone.now() + timedelta(days=20)

    refused_by_the_database(lambda: JobFactory(lab=acme.lab, question_deadline=late))


def test_a_max_share_per_vendor_needs_a_split(acme):
    refused_by_the_database(lambda: JobFactory(lab=acme.lab, max_share_per_vendor=D("50")))


@pytest.mark.parametrize("code", ["volume_unit", "sensitivity", "bidding", "visibility"])
def test_a_job_uses_only_known_codes(acme, code):
    refused_by_the_database(lambda: JobFactory(lab=acme.lab, **{code: "unheard-of"}))


def test_a_job_currency_is_an_iso_code(acme):
    refused_by_the_database(lambda: JobFactory(lab=acme.lab, currency="US$"))


@pytest.mark.parametrize("lookback", [-1, 121])
def test_a_policy_lookback_is_between_zero_and_ten_years(acme, lookback):
    refused_by_the_database(
        lambda: ConflictPolicy.objects.filter(lab=acme.lab).update(lookback_months=lookback)
    )


# --- awards and contracts --------------------------------------------------------------


@pytest.fixture
def awarded(acme, medix):
    from marketplace.exchange import services as exchange

    job = make_open_job(acme)
    bid = submit_bid(medix, job)
    start_evaluation(job)
    award = exchange.award_make(job=job, user=acme.procurement, shares={bid.pk: D(100)})
    return award, award.contracts.get()


def test_a_job_has_at_most_one_award(acme, awarded):
    award, _ = awarded

    refused_by_the_database(lambda: Award.objects.create(job=award.job, awarded_by=acme.owner))

    assert Award.objects.count() == 1


@pytest.mark.parametrize("share", ["0", "-1", "100.01"])
def test_a_contract_share_is_above_zero_and_at_most_100(awarded, share):
    _, contract = awarded

    refused_by_the_database(
        lambda: Contract.objects.filter(pk=contract.pk).update(share_percent=D(share))
    )

    assert Contract.objects.get(pk=contract.pk).share_percent == D(100)


def test_a_whole_share_is_allowed(awarded):
    _, contract = awarded

    assert Contract.objects.filter(pk=contract.pk).update(share_percent=D("100.00")) == 1


@pytest.mark.parametrize("rating", [0, 6])
def test_a_rating_is_one_to_five(awarded, rating):
    _, contract = awarded

    refused_by_the_database(lambda: Contract.objects.filter(pk=contract.pk).update(rating=rating))


def test_a_completed_contract_has_a_rating_and_a_delivery_date(awarded):
    _, contract = awarded

    refused_by_the_database(
        lambda: Contract.objects.filter(pk=contract.pk).update(
            status=ContractStatus.COMPLETED, completed_at=timezone.now()
        )
    )


def test_a_bid_is_under_at_most_one_contract(acme, awarded):
    award, contract = awarded

    refused_by_the_database(
        lambda: Contract.objects.create(
            award=award,
            bid=contract.bid,
            vendor=contract.vendor,
            lab=acme.lab,
            share_percent=D(1),
            value=D(1),
            currency="USD",
        )
    )


# --- screenings ------------------------------------------------------------------------


def test_one_lab_vendor_screening_per_pair(acme, medix):
    screening_with_verdict(acme.lab, medix.vendor, Verdict.CLEAR)

    refused_by_the_database(lambda: screening_with_verdict(acme.lab, medix.vendor))


def test_bid_screenings_sit_beside_the_lab_vendor_screening(acme, rival, medix):
    job = make_open_job(acme)
    bid = orm_bid(job, medix)
    screening_with_verdict(acme.lab, medix.vendor, Verdict.CLEAR)
    screening_with_verdict(acme.lab, medix.vendor, Verdict.REVIEW, bid=bid)
    screening_with_verdict(rival.lab, medix.vendor, Verdict.CLEAR)

    assert Screening.objects.filter(vendor=medix.vendor).count() == 3


@pytest.mark.parametrize("missing", ["override_reason", "overridden_by", "overridden_at"])
def test_a_cleared_by_override_verdict_records_who_when_and_why(acme, medix, missing):
    override = {
        "override_reason": "Stake sold",
        "overridden_by": platform_admin(),
        "overridden_at": timezone.now(),
    }
    override[missing] = "" if missing == "override_reason" else None

    refused_by_the_database(
        lambda: screening_with_verdict(
            acme.lab, medix.vendor, Verdict.CLEARED_BY_OVERRIDE, **override
        )
    )


def test_a_verdict_is_one_of_the_known_verdicts(acme, medix):
    refused_by_the_database(lambda: screening_with_verdict(acme.lab, medix.vendor, "fine"))


# --- credentials and notifications -----------------------------------------------------


def test_a_verified_credential_names_its_verifier(medix):
    specialist = medix.specialists[0]

    refused_by_the_database(
        lambda: CredentialFactory(
            specialist=specialist, status=CredentialStatus.VERIFIED, verified_at=timezone.now()
        )
    )
    CredentialFactory(
        specialist=specialist,
        status=CredentialStatus.VERIFIED,
        verified_at=timezone.now(),
        verified_by=platform_admin(),
    )


def test_a_notification_dedupe_key_is_used_once_per_recipient(acme):
    def notify(recipient, key):
        return Notification.objects.create(
            recipient=recipient,
            organisation=acme.lab.organisation,
            kind="test",
            title="Hello",
            dedupe_key=key,
        )

    notify(acme.owner, "job.evaluation_started:1")

    refused_by_the_database(lambda: notify(acme.owner, "job.evaluation_started:1"))
    notify(acme.procurement, "job.evaluation_started:1")
    notify(acme.owner, "")
    notify(acme.owner, "")
    assert Notification.objects.filter(recipient=acme.owner).count() == 3
