"""Stakes in the ownership graph: who holds what interest in whom, and since when."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.db import IntegrityError, transaction

from marketplace.core.errors import InvalidTransition, RuleViolation
from marketplace.ownership.models import (
    Entity,
    EntityType,
    InterestType,
    Provenance,
    RecordType,
    Stake,
)
from marketplace.ownership.services import (
    entity_create,
    ownership_version_current,
    stake_create,
    stake_end,
    stake_update,
)
from tests.factories import EntityFactory, StakeFactory

pytestmark = pytest.mark.django_db

JAN_1 = date(2024, 1, 1)
JUL_1 = date(2024, 7, 1)


@pytest.fixture
def investor() -> Entity:
    return EntityFactory(name="Northwind Capital")


@pytest.fixture
def vendor_entity() -> Entity:
    return EntityFactory(name="Medix Annotations Ltd")


def declare(investor: Entity, subject: Entity, **fields: Any) -> Stake:
    values: dict[str, Any] = {
        "interest_type": InterestType.SHAREHOLDING,
        "provenance": Provenance.SELF_DECLARED,
        "share_exact": Decimal("25"),
    }
    values.update(fields)
    return stake_create(interested_party=investor, subject=subject, **values)


# --- stake_create validation --------------------------------------------------------------


def test_a_declared_stake_is_stored_with_its_share(investor, vendor_entity):
    stake = declare(investor, vendor_entity, share_exact=Decimal("25"), start_date=JAN_1)

    stake.refresh_from_db()
    assert stake.share_bounds == (Decimal("25"), Decimal("25"))
    assert str(stake) == "Northwind Capital -> 25% Shareholding -> Medix Annotations Ltd"
    assert list(vendor_entity.stakes_in.all()) == [stake]


def test_an_entity_cannot_hold_a_stake_in_itself(vendor_entity):
    version = ownership_version_current()

    with pytest.raises(RuleViolation) as refused:
        declare(vendor_entity, vendor_entity)

    assert refused.value.field == "subject"
    assert not Stake.objects.exists()
    assert ownership_version_current() == version


@pytest.mark.parametrize(
    "share",
    [
        pytest.param({"share_exact": Decimal("10"), "share_min": Decimal("5")}, id="exact and min"),
        pytest.param(
            {"share_exact": Decimal("10"), "share_max": Decimal("20")}, id="exact and max"
        ),
        pytest.param(
            {"share_exact": None, "share_min": Decimal("30"), "share_max": Decimal("20")},
            id="min above max",
        ),
        pytest.param({"share_exact": Decimal("100.5")}, id="exact above 100"),
        pytest.param({"share_exact": Decimal("-1")}, id="exact below 0"),
        pytest.param({"share_exact": None, "share_min": Decimal("-0.1")}, id="min below 0"),
        pytest.param({"share_exact": None, "share_max": Decimal("101")}, id="max above 100"),
    ],
)
def test_an_impossible_share_is_refused(investor, vendor_entity, share):
    version = ownership_version_current()

    with pytest.raises(RuleViolation) as refused:
        declare(investor, vendor_entity, **share)

    assert refused.value.field == "share"
    assert not Stake.objects.exists()
    assert ownership_version_current() == version


@pytest.mark.parametrize("end", [JAN_1, date(2023, 12, 31)], ids=["same day", "earlier"])
def test_a_stake_must_end_after_it_starts(investor, vendor_entity, end):
    with pytest.raises(RuleViolation) as refused:
        declare(investor, vendor_entity, start_date=JAN_1, end_date=end)

    assert refused.value.field == "end_date"
    assert not Stake.objects.exists()


def test_an_unknown_provenance_is_refused(investor, vendor_entity):
    with pytest.raises(RuleViolation):
        declare(investor, vendor_entity, provenance="rumour")

    assert not Stake.objects.exists()


@pytest.mark.parametrize(
    "field",
    [
        pytest.param({"interest_type": "friendship"}, id="interest type"),
        pytest.param({"direct_or_indirect": "sideways"}, id="direct or indirect"),
    ],
)
def test_a_value_outside_the_bods_codelists_is_refused_plainly(investor, vendor_entity, field):
    # A refused move is a DomainError the edges can report, never a database error (or,
    # worse, a stake screening cannot interpret).
    with pytest.raises(RuleViolation), transaction.atomic():
        declare(investor, vendor_entity, **field)

    assert not Stake.objects.exists()


# --- the ownership data version -----------------------------------------------------------


def test_declaring_a_stake_bumps_the_ownership_version(investor, vendor_entity):
    before = ownership_version_current()

    declare(investor, vendor_entity)

    assert ownership_version_current() == before + 1


def test_changing_a_stake_bumps_the_ownership_version(investor, vendor_entity):
    stake = declare(investor, vendor_entity)
    before = ownership_version_current()

    stake_update(stake=stake, share_exact=Decimal("30"))

    assert ownership_version_current() == before + 1


def test_ending_a_stake_bumps_the_ownership_version(investor, vendor_entity):
    stake = declare(investor, vendor_entity, start_date=JAN_1)
    before = ownership_version_current()

    stake_end(stake=stake, end_date=JUL_1)

    assert ownership_version_current() == before + 1


def test_creating_an_entity_bumps_the_ownership_version():
    before = ownership_version_current()

    entity_create(name="Rival Corp")

    assert ownership_version_current() == before + 1


# --- stake_update -------------------------------------------------------------------------


def test_a_stake_update_is_validated_like_a_declaration(investor, vendor_entity):
    stake = declare(investor, vendor_entity, share_exact=Decimal("25"))
    before = ownership_version_current()

    with pytest.raises(RuleViolation):
        stake_update(stake=stake, share_min=Decimal("10"))

    stake.refresh_from_db()
    assert (stake.share_exact, stake.share_min) == (Decimal("25"), None)
    assert ownership_version_current() == before


def test_the_parties_to_a_stake_cannot_be_changed(investor, vendor_entity):
    stake = declare(investor, vendor_entity)

    with pytest.raises(RuleViolation):
        stake_update(stake=stake, subject=EntityFactory())

    stake.refresh_from_db()
    assert stake.subject == vendor_entity


# --- stake_end ----------------------------------------------------------------------------


def test_an_ended_stake_is_no_longer_held_from_its_end_date(investor, vendor_entity):
    stake = declare(investor, vendor_entity, start_date=JAN_1)

    stake_end(stake=stake, end_date=JUL_1)

    stake.refresh_from_db()
    assert stake.end_date == JUL_1
    assert not Stake.objects.active_on(JUL_1).exists()


@pytest.mark.parametrize("again", [JUL_1, date(2024, 9, 1)], ids=["same day", "later"])
def test_a_stake_cannot_be_ended_twice(investor, vendor_entity, again):
    stake = declare(investor, vendor_entity, start_date=JAN_1)
    stake_end(stake=stake, end_date=JUL_1)
    before = ownership_version_current()

    with pytest.raises(InvalidTransition):
        stake_end(stake=stake, end_date=again)

    stake.refresh_from_db()
    assert stake.end_date == JUL_1
    assert ownership_version_current() == before


@pytest.mark.parametrize("end", [JAN_1, date(2023, 6, 1)], ids=["on its start", "before it"])
def test_a_stake_cannot_end_before_it_starts(investor, vendor_entity, end):
    stake = declare(investor, vendor_entity, start_date=JAN_1)

    with pytest.raises(RuleViolation):
        stake_end(stake=stake, end_date=end)

    stake.refresh_from_db()
    assert stake.end_date is None


# --- active on a day ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "active"),
    [
        (date(2023, 12, 31), False),
        (JAN_1, True),  # the start day is included
        (date(2024, 6, 30), True),
        (JUL_1, False),  # the end date is the first day it is no longer held
    ],
)
def test_a_stake_is_active_from_its_start_up_to_its_end(investor, vendor_entity, day, active):
    stake = declare(investor, vendor_entity, start_date=JAN_1, end_date=JUL_1)

    assert (stake in Stake.objects.active_on(day)) is active
    assert stake.is_active_on(day) is active


def test_a_stake_without_dates_is_active_on_any_day(investor, vendor_entity):
    stake = declare(investor, vendor_entity)

    assert list(Stake.objects.active_on(date(1990, 1, 1))) == [stake]
    assert list(Stake.objects.active_on(date(2090, 1, 1))) == [stake]


# --- shares as intervals ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("share", "bounds", "display"),
    [
        ({"share_exact": Decimal("25")}, ("25", "25"), "25%"),
        ({"share_exact": Decimal("12.5")}, ("12.5", "12.5"), "12.5%"),
        ({"share_exact": Decimal("100")}, ("100", "100"), "100%"),
        ({"share_exact": None, "share_min": Decimal("10")}, ("10", "100"), "10-100%"),
        ({"share_exact": None, "share_max": Decimal("30")}, ("0", "30"), "0-30%"),
        (
            {"share_exact": None, "share_min": Decimal("10"), "share_max": Decimal("20")},
            ("10", "20"),
            "10-20%",
        ),
        ({"share_exact": None}, ("0", "100"), "unknown share"),
    ],
    ids=["exact", "exact fraction", "whole", "min only", "max only", "range", "unknown"],
)
def test_a_share_is_an_interval_in_percent(investor, vendor_entity, share, bounds, display):
    stake = declare(investor, vendor_entity, **share)
    stake.refresh_from_db()

    assert stake.share_bounds == (Decimal(bounds[0]), Decimal(bounds[1]))
    assert stake.share_display == display


# --- the database keeps the invariants when services are bypassed --------------------------


@pytest.mark.parametrize(
    "fields",
    [
        pytest.param({"share_exact": Decimal("101")}, id="exact above 100"),
        pytest.param({"share_exact": Decimal("-1")}, id="exact below 0"),
        pytest.param({"share_exact": Decimal("10"), "share_min": Decimal("5")}, id="exact and min"),
        pytest.param(
            {"share_exact": Decimal("10"), "share_max": Decimal("50")}, id="exact and max"
        ),
        pytest.param(
            {"share_exact": None, "share_min": Decimal("60"), "share_max": Decimal("40")},
            id="min above max",
        ),
        pytest.param({"share_exact": None, "share_max": Decimal("150")}, id="max above 100"),
        pytest.param({"start_date": JUL_1, "end_date": JAN_1}, id="end before start"),
        pytest.param({"start_date": JAN_1, "end_date": JAN_1}, id="end on start"),
        pytest.param({"interest_type": "friendship"}, id="unknown interest type"),
        pytest.param({"provenance": "rumour"}, id="unknown provenance"),
    ],
)
def test_the_database_refuses_an_impossible_stake(fields):
    with pytest.raises(IntegrityError), transaction.atomic():
        StakeFactory(**fields)


def test_the_database_refuses_a_stake_in_oneself(vendor_entity):
    with pytest.raises(IntegrityError), transaction.atomic():
        StakeFactory(interested_party=vendor_entity, subject=vendor_entity)


def test_the_database_refuses_two_stakes_for_one_bods_interest(investor, vendor_entity):
    StakeFactory(
        record_id="rel-1", interest_index=0, interested_party=investor, subject=vendor_entity
    )
    StakeFactory(
        record_id="rel-1",
        interest_index=1,
        interested_party=investor,
        subject=vendor_entity,
        interest_type=InterestType.VOTING_RIGHTS,
    )

    with pytest.raises(IntegrityError), transaction.atomic():
        StakeFactory(
            record_id="rel-1",
            interest_index=1,
            interested_party=investor,
            subject=vendor_entity,
            interest_type=InterestType.BOARD_MEMBER,
        )


@pytest.mark.parametrize(
    ("record_type", "entity_type"),
    [
        (RecordType.PERSON, EntityType.REGISTERED_ENTITY),
        (RecordType.ENTITY, EntityType.KNOWN_PERSON),
    ],
)
def test_the_database_refuses_an_entity_whose_type_contradicts_its_record(record_type, entity_type):
    with pytest.raises(IntegrityError), transaction.atomic():
        EntityFactory(record_type=record_type, entity_type=entity_type)


def test_a_person_created_through_the_service_is_a_person_record():
    person = entity_create(name=" Jane Doe ", entity_type=EntityType.KNOWN_PERSON)

    assert person.is_person
    assert person.name == "Jane Doe"


# --- history ------------------------------------------------------------------------------


def test_every_change_to_a_stake_is_kept_in_its_history(investor, vendor_entity):
    stake = declare(investor, vendor_entity, share_exact=Decimal("25"), start_date=JAN_1)
    stake_update(stake=stake, share_exact=Decimal("40"))
    stake_end(stake=stake, end_date=JUL_1)

    rows = list(stake.history.order_by("history_id"))

    assert [row.history_type for row in rows] == ["+", "~", "~"]
    assert [row.share_exact for row in rows] == [Decimal("25"), Decimal("40"), Decimal("40")]
    assert [row.end_date for row in rows] == [None, None, JUL_1]
