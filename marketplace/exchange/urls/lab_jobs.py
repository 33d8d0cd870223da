from django.urls import path

from marketplace.exchange.urls._interim import interim

lab_patterns = [
    path("", interim, name="dashboard"),
    path("jobs/", interim, name="jobs"),
    path("jobs/<int:job_id>/", interim, name="job_detail"),
]
