"""What the page header needs on every page: who is signed in and for which organisation."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from marketplace.accounts.selectors import membership_list_for_user
from marketplace.core.web import current_membership


def organisation(request: HttpRequest) -> dict[str, Any]:
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {}
    membership = current_membership(request)
    return {
        "current_membership": membership,
        "current_organisation": membership.organisation if membership else None,
        # Evaluated only by the header's switcher, and only for users with several.
        "user_memberships": membership_list_for_user(user=request.user),
    }
