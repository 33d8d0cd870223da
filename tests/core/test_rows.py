"""Row plans render exactly what their serializer renders: every serializer the API reads
through a plan, over data with empty and full nested lists and null and set dates."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework import serializers

from labs.apis import JobOutputSerializer
from labs.selectors import job_list_for_lab
from marketplace.core.rows import row_plan
from marketplace.exchange import selectors
from marketplace.exchange import services as exchange
from marketplace.exchange.apis import (
    BidOutputSerializer,
    VendorBidOutputSerializer,
    VendorJobOutputSerializer,
)
from tests.factories import AttestationKindFactory, JobFactory, SeatRequirementFactory
from tests.plugins.personas import make_open_job, pass_bid_deadline, qualify, submit_bid


def rendered(serializer_class: type[serializers.Serializer], queryset: Any) -> list[dict]:
    plan = row_plan(serializer_class)
    return plan.render(plan.values(queryset), queryset.model)


def serialized(serializer_class: type[serializers.Serializer], queryset: Any) -> list[dict]:
    return [dict(item) for item in serializer_class(list(queryset), many=True).data]


@pytest.fixture
def marketplace(db, acme, medix, mathly):
    """Jobs with no seats, one and three; none, one and two attestations; a draft, open
    jobs and one in evaluation (its dates set); bids with no, one and two specialists,
    one withdrawn."""
    soc2, hipaa = AttestationKindFactory(code="soc2"), AttestationKindFactory(code="hipaa")
    draft = JobFactory(lab=acme.lab, created_by=acme.procurement, budget_min=Decimal("0"))
    plain = make_open_job(acme, title="Reasoning traces", volume_unit="hours")
    plain.seat_requirements.all().delete()
    staffed = make_open_job(acme, max_share_per_vendor=Decimal("33.33"), split_allowed=True)
    SeatRequirementFactory.create_batch(2, job=staffed, note="Board certified")
    staffed.required_attestations.set([soc2, hipaa])
    one_kind = make_open_job(acme)
    one_kind.required_attestations.set([hipaa])
    submit_bid(
        medix, staffed, price="12345.67", specialists=qualify(medix.specialists[:2], staffed)
    )
    submit_bid(mathly, staffed, price="99999999.99")
    lone = submit_bid(medix, one_kind, specialists=qualify(medix.specialists[2:], one_kind))
    exchange.bid_withdraw(bid=lone, user=medix.bid_manager)
    submit_bid(mathly, one_kind, specialists=[])
    exchange.job_close_bidding(job=pass_bid_deadline(staffed), user=None)
    return {"acme": acme, "medix": medix, "mathly": mathly, "draft": draft}


def test_a_lab_s_jobs_render_as_the_serializer_renders_them(marketplace):
    jobs = job_list_for_lab(lab=marketplace["acme"].lab).order_by("pk")
    assert len(jobs) == 4
    assert rendered(JobOutputSerializer, jobs) == serialized(JobOutputSerializer, jobs)


def test_a_vendor_s_jobs_render_as_the_serializer_renders_them(marketplace):
    jobs = selectors.job_list_for_vendor(vendor=marketplace["medix"].vendor).order_by("pk")
    assert len(jobs) == 3
    output = rendered(VendorJobOutputSerializer, jobs)
    assert output == serialized(VendorJobOutputSerializer, jobs)
    assert {len(job["seat_requirements"]) for job in output} == {0, 1, 3}
    assert {len(job["required_attestations"]) for job in output} == {0, 1, 2}


def test_bids_render_as_the_serializer_renders_them(marketplace):
    for team in (marketplace["medix"], marketplace["mathly"]):
        bids = selectors.bid_list_for_vendor(vendor=team.vendor).order_by("pk")
        assert rendered(VendorBidOutputSerializer, bids) == serialized(
            VendorBidOutputSerializer, bids
        )
    for job in job_list_for_lab(lab=marketplace["acme"].lab).filter(status="evaluation"):
        bids = selectors.bid_list_for_lab(lab=marketplace["acme"].lab, job=job)
        assert len(bids) == 2
        assert rendered(BidOutputSerializer, bids) == serialized(BidOutputSerializer, bids)
    specialists = [
        len(bid["specialists"])
        for bid in rendered(
            VendorBidOutputSerializer,
            selectors.bid_list_for_vendor(vendor=marketplace["medix"].vendor),
        )
    ]
    assert sorted(specialists) == [1, 2]


def test_a_page_costs_one_query_and_one_per_nested_list_whatever_its_size(marketplace, acme):
    for _ in range(10):
        make_open_job(acme)
    jobs = selectors.job_list_for_vendor(vendor=marketplace["medix"].vendor)
    plan = row_plan(VendorJobOutputSerializer)
    with CaptureQueriesContext(connection) as queries:
        output = plan.render(plan.values(jobs), jobs.model)
    assert len(output) == 13
    assert len(queries) == 1 + 2  # the page, seat requirements, attestations


def test_a_plan_refuses_a_field_it_cannot_read_from_a_row():
    class WithMethod(serializers.Serializer):
        id = serializers.IntegerField()
        label = serializers.SerializerMethodField()

    with pytest.raises(ImproperlyConfigured, match="cannot be rendered from a row"):
        row_plan(WithMethod)
