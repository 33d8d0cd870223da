"""The roster: specialists with their credentials and affiliations; adding and editing
a specialist, adding and correcting a credential, adding and ending an affiliation."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from marketplace.ownership.models import Entity
from tests.factories import CredentialFactory, EntityFactory, SpecialistFactory
from tests.vendors.builders import platform_admin, verified_credential
from tests.web.vendors.conftest import error_next_to, post_form, queries_for, signed_in, text_of
from vendors.models import Affiliation, Credential, CredentialStatus, Specialist

ROSTER = reverse("vendor:roster")
CREATE = reverse("vendor:specialist_create")
TOKEN = "0b5a3f1e-2c4d-4e6f-8a9b-0c1d2e3f4a5b"


def specialist_url(specialist: Specialist) -> str:
    return reverse("vendor:specialist_edit", args=[specialist.pk])


def credential_create_url(specialist: Specialist) -> str:
    return reverse("vendor:credential_create", args=[specialist.pk])


def credential_edit_url(credential: Credential) -> str:
    return reverse("vendor:credential_edit", args=[credential.pk])


def affiliation_create_url(specialist: Specialist) -> str:
    return reverse("vendor:affiliation_create", args=[specialist.pk])


def affiliation_end_url(affiliation: Affiliation) -> str:
    return reverse("vendor:affiliation_end", args=[affiliation.pk])


def credential_form(vocabulary, **overrides):  # type: ignore[no-untyped-def]
    data = {
        "field": vocabulary["nursing"].pk,
        "level": vocabulary["rn"].pk,
        "issuer": "Nursing and Midwifery Council",
        "identifier": "19I-0457-EN",
        "issued_on": "2019-09-01",
        "expires_on": "2030-08-31",
    }
    return data | overrides


# --- The roster page ----------------------------------------------------------------------


def test_the_roster_shows_credentials_and_affiliations(db, medix, vocabulary):
    amara = SpecialistFactory(vendor=medix.vendor, full_name="Dr Amara Okafor")
    CredentialFactory(
        specialist=amara,
        field=vocabulary["medicine"],
        level=vocabulary["md"],
        issuer="Medical Board of California",
        identifier="A 123456",
        issued_on=date(2015, 7, 1),
        expires_on=date(2031, 6, 30),
    )
    Affiliation.objects.create(
        specialist=amara,
        organisation=EntityFactory(name="St Mary's Hospital"),
        role="employee",
        start_date=date(2020, 1, 1),
    )

    page = text_of(signed_in(medix.bid_manager).get(ROSTER))

    assert "Dr Amara Okafor" in page
    for text in ("Licence", "Medicine", "MD", "Medical Board of California", "A 123456"):
        assert text in page
    assert "2015-07-01" in page and "2031-06-30" in page
    assert "Pending verification" in page
    assert "St Mary&#x27;s Hospital" in page
    assert "Employee" in page and "Current" in page


def test_expiring_and_expired_credentials_are_flagged_in_words(db, medix, vocabulary):
    today = timezone.localdate()
    admin = platform_admin()
    specialist = medix.specialists[0]
    verified_credential(specialist, verified_by=admin, expires_on=today + timedelta(days=30))
    CredentialFactory(
        specialist=specialist,
        status=CredentialStatus.EXPIRED,
        issued_on=today - timedelta(days=800),
        expires_on=today - timedelta(days=5),
    )
    verified_credential(specialist, verified_by=admin, expires_on=today + timedelta(days=400))

    page = text_of(signed_in(medix.owner).get(ROSTER))

    assert page.count("Expires in 30 days") == 1
    assert page.count('expiry-expired">Expired</span>') == 1


def test_another_vendors_specialists_are_not_on_the_roster(db, medix, mathly):
    SpecialistFactory(vendor=mathly.vendor, full_name="Mathly Only Person")

    assert "Mathly Only Person" not in text_of(signed_in(medix.owner).get(ROSTER))


def test_the_roster_is_paginated_and_searchable(db, medix):
    SpecialistFactory.create_batch(25, vendor=medix.vendor, full_name="Zed Person")
    SpecialistFactory(vendor=medix.vendor, full_name="Aaron Findme")
    client = signed_in(medix.owner)

    first = text_of(client.get(ROSTER))
    second = text_of(client.get(ROSTER + "?page=2"))
    found = text_of(client.get(ROSTER + "?q=findme"))

    assert "Page 1 of 2" in first and "Next page" in first
    assert "Page 2 of 2" in second
    assert "Aaron Findme" in found and "Zed Person" not in found


def with_credentials_and_affiliation(specialist: Specialist, vocabulary) -> None:  # type: ignore[no-untyped-def]
    CredentialFactory(specialist=specialist, field=vocabulary["medicine"], level=vocabulary["md"])
    CredentialFactory(specialist=specialist, field=vocabulary["nursing"], level=vocabulary["rn"])
    Affiliation.objects.create(specialist=specialist, organisation=EntityFactory(), role="advisor")


def test_the_roster_takes_the_same_queries_for_more_specialists(db, medix, vocabulary):
    client = signed_in(medix.owner)
    for specialist in medix.specialists:
        with_credentials_and_affiliation(specialist, vocabulary)
    three = queries_for(client, ROSTER)
    for specialist in SpecialistFactory.create_batch(10, vendor=medix.vendor):
        with_credentials_and_affiliation(specialist, vocabulary)

    assert queries_for(client, ROSTER) == three


# --- Specialists --------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["owner", "bid_manager"])
def test_the_owner_and_a_bid_manager_add_a_specialist(db, medix, role):
    client = signed_in(getattr(medix, role))

    response = post_form(
        client, CREATE, {"full_name": "Jonah Whitfield", "email": "jonah@example.test"}
    )

    jonah = Specialist.objects.get(vendor=medix.vendor, full_name="Jonah Whitfield")
    assert response.status_code == 302 and response.url == specialist_url(jonah)
    page = text_of(client.get(response.url))
    assert "Jonah Whitfield is on your roster. Add their credentials." in page


def test_a_double_submitted_specialist_is_added_once(db, medix):
    client = signed_in(medix.owner)
    data = {"full_name": "Jonah Whitfield"}

    first = post_form(client, CREATE, data, token=TOKEN)
    second = post_form(client, CREATE, data, token=TOKEN)

    assert Specialist.objects.filter(full_name="Jonah Whitfield").count() == 1
    assert second.status_code == 302 and second.url == first.url


def test_a_blank_name_is_shown_next_to_the_field_and_the_input_kept(db, medix):
    response = post_form(
        signed_in(medix.owner), CREATE, {"full_name": "   ", "headline": "Kept headline"}
    )

    page = text_of(response)
    assert response.status_code == 200
    assert 'id="id_full_name_error"' in page
    assert 'value="Kept headline"' in page
    assert Specialist.objects.filter(vendor=medix.vendor).count() == 3


def test_the_specialist_is_edited(db, medix):
    specialist = medix.specialists[0]
    client = signed_in(medix.bid_manager)

    response = post_form(
        client,
        specialist_url(specialist),
        {"full_name": "Renamed Person", "email": "", "headline": "Emergency physician"},
    )

    assert response.status_code == 302
    specialist.refresh_from_db()
    assert (specialist.full_name, specialist.headline) == ("Renamed Person", "Emergency physician")
    assert "Specialist saved." in text_of(client.get(response.url))


# --- Credentials --------------------------------------------------------------------------


def test_a_credential_is_added_pending_verification(db, medix, vocabulary):
    specialist = medix.specialists[0]
    client = signed_in(medix.owner)

    response = post_form(client, credential_create_url(specialist), credential_form(vocabulary))

    assert response.status_code == 302 and response.url == specialist_url(specialist)
    credential = Credential.objects.get(specialist=specialist)
    assert credential.status == CredentialStatus.PENDING
    assert credential.identifier_normalised == "19I0457EN"
    page = text_of(client.get(response.url))
    assert "It counts for matching once a platform admin verifies it." in page
    assert "19I-0457-EN" in page


def test_a_double_submitted_credential_is_added_once(db, medix, vocabulary):
    url = credential_create_url(medix.specialists[0])
    client = signed_in(medix.owner)

    post_form(client, url, credential_form(vocabulary), token=TOKEN)
    post_form(client, url, credential_form(vocabulary), token=TOKEN)

    assert Credential.objects.count() == 1


def test_an_expiry_before_issue_is_shown_next_to_the_expiry(db, medix, vocabulary):
    data = credential_form(vocabulary, issued_on="2020-01-01", expires_on="2019-01-01")

    response = post_form(signed_in(medix.owner), credential_create_url(medix.specialists[0]), data)

    page = text_of(response)
    assert error_next_to(page, "expires_on", "A credential must expire after it is issued.")
    assert 'value="Nursing and Midwifery Council"' in page
    assert not Credential.objects.exists()


def test_correcting_a_verified_credential_sends_it_back_to_pending(db, medix, vocabulary):
    credential = verified_credential(
        medix.specialists[0],
        verified_by=platform_admin(),
        field=vocabulary["nursing"],
        level=vocabulary["rn"],
        issuer="NMC",
        identifier="19I-0457-EN",
        issued_on=date(2019, 9, 1),
        expires_on=date(2030, 8, 31),
    )
    client = signed_in(medix.bid_manager)
    data = credential_form(vocabulary, issuer="NMC", identifier="19I-0457-EX")

    page = text_of(client.get(credential_edit_url(credential)))
    response = post_form(client, credential_edit_url(credential), data)

    assert "Any change sends the credential back to pending verification" in page
    assert 'value="19I-0457-EN"' in page
    assert response.status_code == 302
    credential.refresh_from_db()
    assert credential.identifier == "19I-0457-EX"
    assert credential.status == CredentialStatus.PENDING
    assert credential.verified_by is None
    assert "It is pending verification again." in text_of(client.get(response.url))


def test_saving_an_unchanged_credential_keeps_it_verified(db, medix, vocabulary):
    credential = verified_credential(
        medix.specialists[0],
        verified_by=platform_admin(),
        field=vocabulary["nursing"],
        level=vocabulary["rn"],
        issuer="NMC",
        identifier="19I-0457-EN",
        issued_on=date(2019, 9, 1),
        expires_on=date(2030, 8, 31),
    )
    client = signed_in(medix.owner)

    response = post_form(
        client, credential_edit_url(credential), credential_form(vocabulary, issuer="NMC")
    )

    credential.refresh_from_db()
    assert credential.status == CredentialStatus.VERIFIED
    assert "Nothing changed." in text_of(client.get(response.url))


def test_an_expired_credential_cannot_be_corrected(db, medix, vocabulary):
    credential = CredentialFactory(
        specialist=medix.specialists[0],
        field=vocabulary["nursing"],
        level=vocabulary["rn"],
        status=CredentialStatus.EXPIRED,
        issued_on=date(2010, 1, 1),
        expires_on=date(2020, 1, 1),
    )

    response = post_form(
        signed_in(medix.owner),
        credential_edit_url(credential),
        credential_form(vocabulary, issuer="Changed"),
    )

    assert response.status_code == 200
    assert "An expired credential cannot be changed; add the renewed one." in text_of(response)
    credential.refresh_from_db()
    assert credential.issuer != "Changed"


# --- Affiliations -------------------------------------------------------------------------


def test_an_affiliation_is_added_and_ended(db, medix):
    specialist = medix.specialists[0]
    hospital = EntityFactory(name="St Mary's Hospital")
    client = signed_in(medix.owner)

    added = post_form(
        client,
        affiliation_create_url(specialist),
        {"organisation": hospital.pk, "role": "employee", "start_date": "2020-01-01"},
    )
    affiliation = Affiliation.objects.get(specialist=specialist)
    ended = post_form(client, affiliation_end_url(affiliation), {"end_date": "2025-01-01"})

    assert added.status_code == ended.status_code == 302
    affiliation.refresh_from_db()
    assert affiliation.organisation == hospital
    assert affiliation.end_date == date(2025, 1, 1)
    assert "Affiliation ended." in text_of(client.get(ended.url))


def test_an_end_before_the_start_is_shown_next_to_the_date(db, medix):
    affiliation = Affiliation.objects.create(
        specialist=medix.specialists[0],
        organisation=EntityFactory(),
        role="advisor",
        start_date=date(2024, 1, 1),
    )

    response = post_form(
        signed_in(medix.owner), affiliation_end_url(affiliation), {"end_date": "2023-01-01"}
    )

    assert 'id="id_end_date_error"' in text_of(response)
    affiliation.refresh_from_db()
    assert affiliation.end_date is None


def test_another_vendors_declared_entities_are_not_offered_as_employers(db, medix, mathly):
    EntityFactory(name="Mathly Holding Secret", source=f"vendor:{mathly.vendor.organisation.slug}")
    EntityFactory(name="Public Hospital")

    page = text_of(signed_in(medix.owner).get(affiliation_create_url(medix.specialists[0])))

    assert "Public Hospital" in page
    assert "Mathly Holding Secret" not in page


# --- Another vendor's objects -------------------------------------------------------------


def test_another_vendors_roster_objects_are_404(db, medix, mathly, vocabulary):
    theirs = mathly.specialists[0]
    credential = CredentialFactory(specialist=theirs)
    affiliation = Affiliation.objects.create(
        specialist=theirs, organisation=EntityFactory(), role="advisor"
    )
    client = signed_in(medix.owner)

    for url in (
        specialist_url(theirs),
        credential_create_url(theirs),
        credential_edit_url(credential),
        affiliation_create_url(theirs),
        affiliation_end_url(affiliation),
    ):
        assert client.get(url).status_code == 404, url
        assert (
            post_form(client, url, {"full_name": "x", "end_date": "2030-01-01"}).status_code == 404
        ), url
    theirs.refresh_from_db()
    assert theirs.full_name != "x"
    assert Entity.objects.filter(name="x").count() == 0


def test_a_lab_member_gets_404_for_roster_pages(db, acme, medix):
    client = signed_in(acme.owner)

    assert client.get(specialist_url(medix.specialists[0])).status_code == 404
