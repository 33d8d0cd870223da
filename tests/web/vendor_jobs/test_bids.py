"""The vendor's bids: the list, one bid with its revision history, revising and
withdrawing until the deadline."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from marketplace.exchange import services as exchange
from marketplace.exchange.models import Bid, BidRevision, BidStatus
from tests.plugins.personas import make_open_job, pass_bid_deadline, qualify, submit_bid
from tests.web.vendor_jobs.conftest import post_form, qualified_specialist, signed_in, text

pytestmark = pytest.mark.django_db

LIST_URL = reverse("vendor:bids")


def detail_url(bid: Bid) -> str:
    return reverse("vendor:bid_detail", args=[bid.pk])


def revise_url(bid: Bid) -> str:
    return reverse("vendor:bid_revise", args=[bid.pk])


def withdraw_url(bid: Bid) -> str:
    return reverse("vendor:bid_withdraw", args=[bid.pk])


def revised_terms(**overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "price": "28500",
        "currency": "USD",
        "timeline_days": "25",
        "note": "Sharper price.",
    }
    data.update(overrides)
    return data


@pytest.fixture
def bid(medix, open_job) -> Bid:
    return submit_bid(medix, open_job, "30000")


# --- access ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["detail", "revise", "withdraw"])
def test_anonymous_is_sent_to_sign_in(client, bid, name):
    response = client.get(
        {"detail": detail_url, "revise": revise_url, "withdraw": withdraw_url}[name](bid)
    )

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_anonymous_is_sent_to_sign_in_from_the_list(client):
    response = client.get(LIST_URL)

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_a_lab_member_gets_not_found(client, acme, bid):
    signed_in(client, acme.owner)

    assert client.get(LIST_URL).status_code == 404
    assert client.get(detail_url(bid)).status_code == 404


def test_another_vendors_bid_is_not_found_and_cannot_be_changed(client, mathly, medix, open_job):
    theirs = submit_bid(mathly, open_job, "12345")
    signed_in(client, medix.owner)

    assert client.get(detail_url(theirs)).status_code == 404
    assert client.get(revise_url(theirs)).status_code == 404
    assert post_form(client, revise_url(theirs), revised_terms()).status_code == 404
    assert post_form(client, withdraw_url(theirs), {}).status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == BidStatus.SUBMITTED
    assert theirs.price == Decimal("12345")


# --- the list ---------------------------------------------------------------------------


def test_the_list_shows_the_vendors_own_bids_only(client, acme, medix, mathly, bid, open_job):
    other = make_open_job(acme, title="Second job")
    exchange.bid_withdraw(bid=submit_bid(medix, other, "45000"), user=medix.owner)
    submit_bid(mathly, open_job, "12345")

    page = text(signed_in(client, medix.bid_manager).get(LIST_URL))

    assert open_job.title in page
    assert "USD 30,000.00" in page
    assert "Submitted" in page
    assert "Second job" in page
    assert "Withdrawn" in page
    assert "12,345" not in page
    assert detail_url(bid) in page


def test_an_empty_list_says_so(client, medix):
    assert "You have not bid on a job yet." in text(signed_in(client, medix.owner).get(LIST_URL))


def test_the_list_reads_a_fixed_number_of_queries(
    client, acme, medix, mathly, django_assert_max_num_queries
):
    signed_in(client, medix.owner)

    def bids_on(n: int) -> None:
        for _ in range(n):
            job = make_open_job(acme)
            submit_bid(medix, job, specialists=qualify(medix.specialists[:2], job))
            submit_bid(mathly, job)

    bids_on(2)
    with django_assert_max_num_queries(9):
        assert client.get(LIST_URL).status_code == 200
    bids_on(12)
    with django_assert_max_num_queries(9):
        assert text(client.get(LIST_URL)).count("USD 30,000.00") == 14


# --- one bid ----------------------------------------------------------------------------


def test_the_detail_shows_terms_specialists_history_and_actions(client, medix, open_job):
    ada = qualified_specialist(medix, "Dr Ada Able")
    bid = submit_bid(medix, open_job, "30000", specialists=[ada])
    exchange.bid_revise(bid=bid, user=medix.owner, price=Decimal("29000"))

    page = text(signed_in(client, medix.bid_manager).get(detail_url(bid)))

    assert f"Your bid on {open_job.title}" in page
    assert "USD 29,000.00" in page
    assert "USD 30,000.00" in page  # revision 1 in the history
    assert "Dr Ada Able" in page
    assert page.count("Dr Ada Able") == 3  # proposed, and in both revisions
    assert "Revise bid" in page
    assert "Withdraw bid" in page


def test_after_the_deadline_the_actions_are_gone(client, medix, open_job, bid):
    pass_bid_deadline(open_job)

    page = text(signed_in(client, medix.bid_manager).get(detail_url(bid)))

    assert "Revise bid" not in page
    assert "Withdraw bid" not in page
    assert "Bidding has closed: this bid can no longer be revised or withdrawn." in page


def test_a_role_that_may_not_bid_sees_no_actions(client, bid, medix_without_bid_role):
    page = text(signed_in(client, medix_without_bid_role).get(detail_url(bid)))

    assert "Revise bid" not in page
    assert "Withdraw bid" not in page


# --- revising ---------------------------------------------------------------------------


def test_the_revise_form_is_prefilled(client, medix, bid):
    page = text(signed_in(client, medix.bid_manager).get(revise_url(bid)))

    assert 'value="30000.00"' in page
    assert "Save revision" in page


def test_revising_records_a_new_revision(client, medix, bid):
    signed_in(client, medix.bid_manager)

    response = post_form(client, revise_url(bid), revised_terms())

    assert response.status_code == 302
    assert response.url == detail_url(bid)
    bid.refresh_from_db()
    assert bid.price == Decimal("28500")
    assert bid.timeline_days == 25
    assert bid.revision_number == 2
    assert list(BidRevision.objects.filter(bid=bid).values_list("number", flat=True)) == [1, 2]
    assert "revision 2 is now current" in text(client.get(response.url))


def test_revising_the_specialists(client, medix, open_job):
    ada = qualified_specialist(medix, "Dr Ada Able")
    bo = qualified_specialist(medix, "Dr Bo Bright")
    bid = submit_bid(medix, open_job, specialists=[ada])

    post_form(signed_in(client, medix.owner), revise_url(bid), revised_terms(specialists=[bo.pk]))

    assert list(bid.proposed_specialists.all()) == [bo]
    assert bid.revisions.get(number=2).specialist_ids == [bo.pk]


def test_a_revision_after_the_deadline_shows_the_services_error_and_changes_nothing(
    client, medix, open_job, bid
):
    signed_in(client, medix.bid_manager)
    pass_bid_deadline(open_job)

    assert "Bidding on this job has closed." in text(client.get(revise_url(bid)))
    response = post_form(client, revise_url(bid), revised_terms())

    assert response.status_code == 200
    assert "The bid deadline has passed." in text(response)
    assert 'value="28500"' in text(response)
    bid.refresh_from_db()
    assert bid.price == Decimal("30000")
    assert bid.revision_number == 1
    assert BidRevision.objects.count() == 1


def test_a_bad_revision_is_refused_next_to_the_field(client, medix, bid):
    response = post_form(
        signed_in(client, medix.bid_manager), revise_url(bid), revised_terms(currency="GBP")
    )

    assert response.status_code == 200
    assert "This job is priced in USD." in text(response)
    bid.refresh_from_db()
    assert bid.revision_number == 1


def test_a_double_click_on_revise_records_one_revision(client, medix, bid):
    signed_in(client, medix.bid_manager)
    token = "c" * 32

    first = post_form(client, revise_url(bid), revised_terms(), token=token)
    second = post_form(client, revise_url(bid), revised_terms(), token=token)

    assert first.status_code == second.status_code == 302
    assert BidRevision.objects.filter(bid=bid).count() == 2


def test_a_role_that_may_not_bid_cannot_revise(client, bid, medix_without_bid_role):
    signed_in(client, medix_without_bid_role)

    assert "Save revision" not in text(client.get(revise_url(bid)))
    response = post_form(client, revise_url(bid), revised_terms())

    assert response.status_code == 200
    assert "may revise its bids" in text(response)
    bid.refresh_from_db()
    assert bid.revision_number == 1


# --- withdrawing ------------------------------------------------------------------------


def test_withdrawing_asks_for_confirmation_first(client, medix, bid):
    page = text(signed_in(client, medix.bid_manager).get(withdraw_url(bid)))

    assert f"Withdraw your bid on {bid.job.title}?" in page
    assert "Withdraw bid" in page
    assert "Keep my bid" in page
    bid.refresh_from_db()
    assert bid.status == BidStatus.SUBMITTED


def test_withdrawing_withdraws(client, medix, bid):
    signed_in(client, medix.bid_manager)

    response = post_form(client, withdraw_url(bid), {})

    assert response.status_code == 302
    assert response.url == detail_url(bid)
    bid.refresh_from_db()
    assert bid.status == BidStatus.WITHDRAWN
    page = text(client.get(response.url))
    assert "was withdrawn" in page
    assert "Revise bid" not in page


def test_a_withdrawal_after_the_deadline_shows_the_services_error_and_changes_nothing(
    client, medix, open_job, bid
):
    signed_in(client, medix.bid_manager)
    pass_bid_deadline(open_job)

    response = post_form(client, withdraw_url(bid), {})

    assert response.status_code == 200
    assert "The bid deadline has passed." in text(response)
    bid.refresh_from_db()
    assert bid.status == BidStatus.SUBMITTED


def test_a_role_that_may_not_bid_cannot_withdraw(client, bid, medix_without_bid_role):
    signed_in(client, medix_without_bid_role)

    assert "This bid can no longer be withdrawn." in text(client.get(withdraw_url(bid)))
    response = post_form(client, withdraw_url(bid), {})

    assert response.status_code == 200
    assert "may withdraw its bids" in text(response)
    bid.refresh_from_db()
    assert bid.status == BidStatus.SUBMITTED
