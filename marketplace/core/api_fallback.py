"""The last route under /api/ (marketplace/api_urls.py): a URL that matches no endpoint
answers 404 in the API's one error shape, {"error": {"code": "not_found", ...}}."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect, JsonResponse
from django.urls import Resolver404, ResolverMatch, resolve
from django.views import defaults
from django.views.decorators.csrf import csrf_exempt
from rest_framework.permissions import SAFE_METHODS

from marketplace.core.api import error_body


@csrf_exempt
def api_not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    """The last route under /api/: a URL that matches no endpoint answers 404 in the one
    error shape. A GET missing only its trailing slash is redirected, as APPEND_SLASH would
    (the catch-all makes every path "valid", so CommonMiddleware no longer does it)."""
    path = request.path_info
    if not path.endswith("/"):
        match = _resolve_or_none(path + "/")
        if match is not None and match.func is not api_not_found:
            if request.method in SAFE_METHODS:
                query = request.META.get("QUERY_STRING", "")
                return HttpResponsePermanentRedirect(
                    request.path + "/" + (f"?{query}" if query else "")
                )
            message = f"No endpoint at {request.path}; did you mean {request.path}/ ?"
            return JsonResponse(error_body("not_found", message), status=404)
    return JsonResponse(error_body("not_found", f"No endpoint at {request.path}."), status=404)


def _resolve_or_none(path: str) -> ResolverMatch | None:
    try:
        return resolve(path)
    except Resolver404:
        return None


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: under /api/ the one error shape, without details; elsewhere the
    standalone 500 page. (Errors inside API views are answered by the API's own handler;
    this covers middleware and anything else outside them.)"""
    if request.path_info.startswith("/api/"):
        return JsonResponse(
            error_body("server_error", "Something went wrong on our side; it has been logged."),
            status=500,
        )
    return defaults.server_error(request)
