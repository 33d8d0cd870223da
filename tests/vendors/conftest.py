"""Fixtures shared by the vendor tests."""

from __future__ import annotations

import pytest
from time_machine import TimeMachineFixture

from marketplace.accounts.models import User
from tests.plugins.personas import LabTeam, VendorTeam
from tests.vendors.builders import NOW, platform_admin


@pytest.fixture(autouse=True)
def frozen_today(time_machine: TimeMachineFixture) -> None:
    time_machine.move_to(NOW, tick=False)


@pytest.fixture
def admin() -> User:
    """A platform admin (staff, not a superuser)."""
    return platform_admin()


@pytest.fixture(params=["owner", "bid_manager"])
def roster_editor(request: pytest.FixtureRequest, medix: VendorTeam) -> User:
    """Each member of Medix who may change its roster."""
    return getattr(medix, request.param)


@pytest.fixture(params=["lab owner", "other vendor's owner", "other vendor's bid manager"])
def outsider(request: pytest.FixtureRequest, acme: LabTeam, mathly: VendorTeam) -> User:
    """Each user who belongs to some organisation, but not to Medix."""
    return {
        "lab owner": acme.owner,
        "other vendor's owner": mathly.owner,
        "other vendor's bid manager": mathly.bid_manager,
    }[request.param]
