"""Builders for the vendor tests: a fixed "today", platform admins and credentials in a
given state."""

from __future__ import annotations

from datetime import UTC, date, datetime

from django.utils import timezone

from marketplace.accounts.models import User
from tests.factories import CredentialFactory, UserFactory
from vendors.models import Credential, CredentialStatus, Specialist

# The day the vendor tests run on (frozen with time-machine), so expiry boundaries
# never depend on the wall clock.
TODAY = date(2026, 3, 10)
NOW = datetime(2026, 3, 10, 9, 30, tzinfo=UTC)


def platform_admin() -> User:
    """Staff of the platform: the only people who verify credentials."""
    return UserFactory(is_staff=True)


def verified_credential(
    specialist: Specialist, *, verified_by: User, **fields: object
) -> Credential:
    """A credential an admin verified earlier. Built directly rather than through
    credential_verify, which (rightly) refuses a credential already past its expiry."""
    return CredentialFactory(
        specialist=specialist,
        status=CredentialStatus.VERIFIED,
        verified_by=verified_by,
        verified_at=timezone.now(),
        **fields,
    )
