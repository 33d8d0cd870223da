"""Who may do what: every permission predicate, asked for every kind of person.

The table names, for each person, the predicates that answer yes; every other
predicate must answer no. A predicate added to a permissions module without a row
here fails `test_the_table_covers_every_predicate`."""

from __future__ import annotations

import inspect
from decimal import Decimal

import pytest
from django.contrib.auth.models import AnonymousUser

import labs.permissions as lab_permissions
import marketplace.exchange.permissions as exchange_permissions
import vendors.permissions as vendor_permissions
from labs.models import Visibility
from marketplace.accounts.models import Role
from marketplace.exchange.models import Invitation
from tests.exchange.helpers import platform_admin
from tests.factories import JobFactory, MembershipFactory, UserFactory
from tests.plugins.personas import make_open_job, submit_bid

pytestmark = pytest.mark.django_db

lp, vp, xp = lab_permissions, vendor_permissions, exchange_permissions

# Each predicate asked about Acme's lab, Medix the vendor, and an open job of Acme's.
PREDICATES = {
    "can_view_lab": lambda user, c: lp.can_view_lab(user, c["lab"]),
    "can_manage_jobs": lambda user, c: lp.can_manage_jobs(user, c["lab"]),
    "can_answer_questions": lambda user, c: lp.can_answer_questions(user, c["lab"]),
    "can_evaluate_bids": lambda user, c: lp.can_evaluate_bids(user, c["lab"]),
    "can_award": lambda user, c: lp.can_award(user, c["lab"]),
    "can_manage_competitors": lambda user, c: lp.can_manage_competitors(user, c["lab"]),
    "can_manage_policy": lambda user, c: lp.can_manage_policy(user, c["lab"]),
    "can_view_vendor": lambda user, c: vp.can_view_vendor(user, c["vendor"]),
    "can_manage_profile": lambda user, c: vp.can_manage_profile(user, c["vendor"]),
    "can_manage_roster": lambda user, c: vp.can_manage_roster(user, c["vendor"]),
    "can_bid": lambda user, c: vp.can_bid(user, c["vendor"]),
    "can_verify_credentials": lambda user, c: vp.can_verify_credentials(user),
    "can_bid_on": lambda user, c: xp.can_bid_on(user, c["vendor"], c["job"]),
    "can_ask_question": lambda user, c: xp.can_ask_question(user, c["vendor"], c["job"]),
    "can_view_as_vendor": lambda user, c: xp.can_view_as_vendor(user, c["vendor"], c["job"]),
    "can_override_screening": lambda user, c: xp.can_override_screening(user),
    "can_revise_bid": lambda user, c: xp.can_revise_bid(user, c["bid"]),
    "can_withdraw_bid": lambda user, c: xp.can_withdraw_bid(user, c["bid"]),
}

LAB_READERS = {"can_view_lab", "can_answer_questions", "can_evaluate_bids"}
VENDOR_BIDDERS = {
    "can_view_vendor",
    "can_manage_roster",
    "can_bid",
    "can_bid_on",
    "can_ask_question",
    "can_view_as_vendor",
    "can_revise_bid",
    "can_withdraw_bid",
}

GRANTED = {
    "lab_owner": LAB_READERS
    | {"can_manage_jobs", "can_award", "can_manage_competitors", "can_manage_policy"},
    "procurement": LAB_READERS | {"can_manage_jobs", "can_award", "can_manage_competitors"},
    "reviewer": LAB_READERS,
    "vendor_owner": VENDOR_BIDDERS | {"can_manage_profile"},
    "bid_manager": VENDOR_BIDDERS,
    "another lab's owner": set(),
    "another vendor's owner": set(),
    "platform admin": {"can_verify_credentials", "can_override_screening"},
    "deactivated lab owner": set(),
    "deactivated platform admin": set(),
    "owner of a deactivated vendor": set(),
    "anonymous": set(),
    "nobody": set(),
}


@pytest.fixture
def context(acme, medix):
    job = make_open_job(acme)
    # Medix's submitted bid on the job, still open for changes.
    return {"lab": acme.lab, "job": job, "bid": submit_bid(medix, job)}


def _person(name, acme, rival, medix, mathly):
    if name in {"lab_owner", "procurement", "reviewer"}:
        return {
            "lab_owner": acme.owner,
            "procurement": acme.procurement,
            "reviewer": acme.reviewer,
        }[name]
    if name == "vendor_owner":
        return medix.owner
    if name == "bid_manager":
        return medix.bid_manager
    if name == "another lab's owner":
        return rival.owner
    if name == "another vendor's owner":
        return mathly.owner
    if name == "platform admin":
        return platform_admin()
    if name == "deactivated lab owner":
        former = UserFactory(is_active=False)
        MembershipFactory(user=former, organisation=acme.lab.organisation, role=Role.LAB_OWNER)
        return former
    if name == "deactivated platform admin":
        return UserFactory(is_staff=True, is_active=False)
    if name == "owner of a deactivated vendor":
        return mathly.owner
    if name == "anonymous":
        return AnonymousUser()
    return None


@pytest.mark.parametrize("person", list(GRANTED))
def test_each_person_is_granted_exactly_their_roles_predicates(
    acme, rival, medix, mathly, context, person
):
    user = _person(person, acme, rival, medix, mathly)
    vendor = medix.vendor
    if person == "owner of a deactivated vendor":
        vendor = mathly.vendor
        vendor.organisation.is_active = False
        vendor.organisation.save()

    granted = {
        name for name, asks in PREDICATES.items() if asks(user, {**context, "vendor": vendor})
    }

    assert granted == GRANTED[person]


def test_the_table_covers_every_predicate():
    modules = (lab_permissions, vendor_permissions, exchange_permissions)
    defined = {
        name
        for module in modules
        for name, function in inspect.getmembers(module, inspect.isfunction)
        if name.startswith("can_") and function.__module__ == module.__name__
    }

    assert defined == set(PREDICATES)


# --- which jobs a vendor can see (not a user predicate: vendor x job) ----------------


def test_a_vendor_sees_a_published_job_open_to_all_vendors(acme, medix):
    job = make_open_job(acme)

    assert exchange_permissions.vendor_can_see_job(medix.vendor, job)


def test_a_vendor_never_sees_a_draft(acme, medix):
    draft = JobFactory(lab=acme.lab, created_by=acme.procurement)

    assert not exchange_permissions.vendor_can_see_job(medix.vendor, draft)


def test_an_invitation_only_job_is_seen_only_by_invited_vendors(acme, medix, mathly):
    job = make_open_job(acme, visibility=Visibility.INVITED)
    Invitation.objects.create(job=job, vendor=mathly.vendor, rank=1, score=Decimal("0.9"))

    assert exchange_permissions.vendor_can_see_job(mathly.vendor, job)
    assert not exchange_permissions.vendor_can_see_job(medix.vendor, job)
    assert not exchange_permissions.can_bid_on(medix.owner, medix.vendor, job)
    assert not exchange_permissions.can_ask_question(medix.bid_manager, medix.vendor, job)
    assert not exchange_permissions.can_view_as_vendor(medix.owner, medix.vendor, job)
    assert exchange_permissions.can_bid_on(mathly.owner, mathly.vendor, job)
