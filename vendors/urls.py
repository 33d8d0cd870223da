from django.urls import path

from vendors import views

vendor_patterns = [
    path("profile/", views.ProfileView.as_view(), name="profile"),
    path("attestations/", views.AttestationsView.as_view(), name="attestations"),
    path(
        "attestations/<int:attestation_id>/document/",
        views.AttestationDocumentView.as_view(),
        name="attestation_document",
    ),
    path("roster/", views.RosterView.as_view(), name="roster"),
    path(
        "roster/specialists/new/",
        views.SpecialistCreateView.as_view(),
        name="specialist_create",
    ),
    path(
        "roster/specialists/<int:specialist_id>/",
        views.SpecialistEditView.as_view(),
        name="specialist_edit",
    ),
    path(
        "roster/specialists/<int:specialist_id>/credentials/new/",
        views.CredentialCreateView.as_view(),
        name="credential_create",
    ),
    path(
        "roster/credentials/<int:credential_id>/",
        views.CredentialEditView.as_view(),
        name="credential_edit",
    ),
    path(
        "roster/specialists/<int:specialist_id>/affiliations/new/",
        views.AffiliationCreateView.as_view(),
        name="affiliation_create",
    ),
    path(
        "roster/affiliations/<int:affiliation_id>/end/",
        views.AffiliationEndView.as_view(),
        name="affiliation_end",
    ),
    path("roster/imports/", views.RosterImportView.as_view(), name="roster_import"),
    path(
        "roster/imports/<int:import_id>/",
        views.RosterImportDetailView.as_view(),
        name="roster_import_detail",
    ),
    path(
        "roster/imports/example.csv",
        views.RosterImportExampleView.as_view(),
        name="roster_import_example",
    ),
    path(
        "roster/imports/format/",
        views.RosterImportFormatView.as_view(),
        name="roster_import_format",
    ),
    path("ownership/", views.OwnershipView.as_view(), name="ownership"),
    path("ownership/stakes/new/", views.StakeCreateView.as_view(), name="stake_create"),
    path("ownership/stakes/<int:stake_id>/end/", views.StakeEndView.as_view(), name="stake_end"),
    path("ownership/bods/", views.BodsImportView.as_view(), name="bods_import"),
]
