"""Bidding on a job: the terms and the eligible specialists, submitted through
bid_submit, whose refusals appear next to the field they concern."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from labs.models import Job, Visibility
from marketplace.exchange import services as exchange
from marketplace.exchange.models import Bid, BidRevision, BidStatus
from tests.factories import AttestationFactory, AttestationKindFactory
from tests.plugins.personas import make_open_job, pass_bid_deadline, submit_bid
from tests.web.vendor_jobs.conftest import (
    in_days,
    invite,
    post_form,
    qualified_specialist,
    signed_in,
    text,
)
from vendors.models import CredentialStatus

pytestmark = pytest.mark.django_db


def url(job: Job) -> str:
    return reverse("vendor:bid_create", args=[job.pk])


def terms(**overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "price": "30000",
        "currency": "USD",
        "timeline_days": "30",
        "note": "We can start on Monday.",
    }
    data.update(overrides)
    return data


@pytest.fixture
def roster(medix):
    """Medix's specialists against the persona job's seats (2 x MD in Medicine, delivery
    in 60 days): two who can fill a seat, three who cannot."""
    return {
        "ada": qualified_specialist(medix, "Dr Ada Able"),
        "bo": qualified_specialist(medix, "Dr Bo Bright", expires_on=in_days(400)),
        "cy": qualified_specialist(medix, "Dr Cy Short", expires_on=in_days(30)),
        "di": qualified_specialist(medix, "Dr Di Pending", status=CredentialStatus.PENDING),
    }


def test_anonymous_is_sent_to_sign_in(client, open_job):
    response = client.get(url(open_job))

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_a_lab_member_gets_not_found(client, acme, open_job):
    assert signed_in(client, acme.procurement).get(url(open_job)).status_code == 404


def test_a_job_the_vendor_cannot_see_is_not_found(client, acme, medix, mathly):
    invited_only = make_open_job(acme, visibility=Visibility.INVITED)
    invite(invited_only, mathly)
    signed_in(client, medix.bid_manager)

    assert client.get(url(invited_only)).status_code == 404
    assert post_form(client, url(invited_only), terms()).status_code == 404
    assert not Bid.objects.exists()


def test_offers_only_the_eligible_specialists_with_the_seats_they_can_fill(
    client, medix, open_job, roster
):
    page = text(signed_in(client, medix.bid_manager).get(url(open_job)))

    assert f'value="{roster["ada"].pk}"' in page
    assert "Dr Ada Able (can fill: MD in Medicine)" in page
    assert f'value="{roster["bo"].pk}"' in page
    for name in ("cy", "di"):
        assert f'name="specialists" value="{roster[name].pk}"' not in page
    assert "Dr Cy Short</strong>: MD in Medicine expires on" in page
    assert "by the delivery date" in page
    assert "Dr Di Pending</strong>: MD in Medicine is waiting for verification." in page
    assert "No credential in a required field at the required level." in page
    assert "Your eligible specialists can fill all 2 seats" in page
    assert 'value="USD"' in page


def test_a_short_roster_is_warned(client, medix, open_job):
    qualified_specialist(medix, "Dr Only One")

    page = text(signed_in(client, medix.bid_manager).get(url(open_job)))

    assert "can fill only 1 of 2 seats" in page


def test_submitting_creates_the_bid_and_its_first_revision(client, medix, open_job, roster):
    signed_in(client, medix.bid_manager)

    response = post_form(
        client,
        url(open_job),
        terms(specialists=[roster["ada"].pk, roster["bo"].pk]),
    )

    bid = Bid.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("vendor:bid_detail", args=[bid.pk])
    assert bid.status == BidStatus.SUBMITTED
    assert bid.price == Decimal("30000")
    assert bid.timeline_days == 30
    assert bid.note == "We can start on Monday."
    assert set(bid.proposed_specialists.all()) == {roster["ada"], roster["bo"]}
    revision = BidRevision.objects.get()
    assert revision.number == 1
    assert revision.specialist_ids == sorted([roster["ada"].pk, roster["bo"].pk])
    assert f"Your bid on {open_job.title} was submitted." in text(client.get(response.url))


def test_a_wrong_currency_is_refused_next_to_the_field_and_the_input_is_kept(
    client, medix, open_job, roster
):
    response = post_form(
        signed_in(client, medix.bid_manager),
        url(open_job),
        terms(currency="eur", price="41234.50", specialists=[roster["ada"].pk]),
    )

    page = text(response)
    assert response.status_code == 200
    assert "This job is priced in USD." in page
    assert page.index("This job is priced in USD.") > page.index('for="id_currency"')
    assert 'value="41234.50"' in page
    assert "We can start on Monday." in page
    assert f'value="{roster["ada"].pk}"' in page and "checked" in page
    assert not Bid.objects.exists()


def test_a_price_of_zero_is_refused_next_to_the_price(client, medix, open_job):
    response = post_form(signed_in(client, medix.bid_manager), url(open_job), terms(price="0"))

    assert response.status_code == 200
    assert "The price must be above zero." in text(response)
    assert not Bid.objects.exists()


def test_an_ineligible_specialist_cannot_be_proposed(client, medix, open_job, roster):
    response = post_form(
        signed_in(client, medix.bid_manager),
        url(open_job),
        terms(specialists=[roster["cy"].pk]),
    )

    assert response.status_code == 200
    assert "is not one of the available choices" in text(response)
    assert not Bid.objects.exists()


def test_another_vendors_specialist_cannot_be_proposed(client, medix, mathly, open_job):
    theirs = qualified_specialist(mathly, "Dr Not Yours")

    response = post_form(
        signed_in(client, medix.bid_manager), url(open_job), terms(specialists=[theirs.pk])
    )

    assert response.status_code == 200
    assert not Bid.objects.exists()


def test_after_the_deadline_the_service_refuses_and_nothing_is_created(client, medix, open_job):
    signed_in(client, medix.bid_manager)
    pass_bid_deadline(open_job)

    assert "Bidding on this job has closed." in text(client.get(url(open_job)))
    response = post_form(client, url(open_job), terms())

    assert response.status_code == 200
    assert "The bid deadline has passed." in text(response)
    assert not Bid.objects.exists()


def test_a_double_click_creates_one_bid_and_one_revision(client, medix, open_job):
    signed_in(client, medix.bid_manager)
    token = "b" * 32

    first = post_form(client, url(open_job), terms(), token=token)
    second = post_form(client, url(open_job), terms(), token=token)

    assert first.status_code == second.status_code == 302
    assert second.url == first.url
    assert Bid.objects.count() == 1
    assert BidRevision.objects.count() == 1


def test_a_second_bid_on_the_same_job_is_refused_above_the_form(client, medix, open_job):
    submit_bid(medix, open_job, "30000")

    response = post_form(signed_in(client, medix.bid_manager), url(open_job), terms())

    assert response.status_code == 200
    assert "already has a bid on this job" in text(response)
    assert Bid.objects.count() == 1


def test_with_a_bid_already_in_the_form_leads_to_it(client, medix, open_job):
    bid = submit_bid(medix, open_job)

    response = signed_in(client, medix.bid_manager).get(url(open_job))

    assert response.status_code == 302
    assert response.url == reverse("vendor:bid_detail", args=[bid.pk])


def test_a_draft_is_prefilled_and_submitted(client, medix, open_job):
    exchange.bid_draft_create(
        job=open_job,
        vendor=medix.vendor,
        user=medix.owner,
        price=Decimal("27777"),
        currency="USD",
        timeline_days=21,
    )
    signed_in(client, medix.owner)

    assert 'value="27777.00"' in text(client.get(url(open_job)))
    response = post_form(client, url(open_job), terms(price="27777", timeline_days="21"))

    assert response.status_code == 302
    bid = Bid.objects.get()
    assert bid.status == BidStatus.SUBMITTED
    assert bid.revision_number == 1


def test_a_role_that_may_not_bid_is_not_offered_the_form_and_is_refused(
    client, medix, open_job, medix_without_bid_role
):
    signed_in(client, medix_without_bid_role)

    page = text(client.get(url(open_job)))
    response = post_form(client, url(open_job), terms())

    assert "Only the vendor&#x27;s owner or bid managers may bid." in page
    assert "Submit bid" not in page
    assert response.status_code == 200
    assert "Only the vendor&#x27;s owner or bid managers may bid." in text(response)
    assert not Bid.objects.exists()


def test_a_missing_required_attestation_is_warned(client, acme, medix):
    hipaa = AttestationKindFactory(code="hipaa-baa", name="HIPAA BAA")
    job = make_open_job(acme)
    job.required_attestations.set([hipaa])
    AttestationFactory(vendor=medix.vendor, kind=hipaa, expires_on=in_days(30))  # lapses first

    page = text(signed_in(client, medix.bid_manager).get(url(job)))

    assert "this job requires HIPAA BAA, valid through the delivery date" in page


def test_a_held_required_attestation_is_not_warned(client, acme, medix):
    hipaa = AttestationKindFactory(code="hipaa-baa", name="HIPAA BAA")
    job = make_open_job(acme)
    job.required_attestations.set([hipaa])
    AttestationFactory(vendor=medix.vendor, kind=hipaa, expires_on=in_days(400))

    assert "this job requires" not in text(signed_in(client, medix.bid_manager).get(url(job)))
