"""Vendors ask questions while a job is open; the lab's answers reach every vendor
that can see the job, and nobody learns who asked."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from labs.models import Job, Visibility
from marketplace.core.errors import InvalidTransition, NotFound, NotPermitted, RuleViolation
from marketplace.exchange import services as exchange
from marketplace.exchange.models import Invitation, Question
from marketplace.exchange.selectors import question_list_for_job
from tests.exchange.helpers import notifications_to, start_evaluation
from tests.factories import JobFactory
from tests.plugins.personas import make_open_job, make_vendor_team, submit_bid

pytestmark = pytest.mark.django_db

BODY = "Do graders need board certification in the US?"


def ask(team, job, body=BODY):
    return exchange.question_ask(job=job, vendor=team.vendor, user=team.bid_manager, body=body)


def test_a_vendor_asks_and_the_lab_is_told_without_the_askers_name(acme, medix, open_job):
    question = ask(medix, open_job, f"  {BODY}  ")

    assert question.body == BODY and question.answer == ""
    told = notifications_to(acme.lab.organisation, "question.asked")
    assert {n.recipient for n in told} == {acme.owner, acme.procurement, acme.reviewer}
    for notification in told:
        text = f"{notification.title} {notification.body}"
        assert "Medix" not in text and medix.bid_manager.email not in text
        assert BODY in text


def test_questions_close_at_the_question_deadline_even_while_bidding_is_open(medix, open_job):
    Job.objects.filter(pk=open_job.pk).update(
        question_deadline=timezone.now() - timedelta(seconds=1)
    )

    with pytest.raises(RuleViolation):
        ask(medix, open_job)

    assert not Question.objects.exists()
    assert submit_bid(medix, open_job).pk  # bidding itself is still open


def test_no_questions_once_bidding_has_closed(medix, open_job):
    start_evaluation(open_job)

    with pytest.raises(InvalidTransition):
        ask(medix, open_job)


def test_no_questions_on_a_draft(acme, medix):
    draft = JobFactory(lab=acme.lab, created_by=acme.procurement)

    with pytest.raises(NotFound):
        ask(medix, draft)


def test_a_vendor_not_invited_to_an_invitation_only_job_cannot_ask(acme, medix):
    job = make_open_job(acme, visibility=Visibility.INVITED)

    with pytest.raises(NotFound):
        ask(medix, job)

    Invitation.objects.create(job=job, vendor=medix.vendor, rank=1, score=Decimal("0.8"))
    assert ask(medix, job).job == job


def test_an_empty_question_is_refused(medix, open_job):
    with pytest.raises(RuleViolation) as refused:
        ask(medix, open_job, "   ")

    assert refused.value.field == "body"


@pytest.mark.parametrize(
    "who",
    [
        pytest.param(lambda acme, mathly: acme.procurement, id="lab procurement"),
        pytest.param(lambda acme, mathly: mathly.owner, id="another vendor's owner"),
    ],
)
def test_only_the_vendors_people_ask_for_it(acme, medix, mathly, open_job, who):
    with pytest.raises(NotPermitted):
        exchange.question_ask(job=open_job, vendor=medix.vendor, user=who(acme, mathly), body=BODY)


@pytest.mark.parametrize("role", ["owner", "procurement", "reviewer"])
def test_the_answer_reaches_every_vendor_in_the_running_without_naming_the_asker(
    acme, medix, mathly, open_job, role
):
    invited = make_vendor_team("Invited Only Ltd")
    Invitation.objects.create(job=open_job, vendor=invited.vendor, rank=1, score=Decimal("0.7"))
    submit_bid(mathly, open_job)
    question = ask(medix, open_job)

    exchange.question_answer(
        question=question,
        user=getattr(acme, role),
        answer="  Yes: US board certification is required.  ",
    )

    listed = list(question_list_for_job(job=open_job))
    assert [(q.body, q.answer) for q in listed] == [
        (BODY, "Yes: US board certification is required.")
    ]
    asker_names = {"Medix", medix.bid_manager.email, medix.bid_manager.full_name}
    for team in (medix, mathly, invited):
        told = notifications_to(team.vendor.organisation, "question.answered")
        assert {n.recipient for n in told} == {team.owner, team.bid_manager}
        for notification in told:
            text = f"{notification.title} {notification.body}"
            assert "US board certification is required" in text
            assert not any(name in text for name in asker_names)


def test_a_vendor_with_nothing_to_do_with_the_job_is_not_notified(acme, medix, mathly, open_job):
    question = ask(medix, open_job)

    exchange.question_answer(question=question, user=acme.procurement, answer="Yes.")

    assert not notifications_to(mathly.vendor.organisation)
    assert question_list_for_job(job=open_job).get().answer == "Yes."


@pytest.mark.parametrize(
    "who",
    [
        pytest.param(lambda rival, medix, mathly: rival.owner, id="owner of another lab"),
        pytest.param(lambda rival, medix, mathly: medix.owner, id="the asking vendor"),
        pytest.param(lambda rival, medix, mathly: mathly.owner, id="another vendor"),
    ],
)
def test_only_the_labs_members_answer(rival, medix, mathly, open_job, who):
    question = ask(medix, open_job)

    with pytest.raises(NotPermitted):
        exchange.question_answer(
            question=question, user=who(rival, medix, mathly), answer="Anything goes"
        )

    assert Question.objects.get(pk=question.pk).answer == ""


def test_a_question_is_answered_once(acme, medix, open_job):
    question = ask(medix, open_job)
    exchange.question_answer(question=question, user=acme.owner, answer="Yes.")

    with pytest.raises(InvalidTransition):
        exchange.question_answer(question=question, user=acme.owner, answer="Actually no.")

    assert Question.objects.get(pk=question.pk).answer == "Yes."


def test_an_empty_answer_is_refused(acme, medix, open_job):
    question = ask(medix, open_job)

    with pytest.raises(RuleViolation) as refused:
        exchange.question_answer(question=question, user=acme.owner, answer=" ")

    assert refused.value.field == "answer"
    assert Question.objects.get(pk=question.pk).answered_at is None


def test_no_answers_once_bidding_has_closed(acme, medix, open_job):
    question = ask(medix, open_job)
    start_evaluation(open_job)

    with pytest.raises(InvalidTransition):
        exchange.question_answer(question=question, user=acme.owner, answer="Too late")
