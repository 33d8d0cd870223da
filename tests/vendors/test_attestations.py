"""Compliance attestations (HIPAA BAA, SOC 2): added by the vendor's owner, expired by date."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from marketplace.accounts.models import User
from marketplace.core.errors import NotPermitted, RuleViolation
from tests.factories import AttestationFactory, AttestationKindFactory
from tests.plugins.personas import VendorTeam
from tests.vendors.builders import TODAY
from vendors import services
from vendors.models import Attestation, AttestationStatus

pytestmark = pytest.mark.django_db


def add_attestation(team: VendorTeam, user: User, **fields: Any) -> Attestation:
    values: dict[str, Any] = {
        "kind": AttestationKindFactory(),
        "issued_on": TODAY - timedelta(days=30),
        "expires_on": TODAY + timedelta(days=335),
        "issuer": "Coalfire",
    }
    values.update(fields)
    return services.attestation_add(vendor=team.vendor, user=user, **values)


def test_the_vendor_owner_adds_an_attestation(medix):
    attestation = add_attestation(medix, medix.owner)

    assert attestation.status == AttestationStatus.VALID
    assert list(medix.vendor.attestations.all()) == [attestation]
    assert attestation.is_valid_through(TODAY)


def test_a_bid_manager_cannot_add_an_attestation(medix):
    with pytest.raises(NotPermitted):
        add_attestation(medix, medix.bid_manager)

    assert not Attestation.objects.exists()


def test_nobody_outside_the_vendor_adds_its_attestations(medix, outsider):
    with pytest.raises(NotPermitted):
        add_attestation(medix, outsider)

    assert not Attestation.objects.exists()


@pytest.mark.parametrize("days", [0, -1], ids=["same day", "earlier"])
def test_an_attestation_must_expire_after_it_is_issued(medix, days):
    with pytest.raises(RuleViolation) as refused:
        add_attestation(
            medix, medix.owner, issued_on=TODAY, expires_on=TODAY + timedelta(days=days)
        )

    assert refused.value.field == "expires_on"
    assert not Attestation.objects.exists()


@pytest.mark.parametrize(
    ("days_left", "status"),
    [
        (0, AttestationStatus.EXPIRED),
        (1, AttestationStatus.VALID),
    ],
    ids=["expiring today", "expiring tomorrow"],
)
def test_an_attestation_already_past_its_expiry_is_recorded_as_expired(medix, days_left, status):
    attestation = add_attestation(
        medix,
        medix.owner,
        issued_on=TODAY - timedelta(days=365),
        expires_on=TODAY + timedelta(days=days_left),
    )

    assert attestation.status == status


def test_the_uploaded_file_name_is_not_trusted(medix, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    kind = AttestationKindFactory(code="soc2")
    upload = SimpleUploadedFile(
        "../../etc/evil name.PDF", b"%PDF-1.7 report", content_type="application/pdf"
    )

    attestation = add_attestation(medix, medix.owner, kind=kind, document=upload)

    assert attestation.document.name == (
        f"attestations/{medix.vendor.pk}/{kind.pk}-{TODAY:%Y%m%d}.pdf"
    )
    assert (tmp_path / attestation.document.name).read_bytes() == b"%PDF-1.7 report"


# --- expiry by date -----------------------------------------------------------------------


@pytest.fixture
def soc2_to_june(medix) -> Attestation:
    """A SOC 2 report valid until (not including) 1 June 2026."""
    return AttestationFactory(vendor=medix.vendor, expires_on=TODAY.replace(month=6, day=1))


def test_an_attestation_expires_on_its_expiry_day(soc2_to_june):
    assert services.attestation_expire_due(today=soc2_to_june.expires_on) == [soc2_to_june.pk]

    soc2_to_june.refresh_from_db()
    assert soc2_to_june.status == AttestationStatus.EXPIRED


def test_an_attestation_is_still_valid_the_day_before_it_expires(soc2_to_june):
    day_before = soc2_to_june.expires_on - timedelta(days=1)

    assert services.attestation_expire_due(today=day_before) == []

    soc2_to_june.refresh_from_db()
    assert soc2_to_june.status == AttestationStatus.VALID


def test_running_the_attestation_sweep_again_changes_nothing(soc2_to_june):
    services.attestation_expire_due(today=soc2_to_june.expires_on)

    assert services.attestation_expire_due(today=soc2_to_june.expires_on) == []


def test_the_attestation_sweep_leaves_revoked_attestations_revoked(medix):
    revoked = AttestationFactory(
        vendor=medix.vendor, expires_on=TODAY, status=AttestationStatus.REVOKED
    )

    assert services.attestation_expire_due(today=TODAY) == []

    revoked.refresh_from_db()
    assert revoked.status == AttestationStatus.REVOKED


def test_the_attestation_sweep_defaults_to_today(medix):
    due = AttestationFactory(vendor=medix.vendor, expires_on=TODAY)
    AttestationFactory(vendor=medix.vendor, expires_on=TODAY + timedelta(days=1))

    assert services.attestation_expire_due() == [due.pk]


# --- valid through a day ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("offset", "valid"),
    [
        ("day before issue", False),
        ("issue day", True),
        ("day before expiry", True),
        ("expiry day", False),
    ],
)
def test_an_attestation_covers_the_days_from_issue_up_to_its_expiry(medix, offset, valid):
    attestation = AttestationFactory(
        vendor=medix.vendor, issued_on=TODAY, expires_on=TODAY + timedelta(days=365)
    )
    day = {
        "day before issue": TODAY - timedelta(days=1),
        "issue day": TODAY,
        "day before expiry": TODAY + timedelta(days=364),
        "expiry day": TODAY + timedelta(days=365),
    }[offset]

    assert attestation.is_valid_through(day) is valid


@pytest.mark.parametrize("status", [AttestationStatus.REVOKED, AttestationStatus.EXPIRED])
def test_a_revoked_or_expired_attestation_covers_no_day(medix, status):
    attestation = AttestationFactory(vendor=medix.vendor, status=status)

    assert not attestation.is_valid_through(TODAY)
