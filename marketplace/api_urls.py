"""Every API route, mounted at /api/. tests/api/test_route_policy.py walks them all:
a new route needs a line in its policy table."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from labs import apis as lab_apis
from marketplace.exchange import apis as exchange_apis
from marketplace.partners import apis as partner_apis

app_name = "api"

v1 = [
    # Lab side
    path("lab/jobs/", lab_apis.LabJobListCreateApi.as_view(), name="lab-jobs"),
    path("lab/jobs/<int:job_id>/", lab_apis.LabJobDetailApi.as_view(), name="lab-job"),
    path(
        "lab/jobs/<int:job_id>/publish/",
        exchange_apis.LabJobPublishApi.as_view(),
        name="lab-job-publish",
    ),
    path(
        "lab/jobs/<int:job_id>/close/", exchange_apis.LabJobCloseApi.as_view(), name="lab-job-close"
    ),
    path(
        "lab/jobs/<int:job_id>/cancel/",
        exchange_apis.LabJobCancelApi.as_view(),
        name="lab-job-cancel",
    ),
    path(
        "lab/jobs/<int:job_id>/mark-unsuccessful/",
        exchange_apis.LabJobMarkUnsuccessfulApi.as_view(),
        name="lab-job-mark-unsuccessful",
    ),
    path(
        "lab/jobs/<int:job_id>/bids/", exchange_apis.LabJobBidListApi.as_view(), name="lab-job-bids"
    ),
    path(
        "lab/jobs/<int:job_id>/award/", exchange_apis.LabJobAwardApi.as_view(), name="lab-job-award"
    ),
    path(
        "lab/bids/<int:bid_id>/shortlist/",
        exchange_apis.LabBidShortlistApi.as_view(),
        name="lab-bid-shortlist",
    ),
    path(
        "lab/bids/<int:bid_id>/reject/",
        exchange_apis.LabBidRejectApi.as_view(),
        name="lab-bid-reject",
    ),
    path(
        "lab/contracts/<int:contract_id>/complete/",
        exchange_apis.LabContractCompleteApi.as_view(),
        name="lab-contract-complete",
    ),
    path("lab/screenings/", exchange_apis.LabScreeningListApi.as_view(), name="lab-screenings"),
    path(
        "lab/screenings/<int:screening_id>/",
        exchange_apis.LabScreeningDetailApi.as_view(),
        name="lab-screening",
    ),
    # Vendor side
    path("vendor/jobs/", exchange_apis.VendorJobListApi.as_view(), name="vendor-jobs"),
    path(
        "vendor/jobs/<int:job_id>/", exchange_apis.VendorJobDetailApi.as_view(), name="vendor-job"
    ),
    path("vendor/bids/", exchange_apis.VendorBidListCreateApi.as_view(), name="vendor-bids"),
    path(
        "vendor/bids/<int:bid_id>/", exchange_apis.VendorBidDetailApi.as_view(), name="vendor-bid"
    ),
    path(
        "vendor/bids/<int:bid_id>/revise/",
        exchange_apis.VendorBidReviseApi.as_view(),
        name="vendor-bid-revise",
    ),
    path(
        "vendor/bids/<int:bid_id>/withdraw/",
        exchange_apis.VendorBidWithdrawApi.as_view(),
        name="vendor-bid-withdraw",
    ),
    # Both
    path("notifications/", exchange_apis.NotificationListApi.as_view(), name="notifications"),
    path("api-keys/", partner_apis.APIKeyListCreateApi.as_view(), name="api-keys"),
    path(
        "api-keys/<str:key_id>/revoke/",
        partner_apis.APIKeyRevokeApi.as_view(),
        name="api-key-revoke",
    ),
]

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="api:schema"), name="redoc"),
    path("v1/", include((v1, "v1"))),
]
