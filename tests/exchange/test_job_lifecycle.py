"""The job lifecycle as a lab drives it: publish, close bidding, cancel, mark
unsuccessful, complete."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from labs.models import Job, JobStatus
from marketplace.core.errors import InvalidTransition, NotPermitted, RuleViolation
from marketplace.exchange import services as exchange
from marketplace.exchange.models import Bid, BidStatus
from tests.exchange.helpers import notifications_to, start_evaluation
from tests.factories import JobFactory, SeatRequirementFactory
from tests.plugins.personas import make_open_job, pass_bid_deadline, submit_bid

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft(acme):
    job = JobFactory(lab=acme.lab, created_by=acme.procurement)
    SeatRequirementFactory(job=job)
    return job


# --- publish ---------------------------------------------------------------------------


def test_procurement_publishes_a_draft_and_vendors_can_bid(acme, medix, draft):
    job = exchange.job_publish(job=draft, user=acme.procurement)

    job.refresh_from_db()
    assert job.status == JobStatus.OPEN and job.published_at is not None
    assert submit_bid(medix, job).status == BidStatus.SUBMITTED


def test_a_job_without_seat_requirements_cannot_be_published(acme):
    job = JobFactory(lab=acme.lab, created_by=acme.procurement)

    with pytest.raises(RuleViolation) as refused:
        exchange.job_publish(job=job, user=acme.procurement)

    assert refused.value.field == "seat_requirements"
    job.refresh_from_db()
    assert job.status == JobStatus.DRAFT


@pytest.mark.parametrize(
    ("deadlines", "field"),
    [
        pytest.param(
            {"question_deadline": -2, "bid_deadline": -1}, "bid_deadline", id="bid deadline passed"
        ),
        pytest.param(
            {"question_deadline": -1, "bid_deadline": 3},
            "question_deadline",
            id="question deadline passed",
        ),
    ],
)
def test_a_job_whose_deadlines_have_passed_cannot_be_published(acme, deadlines, field):
    now = timezone.now()
    job = JobFactory(
        lab=acme.lab,
        created_by=acme.procurement,
        **{name: now + timedelta(days=days) for name, days in deadlines.items()},
    )
    SeatRequirementFactory(job=job)

    with pytest.raises(RuleViolation) as refused:
        exchange.job_publish(job=job, user=acme.procurement)

    assert refused.value.field == field
    job.refresh_from_db()
    assert job.status == JobStatus.DRAFT


def test_only_a_draft_can_be_published(acme):
    job = make_open_job(acme)

    with pytest.raises(InvalidTransition):
        exchange.job_publish(job=job, user=acme.procurement)


@pytest.mark.parametrize(
    "who",
    [
        pytest.param(lambda acme, rival, medix: acme.reviewer, id="lab reviewer"),
        pytest.param(lambda acme, rival, medix: rival.owner, id="owner of another lab"),
        pytest.param(lambda acme, rival, medix: medix.owner, id="vendor owner"),
    ],
)
def test_others_may_not_publish(acme, rival, medix, draft, who):
    with pytest.raises(NotPermitted):
        exchange.job_publish(job=draft, user=who(acme, rival, medix))

    draft.refresh_from_db()
    assert draft.status == JobStatus.DRAFT


# --- close bidding ---------------------------------------------------------------------


def test_procurement_closes_bidding_early_and_the_lab_is_told_how_many_bids_came(
    acme, medix, mathly, open_job
):
    submit_bid(medix, open_job)
    submit_bid(mathly, open_job)

    exchange.job_close_bidding(job=open_job, user=acme.procurement)

    open_job.refresh_from_db()
    assert open_job.status == JobStatus.EVALUATION
    assert open_job.evaluation_started_at is not None
    told = notifications_to(acme.lab.organisation, "job.evaluation_started")
    assert {n.recipient for n in told} == {acme.owner, acme.procurement, acme.reviewer}
    assert all("2 bid(s)" in n.title for n in told)


def test_after_an_early_close_no_more_bids_are_taken(acme, medix, open_job):
    exchange.job_close_bidding(job=open_job, user=acme.owner)

    with pytest.raises(InvalidTransition):
        submit_bid(medix, open_job)


@pytest.mark.parametrize(
    "who",
    [
        pytest.param(lambda acme, rival, medix: acme.reviewer, id="lab reviewer"),
        pytest.param(lambda acme, rival, medix: rival.owner, id="owner of another lab"),
        pytest.param(lambda acme, rival, medix: medix.owner, id="vendor owner"),
    ],
)
def test_others_may_not_close_bidding(acme, rival, medix, open_job, who):
    with pytest.raises(NotPermitted):
        exchange.job_close_bidding(job=open_job, user=who(acme, rival, medix))

    open_job.refresh_from_db()
    assert open_job.status == JobStatus.OPEN


def test_bidding_can_be_closed_only_on_an_open_job(acme, draft):
    with pytest.raises(InvalidTransition):
        exchange.job_close_bidding(job=draft, user=acme.procurement)


def test_the_system_closes_bidding_only_once_the_deadline_has_passed(open_job):
    with pytest.raises(RuleViolation):
        exchange.job_close_bidding(job=open_job, user=None)

    open_job.refresh_from_db()
    assert open_job.status == JobStatus.OPEN


def test_the_periodic_close_moves_only_due_jobs_to_evaluation(acme, medix):
    due = pass_bid_deadline(make_open_job(acme))
    not_yet = make_open_job(acme)
    draft_past_deadline = JobFactory(
        lab=acme.lab,
        created_by=acme.procurement,
        question_deadline=timezone.now() - timedelta(days=2),
        bid_deadline=timezone.now() - timedelta(days=1),
    )

    closed = exchange.close_due_bidding()

    assert closed == [due.pk]
    statuses = dict(Job.objects.values_list("pk", "status"))
    assert statuses == {
        due.pk: JobStatus.EVALUATION,
        not_yet.pk: JobStatus.OPEN,
        draft_past_deadline.pk: JobStatus.DRAFT,
    }


def test_running_the_periodic_close_again_changes_nothing(acme, open_job):
    pass_bid_deadline(open_job)
    exchange.close_due_bidding()
    started = Job.objects.get(pk=open_job.pk).evaluation_started_at

    assert exchange.close_due_bidding() == []

    open_job.refresh_from_db()
    assert open_job.status == JobStatus.EVALUATION
    assert open_job.evaluation_started_at == started
    assert len(notifications_to(acme.lab.organisation, "job.evaluation_started")) == 3


def test_draft_bids_lapse_when_bidding_closes(medix, mathly, open_job):
    draft_bid = exchange.bid_draft_create(
        job=open_job,
        vendor=medix.vendor,
        user=medix.owner,
        price=Decimal("30000"),
        currency="USD",
        timeline_days=20,
    )
    submitted = submit_bid(mathly, open_job)

    start_evaluation(open_job)

    draft_bid.refresh_from_db()
    submitted.refresh_from_db()
    assert draft_bid.status == BidStatus.WITHDRAWN and draft_bid.withdrawn_at is not None
    assert submitted.status == BidStatus.SUBMITTED


# --- cancel ----------------------------------------------------------------------------


def test_a_draft_is_cancelled_quietly(acme, draft):
    exchange.job_cancel(job=draft, user=acme.procurement, reason="  Budget moved  ")

    draft.refresh_from_db()
    assert draft.status == JobStatus.CANCELLED
    assert draft.cancellation_reason == "Budget moved" and draft.closed_at is not None


def test_cancelling_an_open_job_rejects_its_bids_and_tells_the_bidders(
    acme, medix, mathly, open_job
):
    medix_bid = submit_bid(medix, open_job)
    mathly_bid = submit_bid(mathly, open_job)

    exchange.job_cancel(job=open_job, user=acme.owner, reason="Project shelved")

    open_job.refresh_from_db()
    assert open_job.status == JobStatus.CANCELLED
    for bid in (medix_bid, mathly_bid):
        bid.refresh_from_db()
        assert bid.status == BidStatus.REJECTED
        assert bid.decision_reason == "The job was cancelled."
    for team in (medix, mathly):
        told = notifications_to(team.vendor.organisation, "job.cancelled")
        assert {n.recipient for n in told} == {team.owner, team.bid_manager}
        assert all(n.body == "Project shelved" for n in told)


def test_cancelling_in_evaluation_rejects_shortlisted_bids_too(acme, medix, open_job):
    bid = submit_bid(medix, open_job)
    start_evaluation(open_job)
    exchange.bid_shortlist(bid=bid, user=acme.reviewer)

    exchange.job_cancel(job=open_job, user=acme.procurement, reason="Requirements changed")

    bid.refresh_from_db()
    assert bid.status == BidStatus.REJECTED
    assert notifications_to(medix.vendor.organisation, "job.cancelled")


def test_vendors_that_did_not_bid_are_not_told_of_a_cancellation(acme, medix, mathly, open_job):
    submit_bid(medix, open_job)

    exchange.job_cancel(job=open_job, user=acme.procurement, reason="Shelved")

    assert not notifications_to(mathly.vendor.organisation)


def test_a_cancellation_needs_a_reason(acme, medix, open_job):
    bid = submit_bid(medix, open_job)

    with pytest.raises(RuleViolation) as refused:
        exchange.job_cancel(job=open_job, user=acme.procurement, reason="   ")

    assert refused.value.field == "reason"
    open_job.refresh_from_db()
    bid.refresh_from_db()
    assert open_job.status == JobStatus.OPEN and bid.status == BidStatus.SUBMITTED


def _awarded(acme, medix):
    job = make_open_job(acme)
    bid = submit_bid(medix, job)
    start_evaluation(job)
    award = exchange.award_make(job=job, user=acme.procurement, shares={bid.pk: Decimal(100)})
    return job, award


def _completed(acme, medix):
    job, award = _awarded(acme, medix)
    exchange.contract_complete(
        contract=award.contracts.get(),
        user=acme.reviewer,
        delivered_on=timezone.localdate(),
        rating=4,
    )
    return job, award


@pytest.mark.parametrize("reach", [_awarded, _completed], ids=["awarded", "completed"])
def test_an_awarded_or_completed_job_cannot_be_cancelled(acme, medix, reach):
    job, _ = reach(acme, medix)
    status = Job.objects.get(pk=job.pk).status

    with pytest.raises(InvalidTransition):
        exchange.job_cancel(job=job, user=acme.owner, reason="Changed our minds")

    assert Job.objects.get(pk=job.pk).status == status
    assert Bid.objects.get(job=job).status == BidStatus.AWARDED


def test_a_cancelled_job_cannot_be_cancelled_again(acme, draft):
    exchange.job_cancel(job=draft, user=acme.owner, reason="Shelved")

    with pytest.raises(InvalidTransition):
        exchange.job_cancel(job=draft, user=acme.owner, reason="Shelved again")


@pytest.mark.parametrize(
    "who",
    [
        pytest.param(lambda acme, rival, medix: acme.reviewer, id="lab reviewer"),
        pytest.param(lambda acme, rival, medix: rival.owner, id="owner of another lab"),
        pytest.param(lambda acme, rival, medix: medix.owner, id="vendor owner"),
    ],
)
def test_others_may_not_cancel(acme, rival, medix, open_job, who):
    with pytest.raises(NotPermitted):
        exchange.job_cancel(job=open_job, user=who(acme, rival, medix), reason="Sabotage")

    open_job.refresh_from_db()
    assert open_job.status == JobStatus.OPEN


# --- unsuccessful ----------------------------------------------------------------------


def test_a_job_in_evaluation_ends_without_an_award(acme, medix, mathly, open_job):
    medix_bid = submit_bid(medix, open_job)
    mathly_bid = submit_bid(mathly, open_job)
    start_evaluation(open_job)
    exchange.bid_shortlist(bid=mathly_bid, user=acme.reviewer)

    exchange.job_mark_unsuccessful(
        job=open_job, user=acme.procurement, reason="Every bid was over budget"
    )

    open_job.refresh_from_db()
    assert open_job.status == JobStatus.UNSUCCESSFUL and open_job.closed_at is not None
    for bid in (medix_bid, mathly_bid):
        bid.refresh_from_db()
        assert bid.status == BidStatus.REJECTED
        assert bid.decision_reason == "Every bid was over budget"
    for team in (medix, mathly):
        told = notifications_to(team.vendor.organisation, "job.unsuccessful")
        assert {n.recipient for n in told} == {team.owner, team.bid_manager}


@pytest.mark.parametrize("status", ["draft", "open"])
def test_only_a_job_in_evaluation_can_be_marked_unsuccessful(acme, draft, open_job, status):
    job = draft if status == "draft" else open_job

    with pytest.raises(InvalidTransition):
        exchange.job_mark_unsuccessful(job=job, user=acme.procurement, reason="No good bids")

    assert Job.objects.get(pk=job.pk).status == status


def test_an_awarded_job_cannot_be_marked_unsuccessful(acme, medix):
    job, _ = _awarded(acme, medix)

    with pytest.raises(InvalidTransition):
        exchange.job_mark_unsuccessful(job=job, user=acme.procurement, reason="Regret")


def test_marking_unsuccessful_needs_a_reason_and_a_job_manager(acme, medix, open_job):
    submit_bid(medix, open_job)
    start_evaluation(open_job)

    with pytest.raises(RuleViolation):
        exchange.job_mark_unsuccessful(job=open_job, user=acme.procurement, reason="")
    with pytest.raises(NotPermitted):
        exchange.job_mark_unsuccessful(job=open_job, user=acme.reviewer, reason="No good bids")

    assert Job.objects.get(pk=open_job.pk).status == JobStatus.EVALUATION


# --- complete --------------------------------------------------------------------------


def test_a_job_completes_with_its_contracts(acme, medix):
    job, award = _awarded(acme, medix)
    assert Job.objects.get(pk=job.pk).status == JobStatus.AWARDED

    exchange.contract_complete(
        contract=award.contracts.get(), user=acme.owner, delivered_on=timezone.localdate(), rating=5
    )

    job.refresh_from_db()
    assert job.status == JobStatus.COMPLETED and job.closed_at is not None
