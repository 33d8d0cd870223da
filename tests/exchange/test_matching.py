"""Matching a job to vendors: who is eligible (attestations, distinct verified specialists
for every seat, a screening that does not block), how the eligible rank and why, and the
async work that invites the top N once a job is published."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from labs.models import Job, WorkState
from marketplace.exchange import services as exchange
from marketplace.exchange.matching import Evaluation, Ranking, group_roots, rank_vendors
from marketplace.exchange.models import Invitation, Notification, Screening, Verdict
from marketplace.exchange.tasks import match_job_task
from marketplace.ownership.engine import OwnershipGraph
from marketplace.ownership.models import InterestType, Provenance
from marketplace.ownership.services import entity_create, stake_create
from tests.exchange.helpers import notifications_to, platform_admin, rival_stake
from tests.exchange.matching_builders import (
    Vocabulary,
    contract_with,
    job_needing,
    specialist_with,
    staffed_vendor,
    vocabulary,
)
from tests.factories import AttestationFactory, JobFactory
from tests.plugins.personas import LabTeam, VendorTeam
from vendors.models import CredentialStatus

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture
def v() -> Vocabulary:
    return vocabulary()


@pytest.fixture
def medical_job(acme: LabTeam, v: Vocabulary) -> Job:
    """Two MD seats and one RN seat, delivered in 60 days."""
    return job_needing(acme, (2, v.medicine, v.md), (1, v.nursing, v.rn))


def standing(job: Job, team: VendorTeam) -> tuple[Ranking, Evaluation]:
    ranking = rank_vendors(job=job)
    found = [e for e in (*ranking.ranked, *ranking.ineligible) if e.vendor_id == team.vendor.pk]
    assert len(found) == 1
    return ranking, found[0]


def is_eligible(job: Job, team: VendorTeam) -> bool:
    return standing(job, team)[1].eligible


def ranked_names(job: Job) -> list[str]:
    return [e.vendor_name for e in rank_vendors(job=job).ranked]


# --- eligibility: credentials ---------------------------------------------------------------


@pytest.mark.parametrize(("days_after_delivery", "eligible"), [(0, False), (1, True)])
def test_a_credential_expiring_on_the_delivery_date_does_not_count_one_expiring_after_does(
    acme, medical_job, v, days_after_delivery, eligible
):
    team = staffed_vendor("Medix Annotations", v, md=2)
    specialist_with(
        team,
        (v.nursing, v.rn),
        expires_on=medical_job.delivery_date + timedelta(days=days_after_delivery),
    )

    assert is_eligible(medical_job, team) is eligible


@pytest.mark.parametrize(
    "status", [CredentialStatus.PENDING, CredentialStatus.REJECTED, CredentialStatus.EXPIRED]
)
def test_only_verified_credentials_count(acme, medical_job, v, status):
    team = staffed_vendor("Medix Annotations", v, md=2)
    specialist_with(team, (v.nursing, v.rn), status=status)

    _, evaluation = standing(medical_job, team)

    assert not evaluation.eligible
    assert evaluation.reasons == [
        f"2 of 3 seats: no verified RN in Nursing valid on {medical_job.delivery_date}."
    ]


def test_a_specialist_who_is_both_md_and_rn_fills_one_seat_not_two(acme, v):
    job = job_needing(acme, (1, v.medicine, v.md), (1, v.nursing, v.rn))
    team = staffed_vendor("Medix Annotations", v)
    specialist_with(team, (v.medicine, v.md), (v.nursing, v.rn))

    _, evaluation = standing(job, team)
    assert not evaluation.eligible
    assert evaluation.staffing.qualified == (1, 1)  # a count per requirement would pass
    assert evaluation.reasons == [
        "1 of 2 seats: RN in Nursing needs 1; its 1 qualified specialists are also needed "
        "for other seats."
    ]

    specialist_with(team, (v.nursing, v.rn))
    assert is_eligible(job, team)


def test_a_higher_level_on_the_same_ladder_satisfies_a_lower_one_and_no_other_ladder_does(acme, v):
    job = job_needing(acme, (1, v.nursing, v.rn))
    team = staffed_vendor("Medix Annotations", v)
    specialist_with(team, (v.nursing, v.md))  # an MD is no RN, whatever the field says
    specialist_with(team, (v.medicine, v.np))  # an NP, but in the wrong field
    assert not is_eligible(job, team)

    specialist_with(team, (v.nursing, v.np))
    assert is_eligible(job, team)


def test_inactive_specialists_do_not_count(acme, medical_job, v):
    team = staffed_vendor("Medix Annotations", v, md=2, rn=1)
    assert is_eligible(medical_job, team)

    team.vendor.specialists.filter(credentials__field=v.nursing).update(is_active=False)

    assert not is_eligible(medical_job, team)


def test_a_vendor_short_of_specialists_is_told_which_seats(acme, medical_job, v):
    team = staffed_vendor("Medix Annotations", v, md=1)

    _, evaluation = standing(medical_job, team)

    assert evaluation.reasons == [
        "1 of 3 seats: MD in Medicine needs 2, only 1 verified specialist; "
        f"no verified RN in Nursing valid on {medical_job.delivery_date}."
    ]


# --- eligibility: attestations --------------------------------------------------------------


def test_a_missing_attestation_makes_the_vendor_ineligible(acme, v):
    job = job_needing(acme, (1, v.medicine, v.md), attestations=(v.hipaa, v.soc2))
    team = staffed_vendor("Medix Annotations", v, md=1, attestations=(v.hipaa,))

    _, evaluation = standing(job, team)

    assert not evaluation.eligible
    assert evaluation.reasons == ["No valid SOC 2 attestation."]


@pytest.mark.parametrize(("days_after_delivery", "eligible"), [(0, False), (1, True)])
def test_an_attestation_must_run_past_the_delivery_date(acme, v, days_after_delivery, eligible):
    job = job_needing(acme, (1, v.medicine, v.md), attestations=(v.hipaa,))
    team = staffed_vendor("Medix Annotations", v, md=1)
    expires = job.delivery_date + timedelta(days=days_after_delivery)
    AttestationFactory(vendor=team.vendor, kind=v.hipaa, expires_on=expires)

    _, evaluation = standing(job, team)

    assert evaluation.eligible is eligible
    if not eligible:
        assert evaluation.reasons == [
            f"HIPAA BAA attestation expires on {expires}, not after the delivery date "
            f"{job.delivery_date}."
        ]


def test_a_revoked_attestation_does_not_count(acme, v):
    job = job_needing(acme, (1, v.medicine, v.md), attestations=(v.hipaa,))
    team = staffed_vendor("Medix Annotations", v, md=1)
    AttestationFactory(vendor=team.vendor, kind=v.hipaa, status="revoked")

    assert not is_eligible(job, team)


# --- eligibility: screening -----------------------------------------------------------------


def test_a_competitor_holding_49_percent_blocks_until_an_admin_overrides(acme, medical_job, v):
    team = staffed_vendor("Medix Annotations", v, md=2, rn=1)
    rival_stake(acme, team, "49")

    _, evaluation = standing(medical_job, team)
    assert not evaluation.eligible
    assert evaluation.verdict == Verdict.BLOCKED
    assert evaluation.reasons == [
        "Screening blocked: Rival Corp holds an effective economic interest of 49% in Medix "
        "Annotations: 49% >= 20% block threshold."
    ]

    screening = exchange.screening_refresh_now(lab=acme.lab, vendor=team.vendor)
    exchange.screening_override(
        screening=screening, user=platform_admin(), reason="Stake sold; the register lags"
    )

    _, evaluation = standing(medical_job, team)
    assert evaluation.eligible
    assert evaluation.verdict == Verdict.CLEARED_BY_OVERRIDE
    assert (
        "Screening cleared by a platform admin's override (the rules give blocked)."
        in evaluation.reasons
    )


def test_an_override_of_a_review_does_not_clear_a_later_block(acme, medical_job, v):
    team = staffed_vendor("Medix Annotations", v, md=2, rn=1)
    rival = rival_stake(acme, team, "10")
    screening = exchange.screening_refresh_now(lab=acme.lab, vendor=team.vendor)
    assert screening.verdict == Verdict.REVIEW
    exchange.screening_override(screening=screening, user=platform_admin(), reason="Passive fund")
    assert standing(medical_job, team)[1].verdict == Verdict.CLEARED_BY_OVERRIDE

    stake_create(
        interested_party=rival,
        subject=team.vendor.entity,
        interest_type=InterestType.VOTING_RIGHTS,
        provenance=Provenance.SELF_DECLARED,
        share_exact=D("30"),
    )

    _, evaluation = standing(medical_job, team)
    assert evaluation.verdict == Verdict.BLOCKED and not evaluation.eligible


# --- ranking --------------------------------------------------------------------------------


def test_a_vendor_with_more_spare_specialists_ranks_higher(acme, medical_job, v):
    staffed_vendor("Alpha Annotations", v, md=2, rn=1)
    staffed_vendor("Zeta Annotations", v, md=5, rn=3)

    assert ranked_names(medical_job) == ["Zeta Annotations", "Alpha Annotations"]


def test_a_vendor_under_review_ranks_below_an_otherwise_equal_one(acme, medical_job, v):
    flagged = staffed_vendor("Alpha Annotations", v, md=2, rn=1)
    staffed_vendor("Zeta Annotations", v, md=2, rn=1)
    rival_stake(acme, flagged, "10")

    ranking = rank_vendors(job=medical_job)

    assert [e.vendor_name for e in ranking.ranked] == ["Zeta Annotations", "Alpha Annotations"]
    zeta, alpha = ranking.ranked
    assert (zeta.score or 0) - (alpha.score or 0) == D("15.000")  # the screening weight
    assert alpha.reasons[1].startswith(
        "Screening needs review, which ranks lower: Rival Corp may hold up to 10% (economic)"
    )


def test_a_vendor_already_holding_much_of_the_labs_spend_ranks_lower(acme, medical_job, v):
    incumbent = staffed_vendor("Alpha Annotations", v, md=2, rn=1)
    staffed_vendor("Zeta Annotations", v, md=2, rn=1)
    contract_with(acme, incumbent)  # active: the whole of Acme's spend, no rating yet

    ranking = rank_vendors(job=medical_job)

    assert [e.vendor_name for e in ranking.ranked] == ["Zeta Annotations", "Alpha Annotations"]
    alpha = ranking.ranked[1]
    assert "100% of your spend already with this vendor." in alpha.reasons
    assert "None of your spend is with this vendor yet." in ranking.ranked[0].reasons


def test_a_vendor_whose_group_holds_the_spend_ranks_lower(acme, medical_job, v):
    incumbent = staffed_vendor("Alpha Annotations", v, md=2, rn=1)
    sister = staffed_vendor("Beta Annotations", v, md=2, rn=1)
    staffed_vendor("Zeta Annotations", v, md=2, rn=1)
    parent = entity_create(name="Holdco Partners")
    for team in (incumbent, sister):
        stake_create(
            interested_party=parent,
            subject=team.vendor.entity,
            interest_type=InterestType.SHAREHOLDING,
            provenance=Provenance.VERIFIED,
            share_exact=D("60"),
        )
    contract_with(acme, incumbent)

    ranking = rank_vendors(job=medical_job)

    assert [e.vendor_name for e in ranking.ranked] == [
        "Zeta Annotations",
        "Alpha Annotations",
        "Beta Annotations",
    ]
    beta = ranking.ranked[2]
    assert "100% of your spend already with this vendor's group under Holdco Partners." in (
        beta.reasons
    )


def test_good_ratings_delivered_on_time_raise_a_vendor(acme, rival, medical_job, v):
    rated = staffed_vendor("Alpha Annotations", v, md=2, rn=1)
    late = staffed_vendor("Beta Annotations", v, md=2, rn=1)
    staffed_vendor("Zeta Annotations", v, md=2, rn=1)
    # Their records were earned with another lab, so Acme's spend plays no part.
    contract_with(rival, rated, rating=5)
    contract_with(rival, late, rating=2, on_time=False)

    ranking = rank_vendors(job=medical_job)

    assert [e.vendor_name for e in ranking.ranked] == [
        "Alpha Annotations",
        "Zeta Annotations",
        "Beta Annotations",
    ]
    assert "Rated 5.0/5 on average over 1 completed contract; 1 of 1 delivered on time." in (
        ranking.ranked[0].reasons
    )


def test_the_reasons_read_as_a_lab_would_want(acme, medical_job, v):
    staffed_vendor("Medix Annotations", v, md=6, rn=3)

    [evaluation] = rank_vendors(job=medical_job).ranked

    assert evaluation.reasons == [
        "3 of 3 seats filled by distinct verified specialists; 6 spare qualified specialists "
        "(MD in Medicine: 6 qualified for 2 seats; RN in Nursing: 3 qualified for 1 seat).",
        "Screening clear: you have named no competitors.",
        "No completed contracts yet: track record counted as average.",
        "No past bids to compare prices: price counted as average.",
        "None of your spend is with this vendor or its group yet.",
        f"Score {evaluation.score:.1f} of 100: seat depth 20.0/30, ratings 10.0/20, "
        "on time 5.0/10, screening 15.0/15, price 5.0/10, diversification 15.0/15.",
    ]
    assert evaluation.score == D("70.000")


def test_a_vendor_with_no_competitor_tie_is_clear_in_words(acme, medical_job, v):
    staffed_vendor("Medix Annotations", v, md=2, rn=1)
    other = staffed_vendor("Other Vendor", v)
    rival_stake(acme, other, "49")

    [evaluation] = rank_vendors(job=medical_job).ranked

    assert evaluation.reasons[1] == (
        "Screening clear: no competitor ownership, control or influence found."
    )


# --- vendor groups --------------------------------------------------------------------------


def hold(party, subject, share, interest=InterestType.SHAREHOLDING):
    return stake_create(
        interested_party=party,
        subject=subject,
        interest_type=interest,
        provenance=Provenance.SELF_DECLARED,
        share_exact=D(share),
    )


def roots_of(*entities):
    graph = OwnershipGraph.load(as_of=timezone.localdate(), upstream_of=[e.pk for e in entities])
    return group_roots(graph, [e.pk for e in entities])


def test_a_group_is_rooted_at_whoever_controls_at_the_top():
    top, holding, vendor, other = (entity_create(name=n) for n in ("Top", "Holding", "V", "W"))
    hold(top, holding, "80")
    hold(holding, vendor, "51", InterestType.VOTING_RIGHTS)
    hold(top, other, "40")  # a minority: W stands alone

    roots = roots_of(vendor, other)

    assert roots[vendor.pk] == top.pk
    assert roots[other.pk] == other.pk


def test_control_through_a_subsidiary_adds_to_a_direct_holding():
    top, subsidiary, vendor = (entity_create(name=n) for n in ("Top", "Sub", "V"))
    hold(top, subsidiary, "100")
    hold(top, vendor, "30")
    hold(subsidiary, vendor, "30")

    assert roots_of(vendor)[vendor.pk] == top.pk


def test_a_control_cycle_is_one_group():
    a, b = entity_create(name="A"), entity_create(name="B")
    hold(a, b, "60")
    hold(b, a, "60")

    roots = roots_of(a, b)

    assert roots[a.pk] == roots[b.pk] == min(a.pk, b.pk)


# --- the async work -------------------------------------------------------------------------


def published(team: LabTeam, job: Job) -> Job:
    return exchange.job_publish(job=job, user=team.procurement)


def test_publishing_a_job_asks_for_matching_once_the_transaction_commits(
    acme, medical_job, v, django_capture_on_commit_callbacks
):
    team = staffed_vendor("Medix Annotations", v, md=2, rn=1)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        published(acme, medical_job)

    medical_job.refresh_from_db()
    assert medical_job.matching_state == WorkState.PENDING
    assert medical_job.matching_requested_at is not None
    assert not Invitation.objects.exists()  # nothing runs before the commit
    assert len(callbacks) >= 1

    for callback in callbacks:
        callback()

    medical_job.refresh_from_db()
    assert medical_job.matching_state == WorkState.DONE
    assert medical_job.matching_finished_at is not None
    invitation = Invitation.objects.get(job=medical_job)
    assert (invitation.vendor, invitation.rank) == (team.vendor, 1)
    assert invitation.reasons[0].startswith("3 of 3 seats filled")


def test_an_invited_vendor_is_told_and_screened(
    acme, medical_job, v, django_capture_on_commit_callbacks
):
    team = staffed_vendor("Medix Annotations", v, md=2, rn=1)

    with django_capture_on_commit_callbacks(execute=True):
        published(acme, medical_job)

    told = notifications_to(team.vendor.organisation, "invitation.created")
    assert {n.recipient for n in told} == {team.owner, team.bid_manager}
    invitation = Invitation.objects.get(job=medical_job)
    assert {n.dedupe_key for n in told} == {f"invitation.created:{invitation.pk}"}
    assert told[0].title == f"Acme AI invites you to bid on {medical_job.title}"
    assert "Seats: 2 x MD in Medicine; 1 x RN in Nursing." in told[0].body
    assert "spend" not in told[0].body  # the lab's reasons stay with the lab
    assert all(n.emailed_at is not None for n in told)
    screening = Screening.objects.get(lab=acme.lab, vendor=team.vendor, bid=None)
    assert (screening.state, screening.verdict) == ("done", Verdict.CLEAR)


def test_matching_again_keeps_one_invitation_and_one_notification_per_vendor(
    acme, medical_job, v, django_capture_on_commit_callbacks
):
    first = staffed_vendor("Alpha Annotations", v, md=2, rn=1)
    staffed_vendor("Zeta Annotations", v, md=3, rn=1)
    with django_capture_on_commit_callbacks(execute=True):
        published(acme, medical_job)
    invitations = {i.vendor_id: (i.pk, i.rank) for i in Invitation.objects.filter(job=medical_job)}
    told = Notification.objects.filter(kind="invitation.created").count()
    assert len(invitations) == 2 and told == 4

    specialist_with(first, (v.medicine, v.md))
    specialist_with(first, (v.medicine, v.md))  # Alpha now has more depth than Zeta
    with django_capture_on_commit_callbacks(execute=True):
        result = exchange.job_match(job_id=medical_job.pk, rerun=True)

    assert result is not None and result.newly_invited_vendor_ids == []
    again = {i.vendor_id: (i.pk, i.rank) for i in Invitation.objects.filter(job=medical_job)}
    assert {vendor: pk for vendor, (pk, _) in again.items()} == {
        vendor: pk for vendor, (pk, _) in invitations.items()
    }
    assert again[first.vendor.pk][1] == 1  # re-ranked in place
    assert Notification.objects.filter(kind="invitation.created").count() == told


def test_a_redelivered_message_after_matching_finished_changes_nothing(
    acme, medical_job, v, django_capture_on_commit_callbacks
):
    staffed_vendor("Medix Annotations", v, md=2, rn=1)
    with django_capture_on_commit_callbacks(execute=True):
        published(acme, medical_job)

    assert match_job_task.apply(args=(medical_job.pk,)).get() is None
    assert Invitation.objects.filter(job=medical_job).count() == 1


def test_only_the_top_n_are_invited_and_a_rerun_adds_a_newcomer_to_the_top(
    acme, medical_job, v, settings, django_capture_on_commit_callbacks
):
    settings.MATCHING_INVITE_TOP_N = 2
    for name, mds in (("Alpha", 4), ("Beta", 3), ("Gamma", 2)):
        staffed_vendor(f"{name} Annotations", v, md=mds, rn=1)
    with django_capture_on_commit_callbacks(execute=True):
        published(acme, medical_job)
    assert set(Invitation.objects.values_list("vendor__organisation__name", flat=True)) == {
        "Alpha Annotations",
        "Beta Annotations",
    }

    staffed_vendor("Omega Annotations", v, md=9, rn=3)
    with django_capture_on_commit_callbacks(execute=True):
        exchange.job_match(job_id=medical_job.pk, rerun=True)

    ranks = dict(Invitation.objects.values_list("vendor__organisation__name", "rank"))
    # Invitations are never withdrawn: Beta keeps its invitation, now ranked third.
    assert ranks == {"Omega Annotations": 1, "Alpha Annotations": 2, "Beta Annotations": 3}


def test_an_invited_vendor_no_longer_eligible_keeps_its_invitation_with_a_warning(
    acme, medical_job, v, django_capture_on_commit_callbacks
):
    team = staffed_vendor("Medix Annotations", v, md=2, rn=1)
    with django_capture_on_commit_callbacks(execute=True):
        published(acme, medical_job)

    team.vendor.specialists.filter(credentials__field=v.nursing).update(is_active=False)
    exchange.job_match(job_id=medical_job.pk, rerun=True)

    invitation = Invitation.objects.get(job=medical_job)
    assert invitation.score == 0
    assert invitation.reasons[0].startswith("3 of 3 seats filled")  # what it was invited for
    assert invitation.reasons[-1] == (
        f"No longer eligible: 2 of 3 seats: no verified RN in Nursing valid on "
        f"{medical_job.delivery_date}. (re-matched on {timezone.localdate()}; the invitation "
        "stands)"
    )


def test_a_job_that_is_not_open_is_ranked_but_nobody_is_invited(acme, medical_job, v):
    staffed_vendor("Medix Annotations", v, md=2, rn=1)

    result = exchange.job_match(job_id=medical_job.pk, rerun=True)  # still a draft

    assert result is not None and len(result.ranking.ranked) == 1
    assert not Invitation.objects.exists()


def test_matching_that_is_not_owed_does_not_run(acme, medical_job):
    assert medical_job.matching_state == WorkState.IDLE

    assert exchange.job_match(job_id=medical_job.pk) is None
    assert exchange.job_match(job_id=10**9) is None


def test_the_reconciler_replays_matching_whose_message_was_lost(
    acme, v, django_capture_on_commit_callbacks
):
    team = staffed_vendor("Medix Annotations", v, md=2, rn=1)
    # Published without the commit's callbacks running: both messages are "lost".
    stale = published(acme, job_needing(acme, (1, v.medicine, v.md)))
    fresh = published(acme, job_needing(acme, (1, v.nursing, v.rn)))
    Job.objects.filter(pk=stale.pk).update(
        matching_requested_at=timezone.now() - timedelta(minutes=3)
    )

    with django_capture_on_commit_callbacks(execute=True):
        replayed = exchange.reconcile_matching()

    assert replayed == [stale.pk]  # the fresh one may still be on its way
    stale.refresh_from_db()
    assert stale.matching_state == WorkState.DONE
    assert Invitation.objects.get(job=stale).vendor == team.vendor
    assert not Invitation.objects.filter(job=fresh).exists()
    later = timezone.now() + timedelta(minutes=3)
    assert exchange.reconcile_matching(now=later) == [fresh.pk]
    # Re-enqueued just now: the next round leaves it alone rather than piling up messages.
    assert exchange.reconcile_matching(now=later + timedelta(seconds=60)) == []


def test_a_matching_task_that_fails_for_good_marks_the_job_failed(acme, medical_job, monkeypatch):
    Job.objects.filter(pk=medical_job.pk).update(
        matching_state=WorkState.PENDING, matching_requested_at=timezone.now()
    )

    def broken(**kwargs):
        raise ValueError("the ranking broke")

    monkeypatch.setattr("marketplace.exchange.services.matching.rank_vendors", broken)
    # As a worker runs it: the failure is recorded rather than raised to the caller.
    outcome = match_job_task.apply(args=(medical_job.pk,), throw=False)

    assert outcome.failed() and isinstance(outcome.result, ValueError)

    medical_job.refresh_from_db()
    assert medical_job.matching_state == WorkState.FAILED
    assert exchange.reconcile_matching(now=timezone.now() + timedelta(hours=1)) == []


# --- queries --------------------------------------------------------------------------------


def test_the_number_of_queries_does_not_grow_with_the_number_of_vendors(acme, rival, v, settings):
    settings.MATCHING_INVITE_TOP_N = 2
    job = job_needing(acme, (2, v.medicine, v.md), (1, v.nursing, v.rn), attestations=(v.hipaa,))
    # Spend, history and ownership, so that every part of the ranking reads something.
    parent = entity_create(name="Holdco Partners")
    rival_stake(acme, staffed_vendor("Flagged", v, md=2, rn=1, attestations=(v.hipaa,)), "10")

    def add_vendors(count: int, start: int) -> None:
        for i in range(start, start + count):
            team = staffed_vendor(f"Vendor {i:02d}", v, md=2 + i % 3, rn=1, attestations=(v.hipaa,))
            if i % 2:
                hold(parent, team.vendor.entity, "60")
            if i % 4 == 0:
                contract_with(acme if i % 8 == 0 else rival, team, rating=4)
            if i % 5 == 0:
                staffed_vendor(f"Unstaffed {i:02d}", v, md=1)

    def queries() -> tuple[int, int]:
        Job.objects.filter(pk=job.pk).update(status="open")
        with CaptureQueriesContext(connection) as ranking:
            rank_vendors(job=Job.objects.select_related("lab").get(pk=job.pk))
        # The same starting point for the two invited vendors each time: no invitation,
        # notification or screening yet (each invited vendor costs the same few writes).
        Invitation.objects.all().delete()
        Notification.objects.all().delete()
        Screening.objects.all().delete()
        with CaptureQueriesContext(connection) as matching:
            exchange.job_match(job_id=job.pk, rerun=True)
        return len(ranking.captured_queries), len(matching.captured_queries)

    add_vendors(3, 0)
    few = queries()
    add_vendors(9, 3)
    many = queries()

    assert len(rank_vendors(job=job).ranked) >= 12
    assert many == few


def test_rank_vendors_can_be_limited_to_some_vendors(acme, medical_job, v):
    chosen = staffed_vendor("Alpha Annotations", v, md=2, rn=1)
    staffed_vendor("Zeta Annotations", v, md=2, rn=1)

    ranking = rank_vendors(job=medical_job, vendor_ids=[chosen.vendor.pk])

    assert [e.vendor_id for e in ranking.ranked] == [chosen.vendor.pk]
    assert ranking.ineligible == []


def test_a_job_without_seat_requirements_needs_only_attestations(acme, v):
    job = JobFactory(lab=acme.lab, created_by=acme.procurement)
    team = staffed_vendor("Medix Annotations", v)

    _, evaluation = standing(job, team)

    assert evaluation.eligible
    assert evaluation.reasons[0] == "0 of 0 seats filled by distinct verified specialists."
