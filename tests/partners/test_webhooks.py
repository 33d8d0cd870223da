"""Webhook events: who receives what, signed as docs/webhooks.md says, and only once the
change that caused them commits."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import transaction

from labs.models import Bidding
from marketplace.core.errors import RuleViolation
from marketplace.exchange import services as exchange
from marketplace.partners.models import WebhookDelivery, WebhookDeliveryStatus
from marketplace.partners.webhook_services import webhook_endpoint_create
from tests.exchange.helpers import start_evaluation
from tests.factories import JobFactory, SeatRequirementFactory
from tests.partners import webhook_receiver
from tests.partners.webhook_helpers import documented_verifier, subscribe
from tests.plugins.personas import make_open_job, submit_bid

pytestmark = pytest.mark.django_db

receiver = webhook_receiver.receiver
second_receiver = webhook_receiver.second_receiver


def test_a_published_job_reaches_the_labs_endpoint_signed_as_documented(
    acme, receiver, django_capture_on_commit_callbacks
):
    endpoint, secret = subscribe(acme, receiver.url, ["job.published"])
    job = JobFactory(lab=acme.lab, created_by=acme.procurement)
    SeatRequirementFactory(job=job)

    with django_capture_on_commit_callbacks(execute=True):
        exchange.job_publish(job=job, user=acme.procurement)

    [request] = receiver.requests
    verify = documented_verifier()
    assert verify(secret, request.headers, request.body)
    assert not verify("whsec_wrong", request.headers, request.body)
    assert not verify(secret, request.headers, request.body.replace(b"Acme", b"Acne"))
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["X-Webhook-Event"] == "job.published"
    event = request.json()
    assert event["type"] == "job.published"
    assert event["id"] == request.headers["X-Webhook-Id"]
    assert event["data"]["job"]["id"] == job.pk
    assert event["data"]["job"]["title"] == job.title
    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    assert delivery.status == WebhookDeliveryStatus.SUCCEEDED
    assert delivery.last_status_code == 200


def test_an_endpoint_receives_only_the_events_it_subscribed_to(
    acme, receiver, django_capture_on_commit_callbacks
):
    subscribe(acme, receiver.url, ["job.awarded"])
    job = JobFactory(lab=acme.lab, created_by=acme.procurement)
    SeatRequirementFactory(job=job)

    with django_capture_on_commit_callbacks(execute=True):
        exchange.job_publish(job=job, user=acme.procurement)

    assert receiver.requests == []
    assert not WebhookDelivery.objects.exists()


def test_a_sealed_bid_tells_the_lab_it_arrived_but_not_its_price(
    acme, medix, open_job, receiver, django_capture_on_commit_callbacks
):
    subscribe(acme, receiver.url, ["bid.submitted", "bid.revised", "bid.withdrawn"])

    with django_capture_on_commit_callbacks(execute=True):
        bid = submit_bid(medix, open_job, "31337")
    with django_capture_on_commit_callbacks(execute=True):
        exchange.bid_revise(bid=bid, user=medix.bid_manager, price=Decimal("29999"))
    with django_capture_on_commit_callbacks(execute=True):
        exchange.bid_withdraw(bid=bid, user=medix.bid_manager)

    events = [r.json() for r in receiver.requests]
    assert [e["type"] for e in events] == ["bid.submitted", "bid.revised", "bid.withdrawn"]
    for event in events:
        assert event["data"] == {
            "job_id": open_job.pk,
            "bid_id": bid.pk,
            "vendor": "Medix Annotations",
        }
    for request in receiver.requests:
        assert b"31337" not in request.body
        assert b"29999" not in request.body


def test_an_open_bidding_bid_carries_its_terms_to_the_lab(
    acme, medix, receiver, django_capture_on_commit_callbacks
):
    job = make_open_job(acme, bidding=Bidding.OPEN)
    subscribe(acme, receiver.url, ["bid.submitted"])

    with django_capture_on_commit_callbacks(execute=True):
        submit_bid(medix, job, "31337")

    [request] = receiver.requests
    assert request.json()["data"]["price"] == "31337.00"
    assert request.json()["data"]["timeline_days"] == 30


def test_a_vendors_endpoint_never_hears_of_another_vendors_bid(
    acme, medix, mathly, open_job, receiver, second_receiver, django_capture_on_commit_callbacks
):
    subscribe(medix, receiver.url)
    subscribe(mathly, second_receiver.url)

    with django_capture_on_commit_callbacks(execute=True):
        medix_bid = submit_bid(medix, open_job, "30000")
    with django_capture_on_commit_callbacks(execute=True):
        mathly_bid = submit_bid(mathly, open_job, "27777")
    with django_capture_on_commit_callbacks(execute=True):
        start_evaluation(open_job)
    with django_capture_on_commit_callbacks(execute=True):
        exchange.award_make(job=open_job, user=acme.procurement, shares={medix_bid.pk: 100})

    assert receiver.events("bid.") == [] and second_receiver.events("bid.") == []
    # Bidding closed: each bidder hears it, without the count of other bids.
    for got in (receiver, second_receiver):
        [closed] = got.events("job.evaluation_started")
        assert "submitted_bids" not in closed.json()["data"]
    # The award: Medix hears of its own share; Mathly hears nothing of it.
    [award] = receiver.events("award.made")
    assert award.json()["data"]["bid_id"] == medix_bid.pk
    assert award.json()["data"]["share_percent"] == "100.00"
    assert second_receiver.events("award.made") == []
    for request in second_receiver.requests:
        assert f'"bid_id":{medix_bid.pk}'.encode() not in request.body
        assert b"30000" not in request.body
    for request in receiver.requests:
        assert b"27777" not in request.body
        assert f'"bid_id":{mathly_bid.pk}'.encode() not in request.body


def test_the_lab_hears_of_the_award_with_every_contract(
    acme, medix, open_job, receiver, django_capture_on_commit_callbacks
):
    subscribe(acme, receiver.url, ["job.awarded", "job.evaluation_started"])
    bid = submit_bid(medix, open_job, "30000")
    with django_capture_on_commit_callbacks(execute=True):
        start_evaluation(open_job)
    with django_capture_on_commit_callbacks(execute=True):
        award = exchange.award_make(job=open_job, user=acme.procurement, shares={bid.pk: 100})

    closed, awarded = (r.json() for r in receiver.requests)
    assert closed["data"]["submitted_bids"] == 1
    assert awarded["data"]["award_id"] == award.pk
    assert awarded["data"]["contracts"][0]["vendor"] == "Medix Annotations"
    assert awarded["data"]["contracts"][0]["value"] == "30000.00"


def test_an_answer_reaches_the_vendors_without_naming_the_asker(
    acme, medix, mathly, open_job, receiver, second_receiver, django_capture_on_commit_callbacks
):
    subscribe(medix, receiver.url, ["question.answered"])
    subscribe(mathly, second_receiver.url, ["question.answered"])
    submit_bid(mathly, open_job)
    question = exchange.question_ask(
        job=open_job, vendor=medix.vendor, user=medix.bid_manager, body="Which language?"
    )

    with django_capture_on_commit_callbacks(execute=True):
        exchange.question_answer(question=question, user=acme.procurement, answer="English.")

    for got in (receiver, second_receiver):
        [request] = got.requests
        assert request.json()["data"]["question"]["answer"] == "English."
        assert b"Medix" not in request.body


def test_a_rolled_back_transaction_emits_nothing(
    acme, receiver, django_capture_on_commit_callbacks
):
    subscribe(acme, receiver.url, ["job.published"])
    job = JobFactory(lab=acme.lab, created_by=acme.procurement)
    SeatRequirementFactory(job=job)

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        exchange.job_publish(job=job, user=acme.procurement)
        raise RuntimeError("something later in the same use case failed")

    assert callbacks == []
    assert not WebhookDelivery.objects.exists()
    assert receiver.requests == []


def test_endpoints_refuse_plain_http_and_unknown_events(acme, settings):
    settings.WEBHOOK_ALLOW_HTTP_LOCALHOST = False
    with pytest.raises(RuleViolation, match="https"):
        subscribe(acme, "http://127.0.0.1:9/hooks", ["job.published"])
    with pytest.raises(RuleViolation, match="https"):
        subscribe(acme, "ftp://partner.example/hooks", ["job.published"])
    with pytest.raises(RuleViolation, match="Unknown event"):
        subscribe(acme, "https://partner.example/hooks", ["job.published", "bid.stolen"])
    _, secret = subscribe(acme, "https://partner.example/hooks", ["job.published"])
    assert secret.startswith("whsec_") and len(secret) > 40


def test_only_the_organisations_owner_adds_endpoints(acme, medix):
    from marketplace.core.errors import NotPermitted

    with pytest.raises(NotPermitted):
        webhook_endpoint_create(
            organisation=acme.lab.organisation,
            url="https://partner.example/hooks",
            event_types=["job.published"],
            created_by=acme.reviewer,
        )
    with pytest.raises(NotPermitted):
        webhook_endpoint_create(
            organisation=acme.lab.organisation,
            url="https://partner.example/hooks",
            event_types=["job.published"],
            created_by=medix.owner,
        )
