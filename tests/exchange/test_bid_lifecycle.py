"""A vendor's bid: draft, submit, revise, withdraw; then the lab shortlists or rejects."""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from labs.models import Job, Visibility
from marketplace.core.errors import InvalidTransition, NotFound, NotPermitted, RuleViolation
from marketplace.exchange import services as exchange
from marketplace.exchange.models import Bid, BidRevision, BidStatus, Invitation
from tests.exchange.helpers import start_evaluation
from tests.factories import (
    CredentialFactory,
    CredentialFieldFactory,
    JobFactory,
    QualificationLevelFactory,
    SpecialistFactory,
    UserFactory,
)
from tests.plugins.personas import make_open_job, pass_bid_deadline, qualify, submit_bid
from vendors.models import CredentialStatus

pytestmark = pytest.mark.django_db


def bid_terms(job, **overrides):
    terms = {"price": Decimal("30000"), "currency": job.currency, "timeline_days": 30}
    terms.update(overrides)
    return terms


# --- submit ----------------------------------------------------------------------------


def test_a_bid_manager_submits_a_bid_with_specialists(medix, open_job):
    two = qualify(medix.specialists[:2], open_job)

    bid = exchange.bid_submit(
        job=open_job,
        vendor=medix.vendor,
        user=medix.bid_manager,
        note="Board-certified physicians",
        specialists=two,
        **bid_terms(open_job),
    )

    bid.refresh_from_db()
    assert bid.status == BidStatus.SUBMITTED and bid.submitted_at is not None
    assert set(bid.proposed_specialists.all()) == set(two)
    revision = bid.revisions.get()
    assert (revision.number, revision.price) == (1, Decimal("30000"))
    assert revision.specialist_ids == sorted(s.pk for s in two)


def test_the_vendor_owner_may_bid_too(medix, open_job):
    bid = exchange.bid_submit(
        job=open_job, vendor=medix.vendor, user=medix.owner, **bid_terms(open_job)
    )

    assert bid.status == BidStatus.SUBMITTED


def test_a_draft_job_is_invisible_to_vendors(acme, medix):
    draft = JobFactory(lab=acme.lab, created_by=acme.procurement)

    with pytest.raises(NotFound):
        submit_bid(medix, draft)


@pytest.mark.parametrize("how", ["closed early", "periodic close"])
def test_a_job_in_evaluation_takes_no_bids(acme, medix, open_job, how):
    if how == "closed early":
        exchange.job_close_bidding(job=open_job, user=acme.procurement)
    else:
        start_evaluation(open_job)

    with pytest.raises(InvalidTransition):
        submit_bid(medix, open_job)
    assert not Bid.objects.exists()


def test_a_cancelled_job_takes_no_bids(acme, medix, open_job):
    exchange.job_cancel(job=open_job, user=acme.procurement, reason="Shelved")

    with pytest.raises(InvalidTransition):
        submit_bid(medix, open_job)


def test_the_deadline_is_checked_at_submit_time_even_before_the_periodic_close(medix, open_job):
    pass_bid_deadline(open_job)
    assert Job.objects.get(pk=open_job.pk).status == "open"

    with pytest.raises(RuleViolation) as refused:
        submit_bid(medix, open_job)

    assert refused.value.code == "rule_violation"
    assert not Bid.objects.exists()


def test_a_stale_job_object_does_not_let_a_late_bid_in(medix, open_job):
    stale = Job.objects.get(pk=open_job.pk)
    pass_bid_deadline(open_job)

    with pytest.raises(RuleViolation):
        submit_bid(medix, stale)


def test_the_bid_must_be_in_the_jobs_currency(medix, open_job):
    with pytest.raises(RuleViolation) as refused:
        exchange.bid_submit(
            job=open_job,
            vendor=medix.vendor,
            user=medix.bid_manager,
            **bid_terms(open_job, currency="EUR"),
        )

    assert refused.value.field == "currency"
    assert not Bid.objects.exists()


@pytest.mark.parametrize("price", ["0", "-100", "0.00"])
def test_the_price_must_be_above_zero(medix, open_job, price):
    with pytest.raises(RuleViolation) as refused:
        submit_bid(medix, open_job, price)

    assert refused.value.field == "price"
    assert not Bid.objects.exists()


def test_the_timeline_must_be_at_least_a_day(medix, open_job):
    with pytest.raises(RuleViolation) as refused:
        exchange.bid_submit(
            job=open_job,
            vendor=medix.vendor,
            user=medix.bid_manager,
            **bid_terms(open_job, timeline_days=0),
        )

    assert refused.value.field == "timeline_days"


