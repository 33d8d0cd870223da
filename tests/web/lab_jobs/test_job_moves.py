"""The moves on a job from its page: publish, close bidding, cancel, mark unsuccessful,
answer a question. Each acts once however often it is sent, reports a refusal plainly,
and is offered only to the roles that may make it."""

from __future__ import annotations

import pytest
from django.urls import reverse

from labs.models import Job, JobStatus, WorkState
from marketplace.exchange.models import Bid, BidStatus, Question
from tests.exchange.helpers import notifications_to, start_evaluation
from tests.factories import JobFactory, SeatRequirementFactory
from tests.plugins.personas import submit_bid
from tests.web.lab_jobs.helpers import ask, error_for, text, token, values

pytestmark = pytest.mark.django_db


def move(name: str, job: Job) -> str:
    return reverse(name, args=[job.pk])


def status_of(job: Job) -> str:
    job.refresh_from_db()
    return job.status


@pytest.fixture
def draft(acme):
    job = JobFactory(lab=acme.lab, created_by=acme.procurement, title="Grade ICU notes")
    SeatRequirementFactory(job=job)
    return job


# --- Publish --------------------------------------------------------------------------------


def test_publishing_opens_the_job_and_starts_matching(client, acme, draft):
    client.force_login(acme.procurement)

    response = client.post(move("lab:job_publish", draft), {"form_token": token()}, follow=True)

    assert status_of(draft) == JobStatus.OPEN
    assert draft.matching_state in (WorkState.PENDING, WorkState.RUNNING, WorkState.DONE)
    assert "“Grade ICU notes” is open for questions and bids." in text(response)
    assert response.redirect_chain[-1][0] == reverse("lab:job_detail", args=[draft.pk])


def test_a_draft_without_seats_is_not_published_and_the_page_says_why(client, acme):
    bare = JobFactory(lab=acme.lab, created_by=acme.procurement)
    client.force_login(acme.procurement)

    response = client.post(move("lab:job_publish", bare), {"form_token": token()}, follow=True)

    assert status_of(bare) == JobStatus.DRAFT
    assert "Add at least one seat requirement before publishing." in text(response)


def test_publishing_twice_with_one_form_acts_once(client, acme, draft):
    client.force_login(acme.procurement)
    data = {"form_token": token()}

    first = client.post(move("lab:job_publish", draft), data)
    second = client.post(move("lab:job_publish", draft), data, follow=True)

    assert first.status_code == 302
    assert status_of(draft) == JobStatus.OPEN
    assert "Only a draft job can be published" not in text(second)


def test_a_reviewer_cannot_publish(client, acme, draft):
    client.force_login(acme.reviewer)

    response = client.post(move("lab:job_publish", draft), {"form_token": token()}, follow=True)

    assert status_of(draft) == JobStatus.DRAFT
    assert "Only the lab's owner or procurement may do this." in text(response)


# --- Close bidding --------------------------------------------------------------------------


def test_closing_bidding_moves_the_job_to_evaluation(client, acme, medix, open_job):
    submit_bid(medix, open_job)
    client.force_login(acme.owner)

    response = client.post(move("lab:job_close", open_job), {"form_token": token()}, follow=True)

    assert status_of(open_job) == JobStatus.EVALUATION
    shown = text(response)
    assert "Bidding on" in shown and "is closed" in shown
    assert "Compare bids" in shown


def test_a_reviewer_cannot_close_bidding(client, acme, open_job):
    client.force_login(acme.reviewer)

    client.post(move("lab:job_close", open_job), {"form_token": token()})

    assert status_of(open_job) == JobStatus.OPEN


def test_closing_a_draft_is_refused_plainly(client, acme, draft):
    client.force_login(acme.procurement)

    response = client.post(move("lab:job_close", draft), {"form_token": token()}, follow=True)

    assert status_of(draft) == JobStatus.DRAFT
    assert "Only an open job can close bidding" in text(response)


# --- Cancel ---------------------------------------------------------------------------------


def test_cancelling_needs_a_reason_shown_next_to_the_field(client, acme, open_job):
    client.force_login(acme.procurement)

    response = client.post(
        move("lab:job_cancel", open_job), {"cancel-reason": "  ", "form_token": token()}
    )

    assert response.status_code == 200
    assert status_of(open_job) == JobStatus.OPEN
    assert error_for(response, "id_cancel-reason") == "Say why the job is cancelled."
    assert "<details open>" in response.content.decode()


def test_cancelling_with_a_reason_ends_the_job_and_tells_the_bidders(client, acme, medix, open_job):
    bid = submit_bid(medix, open_job)
    client.force_login(acme.procurement)

    response = client.post(
        move("lab:job_cancel", open_job),
        {"cancel-reason": "Budget withdrawn", "form_token": token()},
        follow=True,
    )

    assert status_of(open_job) == JobStatus.CANCELLED
    assert open_job.cancellation_reason == "Budget withdrawn"
    assert Bid.objects.get(pk=bid.pk).status == BidStatus.REJECTED
    assert notifications_to(medix.vendor.organisation, "job.cancelled")
    shown = text(response)
    assert "was cancelled." in shown and "Why it was cancelled: Budget withdrawn" in shown
    assert "Cancel job" not in shown


