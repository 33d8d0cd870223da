from django.urls import path

from marketplace.exchange.views.notifications import NotificationListView

site_patterns = [
    path("notifications/", NotificationListView.as_view(), name="notifications"),
]
