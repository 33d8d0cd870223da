"""Correcting a specialist's details and ending an affiliation (the roster page's edits)."""

from __future__ import annotations

from datetime import date

import pytest

from marketplace.core.errors import InvalidTransition, NotPermitted, RuleViolation
from tests.factories import CredentialFactory, EntityFactory
from vendors import services
from vendors.models import Affiliation, CredentialStatus

pytestmark = pytest.mark.django_db


def test_the_owner_and_bid_managers_correct_a_specialist(medix, roster_editor):
    specialist = medix.specialists[0]
    CredentialFactory(specialist=specialist, status=CredentialStatus.PENDING)

    services.specialist_update(
        specialist=specialist,
        user=roster_editor,
        full_name="  Dr Amara Okafor ",
        email="amara@example.test",
        headline="Emergency physician",
    )

    specialist.refresh_from_db()
    assert specialist.full_name == "Dr Amara Okafor"
    assert (specialist.email, specialist.headline) == ("amara@example.test", "Emergency physician")
    assert specialist.credentials.get().status == CredentialStatus.PENDING


def test_nobody_outside_the_vendor_corrects_a_specialist(medix, outsider):
    specialist = medix.specialists[0]
    before = specialist.full_name

    with pytest.raises(NotPermitted):
        services.specialist_update(specialist=specialist, user=outsider, full_name="Dr Impostor")

    specialist.refresh_from_db()
    assert specialist.full_name == before


def test_a_specialist_keeps_a_name(medix):
    with pytest.raises(RuleViolation) as refused:
        services.specialist_update(specialist=medix.specialists[0], user=medix.owner, full_name=" ")

    assert refused.value.field == "full_name"


def test_only_the_details_of_a_specialist_are_corrected_here(medix):
    with pytest.raises(RuleViolation):
        services.specialist_update(specialist=medix.specialists[0], user=medix.owner, vendor_id=999)


def affiliation(medix, **dates: date) -> Affiliation:  # type: ignore[no-untyped-def]
    return Affiliation.objects.create(
        specialist=medix.specialists[0], organisation=EntityFactory(), role="employee", **dates
    )


def test_the_owner_and_bid_managers_end_an_affiliation(medix, roster_editor):
    held = affiliation(medix, start_date=date(2020, 1, 1))

    services.affiliation_end(affiliation=held, user=roster_editor, end_date=date(2026, 1, 1))

    held.refresh_from_db()
    assert held.end_date == date(2026, 1, 1)
    assert not held.is_current_on(date(2026, 1, 1))


def test_nobody_outside_the_vendor_ends_an_affiliation(medix, outsider):
    held = affiliation(medix)

    with pytest.raises(NotPermitted):
        services.affiliation_end(affiliation=held, user=outsider, end_date=date(2026, 1, 1))

    held.refresh_from_db()
    assert held.end_date is None


def test_an_affiliation_ends_after_it_starts(medix):
    held = affiliation(medix, start_date=date(2024, 1, 1))

    with pytest.raises(RuleViolation) as refused:
        services.affiliation_end(affiliation=held, user=medix.owner, end_date=date(2024, 1, 1))

    assert refused.value.field == "end_date"


def test_an_ended_affiliation_may_end_earlier_but_not_later(medix):
    held = affiliation(medix, end_date=date(2025, 6, 1))

    with pytest.raises(InvalidTransition):
        services.affiliation_end(affiliation=held, user=medix.owner, end_date=date(2025, 7, 1))
    services.affiliation_end(affiliation=held, user=medix.owner, end_date=date(2025, 5, 1))

    held.refresh_from_db()
    assert held.end_date == date(2025, 5, 1)
