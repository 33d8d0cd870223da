"""Admin for partner access.

Webhooks: endpoints are added and changed through the webhook services (the signing
secret is shown once, in the message after adding); the delivery log is read-only, with
each attempt inline and a redeliver action."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.safestring import SafeString
from rest_framework_api_key.models import APIKey

from marketplace.accounts.admin import acting_admin
from marketplace.core.admin import (
    ReadOnlyAdminMixin,
    ReadOnlyTabularInline,
    ServiceModelAdmin,
    adopt,
    apply_each,
    pretty_json,
    refused_as_form_error,
)
from marketplace.partners import services as api_key_services
from marketplace.partners import webhook_services
from marketplace.partners.events import EVENT_TYPES
from marketplace.partners.models import (
    OrganisationAPIKey,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)

# --- Webhooks ---------------------------------------------------------------------------


class WebhookEndpointForm(forms.ModelForm):
    url = forms.URLField(max_length=500, assume_scheme="https")
    event_types = forms.MultipleChoiceField(
        choices=[(name, f"{name}: {text}") for name, text in EVENT_TYPES.items()],
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = WebhookEndpoint
        fields = ("organisation", "url", "event_types")


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(ServiceModelAdmin):
    form = WebhookEndpointForm
    list_display = (
        "url",
        "organisation",
        "is_active",
        "consecutive_failures",
        "failing_since",
        "created_at",
    )
    list_filter = ("is_active",)
    search_fields = ("url", "organisation__name")
    list_select_related = ("organisation",)
    readonly_fields = (
        "is_active",
        "disabled_reason",
        "consecutive_failures",
        "failing_since",
        "created_at",
        "created_by",
    )
    actions = ("send_test_ping", "re_enable")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = super().get_readonly_fields(request, obj)
        return (*fields, "organisation") if obj is not None else fields

    def save_model(
        self, request: HttpRequest, obj: WebhookEndpoint, form: forms.ModelForm, change: bool
    ) -> None:
        with refused_as_form_error():
            if change:
                endpoint = webhook_services.webhook_endpoint_update(
                    endpoint=obj,
                    user=acting_admin(request),
                    url=form.cleaned_data["url"],
                    event_types=form.cleaned_data["event_types"],
                )
            else:
                endpoint, secret = webhook_services.webhook_endpoint_create(
                    organisation=form.cleaned_data["organisation"],
                    url=form.cleaned_data["url"],
                    event_types=form.cleaned_data["event_types"],
                    created_by=acting_admin(request),
                )
                self.message_user(
                    request,
                    f"Signing secret for {endpoint.url}: {secret} - copy it now, it is "
                    "not shown again.",
                    messages.WARNING,
                )
        adopt(obj, endpoint)

    @admin.action(description="Send a test ping")
    def send_test_ping(self, request: HttpRequest, queryset: QuerySet[WebhookEndpoint]) -> None:
        apply_each(
            self,
            request,
            queryset.select_related("organisation"),
            lambda endpoint: webhook_services.webhook_ping(
                endpoint=endpoint, user=acting_admin(request)
            ),
            done="Test ping queued for {obj}; see the delivery log for the response.",
        )

    @admin.action(description="Re-enable (clears the failure count)")
    def re_enable(self, request: HttpRequest, queryset: QuerySet[WebhookEndpoint]) -> None:
        apply_each(
            self,
            request,
            queryset.select_related("organisation"),
            lambda endpoint: webhook_services.webhook_endpoint_enable(
                endpoint=endpoint, user=acting_admin(request)
            ),
            done="Re-enabled {obj}.",
        )


class WebhookAttemptInline(ReadOnlyTabularInline):
    model = WebhookAttempt
    fields = ("attempted_at", "status_code", "latency_ms", "error")
    show_change_link = False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "event_type",
        "endpoint",
        "status",
        "attempts",
        "last_status_code",
        "last_latency_ms",
        "created_at",
        "delivered_at",
        "next_attempt_at",
    )
    list_filter = ("status", "event_type")
    search_fields = ("event_id", "endpoint__url", "endpoint__organisation__name")
    list_select_related = ("endpoint__organisation",)
    fields = (
        "endpoint",
        "event_type",
        "event_id",
        "status",
        "attempts",
        "next_attempt_at",
        "last_status_code",
        "last_latency_ms",
        "last_error",
        "created_at",
        "delivered_at",
        "payload_pretty",
    )
    readonly_fields = fields
    inlines = (WebhookAttemptInline,)
    actions = ("redeliver",)

    @admin.display(description="payload")
    def payload_pretty(self, obj: WebhookDelivery) -> SafeString:
        return pretty_json(obj.payload)

    @admin.action(description="Redeliver now")
    def redeliver(self, request: HttpRequest, queryset: QuerySet[WebhookDelivery]) -> None:
        apply_each(
            self,
            request,
            queryset.select_related("endpoint__organisation"),
            lambda delivery: webhook_services.webhook_redeliver(
                delivery=delivery, user=acting_admin(request)
            ),
            done="Redelivery of {obj} queued.",
        )


# --- API keys ---------------------------------------------------------------------------


class OrganisationAPIKeyAddForm(forms.ModelForm):
    class Meta:
        model = OrganisationAPIKey
        fields = ("organisation", "name", "scope", "expiry_date")


@admin.register(OrganisationAPIKey)
class OrganisationAPIKeyAdmin(ServiceModelAdmin):
    """Keys are created through api_key_create (the raw key is shown once, in the message
    after adding) and revoked through api_key_revoke; nothing else about a key changes."""

    add_form = OrganisationAPIKeyAddForm
    list_display = (
        "prefix",
        "name",
        "organisation",
        "scope",
        "revoked",
        "expiry_date",
        "last_used_at",
        "created",
    )
    list_filter = ("scope", "revoked")
    search_fields = ("prefix", "name", "organisation__name", "organisation__slug")
    list_select_related = ("organisation",)
    readonly_fields = (
        "prefix",
        "organisation",
        "name",
        "scope",
        "expiry_date",
        "revoked",
        "actor",
        "created_by",
        "created",
        "last_used_at",
    )
    actions = ("revoke",)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return () if obj is None else self.readonly_fields

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return OrganisationAPIKeyAddForm.Meta.fields if obj is None else self.readonly_fields

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # Revoke instead: the key's history stays attributable.

    def save_model(
        self, request: HttpRequest, obj: OrganisationAPIKey, form: forms.ModelForm, change: bool
    ) -> None:
        if change:
            return
        with refused_as_form_error():
            api_key, raw_key = api_key_services.api_key_create(
                organisation=form.cleaned_data["organisation"],
                scope=form.cleaned_data["scope"],
                name=form.cleaned_data["name"],
                expires_at=form.cleaned_data.get("expiry_date"),
                created_by=acting_admin(request),
            )
            self.message_user(
                request,
                f"API key for {api_key.organisation}: {raw_key} - copy it now, it is not "
                "shown again.",
                messages.WARNING,
            )
        adopt(obj, api_key)

    @admin.action(description="Revoke (cannot be undone)")
    def revoke(self, request: HttpRequest, queryset: QuerySet[OrganisationAPIKey]) -> None:
        apply_each(
            self,
            request,
            queryset.select_related("organisation"),
            lambda api_key: api_key_services.api_key_revoke(
                api_key=api_key, user=acting_admin(request)
            ),
            done="Revoked {obj}.",
        )


# The library's own key model is unused here; its admin page would only confuse.
if admin.site.is_registered(APIKey):
    admin.site.unregister(APIKey)
