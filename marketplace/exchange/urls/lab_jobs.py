from django.urls import path

from marketplace.exchange.views import lab_jobs as views

lab_patterns = [
    path("", views.DashboardView.as_view(), name="dashboard"),
    path("jobs/", views.JobListView.as_view(), name="jobs"),
    path("jobs/new/", views.JobCreateView.as_view(), name="job_create"),
    path("jobs/<int:job_id>/", views.JobDetailView.as_view(), name="job_detail"),
    path("jobs/<int:job_id>/edit/", views.JobEditView.as_view(), name="job_edit"),
    path(
        "jobs/<int:job_id>/invitations/",
        views.JobInvitationsView.as_view(),
        name="job_invitations",
    ),
    path("jobs/<int:job_id>/publish/", views.JobPublishView.as_view(), name="job_publish"),
    path("jobs/<int:job_id>/close/", views.JobCloseView.as_view(), name="job_close"),
    path("jobs/<int:job_id>/cancel/", views.JobCancelView.as_view(), name="job_cancel"),
    path(
        "jobs/<int:job_id>/unsuccessful/",
        views.JobMarkUnsuccessfulView.as_view(),
        name="job_unsuccessful",
    ),
    path(
        "questions/<int:question_id>/answer/",
        views.QuestionAnswerView.as_view(),
        name="question_answer",
    ),
]
