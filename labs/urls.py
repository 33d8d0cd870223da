"""The lab's own settings pages: competitors and conflict policy."""

from django.urls import path

from labs import views

lab_patterns = [
    path("competitors/", views.CompetitorListView.as_view(), name="competitors"),
    path("competitors/add/", views.CompetitorAddView.as_view(), name="competitor_add"),
    path(
        "competitors/<int:competitor_id>/remove/",
        views.CompetitorRemoveView.as_view(),
        name="competitor_remove",
    ),
    path("policy/", views.PolicyView.as_view(), name="policy"),
]
