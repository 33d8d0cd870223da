"""One error shape everywhere; capped limit/offset pages; filters; throttling."""

from __future__ import annotations

from django.core.cache import cache
from django.test import override_settings

from tests.api.conftest import session_client
from tests.api.payloads import job_payload
from tests.factories import JobFactory


def test_validation_errors_name_each_field(db, acme, acme_key):
    response = acme_key.post("/api/v1/lab/jobs/", {"title": ""}, format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert set(error["fields"]) >= {"title", "domain", "volume"}
    assert all(isinstance(m, str) for msgs in error["fields"].values() for m in msgs)


def test_a_rule_violation_carries_its_code_and_field(db, acme, acme_key):
    payload = job_payload(budget_min="90000.00")
    response = acme_key.post("/api/v1/lab/jobs/", payload, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "rule_violation"
    assert "budget_min" in response.json()["error"]["fields"]


def test_an_illegal_move_is_a_409(db, acme, acme_key, open_job):
    response = acme_key.post(f"/api/v1/lab/jobs/{open_job.pk}/publish/")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "invalid_transition"
    assert response.json()["error"]["message"]


def test_a_missing_object_is_a_404_with_the_error_body(db, acme, acme_key):
    response = acme_key.get("/api/v1/lab/jobs/999999/")
    assert response.status_code == 404
    assert response.json() == {
        "error": {"code": "not_found", "message": "No such job.", "fields": {}}
    }


def test_pages_default_to_50_and_never_exceed_100(db, acme, acme_key):
    JobFactory.create_batch(105, lab=acme.lab, created_by=acme.procurement)
    first = acme_key.get("/api/v1/lab/jobs/").json()
    assert (first["count"], len(first["results"])) == (105, 50)
    assert first["next"]
    capped = acme_key.get("/api/v1/lab/jobs/?limit=1000").json()
    assert len(capped["results"]) == 100
    last = acme_key.get("/api/v1/lab/jobs/?limit=100&offset=100").json()
    assert len(last["results"]) == 5


def test_lists_filter_by_status(db, acme, acme_key, open_job):
    JobFactory(lab=acme.lab, created_by=acme.procurement)
    drafts = acme_key.get("/api/v1/lab/jobs/?status=draft").json()["results"]
    opens = acme_key.get("/api/v1/lab/jobs/?status=open").json()["results"]
    assert [j["status"] for j in drafts] == ["draft"]
    assert [j["id"] for j in opens] == [open_job.pk]
    bad = acme_key.get("/api/v1/lab/jobs/?status=nonsense")
    assert bad.status_code == 400
    assert bad.json()["error"]["code"] == "invalid"


def test_too_many_requests_get_429_with_retry_after(db, acme, acme_key):

    cache.clear()
    rates = {"write_key": "2/min", "read_key": "2/min", "user": "2/min"}
    with override_settings(API_THROTTLE_RATES=rates):
        assert acme_key.get("/api/v1/lab/jobs/").status_code == 200
        assert acme_key.get("/api/v1/lab/jobs/").status_code == 200
        response = acme_key.get("/api/v1/lab/jobs/")
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "throttled"
    assert int(response["Retry-After"]) > 0
    cache.clear()


def test_the_api_refuses_past_the_limit_until_the_window_ends(db, acme, acme_key):
    cache.clear()
    with override_settings(API_THROTTLE_RATES={"write_key": "3/hour", "read_key": "3/hour"}):
        statuses = [acme_key.get("/api/v1/lab/jobs/").status_code for _ in range(4)]
        refused = acme_key.get("/api/v1/lab/jobs/")
    assert statuses == [200, 200, 200, 429]
    assert refused.json()["error"]["code"] == "throttled"
    assert 0 < int(refused["Retry-After"]) <= 3600
    cache.clear()


def test_keys_and_users_have_separate_counters(db, acme, acme_key):
    cache.clear()
    with override_settings(
        API_THROTTLE_RATES={"write_key": "1/hour", "read_key": "1/hour", "user": "1/hour"}
    ):
        assert acme_key.get("/api/v1/lab/jobs/").status_code == 200
        assert acme_key.get("/api/v1/lab/jobs/").status_code == 429
        assert session_client(acme.procurement).get("/api/v1/lab/jobs/").status_code == 200
    cache.clear()
