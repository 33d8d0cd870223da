"""Every API route, mounted at /api/. tests/api/test_route_policy.py walks them all:
a new route needs a line in its policy table."""

from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from labs import apis as lab_apis
from labs import apis_extras as lab_extras_apis
from marketplace.core.api_fallback import api_not_found
from marketplace.exchange import apis as exchange_apis
from marketplace.exchange import apis_extras as exchange_extras_apis
from marketplace.partners import apis as partner_apis
from marketplace.partners import webhook_apis
from vendors import apis as vendor_apis
from vendors import apis_ownership as vendor_ownership_apis

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
    # --- lab and vendor extras
    path(
        "lab/jobs/<int:job_id>/seats/",
        lab_extras_apis.LabJobSeatListCreateApi.as_view(),
        name="lab-job-seats",
    ),
    path(
        "lab/jobs/<int:job_id>/seats/<int:seat_id>/",
        lab_extras_apis.LabJobSeatDetailApi.as_view(),
        name="lab-job-seat",
    ),
    path(
        "lab/jobs/<int:job_id>/questions/",
        exchange_extras_apis.LabJobQuestionListApi.as_view(),
        name="lab-job-questions",
    ),
    path(
        "lab/questions/<int:question_id>/answer/",
        exchange_extras_apis.LabQuestionAnswerApi.as_view(),
        name="lab-question-answer",
    ),
    path(
        "lab/jobs/<int:job_id>/invitations/",
        exchange_extras_apis.LabJobInvitationListApi.as_view(),
        name="lab-job-invitations",
    ),
    path(
        "lab/competitors/",
        lab_extras_apis.LabCompetitorListCreateApi.as_view(),
        name="lab-competitors",
    ),
    path(
        "lab/competitors/<int:competitor_id>/",
        lab_extras_apis.LabCompetitorDetailApi.as_view(),
        name="lab-competitor",
    ),
    path(
        "lab/conflict-policy/",
        lab_extras_apis.LabConflictPolicyApi.as_view(),
        name="lab-conflict-policy",
    ),
    path(
        "vendor/jobs/<int:job_id>/questions/",
        exchange_extras_apis.VendorJobQuestionListCreateApi.as_view(),
        name="vendor-job-questions",
    ),
    path(
        "vendor/invitations/",
        exchange_extras_apis.VendorInvitationListApi.as_view(),
        name="vendor-invitations",
    ),
    path(
        "vendor/stakes/",
        vendor_ownership_apis.VendorStakeListCreateApi.as_view(),
        name="vendor-stakes",
    ),
    path(
        "vendor/stakes/<int:stake_id>/end/",
        vendor_ownership_apis.VendorStakeEndApi.as_view(),
        name="vendor-stake-end",
    ),
    path("vendor/bods/", vendor_ownership_apis.VendorBodsImportApi.as_view(), name="vendor-bods"),
    # --- end of lab and vendor extras
    # --- profile, roster and webhooks
    path("vendor/profile/", vendor_apis.VendorProfileApi.as_view(), name="vendor-profile"),
    path(
        "vendor/attestations/",
        vendor_apis.VendorAttestationListCreateApi.as_view(),
        name="vendor-attestations",
    ),
    path(
        "vendor/attestations/<int:attestation_id>/document/",
        vendor_apis.VendorAttestationDocumentApi.as_view(),
        name="vendor-attestation-document",
    ),
    path(
        "vendor/specialists/",
        vendor_apis.VendorSpecialistListCreateApi.as_view(),
        name="vendor-specialists",
    ),
    path(
        "vendor/specialists/<int:specialist_id>/",
        vendor_apis.VendorSpecialistDetailApi.as_view(),
        name="vendor-specialist",
    ),
    path(
        "vendor/specialists/<int:specialist_id>/credentials/",
        vendor_apis.VendorSpecialistCredentialCreateApi.as_view(),
        name="vendor-specialist-credentials",
    ),
    path(
        "vendor/specialists/<int:specialist_id>/affiliations/",
        vendor_apis.VendorSpecialistAffiliationCreateApi.as_view(),
        name="vendor-specialist-affiliations",
    ),
    path(
        "vendor/credentials/<int:credential_id>/",
        vendor_apis.VendorCredentialDetailApi.as_view(),
        name="vendor-credential",
    ),
    path(
        "vendor/roster-imports/",
        vendor_apis.VendorRosterImportListCreateApi.as_view(),
        name="vendor-roster-imports",
    ),
    path(
        "vendor/roster-imports/<int:import_id>/",
        vendor_apis.VendorRosterImportDetailApi.as_view(),
        name="vendor-roster-import",
    ),
    path(
        "notifications/mark-read/",
        exchange_apis.NotificationMarkReadApi.as_view(),
        name="notifications-mark-read",
    ),
    path(
        "webhooks/endpoints/",
        webhook_apis.WebhookEndpointListCreateApi.as_view(),
        name="webhook-endpoints",
    ),
    path(
        "webhooks/endpoints/<int:endpoint_id>/",
        webhook_apis.WebhookEndpointDetailApi.as_view(),
        name="webhook-endpoint",
    ),
    path(
        "webhooks/endpoints/<int:endpoint_id>/enable/",
        webhook_apis.WebhookEndpointEnableApi.as_view(),
        name="webhook-endpoint-enable",
    ),
    path(
        "webhooks/endpoints/<int:endpoint_id>/ping/",
        webhook_apis.WebhookEndpointPingApi.as_view(),
        name="webhook-endpoint-ping",
    ),
    path(
        "webhooks/deliveries/",
        webhook_apis.WebhookDeliveryListApi.as_view(),
        name="webhook-deliveries",
    ),
    path(
        "webhooks/deliveries/<int:delivery_id>/redeliver/",
        webhook_apis.WebhookDeliveryRedeliverApi.as_view(),
        name="webhook-delivery-redeliver",
    ),
    # --- end of profile, roster and webhooks
]

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="api:schema"), name="redoc"),
    path("v1/", include((v1, "v1"))),
    # Last: any other URL under /api/ answers 404 in the error shape (not Django's HTML page).
    re_path(r"^.*$", api_not_found, name="not-found"),
]
