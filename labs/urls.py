from django.urls import path

from marketplace.exchange.urls._interim import interim

lab_patterns = [
    path("competitors/", interim, name="competitors"),
    path("policy/", interim, name="policy"),
]
