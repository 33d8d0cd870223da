from __future__ import annotations

from django.db.models import QuerySet

from marketplace.accounts.models import Membership, Organisation, User
from marketplace.core.errors import NotFound


def membership_list_for_user(*, user: User) -> QuerySet[Membership]:
    return Membership.objects.filter(user=user, organisation__is_active=True).select_related(
        "organisation"
    )


def membership_list_for_organisation(*, organisation: Organisation) -> QuerySet[Membership]:
    """The organisation's team, by name then e-mail."""
    return (
        Membership.objects.filter(organisation=organisation)
        .select_related("user", "organisation")
        .order_by("user__full_name", "user__email")
    )


def membership_get_for_organisation(
    *, organisation: Organisation, membership_id: int
) -> Membership:
    """A member of `organisation`; another organisation's membership is as missing as none."""
    membership = (
        membership_list_for_organisation(organisation=organisation).filter(pk=membership_id).first()
    )
    if membership is None:
        raise NotFound("No such member.")
    return membership
