"""The project's URLs plus a few browser views that fail on purpose, for the error-page
tests (`@pytest.mark.urls("tests.security.urls")`)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.http import HttpRequest, HttpResponse
from django.urls import path

from marketplace.urls import urlpatterns as project_urlpatterns

SECRET_DETAIL = "db-password=hunter2 at /srv/app/settings.py"


def crash(request: HttpRequest) -> HttpResponse:
    raise RuntimeError(SECRET_DETAIL)


def forbidden(request: HttpRequest) -> HttpResponse:
    raise PermissionDenied(SECRET_DETAIL)


def suspicious(request: HttpRequest) -> HttpResponse:
    raise SuspiciousOperation(SECRET_DETAIL)


urlpatterns = [
    path("test-errors/crash/", crash),
    path("test-errors/forbidden/", forbidden),
    path("test-errors/suspicious/", suspicious),
    # Under /api/ but outside any API view: what middleware failing there looks like.
    path("api/test-errors/crash/", crash),
    *project_urlpatterns,
]

handler500 = "marketplace.core.api_fallback.server_error"