def test_another_vendors_specialist_cannot_be_proposed(medix, mathly, open_job):
    with pytest.raises(RuleViolation) as refused:
        submit_bid(medix, open_job, specialists=[medix.specialists[0], mathly.specialists[0]])

    assert refused.value.field == "specialists"
    assert not Bid.objects.exists()


def test_an_inactive_specialist_cannot_be_proposed(medix, open_job):
    gone = SpecialistFactory(vendor=medix.vendor, is_active=False)

    with pytest.raises(RuleViolation) as refused:
        submit_bid(medix, open_job, specialists=[gone])

    assert refused.value.field == "specialists"


def test_a_specialist_cannot_be_proposed_twice(medix, open_job):
    one = medix.specialists[0]

    with pytest.raises(RuleViolation) as refused:
        submit_bid(medix, open_job, specialists=[one, one])

    assert refused.value.field == "specialists"
    assert not Bid.objects.exists()


def test_a_specialist_who_can_fill_no_seat_cannot_be_proposed(medix, open_job):
    fit, unfit = medix.specialists[0], medix.specialists[1]
    qualify([fit], open_job)

    with pytest.raises(RuleViolation) as refused:
        submit_bid(medix, open_job, specialists=[fit, unfit])

    assert (refused.value.field, refused.value.code) == ("specialists", "specialist_unfit")
    assert unfit.full_name in refused.value.message and fit.full_name not in refused.value.message
    assert not Bid.objects.exists()


@pytest.mark.parametrize(
    "credential",
    [
        {"status": CredentialStatus.PENDING},
        {"status": CredentialStatus.REJECTED},
        {"expires_on": "delivery"},  # lapses on the delivery date itself
        {"level": "below"},
        {"field": "other"},
    ],
)
def test_only_a_verified_fitting_credential_valid_on_delivery_counts(medix, open_job, credential):
    seat = open_job.seat_requirements.select_related("field", "min_level").get()
    fields = {
        "specialist": medix.specialists[0],
        "field": seat.field,
        "level": seat.min_level,
        "status": CredentialStatus.VERIFIED,
        "verified_by": UserFactory(is_staff=True),
        "verified_at": timezone.now(),
    }
    if credential.get("status") in (CredentialStatus.PENDING, CredentialStatus.REJECTED):
        fields.update(status=credential["status"], verified_by=None, verified_at=None)
        if credential["status"] == CredentialStatus.REJECTED:
            fields["rejection_reason"] = "The licence number does not exist."
    if credential.get("expires_on"):
        fields["expires_on"] = open_job.delivery_date
    if credential.get("level"):
        fields["level"] = QualificationLevelFactory(
            code="resident", ladder=seat.min_level.ladder, rank=seat.min_level.rank - 1
        )
    if credential.get("field"):
        fields["field"] = CredentialFieldFactory(code="law")
    CredentialFactory(**fields)

    with pytest.raises(RuleViolation) as refused:
        submit_bid(medix, open_job, specialists=[medix.specialists[0]])

    assert refused.value.code == "specialist_unfit"


def test_a_job_without_seats_takes_any_specialist_on_the_roster(medix, acme):
    job = make_open_job(acme)
    job.seat_requirements.all().delete()

    bid = submit_bid(medix, job, specialists=medix.specialists[:2])

    assert set(bid.proposed_specialists.all()) == set(medix.specialists[:2])


def test_a_revision_cannot_bring_in_an_unfit_specialist(medix, open_job):
    bid = submit_bid(medix, open_job, specialists=qualify(medix.specialists[:1], open_job))

    with pytest.raises(RuleViolation) as refused:
        exchange.bid_revise(bid=bid, user=medix.owner, specialists=[medix.specialists[2]])

    assert refused.value.code == "specialist_unfit"
    bid.refresh_from_db()
    assert list(bid.proposed_specialists.all()) == [medix.specialists[0]]
    assert bid.revision_number == 1


def test_a_second_bid_from_the_same_vendor_is_refused(medix, open_job):
    first = submit_bid(medix, open_job, "30000")

    with pytest.raises(RuleViolation) as refused:
        exchange.bid_submit(
            job=open_job,
            vendor=medix.vendor,
            user=medix.owner,
            **bid_terms(open_job, price=Decimal("20000")),
        )

    assert refused.value.code == "bid_exists"
    assert list(Bid.objects.all()) == [first]
    first.refresh_from_db()
    assert first.price == Decimal("30000")


