"""Refusals, logged; and the hooks that make them (docs/security.md).

Every failed authorisation is logged once on the "marketplace.security" logger, at
WARNING, as `refused code=<why> method=<method> path=<path> user=<id> key=<prefix>
ip=<address>`: who (a user id, or an API key's prefix, never the key; "-" when unknown),
what (method and path, without the query string) and why (a stable code). The same
values ride on the record as `security` for structured handlers. Sources:

* failed logins (the user_login_failed signal; django-axes also logs them) and lockouts
  (`lockout_response`, django-axes' lockout callable);
* API 401 and 403 answers (marketplace/core/api.py calls `log_refusal`);
* browser 403s: PermissionDenied raised by a view (`SecurityLogMiddleware`) and CSRF
  failures (`csrf_failure`);
* the admin refusing someone who is signed in but not staff (`SecureAdminSite`).

This module is named in INSTALLED_APPS (`SecurityAdminConfig`), so it is imported while
the app registry loads: nothing here may import a model at module level.
"""

from __future__ import annotations

import ipaddress
import logging
import re
from functools import cache
from typing import Any

from django.conf import settings
from django.contrib.admin import AdminSite
from django.contrib.admin.apps import AdminConfig
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

logger = logging.getLogger("marketplace.security")

PATH_LOGGED_MAX = 300
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f]")
# An API key is "<8-character prefix>.<secret>"; only a prefix of that shape is logged,
# so a malformed header can never put a whole secret in the log.
_KEY_PREFIX = re.compile(r"[A-Za-z0-9]{1,16}")


# --- who, from where -------------------------------------------------------------------------


def client_ip(request: HttpRequest) -> str:
    """The client's address: the connection's, or with TRUSTED_PROXY_COUNT proxies in
    front, the address the outermost trusted proxy saw (each proxy appends the address
    it received from, so that one sits TRUSTED_PROXY_COUNT places from the right of
    X-Forwarded-For; anything further left is whatever the client chose to send).
    Also django-axes' AXES_CLIENT_IP_CALLABLE."""
    remote = request.META.get("REMOTE_ADDR") or ""
    count = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    if count > 0:
        forwarded = [
            part.strip()
            for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
            if part.strip()
        ]
        if len(forwarded) >= count:
            candidate = forwarded[-count]
            try:
                return str(ipaddress.ip_address(candidate))
            except ValueError:
                return remote
    return remote


def login_username(request: HttpRequest | None, credentials: dict[str, Any] | None) -> str | None:
    """The e-mail address a login attempt names, lower-cased: sign-in ignores case, so
    the throttle must too, or "Alice@" and "alice@" would be counted apart.
    django-axes' AXES_USERNAME_CALLABLE."""
    value: Any = None
    if credentials:
        value = credentials.get("username") or credentials.get(get_user_model().USERNAME_FIELD)
    if value is None and request is not None:
        value = getattr(request, "POST", {}).get("username")
    return value.strip().lower() if isinstance(value, str) and value.strip() else None


def _user_id_for(username: str | None) -> int | None:
    if not username:
        return None
    return (
        get_user_model()
        ._default_manager.filter(email__iexact=username)
        .values_list("pk", flat=True)
        .first()
    )


def presented_key_prefix(request: HttpRequest) -> str | None:
    """The prefix of the API key a request presents, whether or not the key is valid."""
    header = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer":
        return None
    prefix, dot, _ = value.strip().partition(".")
    if dot and _KEY_PREFIX.fullmatch(prefix):
        return prefix
    return "malformed"


def _printable(value: str, limit: int = PATH_LOGGED_MAX) -> str:
    return _UNPRINTABLE.sub("?", value)[:limit]


