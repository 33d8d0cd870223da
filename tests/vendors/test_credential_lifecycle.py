"""Credential lifecycle: pending -> verified | rejected; verified -> expired (by date).

Only platform admins verify or reject; expiry is the hourly sweep's job."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import pytest
from django.utils import timezone

from marketplace.accounts.models import User
from marketplace.core.errors import InvalidTransition, NotPermitted, RuleViolation
from tests.factories import (
    CredentialFactory,
    CredentialFieldFactory,
    QualificationLevelFactory,
    UserFactory,
)
from tests.plugins.personas import VendorTeam
from tests.vendors.builders import NOW, TODAY, verified_credential
from vendors import services
from vendors.models import Credential, CredentialStatus

pytestmark = pytest.mark.django_db


def add_licence(team: VendorTeam, *, expires_on: date) -> Credential:
    """A nursing licence the vendor's owner adds for one of its specialists."""
    return services.credential_add(
        specialist=team.specialists[0],
        user=team.owner,
        field=CredentialFieldFactory(code="nursing"),
        level=QualificationLevelFactory(code="rn", name="RN", ladder="nursing"),
        issuer="State Board of Nursing",
        identifier=" RN-448812 ",
        issued_on=TODAY - timedelta(days=700),
        expires_on=expires_on,
    )


@pytest.fixture
def pending(medix: VendorTeam) -> Credential:
    """A nursing licence awaiting verification, valid for another year."""
    return add_licence(medix, expires_on=TODAY + timedelta(days=365))


# --- pending -> verified ------------------------------------------------------------------


def test_a_platform_admin_verifies_a_pending_credential(pending, admin):
    services.credential_verify(credential=pending, user=admin)

    pending.refresh_from_db()
    assert pending.status == CredentialStatus.VERIFIED
    assert pending.verified_by == admin
    assert pending.verified_at == NOW
    assert pending.is_valid_on(TODAY)


@pytest.mark.parametrize(
    "who", ["vendor owner", "bid manager", "deactivated admin", "ordinary user"]
)
def test_only_an_active_platform_admin_verifies(pending, medix, who):
    user = {
        "vendor owner": medix.owner,
        "bid manager": medix.bid_manager,
        "deactivated admin": UserFactory(is_staff=True, is_active=False),
        "ordinary user": UserFactory(),
    }[who]

    with pytest.raises(NotPermitted):
        services.credential_verify(credential=pending, user=user)

    pending.refresh_from_db()
    assert pending.status == CredentialStatus.PENDING
    assert pending.verified_by is None


@pytest.mark.parametrize("days_left", [0, -1], ids=["expires today", "expired yesterday"])
def test_a_credential_already_expired_cannot_be_verified(medix, admin, days_left):
    credential = CredentialFactory(
        specialist=medix.specialists[0],
        issued_on=TODAY - timedelta(days=400),
        expires_on=TODAY + timedelta(days=days_left),
    )

    with pytest.raises(RuleViolation, match="expired"):
        services.credential_verify(credential=credential, user=admin)

    credential.refresh_from_db()
    assert credential.status == CredentialStatus.PENDING


def test_a_credential_expiring_tomorrow_can_still_be_verified(medix, admin):
    credential = CredentialFactory(
        specialist=medix.specialists[0], expires_on=TODAY + timedelta(days=1)
    )

    services.credential_verify(credential=credential, user=admin)

    credential.refresh_from_db()
    assert credential.status == CredentialStatus.VERIFIED


# --- pending -> rejected ------------------------------------------------------------------


def test_a_platform_admin_rejects_a_pending_credential_saying_why(pending, admin):
    services.credential_reject(
        credential=pending, user=admin, reason="  Licence number not found in the state register. "
    )

    pending.refresh_from_db()
    assert pending.status == CredentialStatus.REJECTED
    assert pending.rejection_reason == "Licence number not found in the state register."
    assert not pending.is_valid_on(TODAY)


@pytest.mark.parametrize("reason", ["", "   "], ids=["empty", "blank"])
def test_a_rejection_needs_a_reason(pending, admin, reason):
    with pytest.raises(RuleViolation) as refused:
        services.credential_reject(credential=pending, user=admin, reason=reason)

    assert refused.value.field == "reason"
    pending.refresh_from_db()
    assert pending.status == CredentialStatus.PENDING


@pytest.mark.parametrize("who", ["owner", "bid_manager"])
def test_vendor_members_cannot_reject_credentials(pending, medix, who):
    with pytest.raises(NotPermitted):
        services.credential_reject(
            credential=pending, user=getattr(medix, who), reason="We changed our minds."
        )

    pending.refresh_from_db()
    assert pending.status == CredentialStatus.PENDING


# --- verified -> expired, by date ---------------------------------------------------------


@pytest.fixture
def verified_to_june(medix: VendorTeam, admin: User) -> Credential:
    """A verified licence whose expiry date is 1 June 2026."""
    licence = add_licence(medix, expires_on=TODAY.replace(month=6, day=1))
    return services.credential_verify(credential=licence, user=admin)


def test_a_verified_credential_expires_on_its_expiry_day(verified_to_june):
    expired = services.credential_expire_due(today=verified_to_june.expires_on)

    assert expired == [verified_to_june.pk]
    verified_to_june.refresh_from_db()
    assert verified_to_june.status == CredentialStatus.EXPIRED


