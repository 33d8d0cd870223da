"""The base every API view builds on: the caller's organisation resolved once per
request, tenant-kind checks, read-only keys, consistent errors, pagination, throttling.

Scoping happens here, once: `initial()` sets `self.organisation` (and `self.lab` or
`self.vendor`), and views build every queryset from selectors given that organisation,
so an endpoint cannot forget the tenant. API keys are duck-typed through `request.auth`
(an object with `organisation` and `is_read_only`) so this module needs no app model.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.db.models import QuerySet
from django.http import Http404
from rest_framework import exceptions, serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.parsers import BaseParser
from rest_framework.permissions import SAFE_METHODS, BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer
from rest_framework.views import APIView, set_rollback
from rest_framework.views import exception_handler as drf_exception_handler

from marketplace.accounts.models import Membership, Organisation, OrganisationKind, User
from marketplace.core.errors import (
    DomainError,
    InvalidTransition,
    NotFound,
    NotPermitted,
    RuleViolation,
)
from marketplace.core.pagination import CappedLimitOffsetPagination
from marketplace.core.rows import row_plan
from marketplace.core.security import log_refusal, presented_key_prefix
from marketplace.core.throttling import CallerRateThrottle
from marketplace.partners.idempotency import IdempotencyMixin

ORGANISATION_HEADER = "X-Organisation"
server_error_logger = logging.getLogger("django.request")


# --- Errors -------------------------------------------------------------------------------


class APIError(exceptions.APIException):
    """An API-layer refusal with a stable code."""

    def __init__(self, message: str, *, code: str, status_code: int):
        super().__init__(message, code=code)
        self.status_code = status_code


# Domain errors whose code needs a status other than their class's.
DOMAIN_CODE_STATUS = {"bids_sealed": status.HTTP_409_CONFLICT}


def domain_error_status(exc: DomainError) -> int:
    if exc.code in DOMAIN_CODE_STATUS:
        return DOMAIN_CODE_STATUS[exc.code]
    for cls, code in (
        (NotFound, status.HTTP_404_NOT_FOUND),
        (NotPermitted, status.HTTP_403_FORBIDDEN),
        (InvalidTransition, status.HTTP_409_CONFLICT),
        (RuleViolation, status.HTTP_400_BAD_REQUEST),
    ):
        if isinstance(exc, cls):
            return code
    return status.HTTP_400_BAD_REQUEST


def error_body(code: str, message: str, fields: dict[str, list[str]] | None = None) -> dict:
    return {"error": {"code": code, "message": message, "fields": fields or {}}}


def _flatten(detail: Any) -> list[str]:
    if isinstance(detail, dict):
        return [f"{key}: {msg}" for key, value in detail.items() for msg in _flatten(value)]
    if isinstance(detail, list):
        return [msg for item in detail for msg in _flatten(item)]
    return [str(detail)]


def _first_code(exc: exceptions.APIException) -> str:
    codes = exc.get_codes()
    while isinstance(codes, (list, dict)):
        if not codes:
            return exc.default_code
        codes = next(iter(codes.values())) if isinstance(codes, dict) else codes[0]
    return str(codes)


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """REST_FRAMEWORK["EXCEPTION_HANDLER"]: every error is
    {"error": {"code", "message", "fields"}}, a server error included (its details go to
    the log only); every 401 and 403 is logged as a refusal."""
    response = _error_response(exc, context)
    request = context.get("request")
    if response is not None and request is not None and response.status_code in (401, 403):
        _log_api_refusal(request, response)
    return response


def _log_api_refusal(request: Request, response: Response) -> None:
    try:
        auth, user = request.auth, request.user
    except exceptions.APIException:  # authentication itself failed; nobody is known
        auth, user = None, None
    key_prefix = getattr(auth, "prefix", None) or presented_key_prefix(request._request)
    user_id = user.pk if user is not None and user.is_authenticated and not key_prefix else None
    code = (response.data or {}).get("error", {}).get("code", "refused")
    log_refusal(
        request._request,
        code=code,
        user_id=user_id,
        key_prefix=key_prefix,
        status=response.status_code,
    )


def _raised_while_parsing(exc: BaseException) -> bool:
    traceback = exc.__traceback__
    while traceback is not None:
        if isinstance(traceback.tb_frame.f_locals.get("self"), BaseParser):
            return True
        traceback = traceback.tb_next
    return False


def _error_response(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, RequestDataTooBig):
        return Response(
            error_body("request_too_large", "The request is larger than the server accepts."),
            status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        )
    if isinstance(exc, SuspiciousOperation):  # too many fields or files, a bad multipart body
        return Response(
            error_body("bad_request", "The request could not be read."),
            status=status.HTTP_400_BAD_REQUEST,
        )
    if isinstance(exc, RecursionError) and _raised_while_parsing(exc):
        # The parsers catch malformed bodies, but not ones nested deeper than Python
        # recurses ("[[[[...").
        return Response(
            error_body("parse_error", "The request body is nested too deeply."),
            status=status.HTTP_400_BAD_REQUEST,
        )
    if isinstance(exc, DomainError):
        fields = {exc.field: [exc.message]} if exc.field else {}
        return Response(error_body(exc.code, exc.message, fields), status=domain_error_status(exc))
    if isinstance(exc, Http404):
        exc = exceptions.NotFound("Not found.")
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None and not isinstance(exc, exceptions.APIException):
        return _server_error_response(exc, context)
    if response is None or not isinstance(exc, exceptions.APIException):
        return response
    if isinstance(exc, exceptions.ValidationError):
        detail = exc.detail
        if isinstance(detail, dict):
            fields = {str(name): _flatten(value) for name, value in detail.items()}
        else:
            fields = {"non_field_errors": _flatten(detail)}
        response.data = error_body("invalid", "The request is not valid.", fields)
        return response
    message = _flatten(exc.detail)[0] if exc.detail else str(exc)
    response.data = error_body(_first_code(exc), message)
    return response


def _server_error_response(exc: Exception, context: dict[str, Any]) -> Response | None:
    """An unexpected exception: in development it propagates to Django's debug page;
    otherwise it is logged as Django logs a server error (with the traceback, on
    "django.request", so error reporting still sees it) and answered in the API's error
    shape, with nothing of the exception in it."""
    if settings.DEBUG:
        return None
    request = context.get("request")
    django_request = getattr(request, "_request", request)
    server_error_logger.error(
        "Internal Server Error: %s",
        getattr(django_request, "path", "?"),
        exc_info=exc,
        extra={"status_code": 500, "request": django_request},
    )
    set_rollback()
    response = Response(
        error_body(
            "server_error", "Something went wrong on our side. It has been logged; try again."
        ),
        status=status.HTTP_500_INTERNAL_SERVER_ERROR,
    )
    response._has_been_logged = True  # type: ignore[attr-defined]  # Django would log it again
    return response


# --- Permissions --------------------------------------------------------------------------


class ReadOnlyKeyPermission(BasePermission):
    """A read key may only use safe methods."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        if request.method in SAFE_METHODS or not getattr(request.auth, "is_read_only", False):
            return True
        raise APIError("This API key is read-only.", code="read_only_key", status_code=403)


