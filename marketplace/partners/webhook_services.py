"""Writes for webhooks: endpoints, emitting events through an outbox, fanning them out as
deliveries, sending them signed, retrying with backoff, disabling an endpoint that keeps
failing, and redelivery.

Kept apart from services.py (API keys) so the two can change independently; both are the
partners app's services. docs/webhooks.md is the partner-facing description.

Every step is database state a periodic task can replay (DESIGN section 6): an event is a
WebhookEvent row written in the transaction of the change it announces (the outbox), and
`dispatched_at` says whether its deliveries exist (webhook_event_reconcile fans out what a
lost message left undone); a WebhookDelivery's `status` and `next_attempt_at` say what is
owed (webhook_retry_due sends again whatever a lost message or a failed attempt left)."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import time
import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from marketplace.accounts.models import Organisation, User
from marketplace.accounts.permissions import OWNER_ROLE_BY_KIND, role_in
from marketplace.core.errors import InvalidTransition, NotPermitted, RuleViolation
from marketplace.exchange.services.notifications import notify_organisation
from marketplace.partners.events import EVENT_TYPES, PING, event_types_validate
from marketplace.partners.models import (
    WebhookAttempt,
    WebhookDelivery,
    WebhookDeliveryStatus,
    WebhookEndpoint,
    WebhookEvent,
)

logger = logging.getLogger("marketplace.webhooks")

SIGNATURE_VERSION = "v1"
# Delay before attempt n+1 after n failed attempts; the last delay repeats.
RETRY_DELAYS = (
    timedelta(seconds=30),
    timedelta(minutes=2),
    timedelta(minutes=10),
    timedelta(hours=1),
    timedelta(hours=6),
    timedelta(hours=12),
)
MAX_ATTEMPTS = 8
GIVE_UP_AFTER = timedelta(hours=24)
DISABLE_AFTER_FAILURES = 20
DISABLE_AFTER_FAILING_FOR = timedelta(days=3)
# An attempt holds its delivery this long; well above the HTTP timeout, so a second run
# of the task cannot send while the first is sending, and a dead worker's claim lapses.
CLAIM_LEASE = timedelta(seconds=60)
# A delivery never attempted is sent by the message enqueued with it; the periodic task
# steps in only once that message is clearly late (lost).
PENDING_GRACE = timedelta(seconds=30)
# Likewise for an event in the outbox and the message that fans it out.
DISPATCH_GRACE = timedelta(seconds=30)
OWED = (WebhookDeliveryStatus.PENDING, WebhookDeliveryStatus.FAILED)
RESPONSE_EXCERPT_BYTES = 500


def _enqueue(delivery_id: int) -> None:
    from marketplace.partners.tasks import webhook_deliver_task

    webhook_deliver_task.delay_on_commit(delivery_id)


def can_manage_webhooks(user: User | None, organisation: Organisation) -> bool:
    """The organisation's owner, or a platform admin."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    return user.is_staff or role_in(user, organisation, [OWNER_ROLE_BY_KIND[organisation.kind]])


def webhook_url_validate(url: str) -> str:
    """https only; plain http only to 127.0.0.1 and only where WEBHOOK_ALLOW_HTTP_LOCALHOST
    (DEBUG and tests)."""
    url = (url or "").strip()
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return url
    if (
        parts.scheme == "http"
        and parts.hostname == "127.0.0.1"
        and settings.WEBHOOK_ALLOW_HTTP_LOCALHOST
    ):
        return url
    raise RuleViolation("A webhook URL must start with https://.", field="url")


