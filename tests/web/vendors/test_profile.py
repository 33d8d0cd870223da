"""The vendor's profile page: the owner edits it; a bid manager reads it."""

from __future__ import annotations

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from tests.factories import AttestationFactory
from tests.web.vendors.conftest import post_form, signed_in, text_of

URL = reverse("vendor:profile")


def test_the_owner_edits_the_profile(db, medix):
    client = signed_in(medix.owner)
    data = {
        "description": "Clinicians grading clinical answers.",
        "website": "https://medix.example",
        "headquarters": "Leeds, UK",
    }

    response = post_form(client, URL, data)

    assert response.status_code == 302 and response.url == URL
    medix.vendor.refresh_from_db()
    assert medix.vendor.headquarters == "Leeds, UK"
    assert medix.vendor.website == "https://medix.example"
    page = text_of(client.get(URL))
    assert "Profile saved." in page
    assert "Clinicians grading clinical answers." in page


def test_a_wrong_website_is_shown_next_to_the_field_and_the_input_kept(db, medix):
    client = signed_in(medix.owner)

    response = post_form(
        client, URL, {"description": "Kept text", "website": "not a url", "headquarters": ""}
    )

    assert response.status_code == 200
    page = text_of(response)
    assert 'id="id_website_error"' in page
    assert "Enter a valid URL." in page
    assert "Kept text" in page
    medix.vendor.refresh_from_db()
    assert medix.vendor.description == ""


def test_a_bid_manager_reads_the_profile_but_cannot_edit_it(db, medix):
    medix.vendor.headquarters = "Leeds"
    medix.vendor.save()
    client = signed_in(medix.bid_manager)

    page = text_of(client.get(URL))
    response = post_form(client, URL, {"headquarters": "Elsewhere"})

    assert "Leeds" in page
    assert "Save profile" not in page
    assert "Only the vendor's owner can edit the profile." in page
    assert response.status_code == 403
    medix.vendor.refresh_from_db()
    assert medix.vendor.headquarters == "Leeds"


def test_the_profile_points_out_attestations_that_need_attention(db, medix, vocabulary):
    today = timezone.localdate()
    AttestationFactory(
        vendor=medix.vendor, kind=vocabulary["soc2"], expires_on=today + timedelta(days=20)
    )

    page = text_of(signed_in(medix.owner).get(URL))

    assert "Attestations needing attention" in page
    assert "SOC 2: <strong>expires soon</strong>" in page


def test_each_vendor_sees_its_own_profile(db, medix, mathly):
    mathly.vendor.description = "Mathly's secret sauce"
    mathly.vendor.save()

    page = text_of(signed_in(medix.owner).get(URL))

    assert "Mathly's secret sauce" not in page
    assert "Profile of Medix Annotations" in page
