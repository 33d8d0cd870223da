"""Awarding a job: single or split, within the job's terms, never to a blocked vendor
without an admin's override, and only once."""

from decimal import Decimal

import pytest

from labs.models import Job, JobStatus
from marketplace.core.errors import InvalidTransition, NotPermitted, RuleViolation
from marketplace.exchange import services as exchange
from marketplace.exchange.models import Award, Bid, BidStatus, Contract, Screening, Verdict
from tests.exchange.helpers import (
    notifications_to,
    platform_admin,
    rival_stake,
    screening_with_verdict,
    start_evaluation,
)
from tests.plugins.personas import make_open_job, make_vendor_team, submit_bid

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture
def single(acme, medix, mathly):
    """A job that allows no split, in evaluation, with a bid from Medix and from Mathly."""
    job = make_open_job(acme)
    medix_bid = submit_bid(medix, job, "30000")
    mathly_bid = submit_bid(mathly, job, "25000")
    start_evaluation(job)
    return job, medix_bid, mathly_bid


@pytest.fixture
def split(acme, medix, mathly):
    """A job that allows a split with at most 70% per vendor, in evaluation, three bids."""
    job = make_open_job(acme, split_allowed=True, max_share_per_vendor=D("70"))
    third = make_vendor_team("Third Opinion")
    bids = [
        submit_bid(medix, job, "30000"),
        submit_bid(mathly, job, "33333.33"),
        submit_bid(third, job, "28000"),
    ]
    start_evaluation(job)
    return job, bids


def award_count(job):
    return Award.objects.filter(job=job).count()


def test_the_job_is_awarded_to_one_bid(acme, medix, mathly, single):
    job, medix_bid, mathly_bid = single

    award = exchange.award_make(
        job=job, user=acme.procurement, shares={medix_bid.pk: D(100)}, note="Best clinicians"
    )

    job.refresh_from_db()
    assert job.status == JobStatus.AWARDED
    contract = award.contracts.get()
    assert (contract.bid, contract.vendor, contract.lab) == (medix_bid, medix.vendor, acme.lab)
    assert (contract.share_percent, contract.value, contract.currency) == (
        D(100),
        D("30000.00"),
        "USD",
    )
    assert Bid.objects.get(pk=medix_bid.pk).status == BidStatus.AWARDED
    loser = Bid.objects.get(pk=mathly_bid.pk)
    assert loser.status == BidStatus.REJECTED
    assert loser.decision_reason == "Another bid was awarded."
    won = notifications_to(medix.vendor.organisation, "award.made")
    assert {n.recipient for n in won} == {medix.owner, medix.bid_manager}
    assert all("100%" in n.title for n in won)
    assert not notifications_to(mathly.vendor.organisation, "award.made")
    assert notifications_to(mathly.vendor.organisation, "job.awarded")


def test_a_shortlisted_bid_can_be_awarded_and_the_owner_may_award(acme, single):
    job, medix_bid, _ = single
    exchange.bid_shortlist(bid=medix_bid, user=acme.reviewer)

    exchange.award_make(job=job, user=acme.owner, shares={medix_bid.pk: D(100)})

    assert Bid.objects.get(pk=medix_bid.pk).status == BidStatus.AWARDED


def test_a_split_award_creates_a_contract_per_bid_valued_at_price_times_share(acme, split):
    job, (medix_bid, mathly_bid, third_bid) = split

    award = exchange.award_make(
        job=job, user=acme.procurement, shares={medix_bid.pk: D("60"), mathly_bid.pk: D("33.33")}
    )

    values = {c.bid_id: (c.share_percent, c.value) for c in award.contracts.all()}
    assert values == {
        medix_bid.pk: (D("60.00"), D("18000.00")),
        # 33333.33 x 33.33% = 11109.998889, rounded half up to the cent.
        mathly_bid.pk: (D("33.33"), D("11110.00")),
    }
    assert Bid.objects.get(pk=third_bid.pk).status == BidStatus.REJECTED
    assert Job.objects.get(pk=job.pk).status == JobStatus.AWARDED


