"""The vendor's profile, attestations and roster over the API: happy paths, roles,
another vendor's objects answering 404, uploads checked by content, query budgets."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from tests.api.conftest import key_client, session_client
from tests.api.query_budget import queries_for
from tests.factories import (
    AttestationFactory,
    AttestationKindFactory,
    CredentialFactory,
    CredentialFieldFactory,
    EntityFactory,
    QualificationLevelFactory,
    SpecialistFactory,
)
from vendors.models import Attestation, CredentialStatus, Specialist
from vendors.selectors import vendor_declaration_source

pytestmark = pytest.mark.django_db
API = "/api/v1"


@pytest.fixture(autouse=True)
def media_root(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path


def attestation_form(**overrides: Any) -> dict[str, Any]:
    today = timezone.localdate()
    form = {
        "kind": AttestationKindFactory().code,
        "issuer": "Auditors LLP",
        "issued_on": str(today - timedelta(days=30)),
        "expires_on": str(today + timedelta(days=335)),
    }
    form.update(overrides)
    return form


# --- Profile ------------------------------------------------------------------------------


def test_the_owner_reads_and_edits_the_profile(medix, medix_key):
    response = medix_key.patch(
        f"{API}/vendor/profile/",
        {"headquarters": "Boston", "website": "https://medix.example.test", "name": "Hacked"},
        format="json",
    )

    assert response.status_code == 200, response.json()
    body = medix_key.get(f"{API}/vendor/profile/").json()
    assert body["headquarters"] == "Boston"
    assert body["website"] == "https://medix.example.test"
    assert body["name"] == "Medix Annotations"  # not an input: ignored
    assert body["organisation"] == medix.vendor.organisation.slug


def test_a_bid_manager_may_read_but_not_edit_the_profile(medix):
    client = session_client(medix.bid_manager)

    assert client.get(f"{API}/vendor/profile/").status_code == 200
    response = client.patch(f"{API}/vendor/profile/", {"headquarters": "X"}, format="json")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "not_permitted"


def test_a_lab_has_no_vendor_profile(acme_key):
    response = acme_key.get(f"{API}/vendor/profile/")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "wrong_organisation_kind"


# --- Attestations -------------------------------------------------------------------------


def test_an_attestation_with_a_pdf_is_stored_under_a_name_of_ids(medix, medix_key, tmp_path):
    document = SimpleUploadedFile(
        "../../etc/passwd.exe", b"%PDF-1.7 audited", content_type="application/x-msdownload"
    )
    response = medix_key.post(
        f"{API}/vendor/attestations/",
        attestation_form(document=document),
        format="multipart",
        HTTP_IDEMPOTENCY_KEY="att-1",
    )

    assert response.status_code == 201, response.json()
    assert response.json()["has_document"] is True
    attestation = Attestation.objects.get(pk=response.json()["id"])
    name = attestation.document.name
    assert name.startswith(f"attestations/{medix.vendor.pk}/") and name.endswith(".pdf")
    assert "passwd" not in name and ".." not in name
    assert (tmp_path / name).read_bytes() == b"%PDF-1.7 audited"


def test_an_image_is_accepted_and_named_by_its_content(medix_key):
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
    document = SimpleUploadedFile("scan.pdf", png, content_type="application/pdf")
    response = medix_key.post(
        f"{API}/vendor/attestations/", attestation_form(document=document), format="multipart"
    )

    assert response.status_code == 201, response.json()
    assert Attestation.objects.get(pk=response.json()["id"]).document.name.endswith(".png")


def test_a_document_that_is_neither_pdf_nor_image_is_refused(medix_key):
    document = SimpleUploadedFile("report.pdf", b"<html>not a pdf</html>", "application/pdf")
    response = medix_key.post(
        f"{API}/vendor/attestations/", attestation_form(document=document), format="multipart"
    )

    assert response.status_code == 400
    assert "document" in response.json()["error"]["fields"]
    assert not Attestation.objects.exists()


def test_a_document_over_the_size_limit_is_refused(medix_key, settings):
    settings.ATTESTATION_DOCUMENT_MAX_BYTES = 10
    document = SimpleUploadedFile("a.pdf", b"%PDF-1.7 " + b"x" * 20, "application/pdf")
    response = medix_key.post(
        f"{API}/vendor/attestations/", attestation_form(document=document), format="multipart"
    )

    assert response.status_code == 400
    assert "larger than" in response.json()["error"]["fields"]["document"][0]


def test_status_is_not_an_input_of_an_attestation(medix_key):
    response = medix_key.post(
        f"{API}/vendor/attestations/", attestation_form(status="revoked"), format="json"
    )
    assert response.status_code == 201
    assert response.json()["status"] == "valid"


def test_attestations_list_only_the_vendors_own(medix, mathly, medix_key):
    mine = AttestationFactory(vendor=medix.vendor)
    AttestationFactory(vendor=mathly.vendor)

    results = medix_key.get(f"{API}/vendor/attestations/").json()["results"]
    assert [a["id"] for a in results] == [mine.pk]


def test_a_bid_manager_cannot_add_attestations(medix):
    response = session_client(medix.bid_manager).post(
        f"{API}/vendor/attestations/", attestation_form(), format="json"
    )
    assert response.status_code == 403


# --- Roster -------------------------------------------------------------------------------


def test_a_bid_manager_builds_a_specialist_with_credential_and_affiliation(medix):
    client = session_client(medix.bid_manager)
    created = client.post(
        f"{API}/vendor/specialists/",
        {"full_name": "Dr Ada Obi", "email": "ada@example.test", "is_active": False},
        format="json",
    )
    assert created.status_code == 201, created.json()
    specialist_id = created.json()["id"]
    assert created.json()["is_active"] is True  # not an input

    credential = client.post(
        f"{API}/vendor/specialists/{specialist_id}/credentials/",
        {
            "field": CredentialFieldFactory().code,
            "level": QualificationLevelFactory().code,
            "issuer": "Medical Board",
            "identifier": "MD 1234",
            "issued_on": "2020-01-01",
            "expires_on": "2030-01-01",
            "status": "verified",
        },
        format="json",
    )
    assert credential.status_code == 201, credential.json()
    assert credential.json()["status"] == "pending"  # only platform admins verify

    employer = EntityFactory(name="St Mary's Hospital")
    affiliation = client.post(
        f"{API}/vendor/specialists/{specialist_id}/affiliations/",
        {"organisation": employer.pk, "role": "employee", "start_date": "2019-01-01"},
        format="json",
    )
    assert affiliation.status_code == 201, affiliation.json()

    detail = client.get(f"{API}/vendor/specialists/{specialist_id}/").json()
    assert [c["identifier"] for c in detail["credentials"]] == ["MD 1234"]
    assert [a["organisation_name"] for a in detail["affiliations"]] == ["St Mary's Hospital"]


def test_an_entity_another_vendor_declared_is_not_an_affiliation_target(medix, mathly, medix_key):
    declared = EntityFactory(source=vendor_declaration_source(mathly.vendor))
    specialist = medix.specialists[0]
    response = medix_key.post(
        f"{API}/vendor/specialists/{specialist.pk}/affiliations/",
        {"organisation": declared.pk, "role": "advisor"},
        format="json",
    )
    assert response.status_code == 400
    assert "organisation" in response.json()["error"]["fields"]


def test_editing_a_verified_credential_returns_it_to_pending(medix, medix_key):
    credential = CredentialFactory(specialist=medix.specialists[0])
    type(credential).objects.filter(pk=credential.pk).update(
        status=CredentialStatus.VERIFIED, verified_at=timezone.now(), verified_by=medix.owner
    )

    response = medix_key.patch(
        f"{API}/vendor/credentials/{credential.pk}/", {"issuer": "Corrected Board"}, format="json"
    )

    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "pending"
    assert response.json()["issuer"] == "Corrected Board"


def test_another_vendors_roster_answers_404(medix, mathly):
    other = key_client(mathly.vendor.organisation)
    specialist = medix.specialists[0]
    credential = CredentialFactory(specialist=specialist)

    assert other.get(f"{API}/vendor/specialists/{specialist.pk}/").status_code == 404
    response = other.post(
        f"{API}/vendor/specialists/{specialist.pk}/credentials/",
        {"field": "medicine", "level": "md", "issuer": "X"},
        format="json",
    )
    assert response.status_code == 404
    response = other.patch(
        f"{API}/vendor/credentials/{credential.pk}/", {"issuer": "X"}, format="json"
    )
    assert response.status_code == 404
    credential.refresh_from_db()
    assert credential.issuer == "Medical Board"
    listed = other.get(f"{API}/vendor/specialists/").json()["results"]
    assert specialist.pk not in {s["id"] for s in listed}


def test_a_repeated_create_with_the_same_idempotency_key_creates_once(medix, medix_key):
    before = Specialist.objects.filter(vendor=medix.vendor).count()
    first = medix_key.post(
        f"{API}/vendor/specialists/",
        {"full_name": "Dr Ada Obi"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="spec-1",
    )
    again = medix_key.post(
        f"{API}/vendor/specialists/",
        {"full_name": "Dr Ada Obi"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="spec-1",
    )

    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert Specialist.objects.filter(vendor=medix.vendor).count() == before + 1


def test_specialists_filter_by_name(medix, medix_key):
    SpecialistFactory(vendor=medix.vendor, full_name="Zelda Quux")
    results = medix_key.get(f"{API}/vendor/specialists/?name=quux").json()["results"]
    assert [s["full_name"] for s in results] == ["Zelda Quux"]


# --- Query budgets ------------------------------------------------------------------------


def test_specialist_list_query_budget(medix, medix_key):
    def add(n: int) -> None:
        for _ in range(n):
            CredentialFactory(specialist=SpecialistFactory(vendor=medix.vendor))

    add(3)
    three = queries_for(medix_key, f"{API}/vendor/specialists/")
    add(7)
    assert queries_for(medix_key, f"{API}/vendor/specialists/") == three <= 10


def test_attestation_list_query_budget(medix, medix_key):
    for code in ("a", "b", "c"):
        AttestationFactory(vendor=medix.vendor, kind=AttestationKindFactory(code=code))
    three = queries_for(medix_key, f"{API}/vendor/attestations/")
    for code in "defghij":
        AttestationFactory(vendor=medix.vendor, kind=AttestationKindFactory(code=code))
    assert queries_for(medix_key, f"{API}/vendor/attestations/") == three <= 10
