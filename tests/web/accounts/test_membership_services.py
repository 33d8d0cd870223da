"""The team services: inviting people, changing their roles and removing them. Only
owners may; every organisation keeps an owner; e-mails leave only after commit."""

from __future__ import annotations

import pytest

from marketplace.accounts.models import Membership, Role, User
from marketplace.accounts.permissions import can_manage_team
from marketplace.accounts.services import (
    membership_invite,
    membership_remove,
    membership_role_change,
)
from marketplace.core.errors import NotPermitted, RuleViolation
from tests.factories import PASSWORD, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

BASE_URL = "https://exchange.example/"


def invite(team, email: str, role: str = Role.REVIEWER, by=None, **kwargs):
    return membership_invite(
        organisation=team.lab.organisation if hasattr(team, "lab") else team.vendor.organisation,
        email=email,
        role=role,
        invited_by=by or team.owner,
        base_url=BASE_URL,
        **kwargs,
    )


def membership_of(user: User, organisation) -> Membership:
    return Membership.objects.get(user=user, organisation=organisation)


# --- who may manage the team -----------------------------------------------------------------


def test_only_owners_manage_a_team(acme, medix, rival):
    org = acme.lab.organisation

    assert can_manage_team(acme.owner, org)
    assert not can_manage_team(acme.procurement, org)
    assert not can_manage_team(acme.reviewer, org)
    assert not can_manage_team(rival.owner, org)
    assert can_manage_team(medix.owner, medix.vendor.organisation)
    assert not can_manage_team(medix.bid_manager, medix.vendor.organisation)


# --- inviting -------------------------------------------------------------------------------------


