from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from labs.models import Job, JobStatus
from labs.permissions import can_answer_questions
from marketplace.accounts.models import Role, User
from marketplace.core.errors import InvalidTransition, NotFound, NotPermitted, RuleViolation
from marketplace.exchange.models import Question
from marketplace.exchange.permissions import can_ask_question, vendor_can_see_job
from marketplace.exchange.services.notifications import notify_organisation
from marketplace.exchange.services.webhook_events import event_announce, job_summary
from vendors.models import Vendor


@transaction.atomic
def question_ask(*, job: Job, vendor: Vendor, user: User, body: str) -> Question:
    if not vendor_can_see_job(vendor, job):
        raise NotFound("No such job.")
    if not can_ask_question(user, vendor, job):
        raise NotPermitted("Only the vendor's owner or bid managers may ask questions.")
    job = Job.objects.select_for_update(no_key=True).get(pk=job.pk)
    if job.status != JobStatus.OPEN:
        raise InvalidTransition("Questions can be asked only while the job is open.")
    if timezone.now() >= job.question_deadline:
        raise RuleViolation("The question period for this job has ended.")
    if not body.strip():
        raise RuleViolation("Write a question.", field="body")
    question = Question.objects.create(
        job=job, asked_by_vendor=vendor, asked_by=user, body=body.strip()
    )
    notify_organisation(
        organisation=job.lab.organisation,
        kind="question.asked",
        title=f"New question on {job.title}",
        body=question.body,
        roles=(Role.LAB_OWNER, Role.PROCUREMENT, Role.REVIEWER),
        dedupe_key=f"question.asked:{question.pk}",
    )
    return question


@transaction.atomic
def question_answer(*, question: Question, user: User, answer: str) -> Question:
    """Answers a question; the answer is visible to every vendor that can see the job,
    and the asker is never named."""
    question = Question.objects.select_for_update().select_related("job__lab").get(pk=question.pk)
    job = question.job
    if not can_answer_questions(user, job.lab):
        raise NotPermitted("Only members of the lab that posted the job may answer.")
    if job.status != JobStatus.OPEN:
        raise InvalidTransition("Questions can be answered only while the job is open.")
    if question.answered_at is not None:
        raise InvalidTransition("This question has already been answered.")
    if not answer.strip():
        raise RuleViolation("Write an answer.", field="answer")
    question.answer = answer.strip()
    question.answered_by = user
    question.answered_at = timezone.now()
    question.save(update_fields=["answer", "answered_by", "answered_at"])
    # Every vendor with a stake in the job hears of the answer, the asker included.
    interested = set(job.bids.values_list("vendor_id", flat=True))
    interested |= set(job.invitations.values_list("vendor_id", flat=True))
    interested.add(question.asked_by_vendor_id)
    told = []
    for vendor in Vendor.objects.filter(pk__in=interested).select_related("organisation"):
        if vendor_can_see_job(vendor, job):
            told.append(vendor.organisation_id)
            notify_organisation(
                organisation=vendor.organisation,
                kind="question.answered",
                title=f"A question on {job.title} was answered",
                body=question.answer,
                dedupe_key=f"question.answered:{question.pk}",
            )
    event_announce(
        organisations=told,
        event_type="question.answered",
        payload={
            "job": job_summary(job),
            "question": {
                "id": question.pk,
                "body": question.body,
                "answer": question.answer,
                "answered_at": question.answered_at,
            },
        },
        key=str(question.pk),
    )
    return question
