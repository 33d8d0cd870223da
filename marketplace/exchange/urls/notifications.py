from django.urls import path

from marketplace.exchange.urls._interim import interim

site_patterns = [
    path("notifications/", interim, name="notifications"),
]
