"""The main flow, every step through HTTP with `Authorization: Bearer`: a lab posts and
publishes a job, a vendor bids, bidding closes, the lab awards."""

from __future__ import annotations

from django.utils import timezone

from labs.models import Job
from marketplace.exchange import services as exchange
from marketplace.exchange.models import Contract
from tests.api.payloads import job_payload
from tests.plugins.personas import pass_bid_deadline


def test_lab_posts_vendor_bids_lab_awards(db, acme, medix, acme_key, medix_key):
    # Given a lab key, when it posts a draft job and publishes it
    created = acme_key.post("/api/v1/lab/jobs/", job_payload(), format="json")
    assert created.status_code == 201, created.json()
    job_id = created.json()["id"]
    assert created.json()["status"] == "draft"
    assert len(created.json()["seat_requirements"]) == 1
    published = acme_key.post(f"/api/v1/lab/jobs/{job_id}/publish/")
    assert published.status_code == 200, published.json()
    assert published.json()["status"] == "open"

    # Then the vendor sees it and bids with its key
    seen = medix_key.get("/api/v1/vendor/jobs/")
    assert [j["id"] for j in seen.json()["results"]] == [job_id]
    bid = medix_key.post(
        "/api/v1/vendor/bids/",
        {"job": job_id, "price": "30000", "currency": "USD", "timeline_days": 30, "note": "Hi"},
        format="json",
    )
    assert bid.status_code == 201, bid.json()
    bid_id = bid.json()["id"]
    assert bid.json()["status"] == "submitted"

    # While bidding is open the lab cannot read sealed bids
    sealed = acme_key.get(f"/api/v1/lab/jobs/{job_id}/bids/")
    assert sealed.status_code == 409
    assert sealed.json()["error"]["code"] == "bids_sealed"

    # Time passes: the deadline closes bidding
    job = Job.objects.get(pk=job_id)
    pass_bid_deadline(job)
    assert exchange.close_due_bidding() == [job_id]

    bids = acme_key.get(f"/api/v1/lab/jobs/{job_id}/bids/")
    assert bids.status_code == 200
    assert [b["id"] for b in bids.json()["results"]] == [bid_id]

    # The lab awards the whole job to the bid
    award = acme_key.post(
        f"/api/v1/lab/jobs/{job_id}/award/",
        {"shares": [{"bid": bid_id, "percent": "100"}]},
        format="json",
    )
    assert award.status_code == 201, award.json()
    assert award.json()["contracts"][0]["bid"] == bid_id
    assert acme_key.get(f"/api/v1/lab/jobs/{job_id}/").json()["status"] == "awarded"
    assert medix_key.get(f"/api/v1/vendor/bids/{bid_id}/").json()["status"] == "awarded"

    # And completes the contract with a rating
    contract = Contract.objects.get(bid_id=bid_id)
    done = acme_key.post(
        f"/api/v1/lab/contracts/{contract.pk}/complete/",
        {"delivered_on": str(timezone.localdate()), "rating": 5, "comment": "Good"},
        format="json",
    )
    assert done.status_code == 200, done.json()
    assert done.json()["status"] == "completed"
