"""Finding jobs: the open jobs a vendor can see, filtered by domain and paged."""

from __future__ import annotations

import pytest
from django.urls import reverse

from labs.models import Visibility
from marketplace.exchange import services as exchange
from tests.exchange.helpers import start_evaluation
from tests.factories import DomainFactory, JobFactory, SeatRequirementFactory
from tests.plugins.personas import make_open_job, submit_bid
from tests.web.vendor_jobs.conftest import invite, signed_in, text

pytestmark = pytest.mark.django_db

URL = reverse("vendor:jobs")


def test_anonymous_is_sent_to_sign_in(client):
    response = client.get(URL)

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_a_lab_member_gets_not_found(client, acme):
    assert signed_in(client, acme.procurement).get(URL).status_code == 404


def test_lists_the_open_jobs_the_vendor_can_see_and_marks_invitations(client, acme, medix, mathly):
    public = make_open_job(acme, title="Open to everyone")
    invited = make_open_job(acme, title="Invited only, Medix", visibility=Visibility.INVITED)
    invite(invited, medix)
    hidden = make_open_job(acme, title="Invited only, Mathly", visibility=Visibility.INVITED)
    invite(hidden, mathly)
    JobFactory(lab=acme.lab, title="Still a draft")
    start_evaluation(make_open_job(acme, title="Bidding closed"))

    page = text(signed_in(client, medix.bid_manager).get(URL))

    assert public.title in page
    assert invited.title in page
    assert "Invited only, Mathly" not in page
    assert "Still a draft" not in page
    assert "Bidding closed" not in page
    assert page.count('<span class="status">Invited</span>') == 1
    assert "2 \u00d7 MD in Medicine" in page


def test_the_vendors_own_bid_is_shown_never_another_vendors(client, acme, medix, mathly, open_job):
    bid = submit_bid(medix, open_job, "30000")
    submit_bid(mathly, open_job, "12345")

    page = text(signed_in(client, medix.bid_manager).get(URL))

    assert reverse("vendor:bid_detail", args=[bid.pk]) in page
    assert "Submitted" in page
    assert "12,345" not in page
    assert "Mathly" not in page


def test_filters_by_domain(client, acme, medix):
    make_open_job(acme, title="Clinical grading", domain=DomainFactory(code="medical"))
    make_open_job(acme, title="Proof checking", domain=DomainFactory(code="reasoning"))
    signed_in(client, medix.owner)

    page = text(client.get(URL, {"domain": "reasoning"}))

    assert "Proof checking" in page
    assert "Clinical grading" not in page
    assert '<option value="reasoning" selected>' in page


def test_an_empty_filter_says_so(client, acme, medix):
    DomainFactory(code="agent_behavior")
    make_open_job(acme, title="Clinical grading")

    page = text(signed_in(client, medix.owner).get(URL, {"domain": "agent_behavior"}))

    assert "No open jobs in Agent Behavior." in page


def test_no_jobs_at_all_shows_an_empty_state(client, medix):
    page = text(signed_in(client, medix.owner).get(URL))

    assert "No open jobs you can see at the moment." in page


def test_pages_of_twenty(client, acme, medix):
    for i in range(23):
        make_open_job(acme, title=f"Job number {i:02d}")
    signed_in(client, medix.owner)

    first = text(client.get(URL))
    second = text(client.get(URL, {"page": 2}))

    assert first.count("Job number") == 20
    assert "Next page" in first
    assert second.count("Job number") == 3
    assert "Previous page" in second


def _publish(acme, n: int, start: int = 0) -> None:
    for i in range(start, start + n):
        job = JobFactory(lab=acme.lab, created_by=acme.procurement, title=f"Job {i}")
        SeatRequirementFactory(job=job)
        SeatRequirementFactory(job=job, count=1)
        exchange.job_publish(job=job, user=acme.procurement)


def test_the_list_reads_a_fixed_number_of_queries(
    client, acme, medix, mathly, django_assert_max_num_queries
):
    signed_in(client, medix.owner)
    _publish(acme, 2)
    with django_assert_max_num_queries(13):
        assert client.get(URL).status_code == 200

    _publish(acme, 15, start=2)
    with django_assert_max_num_queries(13):
        assert text(client.get(URL)).count("Job ") >= 17
