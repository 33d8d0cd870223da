"""The hourly expiry tasks are thin edges over the expiry services."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.factories import AttestationFactory
from tests.vendors.builders import TODAY, verified_credential
from vendors.models import AttestationStatus, CredentialStatus
from vendors.tasks import expire_attestations_task, expire_credentials_task

pytestmark = pytest.mark.django_db


def test_the_credential_task_expires_the_credentials_due_today(medix, admin):
    due = verified_credential(
        medix.specialists[0],
        verified_by=admin,
        issued_on=TODAY - timedelta(days=365),
        expires_on=TODAY,
    )
    later = verified_credential(
        medix.specialists[1], verified_by=admin, expires_on=TODAY + timedelta(days=1)
    )

    result = expire_credentials_task.apply()

    assert result.successful()
    assert result.get() == 1
    due.refresh_from_db()
    later.refresh_from_db()
    assert (due.status, later.status) == (CredentialStatus.EXPIRED, CredentialStatus.VERIFIED)
    assert expire_credentials_task.apply().get() == 0


def test_the_attestation_task_expires_the_attestations_due_today(medix):
    due = AttestationFactory(vendor=medix.vendor, expires_on=TODAY)
    later = AttestationFactory(vendor=medix.vendor, expires_on=TODAY + timedelta(days=1))

    result = expire_attestations_task.apply()

    assert result.successful()
    assert result.get() == 1
    due.refresh_from_db()
    later.refresh_from_db()
    assert (due.status, later.status) == (AttestationStatus.EXPIRED, AttestationStatus.VALID)
    assert expire_attestations_task.apply().get() == 0