def log_refusal(
    request: HttpRequest,
    *,
    code: str,
    user_id: int | None = None,
    key_prefix: str | None = None,
    status: int | None = None,
) -> None:
    """Logs one refused request at WARNING on "marketplace.security". Pass the user id
    or key prefix when known; otherwise the request's signed-in user is named."""
    if user_id is None and key_prefix is None:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            user_id = user.pk
    fields = {
        "code": code,
        "method": _printable(request.method or "", 10),
        "path": _printable(request.path),
        "user": user_id,
        "key": key_prefix,
        "ip": client_ip(request),
        "status": status,
    }
    logger.warning(
        "refused code=%s method=%s path=%s user=%s key=%s ip=%s",
        fields["code"],
        fields["method"],
        fields["path"],
        "-" if user_id is None else user_id,
        key_prefix or "-",
        fields["ip"] or "-",
        extra={"security": fields},
    )


# --- logins --------------------------------------------------------------------------------


def on_user_login_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    """A failed sign-in, on the browser's page or the admin's: the user is named by id
    when the address is an account's; the address typed is not logged (people type
    passwords into it)."""
    if request is None:
        return
    log_refusal(
        request, code="login_failed", user_id=_user_id_for(login_username(request, credentials))
    )


def lockout_response(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict[str, Any] | None = None,
) -> HttpResponse:
    """What a locked-out login sees (django-axes' AXES_LOCKOUT_CALLABLE): 429 and "try
    again later", the same for every address typed, so it tells nobody whether an
    account exists, how many attempts were made or when the lock ends."""
    log_refusal(
        request,
        code="login_locked_out",
        user_id=_user_id_for(login_username(request, credentials)),
        status=429,
    )
    return render(request, "429.html", status=429)


# --- browser refusals ---------------------------------------------------------------------


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """CSRF_FAILURE_VIEW: logs the refusal and shows a page that names no reason."""
    log_refusal(request, code="csrf_failed", status=403)
    return render(request, "403_csrf.html", status=403)


class SecurityLogMiddleware:
    """Logs a browser view's PermissionDenied before Django answers it with 403.html.
    (API views turn theirs into JSON themselves and log in marketplace/core/api.py.)"""

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)  # type: ignore[no-any-return]

    def process_exception(self, request: HttpRequest, exception: Exception) -> None:
        if isinstance(exception, PermissionDenied):
            log_refusal(request, code="permission_denied", status=403)


# --- the admin ----------------------------------------------------------------------------


def _log_admin_refusal(request: HttpRequest, user_id: int | None, status: int) -> None:
    # has_permission runs several times per admin request; one line per request is enough.
    if getattr(request, "_admin_refusal_logged", False):
        return
    request._admin_refusal_logged = True  # type: ignore[attr-defined]
    log_refusal(request, code="admin_not_staff", user_id=user_id, status=status)


@cache
def _staff_login_form() -> type:
    # Built on first use: the auth forms import the user model, which cannot be imported
    # while this module loads with the app registry.
    from django.contrib.admin.forms import AdminAuthenticationForm

    class StaffLoginForm(AdminAuthenticationForm):
        def confirm_login_allowed(self, user: Any) -> None:
            try:
                super().confirm_login_allowed(user)
            except ValidationError:
                if self.request is not None:
                    _log_admin_refusal(self.request, user.pk, status=200)
                raise

    return StaffLoginForm


class SecureAdminSite(AdminSite):
    """Django's admin site (active staff only, as Django has it), logging each time it
    turns away someone signed in who is not staff, at a page or at its login form."""

    @property
    def login_form(self) -> type:  # type: ignore[override]
        return _staff_login_form()

    def has_permission(self, request: HttpRequest) -> bool:
        allowed = super().has_permission(request)
        if not allowed and request.user.is_authenticated:
            # Its login page says so in place; every other page redirects to it.
            match = getattr(request, "resolver_match", None)
            at_login = match is not None and match.url_name == "login"
            _log_admin_refusal(request, request.user.pk, status=200 if at_login else 302)
        return allowed


class SecurityAdminConfig(AdminConfig):
    """django.contrib.admin with SecureAdminSite as `admin.site`, and the log of failed
    logins connected once the apps are ready."""

    default_site = "marketplace.core.security.SecureAdminSite"

    def ready(self) -> None:
        super().ready()
        user_login_failed.connect(
            on_user_login_failed, dispatch_uid="marketplace.security.login_failed"
        )
