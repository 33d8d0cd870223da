"""The lab's evaluation pages: bids and award, contracts, screenings, concentration."""

from django.urls import path

from marketplace.exchange.views import lab_evaluation as views

lab_patterns = [
    path("jobs/<int:job_id>/bids/", views.JobBidsView.as_view(), name="job_bids"),
    path("jobs/<int:job_id>/award/", views.JobAwardView.as_view(), name="job_award"),
    path("bids/<int:bid_id>/shortlist/", views.BidShortlistView.as_view(), name="bid_shortlist"),
    path("bids/<int:bid_id>/reject/", views.BidRejectView.as_view(), name="bid_reject"),
    path(
        "contracts/<int:contract_id>/complete/",
        views.ContractCompleteView.as_view(),
        name="contract_complete",
    ),
    path("screenings/", views.ScreeningListView.as_view(), name="screenings"),
    path(
        "screenings/<int:screening_id>/",
        views.ScreeningDetailView.as_view(),
        name="screening_detail",
    ),
    path("concentration/", views.ConcentrationView.as_view(), name="concentration"),
]
