from django.urls import path

from marketplace.exchange.urls._interim import interim

vendor_patterns = [
    path("", interim, name="dashboard"),
    path("jobs/", interim, name="jobs"),
    path("jobs/<int:job_id>/", interim, name="job_detail"),
    path("bids/", interim, name="bids"),
    path("bids/<int:bid_id>/", interim, name="bid_detail"),
]
