"""Predicates for moves where labs and vendors meet."""

from __future__ import annotations

from django.utils import timezone

from labs.models import Job, JobStatus, Visibility
from marketplace.accounts.models import User
from marketplace.exchange.models import Bid, BidStatus
from vendors.models import Vendor
from vendors.permissions import can_bid, can_view_vendor


def vendor_can_see_job(vendor: Vendor, job: Job) -> bool:
    """A vendor sees published jobs open to all vendors, and jobs it was invited to."""
    if job.status == JobStatus.DRAFT:
        return False
    if job.visibility == Visibility.ALL_VENDORS:
        return True
    return job.invitations.filter(vendor=vendor).exists()


def can_bid_on(user: User | None, vendor: Vendor, job: Job) -> bool:
    return can_bid(user, vendor) and vendor_can_see_job(vendor, job)


def can_ask_question(user: User | None, vendor: Vendor, job: Job) -> bool:
    return can_bid(user, vendor) and vendor_can_see_job(vendor, job)


def bidding_is_open(job: Job) -> bool:
    """The job takes bids, revisions and withdrawals now. For showing the actions: the
    services check again with the job row locked."""
    return job.status == JobStatus.OPEN and timezone.now() < job.bid_deadline


def questions_are_open(job: Job) -> bool:
    return job.status == JobStatus.OPEN and timezone.now() < job.question_deadline


def can_revise_bid(user: User | None, bid: Bid) -> bool:
    return (
        bid.status == BidStatus.SUBMITTED and bidding_is_open(bid.job) and can_bid(user, bid.vendor)
    )


def can_withdraw_bid(user: User | None, bid: Bid) -> bool:
    return (
        bid.status in (BidStatus.DRAFT, BidStatus.SUBMITTED)
        and bidding_is_open(bid.job)
        and can_bid(user, bid.vendor)
    )


def can_view_as_vendor(user: User | None, vendor: Vendor, job: Job) -> bool:
    return can_view_vendor(user, vendor) and vendor_can_see_job(vendor, job)


def can_override_screening(user: User | None) -> bool:
    """Overrides are a platform admin's decision, recorded with a reason."""
    return bool(user and user.is_authenticated and user.is_active and user.is_staff)
