"""Re-screening through a real broker and worker: a stake change committed here is
picked up by the worker, which re-screens the vendor downstream and tells the lab."""

from decimal import Decimal

import pytest

from labs.services import competitor_add
from marketplace.exchange.models import Notification, Screening, Verdict
from marketplace.ownership.models import InterestType, OwnershipChange, Provenance
from marketplace.ownership.services import entity_create, stake_create
from tests.plugins.personas import make_open_job, submit_bid

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]


def test_a_stake_change_is_rescreened_by_the_worker(acme, medix, celery_worker_process, wait_for):
    rival = entity_create(name="Rival Corp")
    competitor_add(lab=acme.lab, user=acme.owner, entity=rival)
    submit_bid(medix, make_open_job(acme))
    wait_for(
        lambda: (
            Screening.objects.filter(lab=acme.lab, vendor=medix.vendor, state="done").count() == 2
        ),
        timeout=30,
        message="the worker did not screen the new bid",
    )

    stake_create(
        interested_party=rival,
        subject=medix.vendor.entity,
        interest_type=InterestType.SHAREHOLDING,
        provenance=Provenance.IMPORTED,
        share_exact=Decimal("49"),
    )

    wait_for(
        lambda: (
            set(
                Screening.objects.filter(lab=acme.lab, vendor=medix.vendor).values_list(
                    "verdict", flat=True
                )
            )
            == {Verdict.BLOCKED}
        ),
        timeout=30,
        message="the worker did not re-screen after the stake change",
    )
    assert not OwnershipChange.objects.filter(processed_at__isnull=True).exists()
    assert Notification.objects.filter(
        organisation=acme.lab.organisation, kind="screening.changed"
    ).exists()
