"""Helpers for the vendor's job and bid pages: signed-in clients, posting a form the way
a browser does (with its act-once token), specialists with verified credentials, a user
whose role does not allow bidding, and an invitation."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from labs.models import Job
from marketplace.accounts.models import Role, User
from marketplace.exchange.models import Invitation
from tests.exchange.helpers import platform_admin
from tests.factories import (
    CredentialFactory,
    CredentialFieldFactory,
    MembershipFactory,
    QualificationLevelFactory,
    SpecialistFactory,
    UserFactory,
)
from tests.plugins.personas import VendorTeam
from vendors.models import Credential, CredentialStatus, Specialist


def signed_in(client: Client, user: User) -> Client:
    client.force_login(user)
    return client


def post_form(client: Client, url: str, data: dict[str, Any], *, token: str | None = None):  # type: ignore[no-untyped-def]
    """Posts like a browser does from one of these pages: with the form's act-once token."""
    return client.post(url, {**data, "form_token": token or str(uuid.uuid4())})


def text(response: Any) -> str:
    return response.content.decode()


def md_credential(
    specialist: Specialist,
    *,
    status: str = CredentialStatus.VERIFIED,
    expires_on: date | None = None,
    code: str = "md",
) -> Credential:
    """An MD licence in medicine: what the persona jobs' seats (2 x MD in Medicine) need."""
    verified = status == CredentialStatus.VERIFIED
    return CredentialFactory(
        specialist=specialist,
        field=CredentialFieldFactory(code="medicine"),
        level=QualificationLevelFactory(code=code),
        status=status,
        expires_on=expires_on,
        verified_by=platform_admin() if verified else None,
        verified_at=timezone.now() if verified else None,
        rejection_reason="Not on the register" if status == CredentialStatus.REJECTED else "",
    )


def qualified_specialist(team: VendorTeam, name: str, **kwargs: Any) -> Specialist:
    specialist = SpecialistFactory(vendor=team.vendor, full_name=name)
    md_credential(specialist, **kwargs)
    return specialist


def invite(job: Job, team: VendorTeam, *reasons: str) -> Invitation:
    return Invitation.objects.create(
        job=job,
        vendor=team.vendor,
        rank=1,
        score=Decimal("80"),
        reasons=list(reasons) or ["2 of 2 seats filled by distinct verified specialists."],
    )


def in_days(days: int) -> date:
    return timezone.localdate() + timedelta(days=days)


@pytest.fixture
def medix_without_bid_role(medix: VendorTeam) -> User:
    """A member of Medix whose role is not one that may bid (a lab role, recorded by
    mistake): the pages must not offer it the bid actions."""
    user = UserFactory()
    MembershipFactory(user=user, organisation=medix.vendor.organisation, role=Role.REVIEWER)
    return user