def test_shares_may_add_up_to_less_than_the_whole_job(acme, split):
    job, (medix_bid, mathly_bid, _) = split

    award = exchange.award_make(
        job=job, user=acme.procurement, shares={medix_bid.pk: D("50"), mathly_bid.pk: D("30")}
    )

    assert sum(c.share_percent for c in award.contracts.all()) == D("80")


@pytest.mark.parametrize(
    "shares",
    [
        pytest.param((D("70"), D("30.01")), id="100.01 in total"),
        pytest.param((D("0"), D("50")), id="a zero share"),
        pytest.param((D("-10"), D("50")), id="a negative share"),
        pytest.param((D("70.01"), D("20")), id="above the cap per vendor"),
    ],
)
def test_shares_outside_the_terms_are_refused(acme, split, shares):
    job, (medix_bid, mathly_bid, _) = split

    with pytest.raises(RuleViolation) as refused:
        exchange.award_make(
            job=job,
            user=acme.procurement,
            shares={medix_bid.pk: shares[0], mathly_bid.pk: shares[1]},
        )

    assert refused.value.field == "shares"
    assert award_count(job) == 0
    assert Job.objects.get(pk=job.pk).status == JobStatus.EVALUATION


def test_the_cap_per_vendor_binds_a_single_award_on_a_split_job(acme, split):
    job, (medix_bid, _, _) = split

    with pytest.raises(RuleViolation):
        exchange.award_make(job=job, user=acme.procurement, shares={medix_bid.pk: D(100)})

    assert award_count(job) == 0


def test_a_job_without_split_is_awarded_to_one_bid_only(acme, single):
    job, medix_bid, mathly_bid = single

    with pytest.raises(RuleViolation) as refused:
        exchange.award_make(
            job=job, user=acme.procurement, shares={medix_bid.pk: D("50"), mathly_bid.pk: D("50")}
        )

    assert refused.value.field == "shares"
    assert award_count(job) == 0


def test_an_award_names_at_least_one_bid(acme, single):
    job, _, _ = single

    with pytest.raises(RuleViolation):
        exchange.award_make(job=job, user=acme.procurement, shares={})


def test_a_bid_on_another_job_cannot_be_awarded(acme, medix, single):
    job, _, _ = single
    other_job = make_open_job(acme)
    other_bid = submit_bid(medix, other_job)
    start_evaluation(other_job)

    with pytest.raises(RuleViolation):
        exchange.award_make(job=job, user=acme.procurement, shares={other_bid.pk: D(100)})
    with pytest.raises(RuleViolation):
        exchange.award_make(job=job, user=acme.procurement, shares={10**9: D(100)})

    assert Bid.objects.get(pk=other_bid.pk).status == BidStatus.SUBMITTED
    assert not Award.objects.exists()


def test_a_rejected_bid_cannot_be_awarded(acme, single):
    job, medix_bid, _ = single
    exchange.bid_reject(bid=medix_bid, user=acme.reviewer, reason="Too dear")

    with pytest.raises(RuleViolation):
        exchange.award_make(job=job, user=acme.procurement, shares={medix_bid.pk: D(100)})

    assert award_count(job) == 0


def test_a_withdrawn_bid_cannot_be_awarded(acme, medix, mathly):
    job = make_open_job(acme)
    withdrawn = exchange.bid_withdraw(bid=submit_bid(medix, job), user=medix.owner)
    submit_bid(mathly, job)
    start_evaluation(job)

    with pytest.raises(RuleViolation):
        exchange.award_make(job=job, user=acme.procurement, shares={withdrawn.pk: D(100)})

    assert award_count(job) == 0


def test_a_job_is_awarded_only_in_evaluation(acme, medix):
    job = make_open_job(acme)
    bid = submit_bid(medix, job)

    with pytest.raises(InvalidTransition):
        exchange.award_make(job=job, user=acme.procurement, shares={bid.pk: D(100)})

    assert award_count(job) == 0
    assert Bid.objects.get(pk=bid.pk).status == BidStatus.SUBMITTED


