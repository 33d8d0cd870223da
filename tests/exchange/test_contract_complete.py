"""The lab records delivery and rates the work; the job completes with its last contract."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from labs.models import Job, JobStatus
from marketplace.core.errors import InvalidTransition, NotPermitted, RuleViolation
from marketplace.exchange import services as exchange
from marketplace.exchange.models import Contract, ContractStatus
from tests.exchange.helpers import notifications_to, start_evaluation
from tests.plugins.personas import make_open_job, submit_bid

pytestmark = pytest.mark.django_db


@pytest.fixture
def contracts(acme, medix, mathly):
    """A job split 60/40 between Medix and Mathly: two active contracts."""
    job = make_open_job(acme, split_allowed=True, max_share_per_vendor=Decimal("60"))
    medix_bid = submit_bid(medix, job, "30000")
    mathly_bid = submit_bid(mathly, job, "25000")
    start_evaluation(job)
    award = exchange.award_make(
        job=job,
        user=acme.procurement,
        shares={medix_bid.pk: Decimal("60"), mathly_bid.pk: Decimal("40")},
    )
    return job, award.contracts.get(vendor=medix.vendor), award.contracts.get(vendor=mathly.vendor)


def today():
    return timezone.localdate()


def test_a_reviewer_records_delivery_and_a_rating(acme, medix, contracts):
    _, contract, _ = contracts

    exchange.contract_complete(
        contract=contract,
        user=acme.reviewer,
        delivered_on=today(),
        rating=4,
        comment="  Careful work  ",
    )

    contract.refresh_from_db()
    assert contract.status == ContractStatus.COMPLETED
    assert (contract.delivered_on, contract.rating, contract.rating_comment) == (
        today(),
        4,
        "Careful work",
    )
    assert contract.completed_by == acme.reviewer and contract.completed_at is not None
    told = notifications_to(medix.vendor.organisation, "contract.completed")
    assert {n.recipient for n in told} == {medix.owner, medix.bid_manager}
    assert all("4/5" in n.title for n in told)


def test_the_job_completes_only_when_its_last_contract_completes(acme, contracts):
    job, first, second = contracts

    exchange.contract_complete(contract=first, user=acme.owner, delivered_on=today(), rating=5)
    assert Job.objects.get(pk=job.pk).status == JobStatus.AWARDED

    exchange.contract_complete(contract=second, user=acme.owner, delivered_on=today(), rating=3)
    job.refresh_from_db()
    assert job.status == JobStatus.COMPLETED and job.closed_at is not None


def test_delivery_by_the_delivery_date_is_on_time(acme, contracts):
    job, contract, _ = contracts
    Job.objects.filter(pk=job.pk).update(delivery_date=today())

    exchange.contract_complete(contract=contract, user=acme.owner, delivered_on=today(), rating=5)

    contract.refresh_from_db()
    assert contract.on_time is True


def test_delivery_after_the_delivery_date_is_late(acme, contracts):
    job, contract, _ = contracts
    Job.objects.filter(pk=job.pk).update(delivery_date=today() - timedelta(days=3))

    exchange.contract_complete(
        contract=contract, user=acme.owner, delivered_on=today() - timedelta(days=2), rating=2
    )

    contract.refresh_from_db()
    assert contract.on_time is False


@pytest.mark.parametrize("rating", [1, 5])
def test_ratings_from_one_to_five_are_accepted(acme, contracts, rating):
    _, contract, _ = contracts

    exchange.contract_complete(
        contract=contract, user=acme.owner, delivered_on=today(), rating=rating
    )

    assert Contract.objects.get(pk=contract.pk).rating == rating


@pytest.mark.parametrize("rating", [0, 6, -1])
def test_a_rating_outside_one_to_five_is_refused(acme, contracts, rating):
    _, contract, _ = contracts

    with pytest.raises(RuleViolation) as refused:
        exchange.contract_complete(
            contract=contract, user=acme.owner, delivered_on=today(), rating=rating
        )

    assert refused.value.field == "rating"
    assert Contract.objects.get(pk=contract.pk).status == ContractStatus.ACTIVE


def test_delivery_cannot_be_recorded_in_the_future(acme, contracts):
    _, contract, _ = contracts

    with pytest.raises(RuleViolation) as refused:
        exchange.contract_complete(
            contract=contract, user=acme.owner, delivered_on=today() + timedelta(days=1), rating=5
        )

    assert refused.value.field == "delivered_on"
    assert Contract.objects.get(pk=contract.pk).status == ContractStatus.ACTIVE


def test_a_contract_is_completed_once(acme, contracts):
    _, contract, _ = contracts
    exchange.contract_complete(contract=contract, user=acme.owner, delivered_on=today(), rating=5)

    with pytest.raises(InvalidTransition):
        exchange.contract_complete(
            contract=contract, user=acme.owner, delivered_on=today(), rating=1
        )

    assert Contract.objects.get(pk=contract.pk).rating == 5


@pytest.mark.parametrize(
    "who",
    [
        pytest.param(lambda rival, medix, mathly: rival.owner, id="owner of another lab"),
        pytest.param(lambda rival, medix, mathly: medix.owner, id="the contracted vendor"),
        pytest.param(lambda rival, medix, mathly: mathly.bid_manager, id="the other vendor"),
    ],
)
def test_only_the_labs_members_complete_and_rate(rival, medix, mathly, contracts, who):
    job, contract, _ = contracts

    with pytest.raises(NotPermitted):
        exchange.contract_complete(
            contract=contract, user=who(rival, medix, mathly), delivered_on=today(), rating=5
        )

    assert Contract.objects.get(pk=contract.pk).status == ContractStatus.ACTIVE
    assert Job.objects.get(pk=job.pk).status == JobStatus.AWARDED
