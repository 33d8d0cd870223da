from __future__ import annotations

from typing import Any

from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.text import slugify

from marketplace.accounts.models import ROLES_BY_KIND, Membership, Organisation, User
from marketplace.accounts.permissions import OWNER_ROLE_BY_KIND, can_manage_team
from marketplace.core.errors import NotFound, NotPermitted, RuleViolation


def user_create(*, email: str, password: str | None, full_name: str = "", **extra: object) -> User:
    return User.objects.create_user(email=email, password=password, full_name=full_name, **extra)


def organisation_create(*, kind: str, name: str, slug: str | None = None) -> Organisation:
    slug = slug or slugify(name)
    if not name.strip() or not slug:
        raise RuleViolation("An organisation needs a name.", field="name")
    if Organisation.objects.filter(slug=slug).exists():
        raise RuleViolation(f"The short name {slug!r} is taken.", field="slug")
    return Organisation.objects.create(kind=kind, name=name.strip(), slug=slug)


@transaction.atomic
def membership_set(*, organisation: Organisation, user: User, role: str) -> Membership:
    """Adds `user` to `organisation` with `role`, or changes the role of an existing member."""
    if role not in ROLES_BY_KIND[organisation.kind]:
        raise RuleViolation(
            f"{role!r} is not a role in a {organisation.get_kind_display().lower()}.",
            field="role",
        )
    membership, _ = Membership.objects.update_or_create(
        user=user, organisation=organisation, defaults={"role": role}
    )
    return membership


# --- The team: invitations, roles, removals ---------------------------------------------


def _check_role_fits(organisation: Organisation, role: str) -> None:
    if role not in ROLES_BY_KIND[organisation.kind]:
        kind = organisation.get_kind_display().lower()
        raise RuleViolation(f"{role!r} is not a role in a {kind}.", field="role")


def _check_may_manage_team(user: User, organisation: Organisation) -> None:
    if not can_manage_team(user, organisation):
        raise NotPermitted(f"Only an owner of {organisation.name} may change its team.")


def _lock_team(organisation: Organisation) -> None:
    """Serialises changes to one organisation's team, so two owners demoting each other
    at the same moment cannot leave it without an owner. Caller holds a transaction."""
    Organisation.objects.select_for_update().filter(pk=organisation.pk).first()


def _check_keeps_an_owner(membership: Membership, *, action: str) -> None:
    """Caller holds the team lock. A deactivated owner cannot manage anything, so only
    active ones count."""
    owner_role = OWNER_ROLE_BY_KIND[membership.organisation.kind]
    if membership.role != owner_role:
        return
    others = (
        Membership.objects.filter(
            organisation_id=membership.organisation_id, role=owner_role, user__is_active=True
        )
        .exclude(pk=membership.pk)
        .exists()
    )
    if not others:
        raise RuleViolation(
            f"{membership.organisation.name} must keep at least one owner: make another "
            f"member an owner before you {action}.",
            code="last_owner",
            field="role",
        )


def set_password_url(*, user: User, base_url: str) -> str:
    """An absolute link to choose a password: Django's password-reset confirmation, so
    it expires and is single-use exactly like a password reset."""
    path = reverse(
        "password_reset_confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    return f"{base_url.rstrip('/')}{path}"


def _email_after_commit(*, to: str, subject: str, template: str, context: dict[str, Any]) -> None:
    """Sends once the change is committed; a mail server that refuses is logged and does
    not undo the change (robust), as with Django's own password-reset e-mail."""
    body = render_to_string(template, context)
    transaction.on_commit(
        lambda: send_mail(subject=subject, message=body, from_email=None, recipient_list=[to]),
        robust=True,
    )


@transaction.atomic
def membership_invite(
    *,
    organisation: Organisation,
    email: str,
    role: str,
    invited_by: User,
    base_url: str,
    full_name: str = "",
) -> Membership:
    """Adds the person with `email` to `organisation` in `role` and tells them by e-mail.
    An address new to the platform gets an account without a password and a link to
    choose one; `base_url` ("https://host/") is where that link points."""
    _check_may_manage_team(invited_by, organisation)
    _check_role_fits(organisation, role)
    email = User.objects.normalize_email(email.strip())
    if not email:
        raise RuleViolation("Give the e-mail address of the person to invite.", field="email")
    _lock_team(organisation)
    user = User.objects.filter(email__iexact=email).first()
    created = user is None
    if user is None:
        try:
            with transaction.atomic():
                user = user_create(email=email, password=None, full_name=full_name.strip())
        except IntegrityError:
            # Someone else created this address a moment ago (another organisation's
            # invitation, an admin): invite that account instead.
            user = User.objects.get(email__iexact=email)
            created = False
    elif not user.is_active:
        raise RuleViolation(
            f"The account of {email} is deactivated; ask a platform admin.", field="email"
        )
    if Membership.objects.filter(organisation=organisation, user=user).exists():
        raise RuleViolation(
            f"{email} is already a member of {organisation.name}.",
            code="already_member",
            field="email",
        )
    membership = Membership.objects.create(organisation=organisation, user=user, role=role)
    context = {
        "user": user,
        "organisation": organisation,
        "role": membership.get_role_display(),
        "invited_by": invited_by,
        "sign_in_url": f"{base_url.rstrip('/')}{reverse('login')}",
        # A person who has never chosen a password (new, or invited before and not yet
        # signed up) needs the link to choose one.
        "set_password_url": (
            None if user.has_usable_password() else set_password_url(user=user, base_url=base_url)
        ),
        "new_account": created,
    }
    _email_after_commit(
        to=user.email,
        subject=f"You have been added to {organisation.name} on Expert Data Exchange",
        template="accounts/email/invitation.txt",
        context=context,
    )
    return membership


@transaction.atomic
def membership_role_change(*, membership: Membership, role: str, changed_by: User) -> Membership:
    organisation = membership.organisation
    _check_may_manage_team(changed_by, organisation)
    _check_role_fits(organisation, role)
    _lock_team(organisation)
    current = (
        Membership.objects.select_related("organisation", "user").filter(pk=membership.pk).first()
    )
    if current is None:
        raise NotFound("No such member.")
    membership = current
    if membership.role == role:
        return membership
    if role != OWNER_ROLE_BY_KIND[organisation.kind]:
        _check_keeps_an_owner(membership, action="change this role")
    membership.role = role
    membership.save(update_fields=["role"])
    return membership


@transaction.atomic
def membership_remove(*, membership: Membership, removed_by: User) -> None:
    organisation = membership.organisation
    _check_may_manage_team(removed_by, organisation)
    _lock_team(organisation)
    current = (
        Membership.objects.select_related("organisation", "user").filter(pk=membership.pk).first()
    )
    if current is None:
        return
    _check_keeps_an_owner(current, action="remove this member")
    current.delete()
