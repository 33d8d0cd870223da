"""Fifty awards of one job sent at once, by the lab's API key through gunicorn's worker
processes: exactly one award is made; every other request gets a clear 409, never a
server error. Sent without an Idempotency-Key, with a key of its own each (and each then
sent again: the award replays its stored answer, the refusals are refused again), and
with one key shared by all fifty (one award; the others replay it or are told it is in
progress)."""

from __future__ import annotations

import uuid
from collections import Counter
from functools import partial

import pytest

from labs.models import Job, JobStatus
from marketplace.exchange.models import Award, Bid, BidStatus, Contract, Notification
from marketplace.partners.models import IdempotencyRecord
from tests.exchange.helpers import start_evaluation
from tests.plugins.personas import make_open_job, make_vendor_team, submit_bid
from tests.races.conftest import THREADS, assert_no_server_error, client_for, together

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def job_in_evaluation(acme, medix, mathly) -> tuple[Job, list[Bid]]:
    job = make_open_job(acme)
    bids = [submit_bid(team, job) for team in (medix, mathly, make_vendor_team("Third Ltd"))]
    return start_evaluation(job), bids


def assert_one_award(job: Job, bids: list[Bid], winner: int) -> None:
    """The database after the race: one award, one contract, one awarded bid (the winner
    the server reported), the others rejected, each notification once."""
    assert Job.objects.get(pk=job.pk).status == JobStatus.AWARDED
    assert Award.objects.filter(job=job).count() == 1
    assert list(Contract.objects.filter(award__job=job).values_list("bid_id", flat=True)) == [
        winner
    ]
    statuses = dict(Bid.objects.filter(job=job).values_list("pk", "status"))
    assert statuses == {
        bid.pk: BidStatus.AWARDED if bid.pk == winner else BidStatus.REJECTED for bid in bids
    }
    made = Notification.objects.filter(kind="award.made").values_list("recipient_id", flat=True)
    assert len(made) == len(set(made)) > 0


@pytest.mark.parametrize("idempotency", ["none", "own-key"])
def test_fifty_simultaneous_awards_make_exactly_one(server, acme, job_in_evaluation, idempotency):
    job, bids = job_in_evaluation
    lab = client_for(server, acme.lab.organisation)
    path = f"/api/v1/lab/jobs/{job.pk}/award/"
    bodies = [
        {"shares": [{"bid": bids[n % len(bids)].pk, "percent": "100"}]} for n in range(THREADS)
    ]
    keys = [str(uuid.uuid4()) if idempotency == "own-key" else None for _ in range(THREADS)]

    answers = together([partial(lab.post, path, bodies[n], keys[n]) for n in range(THREADS)])

    assert_no_server_error(answers)
    assert Counter(a.status for a in answers) == {201: 1, 409: THREADS - 1}
    assert {a.code for a in answers if a.status == 409} == {"invalid_transition"}
    [won] = [a for a in answers if a.status == 201]
    [contract] = won.body["contracts"]
    assert_one_award(job, bids, winner=contract["bid"])
    if idempotency == "none":
        assert not IdempotencyRecord.objects.exists()
        return

    # Each request again with its own key: the award's answer is replayed, not made again;
    # a refused request kept nothing, so it runs again and is refused again.
    again = together([partial(lab.post, path, bodies[n], keys[n]) for n in range(THREADS)])
    for first, second in zip(answers, again, strict=True):
        assert second.status == first.status
        if first.status == 201:
            assert second.body == first.body
            assert second.headers.get("Idempotent-Replayed") == "true"
        else:
            assert second.code == "invalid_transition"
    assert IdempotencyRecord.objects.filter(response_status=201).count() == 1
    assert_one_award(job, bids, winner=contract["bid"])


def test_fifty_simultaneous_awards_with_one_idempotency_key_make_exactly_one(
    server, acme, job_in_evaluation
):
    job, bids = job_in_evaluation
    lab = client_for(server, acme.lab.organisation)
    path = f"/api/v1/lab/jobs/{job.pk}/award/"
    body = {"shares": [{"bid": bids[0].pk, "percent": "100"}]}
    key = str(uuid.uuid4())

    answers = together([partial(lab.post, path, body, key)] * THREADS)

    assert_no_server_error(answers)
    made = [a for a in answers if a.status == 201]
    waiting = [a for a in answers if a.status == 409]
    assert len(made) + len(waiting) == THREADS and made
    assert {a.code for a in waiting} <= {"idempotency_key_in_progress"}
    assert all(a.body == made[0].body for a in made)
    assert sum(a.headers.get("Idempotent-Replayed") != "true" for a in made) == 1
    assert_one_award(job, bids, winner=bids[0].pk)

    replay = lab.post(path, body, idempotency_key=key)
    assert (replay.status, replay.body) == (201, made[0].body)
    assert replay.headers.get("Idempotent-Replayed") == "true"
    print(f"one key, 50 at once: {len(made)} answered 201, {len(waiting)} told in progress")