def test_two_vendors_may_bid_on_the_same_job(medix, mathly, open_job):
    submit_bid(medix, open_job)
    submit_bid(mathly, open_job)

    assert Bid.objects.filter(job=open_job, status=BidStatus.SUBMITTED).count() == 2


def test_a_withdrawn_bid_makes_room_for_a_new_one(medix, open_job):
    old = submit_bid(medix, open_job, "30000")
    exchange.bid_withdraw(bid=old, user=medix.owner)

    new = submit_bid(medix, open_job, "26000")

    assert new.pk != old.pk
    old.refresh_from_db()
    assert old.status == BidStatus.WITHDRAWN
    assert new.status == BidStatus.SUBMITTED and new.price == Decimal("26000")


def test_a_draft_is_saved_then_submitted_as_the_same_bid(medix, open_job):
    draft = exchange.bid_draft_create(
        job=open_job,
        vendor=medix.vendor,
        user=medix.bid_manager,
        **bid_terms(open_job, price=Decimal("35000")),
    )
    assert draft.status == BidStatus.DRAFT and not draft.revisions.exists()

    bid = submit_bid(medix, open_job, "32000", specialists=qualify(medix.specialists[:1], open_job))

    assert bid.pk == draft.pk
    bid.refresh_from_db()
    assert bid.status == BidStatus.SUBMITTED and bid.price == Decimal("32000")
    assert list(bid.revisions.values_list("number", "price")) == [(1, Decimal("32000"))]


def test_a_draft_is_checked_like_a_bid(medix, mathly, open_job):
    with pytest.raises(RuleViolation):
        exchange.bid_draft_create(
            job=open_job,
            vendor=medix.vendor,
            user=medix.bid_manager,
            specialists=[mathly.specialists[0]],
            **bid_terms(open_job),
        )
    submit_bid(medix, open_job)
    with pytest.raises(RuleViolation) as refused:
        exchange.bid_draft_create(
            job=open_job, vendor=medix.vendor, user=medix.bid_manager, **bid_terms(open_job)
        )

    assert refused.value.code == "bid_exists"


@pytest.mark.parametrize(
    "who",
    [
        pytest.param(lambda acme, rival, mathly: acme.procurement, id="lab procurement"),
        pytest.param(lambda acme, rival, mathly: mathly.owner, id="another vendor's owner"),
        pytest.param(lambda acme, rival, mathly: rival.owner, id="another lab's owner"),
    ],
)
def test_only_the_vendors_own_people_may_bid_for_it(acme, rival, medix, mathly, open_job, who):
    with pytest.raises(NotPermitted):
        exchange.bid_submit(
            job=open_job, vendor=medix.vendor, user=who(acme, rival, mathly), **bid_terms(open_job)
        )

    assert not Bid.objects.exists()


def test_a_deactivated_bid_manager_may_not_bid(medix, open_job):
    medix.bid_manager.is_active = False
    medix.bid_manager.save()

    with pytest.raises(NotPermitted):
        submit_bid(medix, open_job)


def test_a_vendor_not_invited_to_an_invitation_only_job_gets_not_found(acme, medix, mathly):
    job = make_open_job(acme, visibility=Visibility.INVITED)
    Invitation.objects.create(job=job, vendor=mathly.vendor, rank=1, score=Decimal("0.9"))

    with pytest.raises(NotFound) as refused:
        submit_bid(medix, job)

    assert refused.value.code == "not_found"
    assert submit_bid(mathly, job).status == BidStatus.SUBMITTED
    assert list(Bid.objects.values_list("vendor", flat=True)) == [mathly.vendor.pk]


# --- revise ----------------------------------------------------------------------------


def test_every_revision_is_kept_with_its_old_terms(medix, open_job):
    qualify(medix.specialists, open_job)
    bid = submit_bid(medix, open_job, "30000", specialists=medix.specialists[:1])

    exchange.bid_revise(bid=bid, user=medix.owner, price=Decimal("28000"))
    exchange.bid_revise(
        bid=bid,
        user=medix.bid_manager,
        timeline_days=21,
        note="Faster",
        specialists=medix.specialists[1:3],
    )

    bid.refresh_from_db()
    assert bid.status == BidStatus.SUBMITTED
    assert (bid.price, bid.timeline_days, bid.revision_number) == (Decimal("28000"), 21, 3)
    revisions = list(
        BidRevision.objects.filter(bid=bid).values_list(
            "number", "price", "timeline_days", "specialist_ids", "created_by"
        )
    )
    assert revisions == [
        (1, Decimal("30000"), 30, [medix.specialists[0].pk], medix.bid_manager.pk),
        (2, Decimal("28000"), 30, [medix.specialists[0].pk], medix.owner.pk),
        (
            3,
            Decimal("28000"),
            21,
            sorted(s.pk for s in medix.specialists[1:3]),
            medix.bid_manager.pk,
        ),
    ]
    assert set(bid.proposed_specialists.all()) == set(medix.specialists[1:3])


