"""Compliance attestations: the list with expiring ones marked, adding one with its
document (through vendors.services.attestation_add), and downloading the document."""

from __future__ import annotations

from datetime import timedelta

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from tests.factories import AttestationFactory
from tests.web.vendors.conftest import error_next_to, post_form, queries_for, signed_in, text_of
from vendors.models import Attestation

URL = reverse("vendor:attestations")
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def form(vocabulary, **overrides):  # type: ignore[no-untyped-def]
    today = timezone.localdate()
    data = {
        "kind": vocabulary["soc2"].pk,
        "issuer": "Audit & Co",
        "issued_on": (today - timedelta(days=30)).isoformat(),
        "expires_on": (today + timedelta(days=335)).isoformat(),
    }
    return data | overrides


def document_url(attestation: Attestation) -> str:
    return reverse("vendor:attestation_document", args=[attestation.pk])


def test_the_owner_adds_an_attestation_with_its_document(db, medix, vocabulary):
    client = signed_in(medix.owner)
    upload = SimpleUploadedFile("SOC2 report.pdf", PDF, content_type="application/pdf")

    response = client.post(URL, form(vocabulary, document=upload, form_token="x"))

    assert response.status_code == 302
    attestation = Attestation.objects.get(vendor=medix.vendor)
    assert attestation.kind == vocabulary["soc2"]
    assert attestation.document
    page = text_of(client.get(URL))
    assert "Attestation added." in page
    assert "Audit &amp; Co" in page
    assert document_url(attestation) in page


def test_the_same_form_posted_twice_adds_one_attestation(db, medix, vocabulary):
    client = signed_in(medix.owner)

    first = post_form(client, URL, form(vocabulary), token="6f1b1f5e-1111-4a3f-9a40-000000000001")
    second = post_form(client, URL, form(vocabulary), token="6f1b1f5e-1111-4a3f-9a40-000000000001")

    assert first.status_code == second.status_code == 302
    assert Attestation.objects.filter(vendor=medix.vendor).count() == 1


def test_an_expiry_before_the_issue_date_is_shown_next_to_the_field(db, medix, vocabulary):
    today = timezone.localdate()
    data = form(
        vocabulary,
        issued_on=today.isoformat(),
        expires_on=(today - timedelta(days=1)).isoformat(),
        issuer="Kept issuer",
    )

    response = post_form(signed_in(medix.owner), URL, data)

    assert response.status_code == 200
    page = text_of(response)
    assert error_next_to(page, "expires_on", "An attestation must expire after it is issued.")
    assert 'value="Kept issuer"' in page
    assert not Attestation.objects.exists()


def test_a_missing_kind_is_shown_next_to_the_field(db, medix, vocabulary):
    response = post_form(signed_in(medix.owner), URL, form(vocabulary, kind=""))

    assert 'id="id_kind_error"' in text_of(response)
    assert not Attestation.objects.exists()


def test_expired_and_expiring_attestations_are_marked_in_words(db, medix, vocabulary):
    today = timezone.localdate()
    AttestationFactory(
        vendor=medix.vendor, kind=vocabulary["soc2"], expires_on=today + timedelta(days=12)
    )
    AttestationFactory(
        vendor=medix.vendor,
        kind=vocabulary["hipaa"],
        issued_on=today - timedelta(days=400),
        expires_on=today - timedelta(days=3),
        status="expired",
    )
    AttestationFactory(
        vendor=medix.vendor,
        kind=vocabulary["hipaa"],
        expires_on=today + timedelta(days=300),
    )

    page = text_of(signed_in(medix.owner).get(URL))

    assert "Expires in 12 days" in page
    assert page.count(">Expired</span>") == 1
    assert page.count("Expires in") == 1


def test_a_bid_manager_sees_the_attestations_but_cannot_add_one(db, medix, vocabulary):
    AttestationFactory(vendor=medix.vendor, kind=vocabulary["soc2"])
    client = signed_in(medix.bid_manager)

    page = text_of(client.get(URL))
    response = post_form(client, URL, form(vocabulary, kind=vocabulary["hipaa"].pk))

    assert "SOC 2" in page
    assert "Add attestation" not in page
    assert response.status_code == 403
    assert Attestation.objects.count() == 1


def test_another_vendors_attestations_are_not_listed_and_their_documents_are_404(
    db, medix, mathly, vocabulary
):
    theirs = AttestationFactory(
        vendor=mathly.vendor, kind=vocabulary["hipaa"], issuer="Mathly auditor"
    )
    theirs.document.save("report.pdf", ContentFile(PDF))
    client = signed_in(medix.owner)

    assert "Mathly auditor" not in text_of(client.get(URL))
    assert client.get(document_url(theirs)).status_code == 404


def test_the_document_downloads_as_an_attachment_of_its_real_type(db, medix, vocabulary):
    attestation = AttestationFactory(vendor=medix.vendor, kind=vocabulary["soc2"])
    attestation.document.save('../../evil name".pdf', ContentFile(PDF))

    response = signed_in(medix.bid_manager).get(document_url(attestation))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        f'attachment; filename="attestation-{attestation.pk}-soc2.pdf"'
    )  # made of ids, never the stored or uploaded name
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == PDF


def test_a_document_that_is_not_a_pdf_or_image_is_served_as_opaque_bytes(db, medix, vocabulary):
    attestation = AttestationFactory(vendor=medix.vendor, kind=vocabulary["soc2"])
    attestation.document.save("report.html", ContentFile(b"<html><script>alert(1)</script>"))

    response = signed_in(medix.owner).get(document_url(attestation))

    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "text/html" not in response["Content-Type"]
    assert response["X-Content-Type-Options"] == "nosniff"


def test_an_attestation_without_a_document_has_no_download(db, medix, vocabulary):
    attestation = AttestationFactory(vendor=medix.vendor, kind=vocabulary["soc2"])

    assert signed_in(medix.owner).get(document_url(attestation)).status_code == 404


def test_the_list_takes_the_same_queries_for_more_attestations(db, medix, vocabulary):
    client = signed_in(medix.owner)
    AttestationFactory.create_batch(2, vendor=medix.vendor, kind=vocabulary["soc2"])
    two = queries_for(client, URL)
    AttestationFactory.create_batch(8, vendor=medix.vendor, kind=vocabulary["hipaa"])

    assert queries_for(client, URL) == two


def test_a_document_that_is_not_a_pdf_or_image_is_refused_next_to_the_field(db, medix, vocabulary):
    upload = SimpleUploadedFile("report.pdf", b"<html>not a pdf</html>", "application/pdf")

    response = signed_in(medix.owner).post(
        URL, form(vocabulary, document=upload, form_token="7c1c4a4e-5b36-4f0e-8a70-1a2b3c4d5e6f")
    )

    assert response.status_code == 200
    assert 'id="id_document_error"' in text_of(response)
    assert not Attestation.objects.exists()
