"""The signed-in person's notifications. Opening the page reads them: the unread ones it
shows are marked read, so the header's count drops."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.mixins import LoginRequiredMixin
from django.db.models import QuerySet
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.generic import ListView

from marketplace.exchange.models import Notification
from marketplace.exchange.selectors import notification_list_for_user
from marketplace.exchange.services.notifications import notification_mark_read


class NotificationListView(LoginRequiredMixin, ListView):
    template_name = "exchange/notifications.html"
    context_object_name = "notifications"
    paginate_by = 25

    def get_queryset(self) -> QuerySet[Notification]:
        return (
            notification_list_for_user(user=self.request.user)  # type: ignore[arg-type]
            .select_related("organisation")
            .order_by("-created_at", "-pk")
        )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        shown: list[Notification] = list(context["object_list"])
        host = self.request.get_host()
        for notification in shown:
            # Shown as unread on this visit, read from the next one on.
            notification.is_unread = notification.read_at is None  # type: ignore[attr-defined]
            notification.link = (  # type: ignore[attr-defined]
                notification.url
                if notification.url
                and url_has_allowed_host_and_scheme(
                    notification.url,
                    allowed_hosts={host},
                    require_https=self.request.is_secure(),
                )
                else ""
            )
        unread_ids = [n.pk for n in shown if n.read_at is None]
        if unread_ids:
            notification_mark_read(user=self.request.user, notification_ids=unread_ids)  # type: ignore[arg-type]
        context.update(
            notifications=shown,
            object_list=shown,
            unread_shown=len(unread_ids),
            nav="notifications",
        )
        return context
