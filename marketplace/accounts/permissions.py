"""Membership predicates every app's permissions build on."""

from __future__ import annotations

from collections.abc import Iterable

from marketplace.accounts.models import Membership, Organisation, OrganisationKind, Role, User


def role_in(user: User | None, organisation: Organisation | int, roles: Iterable[str]) -> bool:
    """True when `user` is an active member of `organisation` holding one of `roles`."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    org_id = organisation if isinstance(organisation, int) else organisation.pk
    return Membership.objects.filter(
        user=user, organisation_id=org_id, organisation__is_active=True, role__in=list(roles)
    ).exists()


def is_member(user: User | None, organisation: Organisation | int) -> bool:
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    org_id = organisation if isinstance(organisation, int) else organisation.pk
    return Membership.objects.filter(
        user=user, organisation_id=org_id, organisation__is_active=True
    ).exists()


# An owner's role by the kind of organisation: one per kind, and every organisation keeps
# at least one (marketplace/accounts/services.py).
OWNER_ROLE_BY_KIND: dict[str, str] = {
    OrganisationKind.LAB: Role.LAB_OWNER,
    OrganisationKind.VENDOR: Role.VENDOR_OWNER,
}


def can_manage_team(user: User | None, organisation: Organisation) -> bool:
    """Invite members, change their roles and remove them: the organisation's owners."""
    return role_in(user, organisation, (OWNER_ROLE_BY_KIND[organisation.kind],))
