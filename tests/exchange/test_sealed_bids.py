"""Sealed bids: no vendor sees another's bid; with sealed bidding the lab sees bid
contents only once bidding has closed; another lab sees nothing at all."""

from decimal import Decimal

import pytest

from labs.models import Bidding
from labs.selectors import job_get_for_lab, job_list_for_lab
from marketplace.core.errors import NotFound
from marketplace.exchange import services as exchange
from marketplace.exchange.selectors import (
    BidsSealed,
    bid_count_for_lab,
    bid_get_for_lab,
    bid_get_for_vendor,
    bid_list_for_lab,
    bid_list_for_vendor,
)
from tests.exchange.helpers import start_evaluation
from tests.plugins.personas import make_open_job, submit_bid

pytestmark = pytest.mark.django_db


@pytest.fixture
def sealed(acme, medix, mathly):
    """A sealed job, open, with bids from Medix (30k) and Mathly (25k)."""
    job = make_open_job(acme)
    assert job.is_sealed
    return job, submit_bid(medix, job, "30000"), submit_bid(mathly, job, "25000")


def test_while_open_the_lab_cannot_list_or_read_sealed_bids(acme, sealed):
    job, medix_bid, _ = sealed

    with pytest.raises(BidsSealed) as listing:
        bid_list_for_lab(lab=acme.lab, job=job)
    with pytest.raises(BidsSealed) as reading:
        bid_get_for_lab(lab=acme.lab, bid_id=medix_bid.pk)

    assert listing.value.code == reading.value.code == "bids_sealed"


def test_while_sealed_the_lab_still_sees_how_many_bids_are_in(acme, sealed):
    job, _, _ = sealed

    assert bid_count_for_lab(lab=acme.lab, job=job) == 2


def test_once_bidding_closes_the_lab_sees_the_bids_cheapest_first(acme, sealed):
    job, medix_bid, mathly_bid = sealed

    start_evaluation(job)

    assert list(bid_list_for_lab(lab=acme.lab, job=job)) == [mathly_bid, medix_bid]
    assert bid_get_for_lab(lab=acme.lab, bid_id=medix_bid.pk).price == Decimal("30000")


def test_an_early_close_unseals_the_bids_too(acme, sealed):
    job, medix_bid, _ = sealed

    exchange.job_close_bidding(job=job, user=acme.procurement)

    assert bid_get_for_lab(lab=acme.lab, bid_id=medix_bid.pk) == medix_bid


def test_bids_stay_readable_after_the_award(acme, sealed):
    job, _, mathly_bid = sealed
    start_evaluation(job)
    exchange.award_make(job=job, user=acme.procurement, shares={mathly_bid.pk: Decimal(100)})

    assert {b.status for b in bid_list_for_lab(lab=acme.lab, job=job)} == {"awarded", "rejected"}


def test_with_open_bidding_the_lab_sees_submitted_bids_while_open(acme, medix):
    job = make_open_job(acme, bidding=Bidding.OPEN)
    bid = submit_bid(medix, job, "30000")

    assert list(bid_list_for_lab(lab=acme.lab, job=job)) == [bid]
    assert bid_get_for_lab(lab=acme.lab, bid_id=bid.pk).price == Decimal("30000")


@pytest.mark.parametrize("bidding", [Bidding.OPEN, Bidding.SEALED])
def test_the_lab_never_sees_a_draft(acme, medix, mathly, bidding):
    job = make_open_job(acme, bidding=bidding)
    draft = exchange.bid_draft_create(
        job=job,
        vendor=medix.vendor,
        user=medix.owner,
        price=Decimal("30000"),
        currency="USD",
        timeline_days=30,
    )
    submitted = submit_bid(mathly, job)
    if bidding == Bidding.SEALED:
        start_evaluation(job)

    assert list(bid_list_for_lab(lab=acme.lab, job=job)) == [submitted]
    assert bid_count_for_lab(lab=acme.lab, job=job) == 1
    with pytest.raises(NotFound):
        bid_get_for_lab(lab=acme.lab, bid_id=draft.pk)


def test_the_lab_does_not_see_a_withdrawn_bid(acme, medix, mathly):
    job = make_open_job(acme, bidding=Bidding.OPEN)
    withdrawn = exchange.bid_withdraw(bid=submit_bid(medix, job), user=medix.owner)
    submitted = submit_bid(mathly, job)

    assert list(bid_list_for_lab(lab=acme.lab, job=job)) == [submitted]
    assert bid_count_for_lab(lab=acme.lab, job=job) == 1
    with pytest.raises(NotFound):
        bid_get_for_lab(lab=acme.lab, bid_id=withdrawn.pk)


@pytest.mark.parametrize("status", ["open", "evaluation"])
def test_a_vendor_never_sees_another_vendors_bid(medix, mathly, sealed, status):
    job, medix_bid, mathly_bid = sealed
    if status == "evaluation":
        start_evaluation(job)

    with pytest.raises(NotFound) as other:
        bid_get_for_vendor(vendor=mathly.vendor, bid_id=medix_bid.pk)
    with pytest.raises(NotFound) as missing:
        bid_get_for_vendor(vendor=mathly.vendor, bid_id=10**9)

    assert (type(other.value), other.value.code, str(other.value)) == (
        type(missing.value),
        missing.value.code,
        str(missing.value),
    )
    assert list(bid_list_for_vendor(vendor=mathly.vendor)) == [mathly_bid]
    assert bid_get_for_vendor(vendor=medix.vendor, bid_id=medix_bid.pk) == medix_bid


def test_another_lab_gets_not_found_for_the_job_and_its_bids(acme, rival, sealed):
    job, medix_bid, _ = sealed
    start_evaluation(job)

    with pytest.raises(NotFound):
        job_get_for_lab(lab=rival.lab, job_id=job.pk)
    with pytest.raises(NotFound):
        bid_list_for_lab(lab=rival.lab, job=job)
    with pytest.raises(NotFound):
        bid_count_for_lab(lab=rival.lab, job=job)
    with pytest.raises(NotFound) as other:
        bid_get_for_lab(lab=rival.lab, bid_id=medix_bid.pk)
    with pytest.raises(NotFound) as missing:
        bid_get_for_lab(lab=rival.lab, bid_id=10**9)

    assert str(other.value) == str(missing.value)
    assert not job_list_for_lab(lab=rival.lab).exists()
    assert job_get_for_lab(lab=acme.lab, job_id=job.pk) == job


def test_another_lab_learns_nothing_even_while_sealed(rival, sealed):
    # NotFound, not BidsSealed: "sealed" would confirm the bid exists.
    job, medix_bid, _ = sealed

    with pytest.raises(NotFound):
        bid_get_for_lab(lab=rival.lab, bid_id=medix_bid.pk)
    with pytest.raises(NotFound):
        bid_list_for_lab(lab=rival.lab, job=job)