def test_a_second_award_is_an_invalid_transition(acme, single):
    job, medix_bid, mathly_bid = single
    exchange.award_make(job=job, user=acme.procurement, shares={medix_bid.pk: D(100)})

    with pytest.raises(InvalidTransition):
        exchange.award_make(job=job, user=acme.owner, shares={mathly_bid.pk: D(100)})

    assert award_count(job) == 1
    assert Contract.objects.get().bid == medix_bid


@pytest.mark.parametrize(
    "who",
    [
        pytest.param(lambda acme, rival, medix: acme.reviewer, id="lab reviewer"),
        pytest.param(lambda acme, rival, medix: rival.owner, id="owner of another lab"),
        pytest.param(lambda acme, rival, medix: medix.owner, id="the bidding vendor"),
    ],
)
def test_only_owner_and_procurement_award(acme, rival, medix, single, who):
    job, medix_bid, _ = single

    with pytest.raises(NotPermitted):
        exchange.award_make(job=job, user=who(acme, rival, medix), shares={medix_bid.pk: D(100)})

    assert award_count(job) == 0


# --- screening -------------------------------------------------------------------------


def test_an_award_to_a_blocked_vendor_is_refused(acme, medix, single):
    job, medix_bid, _ = single
    rival_stake(acme, medix, "49")

    with pytest.raises(RuleViolation) as refused:
        exchange.award_make(job=job, user=acme.procurement, shares={medix_bid.pk: D(100)})

    assert refused.value.code == "screening_blocked"
    assert "Medix Annotations" in refused.value.message
    assert award_count(job) == 0
    assert Bid.objects.get(pk=medix_bid.pk).status == BidStatus.SUBMITTED
    # The fresh verdict is kept for a platform admin to review.
    kept = Screening.objects.get(lab=acme.lab, vendor=medix.vendor, bid=None)
    assert kept.verdict == Verdict.BLOCKED


def test_a_blocked_vendor_blocks_a_split_award_it_is_part_of(acme, mathly, split):
    job, (medix_bid, mathly_bid, _) = split
    rival_stake(acme, mathly, "49")

    with pytest.raises(RuleViolation) as refused:
        exchange.award_make(
            job=job,
            user=acme.procurement,
            shares={medix_bid.pk: D("50"), mathly_bid.pk: D("50")},
        )

    assert refused.value.code == "screening_blocked"
    assert "Mathly Experts" in refused.value.message
    assert "Medix" not in refused.value.message
    assert award_count(job) == 0


def test_a_stale_blocked_verdict_does_not_outlive_the_data_behind_it(acme, medix, single):
    # Recorded blocked once; the lab has since named no competitor that owns Medix.
    job, medix_bid, _ = single
    Screening.objects.filter(lab=acme.lab, vendor=medix.vendor).update(
        verdict=Verdict.BLOCKED, computed_verdict=Verdict.BLOCKED, state="done"
    )

    exchange.award_make(job=job, user=acme.procurement, shares={medix_bid.pk: D(100)})

    assert award_count(job) == 1


def test_a_block_against_another_lab_does_not_matter_here(acme, rival, medix, single):
    job, medix_bid, _ = single
    rival_stake(rival, medix, "49")

    exchange.award_make(job=job, user=acme.procurement, shares={medix_bid.pk: D(100)})

    assert award_count(job) == 1


def test_a_vendor_under_review_may_be_awarded(acme, medix, single):
    job, medix_bid, _ = single
    rival_stake(acme, medix, "10")

    exchange.award_make(job=job, user=acme.procurement, shares={medix_bid.pk: D(100)})

    assert Screening.objects.get(lab=acme.lab, vendor=medix.vendor, bid=None).verdict == (
        Verdict.REVIEW
    )
    assert award_count(job) == 1


