"""`manage.py load_demo`: the demo of DESIGN section 11, loaded once however often it runs."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.apps import apps
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.db import transaction
from django.test import RequestFactory, override_settings
from django.utils import timezone

from labs.models import Competitor, Job, JobStatus, Lab
from marketplace.demo.services import (
    ADMIN_EMAIL,
    ADMIN_URL,
    APEX_ENTITY_ID,
    CEO_ENTITY_ID,
    DEMO_PASSWORD,
    SCALEWISE_ENTITY_ID,
    USERS,
)
from marketplace.exchange.models import BidStatus, Contract
from marketplace.ownership.models import Entity, EntityType, InterestType, Stake
from vendors.models import Credential, CredentialStatus, Vendor

pytestmark = pytest.mark.django_db


def load_demo() -> str:
    out = StringIO()
    call_command("load_demo", stdout=out)
    return out.getvalue()


def row_counts() -> dict[str, int]:
    """Rows of every model, change-history tables and many-to-many tables included."""
    return {
        model._meta.label: model._default_manager.count()
        for model in apps.get_models(include_auto_created=True)
    }


@pytest.fixture(scope="module")
def demo_output(django_db_setup, django_db_blocker) -> Iterator[str]:
    """Loads the demo once for this module, inside a transaction rolled back at the end,
    so the other test modules never see it. A fast hasher keeps twenty sign-ins quick;
    which hasher is used does not matter here."""
    fast_hasher = override_settings(
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]
    )
    with django_db_blocker.unblock(), fast_hasher, transaction.atomic():
        yield load_demo()
        transaction.set_rollback(True)


def test_a_second_run_creates_nothing(demo_output):
    after_first = row_counts()

    output = load_demo()

    assert row_counts() == after_first
    assert "nothing to create" in output
    assert after_first["labs.Lab"] == 4 and after_first["vendors.Vendor"] == 12
    assert after_first["ownership.HistoricalStake"] > 0


def test_a_run_weeks_later_creates_nothing_either(demo_output, time_machine):
    """By then the demo's bid deadlines have passed and its dates have moved on; the
    natural keys still find every object."""
    after_first = row_counts()
    time_machine.move_to(timezone.now() + timedelta(days=45))

    load_demo()

    assert row_counts() == after_first


def test_the_rival_lab_holds_49_percent_of_the_largest_vendor_without_votes(demo_output):
    apex = Entity.objects.get(record_id=APEX_ENTITY_ID)
    scalewise = Entity.objects.get(record_id=SCALEWISE_ENTITY_ID)
    today = timezone.localdate()

    stakes = Stake.objects.filter(interested_party=apex, subject=scalewise)

    shareholding = stakes.get(interest_type=InterestType.SHAREHOLDING)
    assert shareholding.share_exact == Decimal(49)
    assert not shareholding.beneficial_ownership_or_control
    assert shareholding.start_date is not None and shareholding.start_date < today
    assert shareholding.is_active_on(today)
    assert not stakes.filter(interest_type=InterestType.VOTING_RIGHTS).exists()
    # Scalewise is the largest vendor by roster.
    largest = max(Vendor.objects.all(), key=lambda v: v.specialists.count())
    assert largest.entity == scalewise


def test_the_ceo_left_the_largest_vendor_for_the_rival(demo_output):
    ceo = Entity.objects.get(record_id=CEO_ENTITY_ID)
    today = timezone.localdate()
    official = InterestType.SENIOR_MANAGING_OFFICIAL

    at_scalewise = Stake.objects.get(
        interested_party=ceo, subject__record_id=SCALEWISE_ENTITY_ID, interest_type=official
    )
    at_apex = Stake.objects.get(
        interested_party=ceo, subject__record_id=APEX_ENTITY_ID, interest_type=official
    )

    assert ceo.entity_type == EntityType.KNOWN_PERSON
    assert at_scalewise.end_date is not None and at_scalewise.end_date <= today
    assert not at_scalewise.is_active_on(today)
    assert at_apex.start_date == at_scalewise.end_date and at_apex.is_active_on(today)


def test_labs_name_the_rival_and_northwind_spent_most_with_the_largest_vendor(demo_output):
    for slug in ("northwind-ai", "helios-labs"):
        lab = Lab.objects.get(organisation__slug=slug)
        assert Competitor.objects.filter(lab=lab, entity__record_id=APEX_ENTITY_ID).exists()

    northwind = Lab.objects.get(organisation__slug="northwind-ai")
    spend: dict[str, Decimal] = defaultdict(Decimal)
    for contract in Contract.objects.filter(lab=northwind).select_related("vendor__entity"):
        assert contract.rating is not None
        spend[contract.vendor.entity.record_id] += contract.value
    assert spend[SCALEWISE_ENTITY_ID] > sum(spend.values()) / 2
    assert northwind.jobs.filter(status=JobStatus.DRAFT).exists()


def test_open_jobs_have_submitted_bids_from_several_vendors(demo_output):
    open_jobs = Job.objects.filter(status=JobStatus.OPEN)

    assert open_jobs.count() >= 3
    for job in open_jobs:
        submitted = job.bids.filter(status=BidStatus.SUBMITTED)
        assert submitted.count() >= 2, job.title
        assert all(bid.currency == job.currency for bid in submitted)
    assert open_jobs.filter(bids__revision_number__gte=2).exists()
    assert open_jobs.filter(questions__answered_at__isnull=False).exists()


def test_rosters_have_credentials_in_every_state_of_verification(demo_output):
    statuses = set(Credential.objects.values_list("status", flat=True))
    soon = timezone.localdate() + timedelta(days=30)

    wanted = {CredentialStatus.VERIFIED, CredentialStatus.PENDING, CredentialStatus.REJECTED}
    assert wanted <= statuses
    assert Credential.objects.filter(
        status=CredentialStatus.VERIFIED, expires_on__lte=soon
    ).exists()
    assert (
        Credential.objects.exclude(rejection_reason="")
        .filter(status=CredentialStatus.REJECTED)
        .exists()
    )


def test_the_ownership_web_contains_a_cycle(demo_output):
    owned: dict[int, set[int]] = defaultdict(set)
    for party, subject in Stake.objects.values_list("interested_party_id", "subject_id"):
        owned[party].add(subject)

    def reaches_itself(start: int) -> bool:
        seen, frontier = set(), list(owned[start])
        while frontier:
            entity = frontier.pop()
            if entity == start:
                return True
            if entity not in seen:
                seen.add(entity)
                frontier.extend(owned[entity])
        return False

    assert any(reaches_itself(entity) for entity in list(owned))


def test_every_demo_login_signs_in_with_the_demo_password(demo_output):
    emails = [ADMIN_EMAIL, *(spec.email for spec in USERS)]

    for email in emails:
        # As the sign-in page calls it: with the request, which the login throttle needs.
        request = RequestFactory().post("/accounts/login/")
        user = authenticate(request, username=email, password=DEMO_PASSWORD)
        assert user is not None, email
        assert user.is_staff == (email == ADMIN_EMAIL)
    for email in (ADMIN_EMAIL, "owner@northwind.demo", "bids@scalewise.demo"):
        assert email in demo_output
    assert DEMO_PASSWORD in demo_output and ADMIN_URL in demo_output
