"""A URL under /api/ that matches no route answers 404 in the API's one error shape, for
every method and caller, instead of Django's HTML page."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient


@pytest.mark.parametrize(
    "url",
    ["/api/", "/api/v1/", "/api/v1/no-such-thing/", "/api/v2/lab/jobs/", "/api/v1/lab/jobs/x/"],
)
@pytest.mark.parametrize("method", ["get", "post", "put", "patch", "delete"])
def test_unknown_api_urls_answer_a_json_404(db, url, method):
    response = getattr(APIClient(), method)(url, {"a": 1}, format="json")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) == {"error"}
    assert body["error"]["code"] == "not_found"
    assert url in body["error"]["message"]


def test_with_an_api_key_too(db, acme_key):
    response = acme_key.get("/api/v1/lab/nothing-here/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_a_session_post_needs_no_csrf_token_to_learn_the_url_is_wrong(db, acme):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(acme.owner)
    response = client.post("/api/v1/lab/nothing-here/", {}, format="json")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_a_get_missing_its_trailing_slash_is_still_redirected(db, acme_key):
    response = acme_key.get("/api/v1/lab/jobs?status=open")
    assert response.status_code == 301
    assert response["Location"] == "/api/v1/lab/jobs/?status=open"


def test_a_write_missing_its_trailing_slash_is_a_404_naming_the_right_url(db, acme_key):
    response = acme_key.post("/api/v1/lab/jobs", {}, format="json")
    assert response.status_code == 404
    assert response.json()["error"]["message"].endswith("did you mean /api/v1/lab/jobs/ ?")


def test_urls_outside_the_api_keep_djangos_404(db):
    response = APIClient().get("/no-such-page/")
    assert response.status_code == 404
    assert not response["Content-Type"].startswith("application/json")