@pytest.mark.parametrize(
    ("change", "field"),
    [
        pytest.param({"price": Decimal("0")}, "price", id="zero price"),
        pytest.param({"currency": "GBP"}, "currency", id="other currency"),
        pytest.param({"timeline_days": 0}, "timeline_days", id="no time"),
    ],
)
def test_a_revision_is_checked_like_a_bid_and_leaves_no_trace_when_refused(
    medix, open_job, change, field
):
    bid = submit_bid(medix, open_job, "30000")

    with pytest.raises(RuleViolation) as refused:
        exchange.bid_revise(bid=bid, user=medix.owner, **change)

    assert refused.value.field == field
    bid.refresh_from_db()
    assert (bid.price, bid.currency, bid.revision_number) == (Decimal("30000"), "USD", 1)
    assert bid.revisions.count() == 1


def test_a_revision_cannot_propose_another_vendors_specialist(medix, mathly, open_job):
    bid = submit_bid(medix, open_job)

    with pytest.raises(RuleViolation):
        exchange.bid_revise(bid=bid, user=medix.owner, specialists=[mathly.specialists[0]])

    assert not bid.proposed_specialists.exists()


def test_a_bid_cannot_be_revised_after_the_deadline(medix, open_job):
    bid = submit_bid(medix, open_job, "30000")
    pass_bid_deadline(open_job)

    with pytest.raises(RuleViolation):
        exchange.bid_revise(bid=bid, user=medix.owner, price=Decimal("1000"))

    bid.refresh_from_db()
    assert bid.price == Decimal("30000") and bid.revisions.count() == 1


def test_a_draft_or_withdrawn_bid_cannot_be_revised(medix, mathly, open_job):
    draft = exchange.bid_draft_create(
        job=open_job, vendor=medix.vendor, user=medix.owner, **bid_terms(open_job)
    )
    withdrawn = exchange.bid_withdraw(bid=submit_bid(mathly, open_job), user=mathly.owner)

    for bid, team in ((draft, medix), (withdrawn, mathly)):
        with pytest.raises(InvalidTransition):
            exchange.bid_revise(bid=bid, user=team.owner, price=Decimal("1000"))


def test_another_vendor_may_not_revise_the_bid(medix, mathly, acme, open_job):
    bid = submit_bid(medix, open_job, "30000")

    for outsider in (mathly.owner, acme.procurement):
        with pytest.raises(NotPermitted):
            exchange.bid_revise(bid=bid, user=outsider, price=Decimal("99999"))

    bid.refresh_from_db()
    assert bid.price == Decimal("30000")


# --- withdraw --------------------------------------------------------------------------


def test_a_vendor_withdraws_a_submitted_bid_before_the_deadline(medix, open_job):
    bid = submit_bid(medix, open_job)

    exchange.bid_withdraw(bid=bid, user=medix.bid_manager)

    bid.refresh_from_db()
    assert bid.status == BidStatus.WITHDRAWN and bid.withdrawn_at is not None


def test_a_draft_can_be_withdrawn(medix, open_job):
    draft = exchange.bid_draft_create(
        job=open_job, vendor=medix.vendor, user=medix.owner, **bid_terms(open_job)
    )

    exchange.bid_withdraw(bid=draft, user=medix.owner)

    assert Bid.objects.get(pk=draft.pk).status == BidStatus.WITHDRAWN


def test_a_bid_cannot_be_withdrawn_after_the_deadline(medix, open_job):
    bid = submit_bid(medix, open_job)
    pass_bid_deadline(open_job)

    with pytest.raises(RuleViolation):
        exchange.bid_withdraw(bid=bid, user=medix.owner)

    assert Bid.objects.get(pk=bid.pk).status == BidStatus.SUBMITTED


