"""Awarding from the comparison page: one bid, or a split within 100% and the job's
maximum share per vendor; a blocked vendor refused plainly; one award per double click."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from labs.models import JobStatus
from marketplace.exchange.models import Award, Contract
from tests.exchange.helpers import rival_stake

pytestmark = pytest.mark.django_db

TOKEN = "5d0d7c55-56a4-4a51-9f41-3c6b1d0d3a11"


def award_url(job) -> str:
    return reverse("lab:job_award", args=[job.pk])


def test_a_single_award_goes_to_the_chosen_bid(client, acme, evaluation):
    client.force_login(acme.procurement)

    response = client.post(
        award_url(evaluation.job),
        {"bid": evaluation.medix_bid.pk, "note": "Best clinicians"},
        follow=True,
    )

    page = response.content.decode()
    contract = Contract.objects.get(award__job=evaluation.job)
    assert contract.bid == evaluation.medix_bid and contract.share_percent == 100
    assert f"{evaluation.job.title} is awarded." in page
    # The job now shows as awarded, with its contract and the form to complete it.
    assert "Awarded on" in page and "USD 30,000.00" in page
    assert "Complete and rate" in page


def test_the_single_award_form_offers_one_choice(client, acme, evaluation):
    client.force_login(acme.owner)

    page = client.get(reverse("lab:job_bids", args=[evaluation.job.pk])).content.decode()

    assert 'type="radio" name="bid"' in page
    assert "Bid to award" in page and "share_" not in page


def test_a_split_award_shares_the_volume(client, acme, split_evaluation):
    ev = split_evaluation
    client.force_login(acme.owner)

    response = client.post(
        award_url(ev.job), {f"share_{ev.medix_bid.pk}": "60", f"share_{ev.mathly_bid.pk}": "40"}
    )

    assert response.status_code == 302
    shares = dict(Contract.objects.filter(award__job=ev.job).values_list("bid_id", "share_percent"))
    assert shares == {ev.medix_bid.pk: Decimal("60"), ev.mathly_bid.pk: Decimal("40")}
    ev.job.refresh_from_db()
    assert ev.job.status == JobStatus.AWARDED


def test_shares_over_100_percent_are_refused_next_to_the_shares(client, acme, split_evaluation):
    ev = split_evaluation
    client.force_login(acme.owner)

    response = client.post(
        award_url(ev.job),
        {f"share_{ev.medix_bid.pk}": "70", f"share_{ev.mathly_bid.pk}": "40", "note": "Both"},
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert not Award.objects.filter(job=ev.job).exists()
    # The message sits in the shares' fieldset, and what was typed is kept.
    errors = page.index('id="id_award_shares_errors"')
    assert page.index("<legend>Volume share per bid (%)</legend>") < errors
    assert "The shares add up to more than 100%." in page[errors : errors + 300]
    assert f'name="share_{ev.medix_bid.pk}" value="70"' in page
    assert "Both</textarea>" in page


def test_a_share_above_the_maximum_per_vendor_is_refused(client, acme, split_evaluation):
    ev = split_evaluation
    client.force_login(acme.owner)

    response = client.post(award_url(ev.job), {f"share_{ev.medix_bid.pk}": "80"})

    assert "No vendor may be awarded more than 70% of this job." in response.content.decode()
    assert not Award.objects.filter(job=ev.job).exists()


def test_a_share_that_is_not_a_number_is_refused(client, acme, split_evaluation):
    client.force_login(acme.owner)

    response = client.post(
        award_url(split_evaluation.job), {f"share_{split_evaluation.medix_bid.pk}": "lots"}
    )

    assert "Each share must be a number of percent" in response.content.decode()


def test_an_award_to_a_blocked_vendor_is_refused_plainly(client, acme, medix, evaluation):
    rival_stake(acme, medix, "49")
    client.force_login(acme.owner)

    response = client.post(award_url(evaluation.job), {"bid": evaluation.medix_bid.pk})

    page = response.content.decode()
    assert response.status_code == 200
    assert "Conflict-of-interest screening blocks an award to Medix Annotations" in page
    assert not Award.objects.filter(job=evaluation.job).exists()


def test_a_double_submitted_award_makes_one_award(client, acme, evaluation):
    client.force_login(acme.owner)
    data = {"bid": evaluation.mathly_bid.pk, "form_token": TOKEN}

    first = client.post(award_url(evaluation.job), data)
    second = client.post(award_url(evaluation.job), data)

    assert first.status_code == second.status_code == 302
    assert second.url == first.url
    assert Award.objects.filter(job=evaluation.job).count() == 1
    assert Contract.objects.filter(award__job=evaluation.job).count() == 1


def test_a_second_award_with_a_fresh_form_is_refused(client, acme, evaluation):
    client.force_login(acme.owner)
    client.post(award_url(evaluation.job), {"bid": evaluation.mathly_bid.pk})

    response = client.post(award_url(evaluation.job), {"bid": evaluation.medix_bid.pk})

    assert Award.objects.filter(job=evaluation.job).count() == 1
    assert response.status_code == 200  # the page says why; no award form any more


def test_only_owner_and_procurement_award(client, acme, rival, medix, evaluation):
    data = {"bid": evaluation.medix_bid.pk}
    client.force_login(acme.reviewer)
    assert client.post(award_url(evaluation.job), data).status_code == 403
    client.force_login(rival.owner)
    assert client.post(award_url(evaluation.job), data).status_code == 404
    client.force_login(medix.owner)
    assert client.post(award_url(evaluation.job), data).status_code == 404
    client.logout()
    assert client.post(award_url(evaluation.job), data).status_code == 302
    assert not Award.objects.filter(job=evaluation.job).exists()


def test_the_live_share_check_script_is_on_split_awards_only(
    client, acme, evaluation, split_evaluation
):
    client.force_login(acme.owner)

    split_page = client.get(reverse("lab:job_bids", args=[split_evaluation.job.pk])).content
    single_page = client.get(reverse("lab:job_bids", args=[evaluation.job.pk])).content

    assert b"js/award-shares.js" in split_page and b"data-award-shares" in split_page
    assert b"js/award-shares.js" not in single_page
