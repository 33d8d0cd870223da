"""Partner access: organisation API keys and idempotency records (webhook models follow)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from rest_framework_api_key.models import AbstractAPIKey

from marketplace.accounts.models import Organisation


class APIKeyScope(models.TextChoices):
    READ = "read", "Read only"
    WRITE = "write", "Read and write"


class OrganisationAPIKey(AbstractAPIKey):
    """A key a partner's system uses to act for one organisation. Stored hashed by the
    library; the raw key is shown once. Each key acts through its own service user (the
    `actor`), a member of the organisation with the owner role, so services check
    permissions and record history for keys exactly as for people."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="api_keys"
    )
    scope = models.CharField(max_length=10, choices=APIKeyScope.choices, default=APIKeyScope.READ)
    actor = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="api_key",
        editable=False,
        help_text="The service user requests made with this key act as.",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta(AbstractAPIKey.Meta):
        verbose_name = "organisation API key"
        verbose_name_plural = "organisation API keys"
        constraints = [
            models.CheckConstraint(
                condition=Q(scope__in=[s.value for s in APIKeyScope]), name="api_key_scope_valid"
            ),
        ]

    @property
    def is_read_only(self) -> bool:
        return self.scope == APIKeyScope.READ


class IdempotencyRecord(models.Model):
    """The first response to a request carrying an Idempotency-Key, replayed for repeats.
    A row without a response status is a request still in progress."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="idempotency_records"
    )
    key = models.CharField(max_length=255)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=500)
    body_hash = models.CharField(max_length=64)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "key"], name="idempotency_key_unique_per_org"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.method} {self.path} ({self.key})"


# --- Webhooks (docs/webhooks.md) -----------------------------------------------------------


class WebhookEndpoint(models.Model):
    """Where an organisation wants its events POSTed. The secret is stored as is (not
    hashed): every delivery is signed with it. It is shown once, when the endpoint is
    created; the admin never displays it again."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="webhook_endpoints"
    )
    url = models.URLField(max_length=500)
    secret = models.CharField(max_length=100, editable=False)
    event_types = models.JSONField(default=list, help_text="Names from the event catalogue.")
    is_active = models.BooleanField(default=True)
    disabled_reason = models.CharField(max_length=300, blank=True)
    consecutive_failures = models.PositiveIntegerField(default=0, editable=False)
    failing_since = models.DateTimeField(
        null=True, blank=True, editable=False, help_text="First failure since the last success."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["organisation__name", "pk"]
        indexes = [models.Index(fields=["organisation", "is_active"])]

    def __str__(self) -> str:
        return f"{self.organisation}: {self.url}"


class WebhookEvent(models.Model):
    """The webhook outbox: an event, written in the transaction of the change it announces,
    so it exists exactly when that change commits. Once it commits, a task fans it out into
    one WebhookDelivery per subscribed endpoint and sets `dispatched_at`; an event still
    undispatched a little later lost its message, and the periodic reconciler sends it
    again (webhook_services.webhook_event_reconcile)."""

    event_id = models.UUIDField(unique=True)
    event_type = models.CharField(max_length=50)
    organisation_ids = models.JSONField(help_text="The organisations that receive the event.")
    payload = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)
    dispatched_at = models.DateTimeField(
        null=True, blank=True, help_text="When its deliveries were created."
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            # The reconciler's query: few rows are ever undispatched, so the index stays small.
            models.Index(
                fields=["created_at"],
                condition=Q(dispatched_at__isnull=True),
                name="webhook_event_undispatched",
            )
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.event_id}"


class WebhookDeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"  # owed, not attempted yet (or redelivery asked for)
    FAILED = "failed", "Failed, retrying"  # the last attempt failed; next_attempt_at is set
    SUCCEEDED = "succeeded", "Succeeded"
    GAVE_UP = "gave_up", "Gave up"  # no more automatic attempts


class WebhookDelivery(models.Model):
    """One event owed to one endpoint: the state row of its async work. A periodic task
    sends again whatever is due (next_attempt_at passed), so a lost message is retried."""

    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    event_type = models.CharField(max_length=50)
    event_id = models.UUIDField()
    payload = models.JSONField()
    status = models.CharField(
        max_length=10,
        choices=WebhookDeliveryStatus.choices,
        default=WebhookDeliveryStatus.PENDING,
    )
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_latency_ms = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name_plural = "webhook deliveries"
        indexes = [models.Index(fields=["status", "next_attempt_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["endpoint", "event_id"], name="webhook_delivery_once_per_event"
            ),
            models.CheckConstraint(
                condition=Q(status__in=[s.value for s in WebhookDeliveryStatus]),
                name="webhook_delivery_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.event_id} -> {self.endpoint.url}"


class WebhookAttempt(models.Model):
    """One POST of a delivery, for the delivery log."""

    delivery = models.ForeignKey(
        WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log"
    )
    attempted_at = models.DateTimeField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    latency_ms = models.PositiveIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-attempted_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.attempted_at:%Y-%m-%d %H:%M:%S}: {self.status_code or self.error[:40]}"
