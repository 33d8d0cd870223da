"""Mass re-screening in batches: one stake change above many vendors is computed one lab
at a time, and gives exactly what screening each pair on its own gives."""

from __future__ import annotations

from decimal import Decimal

import pytest

from labs.services import competitor_add
from marketplace.exchange import services as exchange
from marketplace.exchange.models import Notification, Screening, Verdict
from marketplace.ownership.models import InterestType, Provenance
from marketplace.ownership.services import entity_create, stake_create
from tests.plugins.personas import make_open_job, make_vendor_team, submit_bid

pytestmark = pytest.mark.django_db


def _holding_above(vendors, share: str = "70"):  # type: ignore[no-untyped-def]
    holding = entity_create(name="Holding Group")
    for vendor in vendors:
        stake_create(
            interested_party=holding,
            subject=vendor.entity,
            interest_type=InterestType.SHAREHOLDING,
            provenance=Provenance.IMPORTED,
            share_exact=Decimal(share),
        )
    return holding


def test_one_stake_change_rescreens_every_vendor_below_it_in_batches(
    acme, medix, mathly, django_capture_on_commit_callbacks
):
    rival = entity_create(name="Rival Corp")
    competitor_add(lab=acme.lab, user=acme.owner, entity=rival)
    job = make_open_job(acme)
    with django_capture_on_commit_callbacks(execute=True):
        bids = [submit_bid(team, job) for team in (medix, mathly)]
        holding = _holding_above([medix.vendor, mathly.vendor])

    # When the rival buys 30% of the holding (30% x 70% = 21% of each vendor)...
    with django_capture_on_commit_callbacks(execute=True):
        stake_create(
            interested_party=rival,
            subject=holding,
            interest_type=InterestType.SHAREHOLDING,
            provenance=Provenance.IMPORTED,
            share_exact=Decimal("30"),
        )

    # ...both vendors and both bids are blocked, with the path that explains it.
    screenings = Screening.objects.filter(lab=acme.lab)
    assert screenings.count() == 4
    assert set(screenings.values_list("verdict", flat=True)) == {Verdict.BLOCKED}
    assert set(screenings.values_list("state", flat=True)) == {"done"}
    bid_screening = screenings.get(bid=bids[0])
    assert any(
        "Rival Corp -> 30% -> Holding Group -> 70%" in r for r in bid_screening.evidence["reasons"]
    )
    assert Notification.objects.filter(
        organisation=acme.lab.organisation, kind="screening.changed"
    ).exists()


def test_a_batch_gives_what_screening_each_pair_alone_gives(acme, medix, mathly):
    rival = entity_create(name="Rival Corp")
    competitor_add(lab=acme.lab, user=acme.owner, entity=rival)
    job = make_open_job(acme)
    others = [make_vendor_team(f"Vendor {n}") for n in range(3)]
    teams = [medix, mathly, *others]
    for team in teams:
        submit_bid(team, job)
    for index, team in enumerate(teams):
        stake_create(
            interested_party=rival,
            subject=team.vendor.entity,
            interest_type=InterestType.SHAREHOLDING,
            provenance=Provenance.IMPORTED,
            share_exact=Decimal(5 * index + 1),
        )
    ids = list(Screening.objects.filter(lab=acme.lab).values_list("pk", flat=True))

    exchange.screening_run_batch(screening_ids=ids)
    batched = {
        s.pk: (s.verdict, s.evidence["reasons"]) for s in Screening.objects.filter(pk__in=ids)
    }
    for pk in ids:
        exchange.screening_run(screening_id=pk)
    alone = {s.pk: (s.verdict, s.evidence["reasons"]) for s in Screening.objects.filter(pk__in=ids)}

    assert batched == alone
    assert {verdict for verdict, _ in batched.values()} == {
        Verdict.CLEAR,
        Verdict.REVIEW,
        Verdict.BLOCKED,
    }


def test_running_a_batch_again_changes_nothing_and_tells_the_lab_once(
    acme, medix, django_capture_on_commit_callbacks
):
    rival = entity_create(name="Rival Corp")
    competitor_add(lab=acme.lab, user=acme.owner, entity=rival)
    with django_capture_on_commit_callbacks(execute=True):
        submit_bid(medix, make_open_job(acme))
        stake_create(
            interested_party=rival,
            subject=medix.vendor.entity,
            interest_type=InterestType.SHAREHOLDING,
            provenance=Provenance.IMPORTED,
            share_exact=Decimal("49"),
        )
    ids = list(Screening.objects.filter(lab=acme.lab).values_list("pk", flat=True))
    before = Notification.objects.filter(kind="screening.changed").count()

    assert sorted(exchange.screening_run_batch(screening_ids=ids)) == sorted(ids)

    assert Notification.objects.filter(kind="screening.changed").count() == before
    assert set(Screening.objects.filter(pk__in=ids).values_list("verdict", flat=True)) == {
        Verdict.BLOCKED
    }


def test_a_failed_batch_leaves_its_screenings_for_the_reconciler(
    acme, medix, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        submit_bid(medix, make_open_job(acme))
    ids = list(Screening.objects.filter(lab=acme.lab).values_list("pk", flat=True))
    Screening.objects.filter(pk=ids[0]).update(state="pending")

    exchange.screening_record_failures(screening_ids=ids, error="boom")

    assert Screening.objects.get(pk=ids[0]).state == "failed"
    assert Screening.objects.filter(pk__in=ids[1:], state="done").count() == len(ids) - 1
