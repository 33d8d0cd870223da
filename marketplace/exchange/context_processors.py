"""The unread-notification count in the page header."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from marketplace.exchange.selectors import notification_list_for_user


def notifications(request: HttpRequest) -> dict[str, Any]:
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {}
    return {
        "unread_notification_count": lambda: notification_list_for_user(
            user=request.user, unread_only=True
        ).count()
    }
