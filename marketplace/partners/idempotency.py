"""Idempotency-Key for every create and state-changing API call.

The first request with a key claims it by inserting a row (the unique constraint on
organisation and key decides races); its successful response is stored and replayed
for repeats with the same method, path and body. A repeat with a different request is
refused (409 idempotency_key_reused); a repeat while the first is still running is
refused (409 idempotency_key_in_progress). A failed first attempt releases the key so
the client may retry with it. Records older than IDEMPOTENCY_TTL are ignored and purged.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework import status
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from marketplace.accounts.models import Organisation
from marketplace.partners.models import IdempotencyRecord

HEADER = "Idempotency-Key"
IDEMPOTENCY_TTL = timedelta(hours=24)
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
MAX_KEY_LENGTH = 255


class IdempotencyConflict(APIException):
    status_code = status.HTTP_409_CONFLICT


class IdempotentReplay(Exception):
    """Raised to short-circuit the handler with the stored response."""

    def __init__(self, response: Response):
        super().__init__("replay")
        self.response = response


def _body_hash(request: Request) -> str:
    return hashlib.sha256(request.body).hexdigest()


def idempotency_claim(
    *, organisation: Organisation, key: str, request: Request
) -> IdempotencyRecord:
    """Claims `key` for this request, or raises IdempotentReplay / IdempotencyConflict."""
    method, path, body_hash = request.method or "", request.path[:500], _body_hash(request)
    cutoff = timezone.now() - IDEMPOTENCY_TTL
    IdempotencyRecord.objects.filter(
        organisation=organisation, key=key, created_at__lt=cutoff
    ).delete()
    try:
        with transaction.atomic():
            return IdempotencyRecord.objects.create(
                organisation=organisation, key=key, method=method, path=path, body_hash=body_hash
            )
    except IntegrityError:
        pass
    existing = IdempotencyRecord.objects.filter(organisation=organisation, key=key).first()
    if existing is None:  # Released by a failed first attempt a moment ago.
        raise IdempotencyConflict(
            "A request with this Idempotency-Key is in progress; retry shortly.",
            code="idempotency_key_in_progress",
        )
    if (existing.method, existing.path, existing.body_hash) != (method, path, body_hash):
        raise IdempotencyConflict(
            "This Idempotency-Key was used for a different request.",
            code="idempotency_key_reused",
        )
    if existing.response_status is None:
        raise IdempotencyConflict(
            "A request with this Idempotency-Key is in progress; retry shortly.",
            code="idempotency_key_in_progress",
        )
    replay = Response(existing.response_body, status=existing.response_status)
    replay["Idempotent-Replayed"] = "true"
    raise IdempotentReplay(replay)


def idempotency_complete(*, record: IdempotencyRecord, response: Response) -> None:
    """Stores a successful response; releases the key after a failure."""
    if status.is_success(response.status_code):
        IdempotencyRecord.objects.filter(pk=record.pk).update(
            response_status=response.status_code, response_body=response.data
        )
    else:
        IdempotencyRecord.objects.filter(pk=record.pk).delete()


def idempotency_purge_expired(*, now: Any = None) -> int:
    cutoff = (now or timezone.now()) - IDEMPOTENCY_TTL
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted


class IdempotencyMixin:
    """For API views whose `initial()` has resolved `self.organisation`."""

    _idempotency_record: IdempotencyRecord | None = None

    def idempotency_begin(self, request: Request) -> None:
        key = request.headers.get(HEADER, "").strip()
        if request.method not in UNSAFE_METHODS or not key:
            return
        if len(key) > MAX_KEY_LENGTH:
            raise ValidationError(
                {HEADER: [f"At most {MAX_KEY_LENGTH} characters."]}, code="invalid"
            )
        self._idempotency_record = idempotency_claim(
            organisation=self.organisation,  # type: ignore[attr-defined]
            key=key,
            request=request,
        )

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, IdempotentReplay):
            return exc.response
        return super().handle_exception(exc)  # type: ignore[misc]

    def finalize_response(
        self, request: Request, response: Response, *args: Any, **kwargs: Any
    ) -> Response:
        response = super().finalize_response(request, response, *args, **kwargs)  # type: ignore[misc]
        record, self._idempotency_record = self._idempotency_record, None
        if record is not None:
            idempotency_complete(record=record, response=response)
        return response
