from django.urls import path

from marketplace.exchange.urls._interim import interim

lab_patterns = [
    path("jobs/<int:job_id>/bids/", interim, name="job_bids"),
    path("screenings/", interim, name="screenings"),
    path("screenings/<int:screening_id>/", interim, name="screening_detail"),
    path("concentration/", interim, name="concentration"),
]
