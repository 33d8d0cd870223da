from decimal import Decimal

import pytest
from django.utils import timezone

from labs.models import JobStatus
from marketplace.exchange import services as exchange
from marketplace.exchange.models import BidStatus
from tests.plugins.personas import make_open_job, pass_bid_deadline, submit_bid

pytestmark = pytest.mark.django_db


def test_a_job_goes_from_draft_to_completed(
    acme, medix, mathly, django_capture_on_commit_callbacks
):
    job = make_open_job(acme, split_allowed=True, max_share_per_vendor=Decimal("70"))
    bid_a = submit_bid(medix, job, "30000")
    bid_b = submit_bid(mathly, job, "25000")
    exchange.bid_revise(bid=bid_a, user=medix.owner, price=Decimal("28000"))
    pass_bid_deadline(job)
    with django_capture_on_commit_callbacks(execute=True):
        assert exchange.close_due_bidding() == [job.pk]
    award = exchange.award_make(
        job=job, user=acme.procurement, shares={bid_a.pk: Decimal("60"), bid_b.pk: Decimal("40")}
    )
    job.refresh_from_db()
    assert job.status == JobStatus.AWARDED
    bid_a.refresh_from_db()
    assert bid_a.status == BidStatus.AWARDED and bid_a.revisions.count() == 2
    for contract in award.contracts.all():
        exchange.contract_complete(
            contract=contract, user=acme.reviewer, delivered_on=timezone.localdate(), rating=5
        )
    job.refresh_from_db()
    assert job.status == JobStatus.COMPLETED