def test_after_an_admins_override_the_blocked_vendor_may_be_awarded(acme, medix, single):
    job, medix_bid, _ = single
    rival_stake(acme, medix, "49")
    with pytest.raises(RuleViolation):
        exchange.award_make(job=job, user=acme.procurement, shares={medix_bid.pk: D(100)})
    blocked = list(Screening.objects.filter(lab=acme.lab, vendor=medix.vendor))
    assert {s.verdict for s in blocked} == {Verdict.BLOCKED}
    admin = platform_admin()
    history_before = {s.pk: s.history.count() for s in blocked}

    for screening in blocked:
        exchange.screening_override(
            screening=screening,
            user=admin,
            reason="  Stake sold on 2025-10-01; register not yet updated  ",
        )
    exchange.award_make(job=job, user=acme.procurement, shares={medix_bid.pk: D(100)})

    assert award_count(job) == 1
    for screening in blocked:
        screening.refresh_from_db()
        assert screening.verdict == Verdict.CLEARED_BY_OVERRIDE
        assert screening.computed_verdict == Verdict.BLOCKED
        assert screening.overridden_by == admin and screening.overridden_at is not None
        assert screening.override_reason == "Stake sold on 2025-10-01; register not yet updated"
        assert screening.history.count() > history_before[screening.pk]
        override = screening.history.filter(verdict=Verdict.CLEARED_BY_OVERRIDE).last()
        assert override.history_user == admin
        assert override.override_reason.startswith("Stake sold")


@pytest.mark.parametrize(
    "who",
    [
        pytest.param(lambda acme, medix: acme.owner, id="lab owner"),
        pytest.param(lambda acme, medix: medix.owner, id="vendor owner"),
    ],
)
def test_only_a_platform_admin_overrides_a_screening(acme, medix, who):
    screening = screening_with_verdict(acme.lab, medix.vendor, Verdict.BLOCKED)

    with pytest.raises(NotPermitted):
        exchange.screening_override(
            screening=screening, user=who(acme, medix), reason="We trust them"
        )

    screening.refresh_from_db()
    assert screening.verdict == Verdict.BLOCKED and screening.overridden_by is None


def test_a_deactivated_admin_cannot_override(acme, medix):
    screening = screening_with_verdict(acme.lab, medix.vendor, Verdict.BLOCKED)
    admin = platform_admin()
    admin.is_active = False
    admin.save()

    with pytest.raises(NotPermitted):
        exchange.screening_override(screening=screening, user=admin, reason="Checked")


def test_an_override_needs_a_reason(acme, medix):
    screening = screening_with_verdict(acme.lab, medix.vendor, Verdict.BLOCKED)
    history_before = screening.history.count()

    with pytest.raises(RuleViolation) as refused:
        exchange.screening_override(screening=screening, user=platform_admin(), reason="  ")

    assert refused.value.field == "reason"
    screening.refresh_from_db()
    assert screening.verdict == Verdict.BLOCKED
    assert screening.history.count() == history_before


@pytest.mark.parametrize("verdict", [Verdict.CLEAR, Verdict.CLEARED_BY_OVERRIDE, None])
def test_only_a_review_or_blocked_verdict_can_be_overridden(acme, medix, verdict):
    fields = {}
    if verdict == Verdict.CLEARED_BY_OVERRIDE:
        fields = {
            "override_reason": "Earlier override",
            "overridden_by": platform_admin(),
            "overridden_at": "2025-01-01T00:00:00Z",
        }
    screening = screening_with_verdict(acme.lab, medix.vendor, verdict, **fields)

    with pytest.raises(InvalidTransition):
        exchange.screening_override(screening=screening, user=platform_admin(), reason="Why not")


def test_a_review_verdict_can_be_overridden(acme, medix):
    screening = screening_with_verdict(acme.lab, medix.vendor, Verdict.REVIEW)

    exchange.screening_override(
        screening=screening, user=platform_admin(), reason="Board seat is non-executive"
    )

    screening.refresh_from_db()
    assert screening.verdict == Verdict.CLEARED_BY_OVERRIDE
    assert screening.computed_verdict == Verdict.REVIEW