def test_a_draft_can_be_cancelled(client, acme, draft):
    client.force_login(acme.owner)

    client.post(
        move("lab:job_cancel", draft), {"cancel-reason": "Duplicate", "form_token": token()}
    )

    assert status_of(draft) == JobStatus.CANCELLED


def test_a_reviewer_cannot_cancel(client, acme, open_job):
    client.force_login(acme.reviewer)

    response = client.post(
        move("lab:job_cancel", open_job),
        {"cancel-reason": "Not mine to cancel", "form_token": token()},
        follow=True,
    )

    assert status_of(open_job) == JobStatus.OPEN
    assert "Only the lab's owner or procurement may do this." in text(response)


def test_cancelling_twice_with_one_form_acts_once(client, acme, open_job):
    client.force_login(acme.procurement)
    data = {"cancel-reason": "Budget withdrawn", "form_token": token()}

    client.post(move("lab:job_cancel", open_job), data)
    second = client.post(move("lab:job_cancel", open_job), data, follow=True)

    assert status_of(open_job) == JobStatus.CANCELLED
    assert "cannot be cancelled" not in text(second)


# --- Mark unsuccessful ----------------------------------------------------------------------


def test_marking_unsuccessful_ends_the_job_without_an_award(client, acme, medix, open_job):
    bid = submit_bid(medix, open_job)
    start_evaluation(open_job)
    client.force_login(acme.procurement)

    response = client.post(
        move("lab:job_unsuccessful", open_job),
        {"unsuccessful-reason": "All bids over budget", "form_token": token()},
        follow=True,
    )

    assert status_of(open_job) == JobStatus.UNSUCCESSFUL
    assert Bid.objects.get(pk=bid.pk).status == BidStatus.REJECTED
    assert "ended without an award" in text(response)


def test_marking_unsuccessful_needs_a_reason(client, acme, open_job):
    start_evaluation(open_job)
    client.force_login(acme.procurement)

    response = client.post(
        move("lab:job_unsuccessful", open_job), {"unsuccessful-reason": "", "form_token": token()}
    )

    assert response.status_code == 200
    assert error_for(response, "id_unsuccessful-reason") == "Say why no bid was acceptable."
    assert status_of(open_job) == JobStatus.EVALUATION


def test_an_open_job_cannot_be_marked_unsuccessful(client, acme, open_job):
    client.force_login(acme.procurement)

    response = client.post(
        move("lab:job_unsuccessful", open_job),
        {"unsuccessful-reason": "Too early", "form_token": token()},
        follow=True,
    )

    assert status_of(open_job) == JobStatus.OPEN
    assert "Only a job in evaluation can be marked unsuccessful." in text(response)


# --- Answering questions --------------------------------------------------------------------


def answer_url(question: Question) -> str:
    return reverse("lab:question_answer", args=[question.pk])


def test_an_answer_is_published_for_every_vendor(client, acme, medix, mathly, open_job):
    question = ask(open_job, medix)
    submit_bid(mathly, open_job)
    client.force_login(acme.reviewer)

    response = client.post(
        answer_url(question),
        {f"q{question.pk}-answer": "Yes, fully de-identified.", "form_token": token()},
        follow=True,
    )

    question.refresh_from_db()
    assert question.answer == "Yes, fully de-identified."
    assert question.answered_by == acme.reviewer
    assert notifications_to(mathly.vendor.organisation, "question.answered")
    shown = text(response)
    assert "Answer published to every vendor that can see the job." in shown
    assert "Answer: Yes, fully de-identified." in shown


def test_a_blank_answer_is_refused_next_to_the_field_keeping_the_others(
    client, acme, medix, open_job
):
    first = ask(open_job, medix, "First question?")
    second = ask(open_job, medix, "Second question?")
    client.force_login(acme.procurement)

    response = client.post(answer_url(second), {f"q{second.pk}-answer": " ", "form_token": token()})

    assert response.status_code == 200
    assert error_for(response, f"id_q{second.pk}-answer") == "Write an answer."
    assert error_for(response, f"id_q{first.pk}-answer") == ""
    assert f"q{first.pk}-answer" in values(response)
    second.refresh_from_db()
    assert second.answered_at is None


def test_an_answer_sent_twice_is_recorded_once(client, acme, medix, open_job):
    question = ask(open_job, medix)
    client.force_login(acme.procurement)
    data = {f"q{question.pk}-answer": "Yes.", "form_token": token()}

    client.post(answer_url(question), data)
    second = client.post(answer_url(question), data, follow=True)

    assert "already been answered" not in text(second)
    question.refresh_from_db()
    assert question.answer == "Yes."


def test_answering_after_bidding_closed_is_refused_plainly(client, acme, medix, open_job):
    question = ask(open_job, medix)
    start_evaluation(open_job)
    client.force_login(acme.procurement)

    response = client.post(
        answer_url(question),
        {f"q{question.pk}-answer": "Late", "form_token": token()},
        follow=True,
    )

    assert "Questions can be answered only while the job is open." in text(response)
    question.refresh_from_db()
    assert question.answered_at is None
