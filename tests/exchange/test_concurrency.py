"""Moves that race: real threads, each with its own connection, on a transactional
PostgreSQL database. Exactly one award is ever made, one active bid per vendor survives,
and no bid slips in after bidding closed."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from labs.models import Job, JobStatus
from marketplace.accounts.models import User
from marketplace.core.errors import InvalidTransition, RuleViolation
from marketplace.exchange import services as exchange
from marketplace.exchange.models import Award, Bid, BidStatus, Contract
from marketplace.exchange.selectors import bid_list_for_lab
from tests.exchange.helpers import notifications_to, start_evaluation
from tests.plugins.personas import make_open_job, make_vendor_team, submit_bid
from vendors.models import Vendor

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ATTEMPTS = 20


def all_at_once(count: int, action: Callable[[int], object]) -> list[object]:
    """Runs `action(i)` in `count` threads released together; returns each result or the
    exception it raised. Each thread closes its own connection."""
    barrier = threading.Barrier(count)
    outcomes: list[object] = [None] * count

    def run(i: int) -> None:
        try:
            connection.ensure_connection()  # connecting is slow: not part of the race
            barrier.wait(timeout=30)
            outcomes[i] = action(i)
        except Exception as exc:  # every outcome is asserted on by the caller
            outcomes[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a thread is stuck"
    return outcomes


def split_outcomes(outcomes: list[object]) -> tuple[list[object], list[BaseException]]:
    errors = [o for o in outcomes if isinstance(o, BaseException)]
    return [o for o in outcomes if not isinstance(o, BaseException)], errors


def test_twenty_simultaneous_awards_make_exactly_one(acme, medix):
    job = make_open_job(acme)
    bid = submit_bid(medix, job)
    start_evaluation(job)

    def award(_: int) -> object:
        return exchange.award_make(
            job=Job.objects.get(pk=job.pk),
            user=User.objects.get(pk=acme.procurement.pk),
            shares={bid.pk: Decimal(100)},
        )

    made, errors = split_outcomes(all_at_once(ATTEMPTS, award))

    assert len(made) == 1
    assert [type(e) for e in errors] == [InvalidTransition] * (ATTEMPTS - 1)
    assert Award.objects.filter(job=job).count() == 1
    assert Contract.objects.filter(bid=bid).count() == 1
    assert Job.objects.get(pk=job.pk).status == JobStatus.AWARDED
    assert len(notifications_to(medix.vendor.organisation, "award.made")) == 2


def test_twenty_simultaneous_awards_of_different_bids_make_exactly_one(acme):
    # Each attempt names another vendor's bid, so nothing but the job itself is shared.
    job = make_open_job(acme)
    bids = [
        submit_bid(make_vendor_team(f"Vendor {i}"), job, str(20000 + i)) for i in range(ATTEMPTS)
    ]
    start_evaluation(job)

    def award(i: int) -> object:
        return exchange.award_make(
            job=Job.objects.get(pk=job.pk),
            user=User.objects.get(pk=acme.owner.pk),
            shares={bids[i].pk: Decimal(100)},
        )

    made, errors = split_outcomes(all_at_once(ATTEMPTS, award))

    assert len(made) == 1
    assert [type(e) for e in errors] == [InvalidTransition] * (ATTEMPTS - 1)
    contract = Contract.objects.get(award__job=job)
    assert Bid.objects.filter(job=job, status=BidStatus.AWARDED).get() == contract.bid
    assert Bid.objects.filter(job=job, status=BidStatus.REJECTED).count() == ATTEMPTS - 1


def test_twenty_simultaneous_submits_by_one_vendor_leave_one_bid(medix, open_job):
    def submit(i: int) -> object:
        return exchange.bid_submit(
            job=Job.objects.get(pk=open_job.pk),
            vendor=Vendor.objects.get(pk=medix.vendor.pk),
            user=User.objects.get(pk=medix.bid_manager.pk),
            price=Decimal(30000 + i),
            currency="USD",
            timeline_days=30,
        )

    submitted, errors = split_outcomes(all_at_once(ATTEMPTS, submit))

    assert len(submitted) == 1
    assert [(type(e), e.code) for e in errors] == [(RuleViolation, "bid_exists")] * (ATTEMPTS - 1)
    bid = Bid.objects.get(job=open_job)
    assert bid.pk == submitted[0].pk and bid.status == BidStatus.SUBMITTED
    assert list(bid.revisions.values_list("price", flat=True)) == [bid.price]


RACERS = 12


def test_a_bid_racing_the_close_lands_before_it_or_is_refused(acme):
    teams = [make_vendor_team(f"Racer {i}") for i in range(RACERS)]
    job = make_open_job(acme)
    deadline = timezone.now() + timedelta(seconds=1)
    Job.objects.filter(pk=job.pk).update(question_deadline=deadline, bid_deadline=deadline)
    # One bid well before the deadline, one well after it, and the rest crowding the last
    # few milliseconds, while the closer polls from the deadline on, as the periodic task
    # would.
    crowd = RACERS - 2
    offsets = [-0.3, *(-0.02 + 0.025 * i / (crowd - 1) for i in range(crowd)), 0.3]
    closes: list[list[int]] = []

    def at(seconds_after_deadline: float) -> None:
        pause = (deadline - timezone.now()).total_seconds() + seconds_after_deadline
        if pause > 0:
            time.sleep(pause)

    def act(i: int) -> object:
        if i == RACERS:
            at(0)
            give_up = time.monotonic() + 15
            while time.monotonic() < give_up:
                closed = exchange.close_due_bidding()
                closes.append(closed)
                if job.pk in closed:
                    return closed
                time.sleep(0.002)
            raise AssertionError("bidding was never closed")
        racer = Job.objects.get(pk=job.pk)
        at(offsets[i])
        return submit_bid(teams[i], racer, str(20000 + i))

    outcomes = all_at_once(RACERS + 1, act)

    landed, errors = split_outcomes(outcomes[:RACERS])
    assert not [e for e in errors if not isinstance(e, InvalidTransition | RuleViolation)]
    assert outcomes[RACERS] == [job.pk]
    assert sum(job.pk in closed for closed in closes) == 1
    assert 0 < len(landed) < RACERS, "the race did not straddle the deadline"
    job.refresh_from_db()
    assert job.status == JobStatus.EVALUATION
    assert set(bid_list_for_lab(lab=acme.lab, job=job)) == set(landed)
    assert Bid.objects.filter(job=job).count() == len(landed)
    # The close counted the bids under the job row lock: a bid committed after evaluation
    # started would be in the lab's list but not in the count it was told.
    told = notifications_to(acme.lab.organisation, "job.evaluation_started")
    assert told and all(f": {len(landed)} bid(s)" in n.title for n in told)
