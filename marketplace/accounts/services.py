from __future__ import annotations

from django.db import transaction
from django.utils.text import slugify

from marketplace.accounts.models import ROLES_BY_KIND, Membership, Organisation, User
from marketplace.core.errors import RuleViolation


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