# --- Tenant resolution --------------------------------------------------------------------


def resolve_organisation(request: Request, user: User) -> Organisation:
    """The organisation the request acts for: the key's, or for a session user the one
    named in X-Organisation, or their only membership."""
    organisation = getattr(request.auth, "organisation", None)
    if isinstance(organisation, Organisation):
        return organisation
    memberships = Membership.objects.filter(user=user, organisation__is_active=True).select_related(
        "organisation"
    )
    slug = request.headers.get(ORGANISATION_HEADER, "").strip()
    if slug:
        membership = memberships.filter(organisation__slug=slug).first()
        if membership is None:
            raise APIError(
                "You are not a member of that organisation.",
                code="not_a_member",
                status_code=403,
            )
        return membership.organisation
    found = list(memberships[:2])
    if not found:
        raise APIError(
            "You are not a member of any organisation.", code="no_organisation", status_code=403
        )
    if len(found) > 1:
        raise APIError(
            f"You belong to several organisations: name one in the {ORGANISATION_HEADER} header.",
            code="organisation_required",
            status_code=400,
        )
    return found[0].organisation


def refuse_oversized_body(request: Request) -> None:
    """Refuses (413) a body larger than DATA_UPLOAD_MAX_MEMORY_SIZE before anything reads
    it: DRF's JSON parser reads the whole stream into memory, and Django caps that only
    when the body is read as `request.body`."""
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if limit is not None and length > limit:
        raise RequestDataTooBig("The request body exceeds DATA_UPLOAD_MAX_MEMORY_SIZE.")


