"""The OpenAPI schema generates cleanly, and its pages are served without a CDN."""

from __future__ import annotations

from django.core.management import call_command
from rest_framework.test import APIClient


def test_the_schema_generates_without_warnings_or_errors(db, tmp_path):
    # --fail-on-warn turns any warning of drf-spectacular into a failure.
    call_command(
        "spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml")
    )
    text = (tmp_path / "schema.yaml").read_text()
    assert "organisationApiKey" in text
    assert "/api/v1/lab/jobs/" in text


def test_the_docs_pages_load_assets_locally(db):
    client = APIClient()
    for url in ("/api/docs/", "/api/redoc/"):
        page = client.get(url).content.decode()
        assert "cdn." not in page and "unpkg" not in page and "jsdelivr" not in page
        assert "/static/drf_spectacular_sidecar/" in page
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
