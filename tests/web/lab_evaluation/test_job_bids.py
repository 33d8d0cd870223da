"""The bid comparison page: bids side by side once unsealed, sealed before, and the
shortlist and reject actions."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from marketplace.exchange.models import Bid, BidStatus
from tests.exchange.helpers import start_evaluation
from tests.plugins.personas import make_open_job, make_vendor_team, qualify, submit_bid
from tests.web.lab_evaluation.conftest import invite, set_verdict

pytestmark = pytest.mark.django_db


def bids_url(job) -> str:
    return reverse("lab:job_bids", args=[job.pk])


# --- Reading -----------------------------------------------------------------------------


def test_the_lab_compares_the_bids_side_by_side(client, acme, evaluation):
    client.force_login(acme.reviewer)

    response = client.get(bids_url(evaluation.job))

    assert response.status_code == 200
    page = response.content.decode()
    assert "Bids on " + evaluation.job.title in page
    # Lowest price first, with price, match score, verdict, specialists and note.
    assert page.index("Mathly Experts") < page.index("Medix Annotations")
    assert "USD 30,000.00" in page and "USD 25,000.00" in page
    assert "82.5" in page and "64.0" in page
    assert 'class="verdict verdict-clear"' in page and 'class="verdict verdict-review"' in page
    specialist = evaluation.medix_bid.proposed_specialists.get()
    assert specialist.full_name in page
    assert "Verified" in page or "Pending verification" in page
    assert "expires 31 Jan 2031" in page
    assert "Senior MDs only." in page
    screening = evaluation.medix_bid.screening
    assert reverse("lab:screening_detail", args=[screening.pk]) in page


def test_the_chart_plots_price_against_score_with_labels_and_shapes(client, acme, evaluation):
    client.force_login(acme.owner)

    page = client.get(bids_url(evaluation.job)).content.decode()

    assert 'role="img"' in page and "Scatter plot of price against match score" in page
    assert "Medix Annotations (clear)" in page and "Mathly Experts (review)" in page
    assert "point point-clear" in page and "point point-review" in page
    # The legend names each shape's verdict in words.
    assert "Cleared by override" in page and "Screening pending" in page


def test_a_bid_without_a_match_score_is_listed_below_the_chart(client, acme, medix, mathly):
    job = make_open_job(acme)
    invite(job, medix, "70")
    set_verdict(submit_bid(medix, job, "30000"), "clear")
    set_verdict(submit_bid(mathly, job, "26000"), "blocked")
    start_evaluation(job)
    client.force_login(acme.owner)

    page = client.get(bids_url(job)).content.decode()

    assert "Mathly Experts (screening: blocked)" in page


def test_sealed_bids_are_not_shown_before_evaluation(client, acme, medix, open_job):
    submit_bid(medix, open_job, "31337", note="Secret sauce")
    client.force_login(acme.owner)

    response = client.get(bids_url(open_job))

    page = response.content.decode()
    assert response.status_code == 200
    assert "Bids are sealed until" in page
    assert "1</strong> bid received so far" in page
    assert "31,337" not in page and "Secret sauce" not in page and "Medix" not in page


def test_open_bidding_shows_the_bids_while_the_job_is_open(client, acme, medix):
    job = make_open_job(acme, bidding="open")
    submit_bid(medix, job, "31337")
    client.force_login(acme.owner)

    page = client.get(bids_url(job)).content.decode()

    assert "USD 31,337.00" in page
    # Decisions wait for the deadline.
    assert "Shortlist" not in page and ">Award<" not in page


def test_the_page_needs_a_lab_member_of_this_lab(client, acme, rival, medix, evaluation):
    url = bids_url(evaluation.job)
    assert client.get(url).status_code == 302  # anonymous: to the sign-in page

    client.force_login(medix.owner)
    assert client.get(url).status_code == 404  # a vendor

    client.force_login(rival.owner)
    assert client.get(url).status_code == 404  # another lab's job


def test_queries_do_not_grow_with_the_number_of_bids(
    client, acme, medix, mathly, django_assert_max_num_queries
):
    def job_with(teams):
        job = make_open_job(acme)
        for i, team in enumerate(teams):
            invite(job, team, "60", rank=i + 1)
            set_verdict(
                submit_bid(team, job, str(20000 + i), specialists=qualify(team.specialists, job)),
                "clear",
            )
        return start_evaluation(job)

    small = job_with([medix])
    large = job_with([medix, mathly, *(make_vendor_team(f"Vendor {i}") for i in range(4))])
    client.force_login(acme.owner)

    with django_assert_max_num_queries(20) as few:
        assert client.get(bids_url(small)).status_code == 200
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(bids_url(large)).status_code == 200


# --- Shortlist and reject ---------------------------------------------------------------


def test_a_reviewer_shortlists_a_bid(client, acme, evaluation):
    client.force_login(acme.reviewer)
    bid = evaluation.medix_bid

    response = client.post(reverse("lab:bid_shortlist", args=[bid.pk]), follow=True)

    bid.refresh_from_db()
    assert bid.status == BidStatus.SHORTLISTED
    assert "Medix Annotations&#x27;s bid is shortlisted." in response.content.decode()


def test_rejecting_keeps_the_reason(client, acme, evaluation):
    client.force_login(acme.procurement)
    bid = evaluation.mathly_bid

    response = client.post(
        reverse("lab:bid_reject", args=[bid.pk]), {"reason": "Too few specialists."}, follow=True
    )

    bid.refresh_from_db()
    assert bid.status == BidStatus.REJECTED and bid.decision_reason == "Too few specialists."
    assert "bid is rejected" in response.content.decode()


def test_a_refused_decision_is_shown_next_to_the_bid(client, acme, evaluation):
    bid = evaluation.mathly_bid
    Bid.objects.filter(pk=bid.pk).update(status=BidStatus.REJECTED)
    client.force_login(acme.owner)

    response = client.post(reverse("lab:bid_shortlist", args=[bid.pk]))

    assert response.status_code == 200
    assert "A rejected bid cannot be shortlisted." in response.content.decode()


def test_decisions_need_the_role_and_the_lab(client, acme, rival, medix, evaluation):
    bid = evaluation.medix_bid
    client.force_login(rival.owner)
    assert client.post(reverse("lab:bid_shortlist", args=[bid.pk])).status_code == 404
    assert client.post(reverse("lab:bid_reject", args=[bid.pk])).status_code == 404

    client.force_login(medix.owner)
    assert client.post(reverse("lab:bid_shortlist", args=[bid.pk])).status_code == 404

    bid.refresh_from_db()
    assert bid.status == BidStatus.SUBMITTED


def test_sealed_bids_cannot_be_decided_on(client, acme, medix, open_job):
    bid = submit_bid(medix, open_job)
    client.force_login(acme.owner)

    response = client.post(reverse("lab:bid_shortlist", args=[bid.pk]), follow=True)

    assert "sealed" in response.content.decode()
    bid.refresh_from_db()
    assert bid.status == BidStatus.SUBMITTED


def test_a_double_submitted_rejection_acts_once(client, acme, evaluation):
    client.force_login(acme.owner)
    url = reverse("lab:bid_reject", args=[evaluation.medix_bid.pk])
    data = {"reason": "No.", "form_token": "8a3c34c7-7a0f-4a43-a3d4-0a4b0c1b47f0"}

    first = client.post(url, data)
    second = client.post(url, data)

    assert first.status_code == second.status_code == 302
    assert second.url == first.url
    assert Bid.history.filter(id=evaluation.medix_bid.pk, status=BidStatus.REJECTED).count() == 1


def test_actions_are_offered_by_role(client, acme, evaluation):
    client.force_login(acme.reviewer)
    page = client.get(bids_url(evaluation.job)).content.decode()
    assert re.search(r"Shortlist<span", page) and "Reject<span" in page
    assert 'action="' + reverse("lab:job_award", args=[evaluation.job.pk]) not in page

    client.force_login(acme.procurement)
    page = client.get(bids_url(evaluation.job)).content.decode()
    assert 'action="' + reverse("lab:job_award", args=[evaluation.job.pk]) in page