class OrganisationAPIView(IdempotencyMixin, GenericAPIView):
    """Base of every tenant API view. Subclasses set `organisation_kind` to narrow the
    caller to labs or vendors, and read data only through selectors given
    `self.organisation` / `self.lab` / `self.vendor`."""

    organisation_kind: str | None = None
    permission_classes = [IsAuthenticated, ReadOnlyKeyPermission]
    pagination_class = CappedLimitOffsetPagination
    throttle_classes = [CallerRateThrottle]

    organisation: Organisation
    user: User  # the person, or the API key's service user, the request acts as

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        if not isinstance(request.user, User):  # IsAuthenticated has already refused this
            raise exceptions.NotAuthenticated()
        self.user = request.user
        refuse_oversized_body(request)
        self.organisation = resolve_organisation(request, self.user)
        if self.organisation_kind and self.organisation.kind != self.organisation_kind:
            raise APIError(
                f"This endpoint is for {self.organisation_kind}s.",
                code="wrong_organisation_kind",
                status_code=403,
            )
        self.idempotency_begin(request)

    def list_response(self, queryset: Any, serializer_class: type[BaseSerializer]) -> Response:
        """Filters (with the view's filterset) and paginates a selector's queryset."""
        page = self.paginate_queryset(self.filter_queryset(queryset))
        data = serializer_class(page, many=True, context=self.get_serializer_context()).data
        return self.get_paginated_response(data)

    def list_rows_response(
        self, queryset: QuerySet[Any], serializer_class: type[serializers.Serializer]
    ) -> Response:
        """list_response for the busiest reads: the same JSON, rendered from values() rows
        by the serializer's row plan (marketplace/core/rows.py) instead of model instances."""
        plan = row_plan(serializer_class)
        page = self.paginate_queryset(plan.values(self.filter_queryset(queryset)))
        return self.get_paginated_response(plan.render(page or [], queryset.model))

    def row_response(
        self,
        queryset: QuerySet[Any],
        serializer_class: type[serializers.Serializer],
        *,
        missing: str,
        status_code: int = status.HTTP_200_OK,
    ) -> Response:
        """The one object `queryset` (a selector's, narrowed to an id) holds, rendered by
        the serializer's row plan; none is a 404 with `missing` as its message."""
        item = row_plan(serializer_class).render_one(queryset)
        if item is None:
            raise NotFound(missing)
        return Response(item, status=status_code)

    def get_queryset(self) -> Any:
        # django-filter asks for a queryset to build its form; views pass theirs to
        # list_response instead. Schema generation calls this without a request.
        return type(self).queryset


class LabAPIView(OrganisationAPIView):
    organisation_kind = OrganisationKind.LAB

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        self.lab = self.organisation.lab  # type: ignore[attr-defined]


class VendorAPIView(OrganisationAPIView):
    organisation_kind = OrganisationKind.VENDOR

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        self.vendor = self.organisation.vendor  # type: ignore[attr-defined]
