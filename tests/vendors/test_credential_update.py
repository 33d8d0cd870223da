from datetime import date

import pytest

from marketplace.core.errors import InvalidTransition, NotPermitted, RuleViolation
from tests.factories import CredentialFactory, UserFactory
from vendors.models import CredentialStatus
from vendors.services import credential_update, credential_verify

pytestmark = pytest.mark.django_db


@pytest.fixture
def verified_credential(medix):
    credential = CredentialFactory(specialist=medix.specialists[0])
    return credential_verify(credential=credential, user=UserFactory(is_staff=True))


def test_correcting_a_verified_credential_sends_it_back_to_verification(medix, verified_credential):
    updated = credential_update(
        credential=verified_credential, user=medix.bid_manager, identifier="LIC-CORRECTED"
    )
    assert updated.status == CredentialStatus.PENDING
    assert updated.identifier == "LIC-CORRECTED"
    assert updated.verified_by is None and updated.verified_at is None


def test_only_the_vendors_own_team_may_correct_a_credential(mathly, verified_credential):
    with pytest.raises(NotPermitted):
        credential_update(credential=verified_credential, user=mathly.owner, issuer="Elsewhere")
    verified_credential.refresh_from_db()
    assert verified_credential.status == CredentialStatus.VERIFIED


def test_expiry_must_follow_issue(medix, verified_credential):
    with pytest.raises(RuleViolation):
        credential_update(
            credential=verified_credential,
            user=medix.owner,
            issued_on=date(2025, 5, 1),
            expires_on=date(2025, 1, 1),
        )


def test_status_is_not_a_field_a_correction_may_set(medix, verified_credential):
    with pytest.raises(RuleViolation):
        credential_update(credential=verified_credential, user=medix.owner, status="verified")


def test_an_expired_credential_is_replaced_not_edited(medix, verified_credential):
    verified_credential.status = CredentialStatus.EXPIRED
    verified_credential.save()
    with pytest.raises(InvalidTransition):
        credential_update(credential=verified_credential, user=medix.owner, issuer="New board")
