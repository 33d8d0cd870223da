"""Vendor bids over the API: submit, revise, withdraw; sealed from every other vendor."""

from __future__ import annotations

from marketplace.exchange.models import Bid
from tests.api.query_budget import queries_for
from tests.plugins.personas import make_open_job, qualify, submit_bid


def bid_body(job_id: int, **overrides: object) -> dict:
    body = {"job": job_id, "price": "30000", "currency": "USD", "timeline_days": 30}
    body.update(overrides)
    return body


def test_a_vendor_submits_with_its_own_specialists(db, acme, medix, medix_key, open_job):
    ids = [s.pk for s in qualify(medix.specialists[:2], open_job)]
    response = medix_key.post(
        "/api/v1/vendor/bids/", bid_body(open_job.pk, specialists=ids), format="json"
    )
    assert response.status_code == 201, response.json()
    assert sorted(s["id"] for s in response.json()["specialists"]) == sorted(ids)
    assert response.json()["status"] == "submitted"


def test_another_vendors_specialist_is_refused(db, acme, medix, mathly, medix_key, open_job):
    response = medix_key.post(
        "/api/v1/vendor/bids/",
        bid_body(open_job.pk, specialists=[mathly.specialists[0].pk]),
        format="json",
    )
    assert response.status_code == 400
    assert "specialists" in response.json()["error"]["fields"]


def test_a_second_bid_on_the_same_job_is_refused(db, acme, medix, medix_key, open_job):
    medix_key.post("/api/v1/vendor/bids/", bid_body(open_job.pk), format="json")
    response = medix_key.post("/api/v1/vendor/bids/", bid_body(open_job.pk), format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "bid_exists"


def test_revise_and_withdraw(db, acme, medix, medix_key, open_job):
    bid = submit_bid(medix, open_job)
    revised = medix_key.post(
        f"/api/v1/vendor/bids/{bid.pk}/revise/", {"price": "25000"}, format="json"
    )
    assert revised.status_code == 200, revised.json()
    assert (revised.json()["price"], revised.json()["revision_number"]) == ("25000.00", 2)
    withdrawn = medix_key.post(f"/api/v1/vendor/bids/{bid.pk}/withdraw/")
    assert withdrawn.json()["status"] == "withdrawn"


def test_a_draft_job_is_invisible_to_vendors(db, acme, medix, medix_key):
    from tests.factories import JobFactory

    draft = JobFactory(lab=acme.lab, created_by=acme.procurement)
    assert medix_key.get(f"/api/v1/vendor/jobs/{draft.pk}/").status_code == 404
    response = medix_key.post("/api/v1/vendor/bids/", bid_body(draft.pk), format="json")
    assert response.status_code == 404


def test_another_vendor_never_sees_a_bid(db, acme, medix, mathly, mathly_key, open_job):
    bid = submit_bid(medix, open_job)
    assert mathly_key.get("/api/v1/vendor/bids/").json()["results"] == []
    for response in (
        mathly_key.get(f"/api/v1/vendor/bids/{bid.pk}/"),
        mathly_key.post(f"/api/v1/vendor/bids/{bid.pk}/revise/", {"price": "1"}, format="json"),
        mathly_key.post(f"/api/v1/vendor/bids/{bid.pk}/withdraw/"),
    ):
        assert response.status_code == 404
    assert Bid.objects.get(pk=bid.pk).status == "submitted"


def test_vendor_list_queries_do_not_grow_with_rows(db, acme, medix, medix_key):
    jobs = [make_open_job(acme) for _ in range(10)]
    for job in jobs[:3]:
        submit_bid(medix, job)
    bids_three = queries_for(medix_key, "/api/v1/vendor/bids/")
    jobs_ten = queries_for(medix_key, "/api/v1/vendor/jobs/")
    for job in jobs[3:]:
        submit_bid(medix, job)
    assert queries_for(medix_key, "/api/v1/vendor/bids/") == bids_three
    assert bids_three <= 10
    assert jobs_ten <= 12


def test_vendor_job_list_queries_do_not_grow_with_rows(db, acme, medix, medix_key):
    for _ in range(3):
        make_open_job(acme)
    three = queries_for(medix_key, "/api/v1/vendor/jobs/")
    for _ in range(7):
        make_open_job(acme)
    assert queries_for(medix_key, "/api/v1/vendor/jobs/") == three


def test_a_specialist_who_can_fill_no_seat_is_refused(db, acme, medix, medix_key, open_job):
    response = medix_key.post(
        "/api/v1/vendor/bids/",
        bid_body(open_job.pk, specialists=[medix.specialists[0].pk]),
        format="json",
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "specialist_unfit"
    assert medix.specialists[0].full_name in error["fields"]["specialists"][0]
