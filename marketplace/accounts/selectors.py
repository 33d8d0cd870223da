from __future__ import annotations

from django.db.models import QuerySet

from marketplace.accounts.models import Membership, User


def membership_list_for_user(*, user: User) -> QuerySet[Membership]:
    return Membership.objects.filter(user=user, organisation__is_active=True).select_related(
        "organisation"
    )
