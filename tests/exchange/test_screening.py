"""Screening a vendor for a lab: verdicts under the lab's policy, the evidence a person
reads, and re-screening when ownership, competitors or the policy change."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from labs.services import competitor_add, competitor_remove, conflict_policy_update
from marketplace.core.errors import RuleViolation
from marketplace.exchange import services as exchange
from marketplace.exchange.models import Notification, Screening, Verdict
from marketplace.exchange.screening import compute_screening, months_before
from marketplace.ownership.models import EntityType, InterestType, OwnershipChange, Provenance
from marketplace.ownership.services import entity_create, stake_create, stake_end
from tests.exchange.helpers import platform_admin, start_evaluation
from tests.plugins.personas import qualify, submit_bid
from vendors.models import AffiliationRole
from vendors.services import affiliation_add

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture
def rival_corp(acme):
    """Rival Corp, named by Acme as a competitor; not on the platform."""
    entity = entity_create(name="Rival Corp")
    competitor_add(lab=acme.lab, user=acme.owner, entity=entity)
    return entity


def hold(party, subject, share, interest=InterestType.SHAREHOLDING, **kwargs):
    return stake_create(
        interested_party=party,
        subject=subject,
        interest_type=interest,
        provenance=kwargs.pop("provenance", Provenance.SELF_DECLARED),
        share_exact=None if share is None else D(share),
        **kwargs,
    )


def verdict_of(acme, team, bid=None):
    return compute_screening(lab=acme.lab, vendor=team.vendor, bid=bid)


# --- verdicts -------------------------------------------------------------------------------


def test_a_competitor_owning_49_percent_blocks_with_the_path_as_evidence(acme, medix, rival_corp):
    hold(
        rival_corp, medix.vendor.entity, "49", start_date=timezone.localdate() - timedelta(days=30)
    )

    result = verdict_of(acme, medix)

    assert result.verdict == Verdict.BLOCKED
    start = (timezone.localdate() - timedelta(days=30)).isoformat()
    assert result.reasons[:2] == [
        "Rival Corp holds an effective economic interest of 49% in Medix Annotations: "
        "49% >= 20% block threshold.",
        f"Rival Corp -> 49% -> Medix Annotations (direct, self-declared {start})",
    ]
    competitor = result.evidence["competitors"][0]
    assert competitor["economic"] == {"min": 49.0, "max": 49.0}
    assert [hop["name"] for hop in competitor["paths"][0]] == ["Rival Corp", "Medix Annotations"]
    assert result.policy == {
        "block_percent": "20.000",
        "review_percent": "5.000",
        "lookback_months": 12,
    }


@pytest.mark.parametrize(
    ("share", "verdict"),
    [
        ("19.99", Verdict.REVIEW),
        ("20", Verdict.BLOCKED),
        ("5", Verdict.REVIEW),
        ("4.99", Verdict.CLEAR),
    ],
)
def test_thresholds_apply_at_their_edges(acme, medix, rival_corp, share, verdict):
    hold(rival_corp, medix.vendor.entity, share)

    assert verdict_of(acme, medix).verdict == verdict


def test_a_chain_is_multiplied_and_a_range_uses_its_lower_bound_to_block(acme, medix, rival_corp):
    holding = entity_create(name="Rival Holdings")
    hold(rival_corp, holding, "80")
    stake_create(
        interested_party=holding,
        subject=medix.vendor.entity,
        interest_type=InterestType.SHAREHOLDING,
        provenance=Provenance.IMPORTED,
        share_min=D("20"),
        share_max=D("40"),
    )

    result = verdict_of(acme, medix)

    # 80% x [20%, 40%] = [16%, 32%]: the lower bound is under 20%, the upper over 5%.
    assert result.verdict == Verdict.REVIEW
    assert result.evidence["competitors"][0]["economic"] == pytest.approx(
        {"min": 16.0, "max": 32.0}
    )


def test_a_competitor_controlling_through_majority_votes_blocks(acme, medix, rival_corp):
    holding = entity_create(name="Rival Holdings")
    hold(rival_corp, holding, "51", InterestType.VOTING_RIGHTS)
    hold(holding, medix.vendor.entity, "51", InterestType.VOTING_RIGHTS)

    result = verdict_of(acme, medix)

    # Effective votes are only 26.01%, but a majority chain is control.
    assert result.verdict == Verdict.BLOCKED
    assert result.evidence["competitors"][0]["controls"] is True


def test_a_vendor_that_is_the_competitor_itself_is_blocked(acme, medix):
    competitor_add(lab=acme.lab, user=acme.owner, entity=medix.vendor.entity)

    result = verdict_of(acme, medix)

    assert result.verdict == Verdict.BLOCKED
    assert "is your competitor Medix Annotations itself" in result.reasons[0]


def test_a_board_seat_without_shares_sends_to_review(acme, medix, rival_corp):
    hold(rival_corp, medix.vendor.entity, None, InterestType.BOARD_MEMBER)

    result = verdict_of(acme, medix)

    assert result.verdict == Verdict.REVIEW
    assert "Rival Corp holds a board member position at Medix Annotations." in result.reasons


def test_a_former_chief_executive_now_at_the_rival_sends_to_review(acme, medix, rival_corp):
    today = timezone.localdate()
    ceo = entity_create(name="Dana Whitfield", entity_type=EntityType.KNOWN_PERSON)
    smo = hold(
        ceo,
        medix.vendor.entity,
        None,
        InterestType.SENIOR_MANAGING_OFFICIAL,
        start_date=today - timedelta(days=900),
    )
    stake_end(stake=smo, end_date=today - timedelta(days=90))
    hold(
        ceo,
        rival_corp,
        None,
        InterestType.SENIOR_MANAGING_OFFICIAL,
        start_date=today - timedelta(days=90),
    )

    result = verdict_of(acme, medix)

    assert result.verdict == Verdict.REVIEW
    assert any(
        r.startswith("Dana Whitfield, senior managing official of Medix Annotations until")
        for r in result.reasons
    )


def test_a_move_older_than_the_lookback_no_longer_counts(acme, medix, rival_corp):
    today = timezone.localdate()
    left = months_before(today, 13)
    ceo = entity_create(name="Dana Whitfield", entity_type=EntityType.KNOWN_PERSON)
    smo = hold(
        ceo,
        medix.vendor.entity,
        None,
        InterestType.SENIOR_MANAGING_OFFICIAL,
        start_date=left - timedelta(days=900),
    )
    stake_end(stake=smo, end_date=left)
    hold(ceo, rival_corp, None, InterestType.SENIOR_MANAGING_OFFICIAL, start_date=left)

    assert verdict_of(acme, medix).verdict == Verdict.CLEAR


def test_a_proposed_specialist_advising_the_rival_puts_the_bid_under_review(
    acme, medix, rival_corp, open_job
):
    specialist = medix.specialists[0]
    affiliation_add(
        specialist=specialist,
        user=medix.owner,
        organisation=rival_corp,
        role=AffiliationRole.ADVISOR,
    )
    bid = submit_bid(medix, open_job, specialists=qualify([specialist], open_job))

    assert verdict_of(acme, medix).verdict == Verdict.CLEAR
    result = verdict_of(acme, medix, bid=bid)
    assert result.verdict == Verdict.REVIEW
    assert f"Proposed specialist {specialist.full_name} is advisor at Rival Corp." in result.reasons


def test_a_lab_policy_sets_its_own_thresholds(acme, medix, rival_corp):
    hold(rival_corp, medix.vendor.entity, "12")
    assert verdict_of(acme, medix).verdict == Verdict.REVIEW

    conflict_policy_update(lab=acme.lab, user=acme.owner, block_percent=D("10"))

    assert verdict_of(acme, medix).verdict == Verdict.BLOCKED


def test_without_competitors_every_vendor_is_clear(acme, medix):
    result = verdict_of(acme, medix)

    assert result.verdict == Verdict.CLEAR
    assert result.reasons == ["This lab has named no competitors."]


# --- when screening runs ----------------------------------------------------------------------


def test_a_bid_is_screened_once_it_is_submitted(
    acme, medix, rival_corp, open_job, django_capture_on_commit_callbacks
):
    hold(rival_corp, medix.vendor.entity, "49")

    with django_capture_on_commit_callbacks(execute=True):
        bid = submit_bid(medix, open_job)

    lab_level = Screening.objects.get(lab=acme.lab, vendor=medix.vendor, bid=None)
    bid_level = Screening.objects.get(bid=bid)
    assert (lab_level.state, lab_level.verdict) == ("done", Verdict.BLOCKED)
    assert (bid_level.state, bid_level.verdict) == ("done", Verdict.BLOCKED)
    alert = Notification.objects.filter(
        organisation=acme.lab.organisation, kind="screening.changed"
    )
    assert alert.exists() and "Rival Corp -> 49% -> Medix Annotations" in alert.first().body


def test_an_award_to_a_blocked_vendor_is_refused_until_an_admin_overrides(
    acme, medix, rival_corp, open_job
):
    bid = submit_bid(medix, open_job)
    hold(rival_corp, medix.vendor.entity, "49")
    start_evaluation(open_job)

    with pytest.raises(RuleViolation) as refused:
        exchange.award_make(job=open_job, user=acme.procurement, shares={bid.pk: D(100)})
    assert refused.value.code == "screening_blocked"

    admin = platform_admin()
    for screening in Screening.objects.filter(lab=acme.lab, vendor=medix.vendor):
        exchange.screening_override(
            screening=screening, user=admin, reason="Stake sold; the register lags"
        )
    award = exchange.award_make(job=open_job, user=acme.procurement, shares={bid.pk: D(100)})
    assert award.contracts.get().vendor == medix.vendor


def test_an_override_lapses_when_the_verdict_gets_worse(acme, medix, rival_corp):
    hold(rival_corp, medix.vendor.entity, "10")
    screening = exchange.screening_refresh_now(lab=acme.lab, vendor=medix.vendor)
    assert screening.verdict == Verdict.REVIEW
    exchange.screening_override(
        screening=screening, user=platform_admin(), reason="Passive fund stake"
    )

    assert exchange.screening_refresh_now(lab=acme.lab, vendor=medix.vendor).verdict == (
        Verdict.CLEARED_BY_OVERRIDE
    )
    hold(rival_corp, medix.vendor.entity, "30", InterestType.VOTING_RIGHTS)
    screening = exchange.screening_refresh_now(lab=acme.lab, vendor=medix.vendor)

    assert screening.verdict == Verdict.BLOCKED
    assert screening.override_reason == "" and screening.overridden_by is None


def test_a_stake_change_rescreens_the_vendors_downstream_and_tells_the_lab(
    acme, medix, rival_corp, open_job, django_capture_on_commit_callbacks
):
    holding = entity_create(name="Medix Holdings")
    with django_capture_on_commit_callbacks(execute=True):
        hold(holding, medix.vendor.entity, "100")
        submit_bid(medix, open_job)
    assert Screening.objects.get(lab=acme.lab, vendor=medix.vendor, bid=None).verdict == (
        Verdict.CLEAR
    )

    with django_capture_on_commit_callbacks(execute=True):
        stake = hold(rival_corp, holding, "60")  # two hops up from the vendor

    screening = Screening.objects.get(lab=acme.lab, vendor=medix.vendor, bid=None)
    assert screening.verdict == Verdict.BLOCKED
    assert not OwnershipChange.objects.filter(processed_at__isnull=True).exists()
    assert (
        Notification.objects.filter(
            organisation=acme.lab.organisation, kind="screening.changed"
        ).count()
        == len(acme.lab.organisation.memberships.all()) * 2
    )  # lab-level and bid-level

    with django_capture_on_commit_callbacks(execute=True):
        stake_end(stake=stake, end_date=timezone.localdate())

    screening.refresh_from_db()
    assert screening.verdict == Verdict.CLEAR


def test_changing_competitors_rescreens_the_labs_vendors(
    acme, medix, open_job, django_capture_on_commit_callbacks
):
    other = entity_create(name="Other Rival")
    hold(other, medix.vendor.entity, "35")
    with django_capture_on_commit_callbacks(execute=True):
        submit_bid(medix, open_job)
    assert Screening.objects.get(lab=acme.lab, vendor=medix.vendor, bid=None).verdict == (
        Verdict.CLEAR
    )

    with django_capture_on_commit_callbacks(execute=True):
        competitor = competitor_add(lab=acme.lab, user=acme.owner, entity=other)
    assert Screening.objects.get(lab=acme.lab, vendor=medix.vendor, bid=None).verdict == (
        Verdict.BLOCKED
    )

    with django_capture_on_commit_callbacks(execute=True):
        competitor_remove(competitor=competitor, user=acme.owner)
    assert Screening.objects.get(lab=acme.lab, vendor=medix.vendor, bid=None).verdict == (
        Verdict.CLEAR
    )


def test_the_reconciler_replays_lost_work(acme, medix, rival_corp, open_job):
    # No on-commit callbacks run here: every message is "lost".
    submit_bid(medix, open_job)
    hold(rival_corp, medix.vendor.entity, "49")
    assert OwnershipChange.objects.filter(processed_at__isnull=True).count() == 1

    later = timezone.now() + timedelta(minutes=5)
    outcome = exchange.reconcile_screenings(now=later)

    assert outcome["ownership_changes"] == 2  # the lab-level and the bid screening
    assert not OwnershipChange.objects.filter(processed_at__isnull=True).exists()
    assert outcome["screenings"] == 2
    for screening in Screening.objects.filter(lab=acme.lab, vendor=medix.vendor):
        exchange.screening_run(screening_id=screening.pk)
        screening.refresh_from_db()
        assert screening.verdict == Verdict.BLOCKED


def test_running_a_screening_twice_changes_nothing_and_notifies_once(acme, medix, rival_corp):
    hold(rival_corp, medix.vendor.entity, "49")
    [screening_id] = exchange.screening_request(lab=acme.lab, vendor=medix.vendor)

    first = exchange.screening_run(screening_id=screening_id)
    alerts = Notification.objects.filter(kind="screening.changed").count()
    second = exchange.screening_run(screening_id=screening_id)

    assert (first.verdict, first.evidence) == (second.verdict, second.evidence)
    assert Notification.objects.filter(kind="screening.changed").count() == alerts > 0
    assert Screening.objects.filter(lab=acme.lab, vendor=medix.vendor).count() == 1


def test_the_worked_example_of_the_screening_docs(acme, medix, rival_corp):
    today = timezone.localdate()
    holdings = entity_create(name="Rival Holdings")
    hold(rival_corp, holdings, "80")
    stake_create(
        interested_party=holdings,
        subject=medix.vendor.entity,
        interest_type=InterestType.SHAREHOLDING,
        provenance=Provenance.IMPORTED,
        share_min=D("20"),
        share_max=D("40"),
    )
    hold(rival_corp, medix.vendor.entity, "10")
    ceo = entity_create(name="Former Chief", entity_type=EntityType.KNOWN_PERSON)
    smo = hold(
        ceo,
        medix.vendor.entity,
        None,
        InterestType.SENIOR_MANAGING_OFFICIAL,
        start_date=today - timedelta(days=1000),
    )
    stake_end(stake=smo, end_date=today - timedelta(days=120))
    hold(
        ceo,
        holdings,
        None,
        InterestType.SENIOR_MANAGING_OFFICIAL,
        start_date=today - timedelta(days=120),
    )

    result = verdict_of(acme, medix)

    [entry] = result.evidence["competitors"]
    assert entry["economic"] == pytest.approx({"min": 26.0, "max": 42.0})
    assert entry["controls"] is False
    assert entry["influence"] == []
    assert result.verdict == Verdict.BLOCKED
