"""Lab jobs over the API: drafting, editing drafts, lifecycle moves, tenancy, budgets."""

from __future__ import annotations

from labs.models import Job
from tests.api.payloads import job_payload
from tests.api.query_budget import queries_for
from tests.exchange.helpers import start_evaluation
from tests.factories import JobFactory, SeatRequirementFactory
from tests.plugins.personas import make_open_job, submit_bid


def test_a_draft_is_created_with_its_seats(db, acme, acme_key):
    response = acme_key.post("/api/v1/lab/jobs/", job_payload(), format="json")
    assert response.status_code == 201
    job = Job.objects.get(pk=response.json()["id"])
    assert job.lab == acme.lab
    assert job.seat_requirements.count() == 1
    assert response.json()["seat_requirements"][0]["count"] == 2


def test_fields_a_caller_may_not_set_are_ignored(db, acme, rival, acme_key):
    payload = job_payload(status="awarded", lab=rival.lab.pk, id=12345)
    response = acme_key.post("/api/v1/lab/jobs/", payload, format="json")
    assert response.status_code == 201
    job = Job.objects.get(pk=response.json()["id"])
    assert (job.status, job.lab, job.pk != 12345) == ("draft", acme.lab, True)


def test_a_bad_seat_requirement_creates_nothing(db, acme, acme_key):
    payload = job_payload()
    payload["seat_requirements"][0]["count"] = 0
    assert acme_key.post("/api/v1/lab/jobs/", payload, format="json").status_code == 400
    assert not Job.objects.exists()


def test_a_draft_is_edited_but_an_open_job_is_not(db, acme, acme_key, open_job):
    draft = JobFactory(lab=acme.lab, created_by=acme.procurement)
    response = acme_key.patch(f"/api/v1/lab/jobs/{draft.pk}/", {"title": "New"}, format="json")
    assert response.status_code == 200
    assert response.json()["title"] == "New"
    response = acme_key.patch(f"/api/v1/lab/jobs/{open_job.pk}/", {"title": "X"}, format="json")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "invalid_transition"


def test_a_reviewer_may_read_but_not_post_jobs(db, acme):
    from tests.api.conftest import session_client

    client = session_client(acme.reviewer)
    assert client.get("/api/v1/lab/jobs/").status_code == 200
    response = client.post("/api/v1/lab/jobs/", job_payload(), format="json")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "not_permitted"


def test_cancel_needs_a_reason(db, acme, acme_key, open_job):
    url = f"/api/v1/lab/jobs/{open_job.pk}/cancel/"
    assert acme_key.post(url, {}, format="json").status_code == 400
    response = acme_key.post(url, {"reason": "Budget cut"}, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"


def test_mark_unsuccessful_after_evaluation(db, acme, acme_key, open_job):
    start_evaluation(open_job)
    url = f"/api/v1/lab/jobs/{open_job.pk}/mark-unsuccessful/"
    response = acme_key.post(url, {"reason": "No good bids"}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "unsuccessful"


def test_shortlist_and_reject_bids(db, acme, medix, mathly, acme_key, open_job):
    medix_bid = submit_bid(medix, open_job)
    mathly_bid = submit_bid(mathly, open_job, price="40000")
    start_evaluation(open_job)
    shortlisted = acme_key.post(f"/api/v1/lab/bids/{medix_bid.pk}/shortlist/")
    assert shortlisted.json()["status"] == "shortlisted"
    rejected = acme_key.post(
        f"/api/v1/lab/bids/{mathly_bid.pk}/reject/", {"reason": "Too dear"}, format="json"
    )
    assert rejected.json()["status"] == "rejected"


def test_another_labs_key_gets_404_for_acmes_job_and_bid(db, acme, medix, rival_key, open_job):
    bid = submit_bid(medix, open_job)
    start_evaluation(open_job)
    for response in (
        rival_key.get(f"/api/v1/lab/jobs/{open_job.pk}/"),
        rival_key.patch(f"/api/v1/lab/jobs/{open_job.pk}/", {"title": "x"}, format="json"),
        rival_key.post(f"/api/v1/lab/jobs/{open_job.pk}/cancel/", {"reason": "x"}, format="json"),
        rival_key.get(f"/api/v1/lab/jobs/{open_job.pk}/bids/"),
        rival_key.post(f"/api/v1/lab/bids/{bid.pk}/shortlist/"),
    ):
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"
    assert rival_key.get("/api/v1/lab/jobs/").json()["results"] == []


def test_job_list_queries_do_not_grow_with_rows(db, acme, acme_key):
    def add_jobs(n: int) -> None:
        for job in JobFactory.create_batch(n, lab=acme.lab, created_by=acme.procurement):
            SeatRequirementFactory(job=job)

    add_jobs(3)
    with_three = queries_for(acme_key, "/api/v1/lab/jobs/")
    add_jobs(7)
    assert queries_for(acme_key, "/api/v1/lab/jobs/") == with_three
    assert with_three <= 12


def test_bid_list_queries_do_not_grow_with_rows(db, acme, acme_key):
    from tests.plugins.personas import make_vendor_team

    job = make_open_job(acme)
    teams = [make_vendor_team(f"Vendor {i}") for i in range(10)]
    for team in teams[:3]:
        submit_bid(team, job)
    job_b = make_open_job(acme)
    for team in teams:
        submit_bid(team, job_b)
    start_evaluation(job)
    start_evaluation(job_b)
    three = queries_for(acme_key, f"/api/v1/lab/jobs/{job.pk}/bids/")
    ten = queries_for(acme_key, f"/api/v1/lab/jobs/{job_b.pk}/bids/")
    assert three == ten
