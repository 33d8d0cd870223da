from django.contrib.auth import views as auth_views
from django.urls import URLPattern, URLResolver, include, path

from marketplace.accounts import views
from marketplace.accounts.forms import EmailAuthenticationForm, InvitationAwarePasswordResetForm

app_name = "accounts"

# Django's own authentication views throughout; the first three only swap in forms
# labelled for an e-mail login (and answering invited people), listed before the
# include so they win over its routes of the same names.
auth_patterns: list[URLPattern | URLResolver] = [
    path(
        "login/",
        auth_views.LoginView.as_view(
            authentication_form=EmailAuthenticationForm, redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("logout/", views.SignOutView.as_view(), name="logout"),
    path(
        "password_reset/",
        auth_views.PasswordResetView.as_view(form_class=InvitationAwarePasswordResetForm),
        name="password_reset",
    ),
    path("", include("django.contrib.auth.urls")),
]

urlpatterns = [
    path("team/", views.TeamView.as_view(), name="team"),
    path("team/<int:membership_id>/role/", views.MemberRoleView.as_view(), name="member_role"),
    path(
        "team/<int:membership_id>/remove/", views.MemberRemoveView.as_view(), name="member_remove"
    ),
    path("switch/", views.OrganisationSwitchView.as_view(), name="switch"),
]
