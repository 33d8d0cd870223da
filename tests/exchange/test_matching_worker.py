"""Matching through a real broker and worker: publishing a job commits, the worker ranks
the vendors and invites them; a matching whose message was lost is replayed by the
reconciler running in the worker."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from labs.models import Job, WorkState
from marketplace.exchange import services as exchange
from marketplace.exchange.models import Invitation, Notification, Screening
from marketplace.exchange.tasks import reconcile_matching_task
from tests.exchange.matching_builders import job_needing, staffed_vendor, vocabulary

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]


def matched(job: Job) -> bool:
    return Job.objects.get(pk=job.pk).matching_state == WorkState.DONE


def test_the_worker_matches_a_published_job_and_invites_the_eligible(
    acme, celery_worker_process, wait_for
):
    v = vocabulary()
    eligible = staffed_vendor("Medix Annotations", v, md=2, rn=1)
    staffed_vendor("No Nurses Ltd", v, md=3)
    job = job_needing(acme, (2, v.medicine, v.md), (1, v.nursing, v.rn))

    exchange.job_publish(job=job, user=acme.procurement)

    wait_for(lambda: matched(job), timeout=30, message="the worker did not match the job")
    assert list(Invitation.objects.filter(job=job).values_list("vendor", "rank")) == [
        (eligible.vendor.pk, 1)
    ]
    wait_for(
        lambda: (
            Notification.objects.filter(kind="invitation.created", emailed_at__isnull=False).count()
            == 2
        ),
        timeout=30,
        message="the invited vendor's members were not told by e-mail",
    )
    wait_for(
        lambda: Screening.objects.filter(
            lab=acme.lab, vendor=eligible.vendor, bid=None, state="done"
        ).exists(),
        timeout=30,
        message="the invited vendor was not screened",
    )


def test_the_reconciler_replays_a_matching_whose_message_was_lost(
    acme, celery_worker_process, wait_for
):
    v = vocabulary()
    team = staffed_vendor("Medix Annotations", v, md=1)
    job = job_needing(acme, (1, v.medicine, v.md))
    # Published as if the broker lost the message: pending, requested three minutes ago.
    Job.objects.filter(pk=job.pk).update(
        status="open",
        published_at=timezone.now(),
        matching_state=WorkState.PENDING,
        matching_requested_at=timezone.now() - timedelta(minutes=3),
    )

    reconcile_matching_task.delay()

    wait_for(lambda: matched(job), timeout=30, message="the lost matching was not replayed")
    assert Invitation.objects.get(job=job).vendor == team.vendor
