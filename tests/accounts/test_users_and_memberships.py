"""People sign in by e-mail; they work for labs and vendors in roles that fit the kind of
organisation."""

from __future__ import annotations

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.test import RequestFactory
from pytest_django.fixtures import Settings

from marketplace.accounts.models import Membership, OrganisationKind, Role, User
from marketplace.accounts.permissions import is_member, role_in
from marketplace.accounts.selectors import membership_list_for_user
from marketplace.accounts.services import membership_set, organisation_create, user_create
from marketplace.core.errors import RuleViolation
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_password_hashing(settings: Settings) -> None:
    # Every persona has a password; the production hasher would make it the slowest part.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


# --- signing in ---------------------------------------------------------------------------


def sign_in(**credentials: str) -> object:
    """authenticate() as the sign-in page calls it: with the request, which the login
    throttle needs to know who is trying."""
    return authenticate(RequestFactory().post("/accounts/login/"), **credentials)


def test_a_user_signs_in_with_their_email_address():
    user = user_create(email="ada@medix.test", password=PASSWORD, full_name="Ada Byron")

    assert sign_in(username="ada@medix.test", password=PASSWORD) == user
    assert sign_in(username="ada@medix.test", password="wrong password") is None
    assert sign_in(username="someone@else.test", password=PASSWORD) is None


def test_a_user_signs_in_whatever_the_case_of_the_email_they_type():
    # Addresses are unique regardless of case, so the one typed in other capitals can only
    # be this user's.
    user = user_create(email="Ada.Byron@Medix.test", password=PASSWORD)

    assert sign_in(username="ada.byron@medix.test", password=PASSWORD) == user


def test_a_deactivated_user_cannot_sign_in():
    user = user_create(email="gone@medix.test", password=PASSWORD)
    user.is_active = False
    user.save()

    assert sign_in(username="gone@medix.test", password=PASSWORD) is None


def test_the_domain_of_an_email_address_is_stored_in_lower_case():
    user = user_create(email="ada@MEDIX.Test", password=PASSWORD)

    assert user.email == "ada@medix.test"


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("a@x.test", "A@x.test"),
        ("a@x.test", "a@x.test"),
    ],
)
def test_an_email_address_belongs_to_one_user_regardless_of_case(first, second):
    user_create(email=first, password=PASSWORD)

    with pytest.raises(IntegrityError), transaction.atomic():
        user_create(email=second, password=PASSWORD)

    assert User.objects.count() == 1


def test_an_admin_is_created_with_an_email_and_a_password():
    admin = User.objects.create_superuser(email="root@platform.test", password=PASSWORD)

    assert admin.is_staff and admin.is_superuser and admin.is_active
    assert sign_in(username="root@platform.test", password=PASSWORD) == admin


def test_createsuperuser_asks_for_no_username(monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", PASSWORD)

    call_command("createsuperuser", interactive=False, email="ops@platform.test", verbosity=0)

    admin = User.objects.get(email="ops@platform.test")
    assert admin.is_superuser
    assert sign_in(username="ops@platform.test", password=PASSWORD) == admin


def test_a_user_needs_an_email_address():
    with pytest.raises(ValueError):
        User.objects.create_user(email="", password=PASSWORD)


# --- memberships --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "role"),
    [
        (OrganisationKind.LAB, Role.VENDOR_OWNER),
        (OrganisationKind.LAB, Role.BID_MANAGER),
        (OrganisationKind.VENDOR, Role.LAB_OWNER),
        (OrganisationKind.VENDOR, Role.PROCUREMENT),
        (OrganisationKind.VENDOR, Role.REVIEWER),
        (OrganisationKind.LAB, "superhero"),
    ],
)
def test_a_role_must_fit_the_kind_of_organisation(kind, role):
    organisation = organisation_create(kind=kind, name="Some Org")
    user = UserFactory()

    with pytest.raises(RuleViolation) as refused:
        membership_set(organisation=organisation, user=user, role=role)

    assert refused.value.field == "role"
    assert not is_member(user, organisation)


def test_a_members_role_can_be_changed(medix):
    membership_set(
        organisation=medix.vendor.organisation, user=medix.bid_manager, role=Role.VENDOR_OWNER
    )

    assert role_in(medix.bid_manager, medix.vendor.organisation, [Role.VENDOR_OWNER])
    assert not role_in(medix.bid_manager, medix.vendor.organisation, [Role.BID_MANAGER])
    assert Membership.objects.filter(user=medix.bid_manager).count() == 1


def test_a_new_member_joins_with_the_role_given(acme):
    user = UserFactory()

    membership_set(organisation=acme.lab.organisation, user=user, role=Role.REVIEWER)

    assert role_in(user, acme.lab.organisation.pk, [Role.REVIEWER])
    assert is_member(user, acme.lab.organisation)


def test_membership_is_per_organisation(acme, rival):
    assert is_member(acme.owner, acme.lab.organisation)
    assert not is_member(acme.owner, rival.lab.organisation)
    assert not role_in(acme.owner, rival.lab.organisation, [Role.LAB_OWNER])


def test_a_deactivated_user_holds_no_role(acme):
    acme.owner.is_active = False
    acme.owner.save()

    assert not is_member(acme.owner, acme.lab.organisation)
    assert not role_in(acme.owner, acme.lab.organisation, [Role.LAB_OWNER])


def test_members_of_a_deactivated_organisation_hold_no_role(acme):
    organisation = acme.lab.organisation
    organisation.is_active = False
    organisation.save()

    assert not is_member(acme.owner, organisation)
    assert not role_in(acme.owner, organisation, [Role.LAB_OWNER])
    assert not membership_list_for_user(user=acme.owner).exists()


def test_nobody_signed_out_holds_a_role(acme):
    assert not is_member(None, acme.lab.organisation)
    assert not role_in(None, acme.lab.organisation, [Role.LAB_OWNER])


def test_a_user_sees_the_organisations_they_belong_to(acme, medix):
    membership_set(
        organisation=medix.vendor.organisation, user=acme.reviewer, role=Role.BID_MANAGER
    )

    organisations = {m.organisation for m in membership_list_for_user(user=acme.reviewer)}

    assert organisations == {acme.lab.organisation, medix.vendor.organisation}
