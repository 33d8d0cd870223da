"""Downloading an attestation's document over the API: the vendor's own only, always as an
attachment under a name of ids, and never with a type a browser would run as a page."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.base import ContentFile
from rest_framework.test import APIClient

from tests.api.conftest import key_client, session_client
from tests.factories import AttestationFactory, AttestationKindFactory
from vendors.models import Attestation

pytestmark = pytest.mark.django_db

API = "/api/v1"
PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 32
HTML = b"<!doctype html><script>alert(document.cookie)</script>"


@pytest.fixture(autouse=True)
def media_root(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path


def attestation_with(team: Any, content: bytes, stored_as: str, **fields: Any) -> Attestation:
    """An attestation of the team's vendor whose stored file is `content` under the stored
    name `stored_as` (uploads are checked; older or admin-made files may not be)."""
    return AttestationFactory(
        vendor=team.vendor, document=ContentFile(content, name=stored_as), **fields
    )


def url(attestation: Attestation) -> str:
    return f"{API}/vendor/attestations/{attestation.pk}/document/"


def download(client: APIClient, attestation: Attestation, **headers: Any) -> Any:
    response = client.get(url(attestation), **headers)
    # Reading a streamed file to its end is what closes it (the test client's wrapper).
    return response, response.getvalue()


@pytest.mark.parametrize(
    ("content", "stored_as", "content_type", "suffix"),
    [
        (PDF, "scan.pdf", "application/pdf", "pdf"),
        (PNG, "scan.png", "image/png", "png"),
        (JPEG, "scan.jpg", "image/jpeg", "jpg"),
        (WEBP, "scan.webp", "application/octet-stream", "bin"),
        # The bytes decide, never the stored name.
        (HTML, "scan.pdf", "application/octet-stream", "bin"),
        (HTML, "page.html", "application/octet-stream", "bin"),
        (PDF, "no-suffix", "application/pdf", "pdf"),
    ],
)
def test_the_vendor_downloads_its_document_as_an_attachment_of_a_safe_type(
    medix, medix_key, content, stored_as, content_type, suffix
):
    attestation = attestation_with(medix, content, stored_as, kind=AttestationKindFactory())

    response, body = download(medix_key, attestation)

    assert response.status_code == 200
    assert body == content
    assert response["Content-Type"] == content_type
    assert "html" not in response["Content-Type"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"] == (
        f'attachment; filename="attestation-{attestation.pk}-hipaa-baa.{suffix}"'
    )
    assert "no-store" in response["Cache-Control"]


def test_the_file_name_is_sanitised_whatever_the_kind_is_called(medix, medix_key):
    kind = AttestationKindFactory(code='../../etc/"passwd"; x=1\r\nSet-Cookie: a=b')
    attestation = attestation_with(medix, PDF, "scan.pdf", kind=kind)

    response, _ = download(medix_key, attestation)

    name = response["Content-Disposition"].removeprefix("attachment; ")
    assert name == f'filename="attestation-{attestation.pk}-etc-passwd-x-1-set-cookie-a-b.pdf"'
    assert "Set-Cookie" not in response


@pytest.mark.parametrize("role", ["owner", "bid_manager"])
def test_every_member_of_the_vendor_may_download_by_session(medix, role):
    attestation = attestation_with(medix, PDF, "scan.pdf")

    response, body = download(session_client(getattr(medix, role)), attestation)

    assert response.status_code == 200 and body == PDF


def test_a_read_key_may_download(medix):
    attestation = attestation_with(medix, PDF, "scan.pdf")

    response, _ = download(key_client(medix.vendor.organisation, "read"), attestation)

    assert response.status_code == 200


def test_another_vendor_gets_404_as_for_a_missing_attestation(medix, mathly, mathly_key):
    attestation = attestation_with(medix, PDF, "scan.pdf")

    response, body = download(mathly_key, attestation)
    missing, _ = download(mathly_key, Attestation(pk=attestation.pk + 1000))
    by_session, _ = download(session_client(mathly.owner), attestation)

    assert response.status_code == missing.status_code == by_session.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert PDF not in body


def test_a_lab_may_not_use_it(acme, medix, acme_key):
    attestation = attestation_with(medix, PDF, "scan.pdf")

    for client in (acme_key, session_client(acme.owner)):
        response, _ = download(client, attestation)
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "wrong_organisation_kind"


def test_an_attestation_without_a_document_answers_404(medix, medix_key):
    attestation = AttestationFactory(vendor=medix.vendor)

    response, _ = download(medix_key, attestation)

    assert response.status_code == 404
    assert response.json()["error"]["message"] == "This attestation has no document."


def test_a_document_missing_from_storage_answers_404(medix, medix_key):
    attestation = attestation_with(medix, PDF, "scan.pdf")
    attestation.document.delete(save=False)

    response, _ = download(medix_key, attestation)

    assert response.status_code == 404


def test_errors_stay_json_whatever_the_client_accepts(medix, mathly_key):
    attestation = attestation_with(medix, PDF, "scan.pdf")

    response, _ = download(mathly_key, attestation, HTTP_ACCEPT="application/pdf")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"


def test_a_client_accepting_only_the_documents_type_gets_it(medix, medix_key):
    attestation = attestation_with(medix, PDF, "scan.pdf")

    response, body = download(medix_key, attestation, HTTP_ACCEPT="application/pdf")

    assert response.status_code == 200 and body == PDF


def test_the_schema_documents_a_binary_attachment(db):
    schema = APIClient().get("/api/schema/?format=json").json()

    operation = schema["paths"]["/api/v1/vendor/attestations/{attestation_id}/document/"]["get"]
    ok = operation["responses"]["200"]
    assert set(ok["content"]) == {
        "application/pdf",
        "image/png",
        "image/jpeg",
        "application/octet-stream",
    }
    for media in ok["content"].values():
        assert media["schema"] == {"type": "string", "format": "binary"}
    assert {"Content-Disposition", "X-Content-Type-Options"} <= set(ok["headers"])
    assert operation["responses"]["404"]["content"]["application/json"]
