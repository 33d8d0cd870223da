from django.urls import path

from marketplace.exchange.urls._interim import interim

lab_patterns = [
    path("screenings/", interim, name="screenings"),
    path("concentration/", interim, name="concentration"),
]
