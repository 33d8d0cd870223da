from django.urls import path

from marketplace.exchange.urls._interim import interim

vendor_patterns = [
    path("roster/", interim, name="roster"),
    path("attestations/", interim, name="attestations"),
    path("profile/", interim, name="profile"),
    path("ownership/", interim, name="ownership"),
]