def test_a_verified_credential_is_still_verified_the_day_before_it_expires(verified_to_june):
    day_before = verified_to_june.expires_on - timedelta(days=1)

    assert services.credential_expire_due(today=day_before) == []

    verified_to_june.refresh_from_db()
    assert verified_to_june.status == CredentialStatus.VERIFIED


def test_running_the_expiry_sweep_again_changes_nothing(verified_to_june):
    services.credential_expire_due(today=verified_to_june.expires_on)

    assert services.credential_expire_due(today=verified_to_june.expires_on) == []
    assert verified_to_june.history.filter(status=CredentialStatus.EXPIRED).count() == 1


def test_the_expiry_sweep_leaves_pending_rejected_and_lifelong_credentials_alone(medix, admin):
    specialist = medix.specialists[0]
    long_ago = TODAY - timedelta(days=30)
    pending = CredentialFactory(specialist=specialist, expires_on=long_ago)
    rejected = CredentialFactory(
        specialist=specialist,
        expires_on=long_ago,
        status=CredentialStatus.REJECTED,
        rejection_reason="Forged.",
    )
    degree = verified_credential(specialist, verified_by=admin, expires_on=None)

    assert services.credential_expire_due(today=TODAY) == []

    for credential, status in (
        (pending, CredentialStatus.PENDING),
        (rejected, CredentialStatus.REJECTED),
        (degree, CredentialStatus.VERIFIED),
    ):
        credential.refresh_from_db()
        assert credential.status == status


def test_the_expiry_sweep_defaults_to_today(medix, admin):
    due = verified_credential(
        medix.specialists[0],
        verified_by=admin,
        issued_on=TODAY - timedelta(days=365),
        expires_on=TODAY,
    )
    not_yet = verified_credential(
        medix.specialists[1], verified_by=admin, expires_on=TODAY + timedelta(days=1)
    )

    assert services.credential_expire_due() == [due.pk]

    not_yet.refresh_from_db()
    assert not_yet.status == CredentialStatus.VERIFIED


# --- illegal moves ------------------------------------------------------------------------


@pytest.fixture
def credential_in(medix: VendorTeam, admin: User) -> Callable[[str], Credential]:
    def make(status: str) -> Credential:
        fields: dict[str, object] = {"status": status}
        if status == CredentialStatus.REJECTED:
            fields["rejection_reason"] = "Forged."
        if status in (CredentialStatus.VERIFIED, CredentialStatus.EXPIRED):
            fields.update(verified_by=admin, verified_at=timezone.now())
        return CredentialFactory(
            specialist=medix.specialists[0], expires_on=TODAY + timedelta(days=90), **fields
        )

    return make


@pytest.mark.parametrize(
    "status", [CredentialStatus.REJECTED, CredentialStatus.VERIFIED, CredentialStatus.EXPIRED]
)
def test_only_a_pending_credential_can_be_verified(credential_in, admin, status):
    credential = credential_in(status)

    with pytest.raises(InvalidTransition):
        services.credential_verify(credential=credential, user=admin)

    credential.refresh_from_db()
    assert credential.status == status


@pytest.mark.parametrize(
    "status", [CredentialStatus.VERIFIED, CredentialStatus.REJECTED, CredentialStatus.EXPIRED]
)
def test_only_a_pending_credential_can_be_rejected(credential_in, admin, status):
    credential = credential_in(status)

    with pytest.raises(InvalidTransition):
        services.credential_reject(credential=credential, user=admin, reason="Second thoughts.")

    credential.refresh_from_db()
    assert credential.status == status


def test_a_stale_copy_cannot_reject_a_credential_verified_meanwhile(pending, admin):
    stale = Credential.objects.get(pk=pending.pk)
    services.credential_verify(credential=pending, user=admin)

    with pytest.raises(InvalidTransition):
        services.credential_reject(credential=stale, user=admin, reason="Looked wrong.")

    pending.refresh_from_db()
    assert pending.status == CredentialStatus.VERIFIED


# --- corrections (more in test_credential_update.py) ---------------------------------------


def test_correcting_a_rejected_credential_sends_it_back_to_verification(pending, admin, medix):
    services.credential_reject(credential=pending, user=admin, reason="Wrong licence number.")

    services.credential_update(credential=pending, user=medix.owner, identifier="RN-448813")

    pending.refresh_from_db()
    assert pending.status == CredentialStatus.PENDING
    assert pending.rejection_reason == ""
    assert pending.verified_by is None


# --- history ------------------------------------------------------------------------------


def test_every_change_is_kept_in_the_credential_history(pending, admin):
    services.credential_verify(credential=pending, user=admin)
    services.credential_expire_due(today=pending.expires_on)

    rows = list(pending.history.order_by("history_id"))
    assert [row.status for row in rows] == ["pending", "verified", "expired"]
    assert [row.history_type for row in rows] == ["+", "~", "~"]
    # Outside a web request the history row has no history_user; the verifier is still
    # on record in the row itself.
    assert rows[1].verified_by == admin
    assert rows[1].verified_at == NOW


def test_a_rejection_and_its_reason_are_kept_in_the_history(pending, admin):
    services.credential_reject(credential=pending, user=admin, reason="Register lookup failed.")

    latest = pending.history.order_by("-history_id").first()
    assert latest.status == CredentialStatus.REJECTED
    assert latest.rejection_reason == "Register lookup failed."
    assert latest.verified_by == admin
