"""A vendor's roster: specialists, their credentials and affiliations, and the reads a
vendor (and matching) relies on."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from marketplace.accounts.models import User
from marketplace.core.errors import NotFound, NotPermitted, RuleViolation
from tests.factories import (
    CredentialFactory,
    CredentialFieldFactory,
    EntityFactory,
    QualificationLevelFactory,
    SpecialistFactory,
)
from tests.vendors.builders import TODAY, verified_credential
from vendors import selectors, services
from vendors.models import Affiliation, AffiliationRole, Credential, CredentialStatus, Specialist

pytestmark = pytest.mark.django_db


def add_credential(specialist: Specialist, user: User, **fields: Any) -> Credential:
    return services.credential_add(
        specialist=specialist,
        user=user,
        field=CredentialFieldFactory(),
        level=QualificationLevelFactory(),
        issuer="Medical Board of California",
        **fields,
    )


# --- specialists --------------------------------------------------------------------------


def test_the_owner_and_bid_managers_add_specialists(medix, roster_editor):
    specialist = services.specialist_create(
        vendor=medix.vendor,
        user=roster_editor,
        full_name="  Dr Amara Okafor ",
        headline="Emergency physician",
    )

    assert specialist.full_name == "Dr Amara Okafor"
    assert specialist in selectors.specialist_list(vendor=medix.vendor)


def test_nobody_outside_the_vendor_adds_specialists(medix, outsider):
    with pytest.raises(NotPermitted):
        services.specialist_create(vendor=medix.vendor, user=outsider, full_name="Dr Impostor")

    assert not Specialist.objects.filter(full_name="Dr Impostor").exists()


def test_a_deactivated_owner_can_no_longer_change_the_roster(medix):
    medix.owner.is_active = False
    medix.owner.save()

    with pytest.raises(NotPermitted):
        services.specialist_create(vendor=medix.vendor, user=medix.owner, full_name="Dr Late")


@pytest.mark.parametrize("name", ["", "   "], ids=["empty", "blank"])
def test_a_specialist_needs_a_name(medix, name):
    with pytest.raises(RuleViolation) as refused:
        services.specialist_create(vendor=medix.vendor, user=medix.owner, full_name=name)

    assert refused.value.field == "full_name"
    assert selectors.specialist_list(vendor=medix.vendor).count() == 3


# --- credentials --------------------------------------------------------------------------


def test_the_owner_and_bid_managers_add_credentials_for_verification(medix, roster_editor):
    credential = add_credential(
        medix.specialists[0],
        roster_editor,
        identifier=" A-123456 ",
        issued_on=TODAY - timedelta(days=900),
        expires_on=TODAY + timedelta(days=400),
    )

    assert credential.status == CredentialStatus.PENDING
    assert credential.identifier == "A-123456"
    # Pending credentials do not count yet.
    assert credential not in selectors.credentials_valid_on(vendor=medix.vendor, day=TODAY)


def test_nobody_outside_the_vendor_adds_credentials(medix, outsider):
    with pytest.raises(NotPermitted):
        add_credential(medix.specialists[0], outsider)

    assert not Credential.objects.filter(specialist__vendor=medix.vendor).exists()


@pytest.mark.parametrize("days", [0, -1], ids=["same day", "earlier"])
def test_a_credential_must_expire_after_it_is_issued(medix, days):
    with pytest.raises(RuleViolation) as refused:
        add_credential(
            medix.specialists[0],
            medix.owner,
            issued_on=TODAY,
            expires_on=TODAY + timedelta(days=days),
        )

    assert refused.value.field == "expires_on"
    assert not Credential.objects.exists()


# --- affiliations -------------------------------------------------------------------------


def test_the_owner_and_bid_managers_record_affiliations(medix, roster_editor):
    hospital = EntityFactory(name="St Mary's Hospital")

    affiliation = services.affiliation_add(
        specialist=medix.specialists[0],
        user=roster_editor,
        organisation=hospital,
        role=AffiliationRole.EMPLOYEE,
        start_date=TODAY - timedelta(days=800),
    )

    assert list(medix.specialists[0].affiliations.all()) == [affiliation]
    assert affiliation.is_current_on(TODAY)


def test_nobody_outside_the_vendor_records_affiliations(medix, outsider):
    with pytest.raises(NotPermitted):
        services.affiliation_add(
            specialist=medix.specialists[0],
            user=outsider,
            organisation=EntityFactory(),
            role=AffiliationRole.ADVISOR,
        )

    assert not Affiliation.objects.exists()


@pytest.mark.parametrize("days", [0, -30], ids=["same day", "earlier"])
def test_an_affiliation_must_end_after_it_starts(medix, days):
    with pytest.raises(RuleViolation) as refused:
        services.affiliation_add(
            specialist=medix.specialists[0],
            user=medix.owner,
            organisation=EntityFactory(),
            role=AffiliationRole.ADVISOR,
            start_date=TODAY,
            end_date=TODAY + timedelta(days=days),
        )

    assert refused.value.field == "end_date"
    assert not Affiliation.objects.exists()


def test_an_affiliation_role_outside_the_vocabulary_is_refused(medix):
    # Screening reads affiliation roles (a specialist employed by or advising a competitor,
    # DESIGN section 4 step 4); a role it does not know would silently never count.
    with pytest.raises(RuleViolation):
        services.affiliation_add(
            specialist=medix.specialists[0],
            user=medix.owner,
            organisation=EntityFactory(),
            role="chief wizard",
        )

    assert not Affiliation.objects.exists()


# --- reads --------------------------------------------------------------------------------


def test_the_roster_lists_the_vendors_active_specialists_by_name(medix, mathly):
    retired = SpecialistFactory(vendor=medix.vendor, full_name="Aaron Retired", is_active=False)

    listed = list(selectors.specialist_list(vendor=medix.vendor))

    assert listed == sorted(medix.specialists, key=lambda s: s.full_name)
    assert retired not in listed
    assert not set(listed) & set(mathly.specialists)


def test_a_vendor_opens_its_own_specialist(medix):
    specialist = medix.specialists[1]

    assert (
        selectors.specialist_get_for_vendor(vendor=medix.vendor, specialist_id=specialist.pk)
        == specialist
    )


def test_another_vendors_specialist_is_indistinguishable_from_a_missing_one(medix, mathly):
    with pytest.raises(NotFound) as other_vendors:
        selectors.specialist_get_for_vendor(
            vendor=medix.vendor, specialist_id=mathly.specialists[0].pk
        )
    with pytest.raises(NotFound) as missing:
        selectors.specialist_get_for_vendor(vendor=medix.vendor, specialist_id=987654321)

    assert str(other_vendors.value) == str(missing.value)


def test_credentials_valid_on_a_day_are_the_verified_unexpired_ones(medix, mathly, admin):
    ada, ben, _ = medix.specialists
    lifelong = verified_credential(ada, verified_by=admin, expires_on=None)
    until_tomorrow = verified_credential(
        ben, verified_by=admin, expires_on=TODAY + timedelta(days=1)
    )
    verified_credential(
        ada, verified_by=admin, issued_on=TODAY - timedelta(days=365), expires_on=TODAY
    )  # expires on the day itself
    CredentialFactory(specialist=ada, expires_on=None)  # pending
    CredentialFactory(
        specialist=ben, status=CredentialStatus.REJECTED, rejection_reason="Not in the register."
    )
    verified_credential(SpecialistFactory(vendor=medix.vendor, is_active=False), verified_by=admin)
    verified_credential(mathly.specialists[0], verified_by=admin)

    valid = selectors.credentials_valid_on(vendor=medix.vendor, day=TODAY)

    assert set(valid) == {lifelong, until_tomorrow}


def test_a_credential_stops_counting_on_its_expiry_day(medix, admin):
    expiry = TODAY + timedelta(days=10)
    credential = verified_credential(medix.specialists[0], verified_by=admin, expires_on=expiry)

    assert credential in selectors.credentials_valid_on(
        vendor=medix.vendor, day=expiry - timedelta(days=1)
    )
    assert credential not in selectors.credentials_valid_on(vendor=medix.vendor, day=expiry)
