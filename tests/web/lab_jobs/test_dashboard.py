"""The lab's dashboard: open jobs, jobs waiting for a decision on their bids, screening
alerts about vendors the lab is dealing with, and what it has awarded."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from marketplace.exchange import services as exchange
from marketplace.exchange.models import Screening, Verdict
from tests.exchange.helpers import screening_with_verdict, start_evaluation
from tests.factories import JobFactory
from tests.plugins.personas import make_open_job, make_vendor_team, submit_bid
from tests.web.lab_jobs.helpers import invite, text

pytestmark = pytest.mark.django_db

URL = reverse("lab:dashboard")
# Session, user, membership, lab, header (notifications), figures and the four lists.
BUDGET = 13


def test_a_new_lab_sees_every_list_empty(client, acme):
    client.force_login(acme.procurement)

    response = client.get(URL)

    assert response.status_code == 200
    shown = text(response)
    assert "No job is open for bids right now." in shown
    assert "No job is waiting for a decision on its bids." in shown
    assert "No screening alerts" in shown
    assert "Nothing awarded yet." in shown
    assert "Post a job" in shown


def test_open_jobs_show_their_question_and_bid_deadlines(client, acme):
    job = make_open_job(acme, title="Grade cardiology answers")
    client.force_login(acme.reviewer)

    response = client.get(URL)

    shown = text(response)
    assert "1 open job" in shown
    assert "Grade cardiology answers" in shown
    assert job.question_deadline.strftime("%-d %b %Y, %H:%M") in shown
    assert job.bid_deadline.strftime("%-d %b %Y, %H:%M") in shown
    assert reverse("lab:job_detail", args=[job.pk]) in response.content.decode()


def test_jobs_in_evaluation_show_the_bids_awaiting_a_decision(client, acme, medix, mathly):
    job = make_open_job(acme, title="Grade oncology answers")
    submit_bid(medix, job)
    rejected = submit_bid(mathly, job, "40000")
    start_evaluation(job)
    exchange.bid_reject(bid=rejected, user=acme.procurement, reason="Too dear")
    client.force_login(acme.procurement)

    response = client.get(URL)

    shown = text(response)
    assert "1 bid awaiting a decision" in shown
    assert "Grade oncology answers" in shown
    assert reverse("lab:job_bids", args=[job.pk]) in response.content.decode()
    assert "Compare bids" in shown


def test_screening_alerts_are_about_vendors_the_lab_deals_with_newest_first(
    client, acme, rival, medix, mathly
):
    job = make_open_job(acme)
    invite(job, medix)
    invite(job, mathly, rank=2)
    stranger = make_vendor_team("Stranger Data")
    older = screening_with_verdict(acme.lab, medix.vendor, Verdict.REVIEW)
    older.computed_at = timezone.now() - timedelta(days=2)
    older.save()
    newer = screening_with_verdict(acme.lab, mathly.vendor, Verdict.BLOCKED)
    screening_with_verdict(acme.lab, stranger.vendor, Verdict.BLOCKED)
    screening_with_verdict(rival.lab, medix.vendor, Verdict.BLOCKED)
    client.force_login(acme.procurement)

    response = client.get(URL)

    shown = text(response)
    assert "2 screening alerts" in shown
    alerts = shown[shown.index("Screening alerts Vendors") :]
    assert alerts.index("Mathly Experts Blocked") < alerts.index("Medix Annotations Review")
    assert "Stranger Data" not in shown
    content = response.content.decode()
    assert reverse("lab:screening_detail", args=[newer.pk]) in content
    assert reverse("lab:screening_detail", args=[older.pk]) in content


def test_a_clear_verdict_raises_no_alert(client, acme, medix):
    invite(make_open_job(acme), medix)
    screening_with_verdict(acme.lab, medix.vendor, Verdict.CLEAR)
    client.force_login(acme.procurement)

    shown = text(client.get(URL))

    assert "0 screening alerts" in shown
    assert "No screening alerts" in shown


def test_spend_is_the_awarded_contract_value_per_currency(client, acme, rival, medix):
    job = make_open_job(acme)
    bid = submit_bid(medix, job, "30000")
    start_evaluation(job)
    exchange.award_make(job=job, user=acme.procurement, shares={bid.pk: Decimal(100)})
    rival_job = make_open_job(rival, currency="EUR")
    rival_bid = submit_bid(medix, rival_job, "99000")
    start_evaluation(rival_job)
    exchange.award_make(job=rival_job, user=rival.procurement, shares={rival_bid.pk: Decimal(100)})
    client.force_login(acme.owner)

    shown = text(client.get(URL))

    assert "USD 30,000.00" in shown
    assert "Awarded contract value: the value of every contract you have awarded" in shown
    assert "99,000" not in shown and "EUR" not in shown


def test_a_reviewer_is_not_offered_to_post_a_job(client, acme):
    client.force_login(acme.reviewer)

    assert "Post a job" not in text(client.get(URL))


def _fill(acme, medix, mathly, n):
    for _ in range(n):
        JobFactory(lab=acme.lab, created_by=acme.procurement)
        job = make_open_job(acme)
        invite(job, medix)
        invite(job, mathly, rank=2)
        evaluated = make_open_job(acme)
        submit_bid(medix, evaluated)
        start_evaluation(evaluated)
    for team, verdict in ((medix, Verdict.BLOCKED), (mathly, Verdict.REVIEW)):
        Screening.objects.update_or_create(
            lab=acme.lab,
            vendor=team.vendor,
            bid=None,
            defaults={"verdict": verdict, "requested_at": timezone.now()},
        )


def test_the_dashboard_keeps_to_its_query_budget_however_many_rows(
    client, acme, medix, mathly, django_assert_max_num_queries
):
    client.force_login(acme.procurement)
    _fill(acme, medix, mathly, 1)
    with CaptureQueriesContext(connection) as few:
        client.get(URL)

    _fill(acme, medix, mathly, 4)
    with django_assert_max_num_queries(BUDGET), CaptureQueriesContext(connection) as many:
        response = client.get(URL)

    assert "5 open jobs" in text(response)
    assert len(many) == len(few)
