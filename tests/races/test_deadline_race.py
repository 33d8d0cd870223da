"""A bid sent in the last instant before the deadline, while the close of bidding runs
(close_due_bidding, called from another thread at the deadline, as the periodic task
does). Round after round, on a job whose deadline is set a moment ahead, three vendors
bid at instants spread around the deadline. Each bid is either accepted, and then it is
in the evaluation (the lab's bid list, the close's count), or refused with the deadline
error or as closed, and then nothing of it exists: never lost, never half-written.
Every other round the bids carry an Idempotency-Key and are sent again: an accepted bid
is replayed, a refused one is refused again."""

from __future__ import annotations

import time
import uuid
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial

import pytest
from django.db import connection
from django.utils import timezone

from labs.models import Job, JobStatus
from marketplace.exchange import services as exchange
from marketplace.exchange.models import Bid, BidRevision, BidStatus, Notification, Screening
from tests.plugins.personas import LabTeam, make_open_job, make_vendor_team
from tests.races.conftest import Answer, Client, assert_no_server_error, client_for, together

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROUNDS = 24
LEAD = timedelta(milliseconds=600)  # from setting the deadline to reaching it
# Bids leave between 350 ms before and 80 ms after the deadline, the window sliding a
# little each round; the three bidders are 40 ms apart. A request reaches its row lock
# some tens of milliseconds after it leaves, so both outcomes occur near the deadline.
EARLIEST, SLIDE, SPACING = -0.35, 0.35, 0.04
PATH = "/api/v1/vendor/bids/"
REFUSALS = {(400, "rule_violation"), (409, "invalid_transition")}


def wait_until(instant: datetime) -> None:
    time.sleep(max(0.0, (instant - timezone.now()).total_seconds()))


def bid_at(vendor: Client, instant: datetime, body: dict[str, object], key: str | None) -> Answer:
    wait_until(instant)
    return vendor.post(PATH, body, idempotency_key=key)


def close_at(deadline: datetime, job: Job) -> None:
    """The periodic close, run at the deadline in a thread of its own."""
    try:
        wait_until(deadline)
        while Job.objects.filter(pk=job.pk, status=JobStatus.OPEN).exists():
            exchange.close_due_bidding()
    finally:
        connection.close()


def assert_round_consistent(
    job: Job, answers: list[Answer], lab: Client, lab_team: LabTeam
) -> set[int]:
    """The database and the lab's view after one round; returns the accepted bid ids."""
    job.refresh_from_db()
    assert job.status == JobStatus.EVALUATION
    accepted = {a.body["id"] for a in answers if a.status == 201}
    for answer in answers:
        assert answer.status == 201 or (answer.status, answer.code) in REFUSALS, answer.body
    bids = Bid.objects.filter(job=job)
    assert set(bids.values_list("pk", flat=True)) == accepted
    assert set(bids.values_list("status", flat=True)) <= {BidStatus.SUBMITTED}
    for bid in bids:
        assert bid.revision_number == 1
        assert bid.submitted_at is not None
        assert bid.submitted_at < job.bid_deadline, "accepted, yet stamped after the deadline"
    assert BidRevision.objects.filter(bid__job=job).count() == len(accepted)
    assert Screening.objects.filter(bid__job=job).count() == len(accepted)
    listed = lab.get(f"/api/v1/lab/jobs/{job.pk}/bids/")
    assert listed.status == 200
    assert {row["id"] for row in listed.body["results"]} == accepted
    [closed] = Notification.objects.filter(
        kind="job.evaluation_started", recipient=lab_team.owner, title__contains=job.title
    )
    assert f": {len(accepted)} bid(s) to evaluate" in closed.title
    return accepted


def test_a_bid_at_the_deadline_is_accepted_or_refused_never_lost(server, acme, medix, mathly):
    teams = [medix, mathly, make_vendor_team("Third Ltd")]
    vendors = [client_for(server, team.vendor.organisation) for team in teams]
    lab = client_for(server, acme.lab.organisation)
    outcomes: Counter[str] = Counter()
    replayed = 0

    for round_number in range(ROUNDS):
        job = make_open_job(acme)
        deadline = timezone.now() + LEAD
        Job.objects.filter(pk=job.pk).update(question_deadline=deadline, bid_deadline=deadline)
        body = {"job": job.pk, "price": "30000.00", "currency": job.currency, "timeline_days": 30}
        start = EARLIEST + SLIDE * round_number / ROUNDS
        sent_at = [deadline + timedelta(seconds=start + SPACING * n) for n in range(len(vendors))]
        keys = [str(uuid.uuid4()) if round_number % 2 else None for _ in vendors]

        calls = [
            partial(bid_at, vendors[n], sent_at[n], body, keys[n]) for n in range(len(vendors))
        ]
        runs: list[Callable[[], Answer | None]] = [*calls, partial(close_at, deadline, job)]
        results = together(runs)
        answers = [answer for answer in results if isinstance(answer, Answer)]

        assert_no_server_error(answers)
        accepted = assert_round_consistent(job, answers, lab, acme)
        outcomes.update("accepted" if a.status == 201 else f"refused: {a.code}" for a in answers)
        if keys[0] is None:
            continue
        again = [vendors[n].post(PATH, body, idempotency_key=keys[n]) for n in range(len(vendors))]
        for first, second in zip(answers, again, strict=True):
            if first.status == 201:
                assert (second.status, second.body) == (201, first.body)
                assert second.headers.get("Idempotent-Replayed") == "true"
                replayed += 1
            else:
                assert (second.status, second.code) in REFUSALS
        assert set(Bid.objects.filter(job=job).values_list("pk", flat=True)) == accepted

    print(f"{ROUNDS} rounds, {ROUNDS * len(vendors)} bids: {dict(outcomes)}; {replayed} replayed")
    assert outcomes["accepted"] and sum(outcomes.values()) > outcomes["accepted"], (
        "the rounds never put a bid on both sides of the deadline"
    )
