"""Fifty submissions of a bid by one vendor on one job, sent at once through gunicorn's
worker processes: exactly one active bid, with one revision and one screening; every
other request is refused with bid_exists, never a server error. Sent without an
Idempotency-Key, with a key of its own each (then sent again: the accepted one replays,
the refused ones are refused again), and with one key shared by all fifty."""

from __future__ import annotations

import uuid
from collections import Counter
from functools import partial

import pytest

from labs.models import Job
from marketplace.exchange.models import Bid, BidRevision, BidStatus, Screening
from marketplace.partners.models import IdempotencyRecord
from tests.plugins.personas import VendorTeam, make_open_job
from tests.races.conftest import THREADS, assert_no_server_error, client_for, together

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

PATH = "/api/v1/vendor/bids/"


def assert_one_active_bid(job: Job, team: VendorTeam, bid_id: int) -> None:
    active = Bid.objects.filter(job=job, vendor=team.vendor).exclude(status=BidStatus.WITHDRAWN)
    assert list(active.values_list("pk", "status", "revision_number")) == [
        (bid_id, BidStatus.SUBMITTED, 1)
    ]
    assert BidRevision.objects.filter(bid__job=job).count() == 1
    assert Screening.objects.filter(bid_id=bid_id, state="done").count() == 1
    assert Screening.objects.filter(lab=job.lab, vendor=team.vendor, bid=None).count() == 1


@pytest.mark.parametrize("idempotency", ["none", "own-key"])
def test_fifty_simultaneous_bids_by_one_vendor_make_one(server, acme, medix, idempotency):
    job = make_open_job(acme)
    vendor = client_for(server, medix.vendor.organisation)
    body = {"job": job.pk, "price": "30000.00", "currency": job.currency, "timeline_days": 30}
    keys = [str(uuid.uuid4()) if idempotency == "own-key" else None for _ in range(THREADS)]

    answers = together([partial(vendor.post, PATH, body, keys[n]) for n in range(THREADS)])

    assert_no_server_error(answers)
    assert Counter(a.status for a in answers) == {201: 1, 400: THREADS - 1}
    assert {a.code for a in answers if a.status == 400} == {"bid_exists"}
    [accepted] = [a for a in answers if a.status == 201]
    assert_one_active_bid(job, medix, accepted.body["id"])
    if idempotency == "none":
        assert not IdempotencyRecord.objects.exists()
        return

    again = together([partial(vendor.post, PATH, body, keys[n]) for n in range(THREADS)])
    for first, second in zip(answers, again, strict=True):
        assert second.status == first.status
        if first.status == 201:
            assert second.body == first.body
            assert second.headers.get("Idempotent-Replayed") == "true"
        else:
            assert second.code == "bid_exists"
    assert_one_active_bid(job, medix, accepted.body["id"])


def test_fifty_simultaneous_bids_with_one_idempotency_key_make_one(server, acme, medix):
    job = make_open_job(acme)
    vendor = client_for(server, medix.vendor.organisation)
    body = {"job": job.pk, "price": "30000.00", "currency": job.currency, "timeline_days": 30}
    key = str(uuid.uuid4())

    answers = together([partial(vendor.post, PATH, body, key)] * THREADS)

    assert_no_server_error(answers)
    made = [a for a in answers if a.status == 201]
    waiting = [a for a in answers if a.status == 409]
    assert len(made) + len(waiting) == THREADS and made
    assert {a.code for a in waiting} <= {"idempotency_key_in_progress"}
    assert all(a.body == made[0].body for a in made)
    assert sum(a.headers.get("Idempotent-Replayed") != "true" for a in made) == 1
    assert_one_active_bid(job, medix, made[0].body["id"])
    replay = vendor.post(PATH, body, idempotency_key=key)
    assert (replay.status, replay.body) == (201, made[0].body)