def test_a_bid_cannot_be_withdrawn_in_evaluation(medix, open_job):
    bid = submit_bid(medix, open_job)
    start_evaluation(open_job)

    with pytest.raises(InvalidTransition):
        exchange.bid_withdraw(bid=bid, user=medix.owner)

    assert Bid.objects.get(pk=bid.pk).status == BidStatus.SUBMITTED


def test_a_withdrawn_bid_cannot_be_withdrawn_again(medix, open_job):
    bid = exchange.bid_withdraw(bid=submit_bid(medix, open_job), user=medix.owner)

    with pytest.raises(InvalidTransition):
        exchange.bid_withdraw(bid=bid, user=medix.owner)


def test_another_vendor_may_not_withdraw_the_bid(medix, mathly, open_job):
    bid = submit_bid(medix, open_job)

    with pytest.raises(NotPermitted):
        exchange.bid_withdraw(bid=bid, user=mathly.owner)

    assert Bid.objects.get(pk=bid.pk).status == BidStatus.SUBMITTED


# --- shortlist and reject --------------------------------------------------------------


@pytest.fixture
def bid_in_evaluation(medix, open_job):
    bid = submit_bid(medix, open_job)
    start_evaluation(open_job)
    return bid


@pytest.mark.parametrize("role", ["owner", "procurement", "reviewer"])
def test_lab_members_shortlist_then_reject_a_bid(acme, bid_in_evaluation, role):
    user = getattr(acme, role)

    exchange.bid_shortlist(bid=bid_in_evaluation, user=user)
    assert Bid.objects.get(pk=bid_in_evaluation.pk).status == BidStatus.SHORTLISTED

    exchange.bid_reject(bid=bid_in_evaluation, user=user, reason=" Too slow ")

    bid = Bid.objects.get(pk=bid_in_evaluation.pk)
    assert bid.status == BidStatus.REJECTED
    assert bid.decision_reason == "Too slow" and bid.decided_at is not None


def test_bids_are_not_evaluated_while_the_job_is_open(acme, medix, open_job):
    bid = submit_bid(medix, open_job)

    with pytest.raises(InvalidTransition):
        exchange.bid_shortlist(bid=bid, user=acme.procurement)
    with pytest.raises(InvalidTransition):
        exchange.bid_reject(bid=bid, user=acme.procurement, reason="Too dear")

    assert Bid.objects.get(pk=bid.pk).status == BidStatus.SUBMITTED


@pytest.mark.parametrize(
    "who",
    [
        pytest.param(lambda rival, medix, mathly: rival.owner, id="owner of another lab"),
        pytest.param(lambda rival, medix, mathly: medix.owner, id="the bidding vendor"),
        pytest.param(lambda rival, medix, mathly: mathly.owner, id="a competing vendor"),
    ],
)
def test_only_the_labs_members_evaluate_bids(rival, medix, mathly, bid_in_evaluation, who):
    user = who(rival, medix, mathly)

    with pytest.raises(NotPermitted):
        exchange.bid_shortlist(bid=bid_in_evaluation, user=user)
    with pytest.raises(NotPermitted):
        exchange.bid_reject(bid=bid_in_evaluation, user=user, reason="Sabotage")

    assert Bid.objects.get(pk=bid_in_evaluation.pk).status == BidStatus.SUBMITTED


def test_a_rejected_bid_cannot_be_shortlisted(acme, bid_in_evaluation):
    exchange.bid_reject(bid=bid_in_evaluation, user=acme.reviewer, reason="Over budget")

    with pytest.raises(InvalidTransition):
        exchange.bid_shortlist(bid=bid_in_evaluation, user=acme.reviewer)
    with pytest.raises(InvalidTransition):
        exchange.bid_reject(bid=bid_in_evaluation, user=acme.reviewer)


def test_a_lapsed_draft_cannot_be_shortlisted(acme, medix, open_job):
    draft = exchange.bid_draft_create(
        job=open_job, vendor=medix.vendor, user=medix.owner, **bid_terms(open_job)
    )
    start_evaluation(open_job)

    with pytest.raises(InvalidTransition):
        exchange.bid_shortlist(bid=draft, user=acme.procurement)


def test_a_bid_accepted_in_the_last_instant_is_stamped_before_the_deadline(open_job, medix):
    # The clock runs on while the submission does its checks and writes.
    with time_machine.travel(open_job.bid_deadline - timedelta(milliseconds=20), tick=True):
        bid = submit_bid(medix, open_job)

    assert bid.submitted_at < open_job.bid_deadline
