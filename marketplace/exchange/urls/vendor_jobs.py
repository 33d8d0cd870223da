from django.urls import path

from marketplace.exchange.views import vendor_jobs as views

vendor_patterns = [
    path("", views.DashboardView.as_view(), name="dashboard"),
    path("jobs/", views.JobListView.as_view(), name="jobs"),
    path("jobs/<int:job_id>/", views.JobDetailView.as_view(), name="job_detail"),
    path("jobs/<int:job_id>/questions/", views.QuestionAskView.as_view(), name="question_ask"),
    path("jobs/<int:job_id>/bid/", views.BidCreateView.as_view(), name="bid_create"),
    path("bids/", views.BidListView.as_view(), name="bids"),
    path("bids/<int:bid_id>/", views.BidDetailView.as_view(), name="bid_detail"),
    path("bids/<int:bid_id>/revise/", views.BidReviseView.as_view(), name="bid_revise"),
    path("bids/<int:bid_id>/withdraw/", views.BidWithdrawView.as_view(), name="bid_withdraw"),
]
