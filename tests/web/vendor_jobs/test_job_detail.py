"""One job as a vendor sees it: terms, seats, questions and answers, its own bid; and
asking a question."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from labs.models import Job, Visibility
from marketplace.exchange.models import Question
from marketplace.exchange.services import question_answer, question_ask
from tests.factories import JobFactory
from tests.plugins.personas import make_open_job, pass_bid_deadline, submit_bid
from tests.web.vendor_jobs.conftest import invite, post_form, signed_in, text

pytestmark = pytest.mark.django_db


def url(job: Job) -> str:
    return reverse("vendor:job_detail", args=[job.pk])


def ask_url(job: Job) -> str:
    return reverse("vendor:question_ask", args=[job.pk])


def test_anonymous_is_sent_to_sign_in(client, open_job):
    response = client.get(url(open_job))

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_a_lab_member_gets_not_found_even_for_its_own_job(client, acme, open_job):
    assert signed_in(client, acme.owner).get(url(open_job)).status_code == 404


def test_a_job_the_vendor_cannot_see_is_not_found(client, acme, medix, mathly):
    invited_only = make_open_job(acme, visibility=Visibility.INVITED)
    invite(invited_only, mathly)
    draft = JobFactory(lab=acme.lab)
    signed_in(client, medix.owner)

    assert client.get(url(invited_only)).status_code == 404
    assert client.get(url(draft)).status_code == 404
    assert client.get(reverse("vendor:job_detail", args=[999999])).status_code == 404


def test_shows_the_terms_and_seat_requirements(client, acme, medix, open_job):
    page = text(signed_in(client, medix.bid_manager).get(url(open_job)))

    assert f"<h1>{open_job.title}</h1>" in page
    assert "Acme AI" in page
    assert "USD 10,000.00 \u2013 USD 50,000.00" in page
    assert "MD or above in Medicine" in page
    assert "Sealed: the lab reads bids only once bidding closes" in page


def test_never_shows_another_vendors_bid_or_name(client, acme, medix, mathly, open_job):
    submit_bid(mathly, open_job, "12345")

    page = text(signed_in(client, medix.bid_manager).get(url(open_job)))

    assert "12,345" not in page
    assert "Mathly" not in page
    assert "You have not bid on this job yet." in page


def test_questions_and_answers_never_name_the_asker(client, acme, medix, mathly, open_job):
    question = question_ask(
        job=open_job, vendor=mathly.vendor, user=mathly.bid_manager, body="Is the data in English?"
    )
    question_answer(question=question, user=acme.reviewer, answer="Yes, all of it.")

    medix_page = text(signed_in(client, medix.bid_manager).get(url(open_job)))
    mathly_page = text(signed_in(client, mathly.bid_manager).get(url(open_job)))

    assert "Is the data in English?" in medix_page
    assert "Yes, all of it." in medix_page
    assert "Mathly" not in medix_page
    assert mathly.bid_manager.email not in medix_page
    assert "Asked by you" not in medix_page
    assert "Asked by you" in mathly_page


def test_the_vendors_own_bid_links_to_it(client, medix, open_job):
    bid = submit_bid(medix, open_job, "30000")

    page = text(signed_in(client, medix.bid_manager).get(url(open_job)))

    assert reverse("vendor:bid_detail", args=[bid.pk]) in page
    assert "USD 30,000.00" in page
    assert "Bid on this job" not in page


def test_a_bid_manager_is_offered_to_bid_and_ask(client, medix, open_job):
    page = text(signed_in(client, medix.bid_manager).get(url(open_job)))

    assert reverse("vendor:bid_create", args=[open_job.pk]) in page
    assert "Bid on this job" in page
    assert "Send question" in page


def test_a_role_that_may_not_bid_sees_neither_action(
    client, medix, open_job, medix_without_bid_role
):
    page = text(signed_in(client, medix_without_bid_role).get(url(open_job)))

    assert "Bid on this job" not in page
    assert "Send question" not in page
    assert "Only your organisation's owner or bid managers may bid." in page


def test_after_the_deadline_the_actions_are_gone(client, medix, open_job):
    pass_bid_deadline(open_job)

    page = text(signed_in(client, medix.bid_manager).get(url(open_job)))

    assert "Bid on this job" not in page
    assert "Send question" not in page
    assert "bidding has closed" in page
    assert "The question period has ended." in page


def test_asking_a_question_sends_it_and_shows_it(client, acme, medix, open_job):
    signed_in(client, medix.bid_manager)

    response = post_form(client, ask_url(open_job), {"body": "  How long are the answers?  "})

    assert response.status_code == 302
    assert response.url == url(open_job) + "#questions"
    question = Question.objects.get(job=open_job)
    assert question.body == "How long are the answers?"
    assert question.asked_by_vendor == medix.vendor
    page = text(client.get(response.url))
    assert "Your question was sent to the lab." in page
    assert "How long are the answers?" in page


def test_an_empty_question_is_refused_next_to_the_field(client, medix, open_job):
    response = post_form(signed_in(client, medix.bid_manager), ask_url(open_job), {"body": ""})

    assert response.status_code == 200
    assert "This field is required." in text(response)
    assert 'aria-invalid="true"' in text(response)
    assert not Question.objects.exists()


def test_a_question_after_the_question_period_shows_the_services_refusal(client, medix, open_job):
    Job.objects.filter(pk=open_job.pk).update(
        question_deadline=timezone.now() - timedelta(seconds=1)
    )

    response = post_form(
        signed_in(client, medix.bid_manager), ask_url(open_job), {"body": "Too late?"}
    )

    assert response.status_code == 200
    page = text(response)
    assert "The question period for this job has ended." in page
    assert "Too late?" in page
    assert not Question.objects.exists()


def test_a_role_that_may_not_bid_cannot_ask(client, medix, open_job, medix_without_bid_role):
    response = post_form(
        signed_in(client, medix_without_bid_role), ask_url(open_job), {"body": "May I?"}
    )

    assert response.status_code == 200
    assert "Only the vendor&#x27;s owner or bid managers may ask questions." in text(response)
    assert not Question.objects.exists()


def test_the_same_question_posted_twice_is_asked_once(client, medix, open_job):
    signed_in(client, medix.bid_manager)

    first = post_form(client, ask_url(open_job), {"body": "Twice?"}, token="4" * 32)
    second = post_form(client, ask_url(open_job), {"body": "Twice?"}, token="4" * 32)

    assert first.status_code == second.status_code == 302
    assert second.url == first.url
    assert Question.objects.count() == 1


def test_asking_on_a_job_the_vendor_cannot_see_is_not_found(client, acme, medix, mathly):
    invited_only = make_open_job(acme, visibility=Visibility.INVITED)
    invite(invited_only, mathly)

    response = post_form(signed_in(client, medix.owner), ask_url(invited_only), {"body": "Hi"})

    assert response.status_code == 404
    assert not Question.objects.exists()


def test_asking_is_post_only(client, medix, open_job):
    assert signed_in(client, medix.owner).get(ask_url(open_job)).status_code == 405
