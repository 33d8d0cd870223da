"""vendors.services.vendor_stake_declare: the one way the browser page and the API
declare a stake, held by an existing entity (given, or by its record id) or a new one."""

from __future__ import annotations

import pytest

from marketplace.core.errors import NotFound, NotPermitted, RuleViolation
from marketplace.ownership.models import Entity, OwnershipChange, Provenance
from tests.factories import EntityFactory
from vendors import services

pytestmark = pytest.mark.django_db


def test_a_stake_held_by_an_entity_named_by_its_record_id(medix):
    fund = EntityFactory(name="Known Capital")

    stake = services.vendor_stake_declare(
        vendor=medix.vendor,
        user=medix.owner,
        interested_party_record_id=fund.record_id,
        interest_type="shareholding",
    )

    assert (stake.interested_party, stake.subject) == (fund, medix.vendor.entity)
    assert stake.provenance == Provenance.SELF_DECLARED
    assert OwnershipChange.objects.filter(stake=stake).exists()


def test_a_stake_held_by_a_new_entity_in_an_owner_the_vendor_declared(medix):
    holding = services.vendor_stake_declare(
        vendor=medix.vendor,
        user=medix.owner,
        interested_party_name="Holding",
        interest_type="shareholding",
    ).interested_party

    stake = services.vendor_stake_declare(
        vendor=medix.vendor,
        user=medix.owner,
        interested_party_name="Ultimate Parent",
        subject_record_id=holding.record_id,
        interest_type="shareholding",
    )

    assert stake.subject == holding
    assert stake.interested_party.source == f"vendor:{medix.vendor.organisation.slug}"


@pytest.mark.parametrize("field", ["interested_party_record_id", "subject_record_id"])
def test_an_unknown_record_id_is_refused_naming_its_field(medix, field):
    with pytest.raises(RuleViolation) as refused:
        services.vendor_stake_declare(
            vendor=medix.vendor,
            user=medix.owner,
            interested_party_name="Fund",
            interest_type="shareholding",
            **{field: "no-such-record"},
        )

    assert refused.value.field == field
    assert not Entity.objects.filter(name="Fund").exists()


def test_a_stake_in_another_vendor_is_not_found(medix, mathly):
    with pytest.raises(NotFound):
        services.vendor_stake_declare(
            vendor=medix.vendor,
            user=medix.owner,
            interested_party_name="Fund",
            subject_record_id=mathly.vendor.entity.record_id,
            interest_type="shareholding",
        )


def test_a_bid_manager_declares_nothing(medix):
    with pytest.raises(NotPermitted):
        services.vendor_stake_declare(
            vendor=medix.vendor,
            user=medix.bid_manager,
            interested_party_name="Fund",
            interest_type="shareholding",
        )

    assert not Entity.objects.filter(name="Fund").exists()