def webhook_sign(*, secret: str, timestamp: int | str, body: bytes) -> str:
    """The X-Webhook-Signature value: v1=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"{SIGNATURE_VERSION}={digest}"


@transaction.atomic
def webhook_endpoint_create(
    *,
    organisation: Organisation,
    url: str,
    event_types: Iterable[str],
    created_by: User | None = None,
) -> tuple[WebhookEndpoint, str]:
    """Returns the endpoint and its signing secret, which is shown to the user once."""
    if created_by is not None and not can_manage_webhooks(created_by, organisation):
        raise NotPermitted("Only the organisation's owner may add webhook endpoints.")
    endpoint = WebhookEndpoint.objects.create(
        organisation=organisation,
        url=webhook_url_validate(url),
        event_types=event_types_validate(event_types),
        secret=f"whsec_{secrets.token_urlsafe(32)}",
        created_by=created_by,
    )
    return endpoint, endpoint.secret


@transaction.atomic
def webhook_endpoint_update(
    *,
    endpoint: WebhookEndpoint,
    user: User,
    url: str | None = None,
    event_types: Iterable[str] | None = None,
) -> WebhookEndpoint:
    if not can_manage_webhooks(user, endpoint.organisation):
        raise NotPermitted("Only the organisation's owner may change webhook endpoints.")
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    if url is not None:
        endpoint.url = webhook_url_validate(url)
    if event_types is not None:
        endpoint.event_types = event_types_validate(event_types)
    endpoint.save(update_fields=["url", "event_types"])
    return endpoint


@transaction.atomic
def webhook_endpoint_delete(*, endpoint: WebhookEndpoint, user: User) -> None:
    """Removes an endpoint with its delivery log; nothing more is sent to it."""
    if not can_manage_webhooks(user, endpoint.organisation):
        raise NotPermitted("Only the organisation's owner may remove webhook endpoints.")
    WebhookEndpoint.objects.filter(pk=endpoint.pk).delete()


@transaction.atomic
def webhook_endpoint_enable(*, endpoint: WebhookEndpoint, user: User) -> WebhookEndpoint:
    """Re-enables a disabled endpoint with a clean failure count. Deliveries given up
    while it was disabled stay given up; redeliver the ones still wanted."""
    if not can_manage_webhooks(user, endpoint.organisation):
        raise NotPermitted("Only the organisation's owner may re-enable webhook endpoints.")
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    if endpoint.is_active:
        raise InvalidTransition("This endpoint is already enabled.")
    endpoint.is_active = True
    endpoint.disabled_reason = ""
    endpoint.consecutive_failures = 0
    endpoint.failing_since = None
    endpoint.save(
        update_fields=["is_active", "disabled_reason", "consecutive_failures", "failing_since"]
    )
    return endpoint


@transaction.atomic
def webhook_ping(*, endpoint: WebhookEndpoint, user: User) -> WebhookDelivery:
    """Sends a test event to one endpoint, subscribed or not, enabled or not."""
    if not can_manage_webhooks(user, endpoint.organisation):
        raise NotPermitted("Only the organisation's owner may test webhook endpoints.")
    delivery = WebhookDelivery.objects.create(
        endpoint=endpoint,
        event_type=PING,
        event_id=uuid.uuid4(),
        payload={"endpoint_id": endpoint.pk, "message": "Test delivery."},
        next_attempt_at=timezone.now(),
    )
    _enqueue(delivery.pk)
    return delivery


def _subscribed_endpoints(
    organisation_ids: Iterable[int], event_type: str
) -> list[WebhookEndpoint]:
    endpoints = WebhookEndpoint.objects.filter(
        organisation_id__in=list(organisation_ids),
        organisation__is_active=True,
        is_active=True,
    ).order_by("pk")
    # Filtered here: JSON containment is not portable to SQLite, and endpoints are few.
    return [e for e in endpoints if event_type in (e.event_types or [])]


def event_emit(
    *,
    organisation_ids: Iterable[int],
    event_type: str,
    payload: dict[str, Any],
    event_id: str | uuid.UUID | None = None,
) -> WebhookEvent | None:
    """Records an event in the outbox. Caller holds the transaction of the change the
    event announces: the event commits with it or not at all. Its deliveries are created
    once it commits, by a task enqueued here or, should that message be lost, by
    webhook_event_reconcile.

    Emitting the same event id again adds nothing, so a retried emission is delivered
    once. Returns the event, or None when no active endpoint of these organisations is
    subscribed to it (nothing is stored). Callers decide what each organisation may see
    (docs/webhooks.md); values JSON cannot hold (dates, decimals) are stored as strings."""
    if event_type not in EVENT_TYPES:
        raise RuleViolation(f"Unknown event type {event_type!r}.", field="event_type")
    ids = sorted({int(pk) for pk in organisation_ids})
    if not ids or not _subscribed_endpoints(ids, event_type):
        return None
    event, created = WebhookEvent.objects.get_or_create(
        event_id=uuid.UUID(str(event_id)) if event_id else uuid.uuid4(),
        defaults={
            "event_type": event_type,
            "organisation_ids": ids,
            "payload": json.loads(json.dumps(payload, cls=DjangoJSONEncoder)),
        },
    )
    if created:
        _enqueue_dispatch(event.pk)
    return event


def _enqueue_dispatch(event_pk: int) -> None:
    from marketplace.partners.tasks import webhook_event_dispatch_task

    webhook_event_dispatch_task.delay_on_commit(event_pk)


@transaction.atomic
def webhook_event_dispatch(*, event_pk: int) -> list[WebhookDelivery]:
    """Fans an event out: one delivery per active endpoint of its organisations subscribed
    to it (as they are now), each sent after commit. Idempotent: the event is marked
    dispatched by a guarded update in the transaction that creates its deliveries, so a
    second run (a duplicated message, the reconciler racing the message) creates nothing,
    and a run that fails leaves the event to the reconciler."""
    marked = WebhookEvent.objects.filter(pk=event_pk, dispatched_at__isnull=True).update(
        dispatched_at=timezone.now()
    )
    if not marked:
        return []
    event = WebhookEvent.objects.get(pk=event_pk)
    created = []
    for endpoint in _subscribed_endpoints(event.organisation_ids, event.event_type):
        delivery, was_created = WebhookDelivery.objects.get_or_create(
            endpoint=endpoint,
            event_id=event.event_id,
            defaults={
                "event_type": event.event_type,
                "payload": event.payload,
                "next_attempt_at": timezone.now(),
            },
        )
        if was_created:
            created.append(delivery)
            _enqueue(delivery.pk)
    return created


def webhook_event_reconcile(*, now: datetime | None = None, limit: int = 1000) -> list[int]:
    """Enqueues again the fan-out of every event still undispatched well after it was
    recorded: its message was lost (broker restart, killed worker). Sending twice is
    harmless (the guarded update in webhook_event_dispatch)."""
    now = now or timezone.now()
    lost = list(
        WebhookEvent.objects.filter(
            dispatched_at__isnull=True, created_at__lte=now - DISPATCH_GRACE
        )
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )
    for event_pk in lost:
        _enqueue_dispatch(event_pk)
    return lost


def _envelope(delivery: WebhookDelivery) -> bytes:
    return json.dumps(
        {
            "id": str(delivery.event_id),
            "type": delivery.event_type,
            "created_at": delivery.created_at.isoformat(),
            "organisation_id": delivery.endpoint.organisation_id,
            "data": delivery.payload,
        },
        separators=(",", ":"),
        sort_keys=True,
    ).encode()


def _post(delivery: WebhookDelivery) -> tuple[int | None, int, str]:
    """Sends one attempt; returns (status code or None, latency in ms, error text)."""
    endpoint = delivery.endpoint
    body = _envelope(delivery)
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "ExpertDataExchange-Webhooks/1",
        "X-Webhook-Event": delivery.event_type,
        "X-Webhook-Id": str(delivery.event_id),
        "X-Webhook-Timestamp": str(timestamp),
        "X-Webhook-Signature": webhook_sign(secret=endpoint.secret, timestamp=timestamp, body=body),
    }
    started = time.monotonic()
    try:
        with requests.post(
            endpoint.url,
            data=body,
            headers=headers,
            timeout=settings.WEBHOOK_TIMEOUT_SECONDS,
            allow_redirects=False,
            stream=True,
        ) as response:
            excerpt = b""
            if not 200 <= response.status_code < 300:
                excerpt = response.raw.read(RESPONSE_EXCERPT_BYTES, decode_content=True) or b""
    except requests.RequestException as exc:
        latency = round((time.monotonic() - started) * 1000)
        return None, latency, f"{type(exc).__name__}: {exc}"[:1000]
    latency = round((time.monotonic() - started) * 1000)
    if 200 <= response.status_code < 300:
        return response.status_code, latency, ""
    text = excerpt.decode("utf-8", errors="replace").strip()
    return response.status_code, latency, f"HTTP {response.status_code}: {text}"[:1000]


def _next_attempt_at(delivery: WebhookDelivery, attempts: int, now: datetime) -> datetime | None:
    """When to try again after `attempts` failed attempts; None to give up."""
    if attempts >= MAX_ATTEMPTS:
        return None
    at = now + RETRY_DELAYS[min(attempts, len(RETRY_DELAYS)) - 1]
    if at > delivery.created_at + GIVE_UP_AFTER:
        return None
    return at


def webhook_deliver(*, delivery_id: int) -> WebhookDelivery | None:
    """Makes one attempt at a delivery that is owed and due. Idempotent: the delivery is
    claimed with a guarded update first, so a second run (a redelivered message, two
    workers) sends nothing; a delivery that succeeded is never sent again unless someone
    asks for a redelivery. Returns None when there was nothing to do."""
    now = timezone.now()
    lease = now + CLAIM_LEASE
    claimed = WebhookDelivery.objects.filter(
        pk=delivery_id, status__in=OWED, next_attempt_at__lte=now
    ).update(next_attempt_at=lease)
    if not claimed:
        return None
    ours = WebhookDelivery.objects.filter(pk=delivery_id, status__in=OWED, next_attempt_at=lease)
    delivery = WebhookDelivery.objects.select_related("endpoint__organisation").get(pk=delivery_id)
    if not delivery.endpoint.is_active and delivery.event_type != PING:
        ours.update(
            status=WebhookDeliveryStatus.GAVE_UP,
            next_attempt_at=None,
            last_error="The endpoint is disabled.",
        )
        return delivery

    status_code, latency_ms, error = _post(delivery)
    finished = timezone.now()
    succeeded = not error
    with transaction.atomic():
        WebhookAttempt.objects.create(
            delivery_id=delivery_id,
            attempted_at=now,
            status_code=status_code,
            latency_ms=latency_ms,
            error=error,
        )
        attempts = delivery.attempts + 1
        fields: dict[str, Any] = {
            "attempts": F("attempts") + 1,
            "last_status_code": status_code,
            "last_latency_ms": latency_ms,
            "last_error": error,
        }
        if succeeded:
            fields |= {
                "status": WebhookDeliveryStatus.SUCCEEDED,
                "next_attempt_at": None,
                "delivered_at": finished,
            }
        else:
            retry_at = _next_attempt_at(delivery, attempts, finished)
            fields |= {
                "status": WebhookDeliveryStatus.FAILED
                if retry_at
                else WebhookDeliveryStatus.GAVE_UP,
                "next_attempt_at": retry_at,
            }
        # A redelivery asked for meanwhile moved next_attempt_at: then it owns the row.
        ours.update(**fields)
        _record_endpoint_health(delivery.endpoint, succeeded=succeeded, now=finished)
    delivery.refresh_from_db()
    return delivery


def _record_endpoint_health(endpoint: WebhookEndpoint, *, succeeded: bool, now: datetime) -> None:
    """Caller holds a transaction."""
    endpoints = WebhookEndpoint.objects.filter(pk=endpoint.pk)
    if succeeded:
        endpoints.exclude(consecutive_failures=0, failing_since=None).update(
            consecutive_failures=0, failing_since=None
        )
        return
    endpoints.update(
        consecutive_failures=F("consecutive_failures") + 1,
        failing_since=Coalesce("failing_since", now),
    )
    failing = (
        endpoints.filter(is_active=True)
        .filter(
            Q(consecutive_failures__gte=DISABLE_AFTER_FAILURES)
            | Q(failing_since__lte=now - DISABLE_AFTER_FAILING_FOR)
        )
        .select_for_update()
        .first()
    )
    if failing is not None:
        _disable(failing, now=now)


def _disable(endpoint: WebhookEndpoint, *, now: datetime) -> None:
    """Caller holds the endpoint row lock and has checked it is active."""
    assert endpoint.failing_since is not None
    reason = (
        f"Disabled automatically on {now:%Y-%m-%d %H:%M} UTC after "
        f"{endpoint.consecutive_failures} consecutive failed deliveries "
        f"(failing since {endpoint.failing_since:%Y-%m-%d %H:%M} UTC)."
    )
    endpoint.is_active = False
    endpoint.disabled_reason = reason
    endpoint.save(update_fields=["is_active", "disabled_reason"])
    WebhookDelivery.objects.filter(endpoint=endpoint, status__in=OWED).update(
        status=WebhookDeliveryStatus.GAVE_UP,
        next_attempt_at=None,
        last_error="The endpoint was disabled.",
    )
    logger.warning("webhook endpoint %s disabled: %s", endpoint.pk, reason)
    organisation = Organisation.objects.get(pk=endpoint.organisation_id)
    notify_organisation(
        organisation=organisation,
        kind="webhook.disabled",
        title=f"Webhook endpoint {endpoint.url} was disabled",
        body=f"{reason} Fix the receiver, then re-enable the endpoint and redeliver "
        "the events you still need.",
        roles=[OWNER_ROLE_BY_KIND[organisation.kind]],
        dedupe_key=f"webhook.disabled:{endpoint.pk}:{endpoint.failing_since.isoformat()}",
    )


def webhook_retry_due(*, now: datetime | None = None, limit: int = 1000) -> list[int]:
    """Enqueues every owed delivery whose time has come: retries after a failed attempt,
    and first attempts whose message was lost. Sending twice is harmless (the claim)."""
    now = now or timezone.now()
    due = list(
        WebhookDelivery.objects.filter(
            Q(status=WebhookDeliveryStatus.FAILED, next_attempt_at__lte=now)
            | Q(status=WebhookDeliveryStatus.PENDING, next_attempt_at__lte=now - PENDING_GRACE)
        )
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    for delivery_id in due:
        _enqueue(delivery_id)
    return due


@transaction.atomic
def webhook_redeliver(*, delivery: WebhookDelivery, user: User) -> WebhookDelivery:
    """Sends a delivery again now, whatever its state (a succeeded one included). It is
    one more attempt: automatic retries after it stay within the original bounds."""
    delivery = (
        WebhookDelivery.objects.select_for_update(of=("self",))
        .select_related("endpoint__organisation")
        .get(pk=delivery.pk)
    )
    if not can_manage_webhooks(user, delivery.endpoint.organisation):
        raise NotPermitted("Only the organisation's owner may redeliver webhook events.")
    if not delivery.endpoint.is_active and delivery.event_type != PING:
        raise InvalidTransition("The endpoint is disabled: re-enable it first.")
    delivery.status = WebhookDeliveryStatus.PENDING
    delivery.next_attempt_at = timezone.now()
    delivery.save(update_fields=["status", "next_attempt_at"])
    _enqueue(delivery.pk)
    return delivery
