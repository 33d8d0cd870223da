"""A job's page: its terms and seats, what the user may do with it now, the vendors'
questions (never naming the asker) and the vendors invited, with a poll while matching
runs."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from labs.models import Job, WorkState
from marketplace.exchange import services as exchange
from marketplace.exchange.models import Invitation
from tests.exchange.helpers import start_evaluation
from tests.factories import JobFactory, SeatRequirementFactory
from tests.plugins.personas import make_open_job, make_vendor_team, submit_bid
from tests.web.lab_jobs.helpers import ask, invite, text

pytestmark = pytest.mark.django_db

# Session, user, membership, lab, header (two), job, two permissions, questions, seats
# (with the job again), attestations, bid count, invitations.
BUDGET = 15


def url(job: Job) -> str:
    return reverse("lab:job_detail", args=[job.pk])


def matching(job: Job, state: str) -> None:
    Job.objects.filter(pk=job.pk).update(matching_state=state)


@pytest.fixture
def draft(acme):
    job = JobFactory(lab=acme.lab, created_by=acme.procurement, title="Grade ICU notes")
    SeatRequirementFactory(job=job, count=4, note="Critical care")
    return job


def test_the_page_shows_the_terms_seats_and_deadlines(client, acme, draft):
    client.force_login(acme.reviewer)

    response = client.get(url(draft))

    assert response.status_code == 200
    shown = text(response)
    assert "Grade ICU notes" in shown and "Draft" in shown
    assert "USD 10,000.00 \N{EN DASH} USD 50,000.00" in shown
    assert f"Bid deadline {draft.bid_deadline:%-d %b %Y, %H:%M}" in shown
    assert f"Question period ends {draft.question_deadline:%-d %b %Y, %H:%M}" in shown
    assert "4 Licence Medicine MD or higher Critical care" in shown


def test_a_draft_offers_publish_edit_and_cancel_to_procurement(client, acme, draft):
    client.force_login(acme.procurement)

    shown = text(client.get(url(draft)))

    assert "Publish job" in shown and "Edit job" in shown and "Cancel job" in shown
    assert "Close bidding now" not in shown and "Mark unsuccessful" not in shown
    assert "Compare bids" not in shown
    assert "Vendors are matched and invited when you publish the job." in shown


def test_a_reviewer_sees_the_job_but_none_of_its_moves(client, acme, draft):
    client.force_login(acme.reviewer)

    shown = text(client.get(url(draft)))

    for move in ("Publish job", "Edit job", "Cancel job"):
        assert move not in shown


def test_an_open_job_offers_to_close_bidding_or_cancel(client, acme, open_job):
    client.force_login(acme.owner)

    shown = text(client.get(url(open_job)))

    assert "Close bidding now" in shown and "Cancel job" in shown
    assert "Publish job" not in shown and "Edit job" not in shown
    assert "Mark unsuccessful" not in shown and "Compare bids" not in shown
    assert "0 bids received so far. Bids are sealed" in shown


def test_a_job_in_evaluation_links_to_the_bid_comparison(client, acme, medix, open_job):
    submit_bid(medix, open_job)
    start_evaluation(open_job)
    client.force_login(acme.procurement)

    response = client.get(url(open_job))

    shown = text(response)
    assert "Compare bids" in shown and "1 bid received." in shown
    assert reverse("lab:job_bids", args=[open_job.pk]) in response.content.decode()
    assert "Mark unsuccessful" in shown and "Cancel job" in shown
    assert "Close bidding now" not in shown


def test_an_awarded_job_offers_no_moves_but_still_the_bids(client, acme, medix, open_job):
    bid = submit_bid(medix, open_job)
    start_evaluation(open_job)
    exchange.award_make(job=open_job, user=acme.procurement, shares={bid.pk: 100})
    client.force_login(acme.procurement)

    shown = text(client.get(url(open_job)))

    assert "Compare bids" in shown
    for move in ("Publish job", "Edit job", "Cancel job", "Close bidding now", "Mark unsuccessful"):
        assert move not in shown


# --- Questions ------------------------------------------------------------------------------


def test_questions_are_shown_without_naming_the_asker(client, acme, medix, open_job):
    ask(open_job, medix, "Is the data de-identified?")
    client.force_login(acme.procurement)

    response = client.get(url(open_job))

    shown = text(response)
    questions = shown[shown.index("Questions from vendors") : shown.index("Invited vendors")]
    assert "Is the data de-identified?" in questions
    assert "Medix" not in questions and medix.bid_manager.email not in questions
    assert medix.bid_manager.full_name not in questions
    assert "Answer to question 1" in questions and "Publish answer" in questions


def test_answered_questions_show_the_answer_and_no_form(client, acme, medix, open_job):
    question = ask(open_job, medix)
    exchange.question_answer(question=question, user=acme.reviewer, answer="Yes, fully.")
    client.force_login(acme.procurement)

    shown = text(client.get(url(open_job)))

    assert "Answer: Yes, fully." in shown
    assert "Publish answer" not in shown


def test_questions_cannot_be_answered_once_bidding_closed(client, acme, medix, open_job):
    ask(open_job, medix)
    start_evaluation(open_job)
    client.force_login(acme.procurement)

    shown = text(client.get(url(open_job)))

    assert "Not answered." in shown and "Publish answer" not in shown


def test_a_job_without_questions_says_so(client, acme, open_job):
    client.force_login(acme.procurement)

    assert "No questions yet." in text(client.get(url(open_job)))


# --- Invitations and matching ---------------------------------------------------------------


def test_invited_vendors_show_score_reasons_and_warnings(client, acme, medix, mathly, open_job):
    matching(open_job, WorkState.DONE)
    invite(open_job, medix, reasons=["Staffs every seat with verified MDs.", "Delivered on time."])
    invite(
        open_job,
        mathly,
        rank=2,
        reasons=["Staffs the seats.", "No longer eligible: a credential expired."],
    )
    client.force_login(acme.reviewer)

    response = client.get(url(open_job))

    shown = text(response)
    invitations = shown[shown.index("Invited vendors") :]
    assert "1 Medix Annotations 81.3 Staffs every seat with verified MDs. Delivered on time." in (
        invitations
    )
    assert "Warning: No longer eligible: a credential expired." in invitations
    assert "Matching vendors" not in shown
    assert 'hx-trigger="every 2s"' not in response.content.decode()


def test_while_matching_runs_the_invitations_block_polls(client, acme, open_job):
    matching(open_job, WorkState.RUNNING)
    client.force_login(acme.procurement)

    response = client.get(url(open_job))

    content = response.content.decode()
    assert "Matching vendors…" in text(response)
    poll = reverse("lab:job_invitations", args=[open_job.pk])
    assert f'hx-get="{poll}" hx-trigger="every 2s"' in content


def test_the_poll_returns_the_block_and_stops_once_matching_is_done(client, acme, medix, open_job):
    poll = reverse("lab:job_invitations", args=[open_job.pk])
    client.force_login(acme.procurement)
    matching(open_job, WorkState.PENDING)
    assert 'hx-trigger="every 2s"' in client.get(poll, HTTP_HX_REQUEST="true").content.decode()

    matching(open_job, WorkState.DONE)
    invite(open_job, medix)
    response = client.get(poll, HTTP_HX_REQUEST="true")

    content = response.content.decode()
    assert "<html" not in content and 'id="invitations"' in content
    assert "Medix Annotations" in content and "hx-trigger" not in content


def test_the_poll_address_without_htmx_leads_to_the_job_page(client, acme, open_job):
    client.force_login(acme.procurement)

    response = client.get(reverse("lab:job_invitations", args=[open_job.pk]))

    assert response.status_code == 302
    assert response.url == f"{url(open_job)}#invitations"


def test_matching_that_found_nobody_says_so(client, acme, open_job):
    matching(open_job, WorkState.DONE)
    client.force_login(acme.procurement)

    assert "No vendor has been invited" in text(client.get(url(open_job)))


def test_failed_matching_is_reported(client, acme, open_job):
    matching(open_job, WorkState.FAILED)
    client.force_login(acme.procurement)

    assert "Matching could not finish." in text(client.get(url(open_job)))


# --- Query budget ---------------------------------------------------------------------------


def _more_of_everything(job, teams):
    for rank, team in enumerate(teams, start=Invitation.objects.filter(job=job).count() + 1):
        invite(job, team, rank=rank)
        ask(job, team)
        SeatRequirementFactory(job=job)


def test_the_page_keeps_to_its_query_budget_however_many_rows(
    client, acme, medix, mathly, django_assert_max_num_queries
):
    job = make_open_job(acme)
    client.force_login(acme.procurement)
    _more_of_everything(job, [medix])
    with CaptureQueriesContext(connection) as few:
        client.get(url(job))

    _more_of_everything(job, [mathly, *(make_vendor_team(f"Vendor {n}") for n in range(4))])
    with django_assert_max_num_queries(BUDGET), CaptureQueriesContext(connection) as many:
        response = client.get(url(job))

    assert text(response).count("Publish answer") == 6
    assert len(many) == len(few)
