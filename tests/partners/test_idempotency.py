"""Idempotency-Key: a retried create replays the first response and creates one object."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from labs.models import Job
from marketplace.partners.idempotency import idempotency_purge_expired
from marketplace.partners.models import IdempotencyRecord
from tests.api.payloads import job_payload


def test_the_same_key_and_body_replays_the_first_response(db, acme, acme_key):
    payload = job_payload()
    first = acme_key.post("/api/v1/lab/jobs/", payload, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    again = acme_key.post("/api/v1/lab/jobs/", payload, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert again["Idempotent-Replayed"] == "true"
    assert Job.objects.filter(lab=acme.lab).count() == 1


def test_the_same_key_with_another_body_is_refused(db, acme, acme_key):
    acme_key.post("/api/v1/lab/jobs/", job_payload(), format="json", HTTP_IDEMPOTENCY_KEY="k1")
    response = acme_key.post(
        "/api/v1/lab/jobs/", job_payload(title="Other"), format="json", HTTP_IDEMPOTENCY_KEY="k1"
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "idempotency_key_reused"
    assert Job.objects.filter(lab=acme.lab).count() == 1


def test_a_request_still_in_progress_is_refused(db, acme, acme_key):
    payload = job_payload()
    first = acme_key.post("/api/v1/lab/jobs/", payload, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    # As if the first request had claimed the key and not finished yet.
    IdempotencyRecord.objects.filter(key="k1").update(response_status=None, response_body=None)
    response = acme_key.post("/api/v1/lab/jobs/", payload, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    assert first.status_code == 201
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "idempotency_key_in_progress"


def test_a_failed_request_releases_its_key(db, acme, acme_key):
    bad = acme_key.post(
        "/api/v1/lab/jobs/", {"title": "x"}, format="json", HTTP_IDEMPOTENCY_KEY="k1"
    )
    assert bad.status_code == 400
    good = acme_key.post(
        "/api/v1/lab/jobs/", job_payload(), format="json", HTTP_IDEMPOTENCY_KEY="k1"
    )
    assert good.status_code == 201


def test_keys_are_per_organisation(db, acme, rival, acme_key, rival_key):
    payload = job_payload()
    assert (
        acme_key.post(
            "/api/v1/lab/jobs/", payload, format="json", HTTP_IDEMPOTENCY_KEY="k1"
        ).status_code
        == 201
    )
    assert (
        rival_key.post(
            "/api/v1/lab/jobs/", payload, format="json", HTTP_IDEMPOTENCY_KEY="k1"
        ).status_code
        == 201
    )
    assert Job.objects.count() == 2


def test_state_changing_actions_replay_too(db, acme, acme_key):
    job_id = acme_key.post("/api/v1/lab/jobs/", job_payload(), format="json").json()["id"]
    url = f"/api/v1/lab/jobs/{job_id}/publish/"
    first = acme_key.post(url, HTTP_IDEMPOTENCY_KEY="pub")
    again = acme_key.post(url, HTTP_IDEMPOTENCY_KEY="pub")
    assert first.status_code == again.status_code == 200  # not 409 "already open"
    assert first.json() == again.json()


def test_records_expire_after_a_day(db, acme, acme_key):
    payload = job_payload()
    acme_key.post("/api/v1/lab/jobs/", payload, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    IdempotencyRecord.objects.update(created_at=timezone.now() - timedelta(hours=25))
    again = acme_key.post("/api/v1/lab/jobs/", payload, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    assert again.status_code == 201
    assert Job.objects.filter(lab=acme.lab).count() == 2
    IdempotencyRecord.objects.update(created_at=timezone.now() - timedelta(hours=25))
    assert idempotency_purge_expired() == 1