def test_a_new_address_gets_an_account_without_password_and_a_link_to_choose_one(
    acme, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        membership = invite(acme, "Grace@Acme.test", Role.PROCUREMENT, full_name="Grace Hopper")

    user = membership.user
    assert user.email == "Grace@acme.test"
    assert user.full_name == "Grace Hopper"
    assert not user.has_usable_password()
    assert membership.organisation == acme.lab.organisation
    assert membership.role == Role.PROCUREMENT
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == ["Grace@acme.test"]
    assert message.subject == "You have been added to Acme AI on Expert Data Exchange"
    assert "as Procurement" in message.body
    assert f"{BASE_URL}accounts/reset/" in message.body


def test_an_existing_user_is_added_and_told_to_sign_in_as_usual(
    acme, medix, mailoutbox, django_capture_on_commit_callbacks
):
    someone = medix.bid_manager

    with django_capture_on_commit_callbacks(execute=True):
        membership = invite(acme, someone.email.upper(), Role.REVIEWER)

    assert membership.user == someone
    assert User.objects.filter(email__iexact=someone.email).count() == 1
    someone.refresh_from_db()
    assert someone.check_password(PASSWORD)
    assert membership_of(someone, medix.vendor.organisation).role == Role.BID_MANAGER
    body = mailoutbox[0].body
    assert f"{BASE_URL}accounts/login/" in body
    assert "accounts/reset/" not in body


def test_someone_invited_before_who_never_chose_a_password_gets_the_link_again(
    acme, rival, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        invite(rival, "grace@example.test")
        invite(acme, "grace@example.test")

    assert len(mailoutbox) == 2
    assert "accounts/reset/" in mailoutbox[1].body


def test_the_e_mail_leaves_only_once_the_invitation_is_committed(
    acme, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        invite(acme, "grace@example.test")

        assert mailoutbox == []

    for callback in callbacks:
        callback()
    assert len(mailoutbox) == 1


def test_an_existing_member_cannot_be_invited_again(
    acme, mailoutbox, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuleViolation) as refused,
    ):
        invite(acme, acme.reviewer.email, Role.PROCUREMENT)

    assert refused.value.code == "already_member"
    assert refused.value.field == "email"
    assert "already a member of Acme AI" in refused.value.message
    assert membership_of(acme.reviewer, acme.lab.organisation).role == Role.REVIEWER
    assert mailoutbox == []


def test_a_role_of_the_other_kind_of_organisation_is_refused(acme, medix):
    with pytest.raises(RuleViolation) as refused:
        invite(acme, "grace@example.test", Role.BID_MANAGER)
    assert refused.value.field == "role"
    with pytest.raises(RuleViolation):
        invite(medix, "linus@example.test", Role.LAB_OWNER)

    assert not User.objects.filter(email__in=["grace@example.test", "linus@example.test"]).exists()


@pytest.mark.parametrize("who", ["procurement", "reviewer"])
def test_only_an_owner_may_invite(acme, who):
    with pytest.raises(NotPermitted):
        invite(acme, "grace@example.test", by=getattr(acme, who))

    assert not User.objects.filter(email="grace@example.test").exists()


def test_an_owner_of_another_organisation_may_not_invite(acme, rival):
    with pytest.raises(NotPermitted):
        invite(acme, "grace@example.test", by=rival.owner)


def test_a_deactivated_account_cannot_be_invited(acme):
    gone = UserFactory(is_active=False)

    with pytest.raises(RuleViolation) as refused:
        invite(acme, gone.email)

    assert refused.value.field == "email"
    assert not Membership.objects.filter(user=gone).exists()


# --- changing roles --------------------------------------------------------------------------


def test_an_owner_changes_a_members_role(acme):
    membership = membership_of(acme.reviewer, acme.lab.organisation)

    changed = membership_role_change(
        membership=membership, role=Role.PROCUREMENT, changed_by=acme.owner
    )

    assert changed.role == Role.PROCUREMENT
    assert membership_of(acme.reviewer, acme.lab.organisation).role == Role.PROCUREMENT


def test_the_last_owner_cannot_be_demoted(acme):
    own = membership_of(acme.owner, acme.lab.organisation)

    with pytest.raises(RuleViolation) as refused:
        membership_role_change(membership=own, role=Role.PROCUREMENT, changed_by=acme.owner)

    assert refused.value.code == "last_owner"
    assert "must keep at least one owner" in refused.value.message
    assert membership_of(acme.owner, acme.lab.organisation).role == Role.LAB_OWNER


def test_an_owner_steps_down_once_someone_else_is_owner(acme):
    org = acme.lab.organisation
    membership_role_change(
        membership=membership_of(acme.procurement, org), role=Role.LAB_OWNER, changed_by=acme.owner
    )

    membership_role_change(
        membership=membership_of(acme.owner, org), role=Role.REVIEWER, changed_by=acme.owner
    )

    assert membership_of(acme.owner, org).role == Role.REVIEWER
    assert not can_manage_team(acme.owner, org)
    assert can_manage_team(acme.procurement, org)


def test_a_deactivated_owner_does_not_count_as_the_owner_left(acme):
    org = acme.lab.organisation
    MembershipFactory(user=UserFactory(is_active=False), organisation=org, role=Role.LAB_OWNER)

    with pytest.raises(RuleViolation):
        membership_role_change(
            membership=membership_of(acme.owner, org), role=Role.REVIEWER, changed_by=acme.owner
        )


def test_the_last_vendor_owner_cannot_be_demoted_either(medix):
    org = medix.vendor.organisation

    with pytest.raises(RuleViolation):
        membership_role_change(
            membership=membership_of(medix.owner, org),
            role=Role.BID_MANAGER,
            changed_by=medix.owner,
        )


def test_a_member_cannot_be_given_a_role_of_the_other_kind(acme):
    membership = membership_of(acme.reviewer, acme.lab.organisation)

    with pytest.raises(RuleViolation) as refused:
        membership_role_change(membership=membership, role=Role.BID_MANAGER, changed_by=acme.owner)

    assert refused.value.field == "role"
    assert membership_of(acme.reviewer, acme.lab.organisation).role == Role.REVIEWER


def test_only_an_owner_changes_roles(acme):
    membership = membership_of(acme.reviewer, acme.lab.organisation)

    with pytest.raises(NotPermitted):
        membership_role_change(
            membership=membership, role=Role.LAB_OWNER, changed_by=acme.procurement
        )

    assert membership_of(acme.reviewer, acme.lab.organisation).role == Role.REVIEWER


# --- removing ----------------------------------------------------------------------------------


def test_an_owner_removes_a_member(acme):
    membership_remove(
        membership=membership_of(acme.reviewer, acme.lab.organisation), removed_by=acme.owner
    )

    assert not Membership.objects.filter(user=acme.reviewer).exists()
    assert User.objects.filter(pk=acme.reviewer.pk).exists()


def test_the_last_owner_cannot_be_removed(acme):
    with pytest.raises(RuleViolation) as refused:
        membership_remove(
            membership=membership_of(acme.owner, acme.lab.organisation), removed_by=acme.owner
        )

    assert refused.value.code == "last_owner"
    assert membership_of(acme.owner, acme.lab.organisation).role == Role.LAB_OWNER


def test_an_owner_may_leave_when_another_owner_stays(acme):
    org = acme.lab.organisation
    MembershipFactory(user=UserFactory(), organisation=org, role=Role.LAB_OWNER)

    membership_remove(membership=membership_of(acme.owner, org), removed_by=acme.owner)

    assert not Membership.objects.filter(user=acme.owner, organisation=org).exists()


def test_only_an_owner_removes_members(acme, rival):
    membership = membership_of(acme.reviewer, acme.lab.organisation)

    for outsider in (acme.procurement, rival.owner):
        with pytest.raises(NotPermitted):
            membership_remove(membership=membership, removed_by=outsider)

    assert Membership.objects.filter(pk=membership.pk).exists()
