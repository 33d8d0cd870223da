"""Admin for vendors, their attestations and their roster. The credential queue is the
daily work here: pending credentials come first; "verify" and "reject" go through the
credential services, which record who decided and when."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import forms
from django.contrib import admin
from django.db import models
from django.db.models import Case, Value, When
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from marketplace.accounts.admin import ByOrganisationFilter, NewOrganisationForm, acting_admin
from marketplace.core.admin import (
    AuditedHistoryAdmin,
    ReadOnlyAdminMixin,
    ReadOnlyTabularInline,
    ServiceModelAdmin,
    ServiceTabularInline,
    action_with_reason,
    admin_link,
    adopt,
    apply_each,
    pretty_json,
    refused_as_form_error,
)
from vendors.models import (
    Affiliation,
    Attestation,
    Credential,
    CredentialStatus,
    DuplicateCredentialFlag,
    RosterImport,
    Specialist,
    Vendor,
)
from vendors.permissions import can_verify_credentials
from vendors.services import (
    affiliation_add,
    credential_add,
    credential_reject,
    credential_update,
    credential_verify,
    duplicate_flag_resolve,
    specialist_create,
    vendor_create,
)


class ExpiryFilter(admin.SimpleListFilter):
    title = "expiry"
    parameter_name = "expiry"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [
            ("past", "Expiry date passed"),
            ("30", "Expires within 30 days"),
            ("90", "Expires within 90 days"),
            ("never", "Does not expire"),
        ]

    def queryset(self, request: HttpRequest, queryset: models.QuerySet[Any]) -> Any:
        today = timezone.localdate()
        value = self.value()
        if value == "past":
            return queryset.filter(expires_on__lte=today)
        if value in ("30", "90"):
            return queryset.filter(
                expires_on__gt=today, expires_on__lte=today + timedelta(days=int(value))
            )
        if value == "never":
            return queryset.filter(expires_on__isnull=True)
        return queryset


# --- Vendors --------------------------------------------------------------------------------


class VendorAddForm(NewOrganisationForm):
    jurisdiction = forms.CharField(
        max_length=10, required=False, help_text="ISO 3166 code, for a newly created entity."
    )

    class Meta:
        model = Vendor
        fields = ("entity", "description", "website", "headquarters")


class AttestationInline(ReadOnlyTabularInline):
    model = Attestation
    fields = ("kind", "issuer", "issued_on", "expires_on", "status", "document")

    def get_queryset(self, request: HttpRequest) -> models.QuerySet[Attestation]:
        return super().get_queryset(request).select_related("kind")


@admin.register(Vendor)
class VendorAdmin(ServiceModelAdmin):
    add_form = VendorAddForm
    list_display = ("__str__", "entity", "headquarters", "website")
    search_fields = ("organisation__name", "organisation__slug", "entity__name")
    list_select_related = ("organisation", "entity")
    autocomplete_fields = ("entity",)
    fields = ("organisation", "entity", "description", "website", "headquarters", "roster")
    add_fieldsets = (
        (
            None,
            {
                "fields": (
                    "name",
                    "slug",
                    "entity",
                    "jurisdiction",
                    "description",
                    "website",
                    "headquarters",
                )
            },
        ),
    )
    inlines = (AttestationInline,)

    def get_fieldsets(self, request: HttpRequest, obj: Vendor | None = None) -> Any:
        return self.add_fieldsets if obj is None else super().get_fieldsets(request, obj)

    def get_readonly_fields(
        self, request: HttpRequest, obj: Vendor | None = None
    ) -> tuple[str, ...]:
        return () if obj is None else ("organisation", "entity", "roster")

    def get_inlines(self, request: HttpRequest, obj: Vendor | None) -> Any:
        return self.inlines if obj is not None else ()

    def has_delete_permission(self, request: HttpRequest, obj: Vendor | None = None) -> bool:
        return False

    @admin.display(description="Roster")
    def roster(self, obj: Vendor) -> str:
        specialists = (
            reverse("admin:vendors_specialist_changelist") + f"?vendor__id__exact={obj.pk}"
        )
        credentials = (
            reverse("admin:vendors_credential_changelist")
            + f"?specialist__vendor__id__exact={obj.pk}"
        )
        return format_html(
            '<a href="{}">{} specialists</a>, <a href="{}">their credentials</a>',
            specialists,
            obj.specialists.count(),
            credentials,
        )

    def save_model(
        self, request: HttpRequest, obj: Vendor, form: forms.ModelForm, change: bool
    ) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        data = form.cleaned_data
        with refused_as_form_error():
            vendor = vendor_create(
                name=data["name"],
                slug=data["slug"] or None,
                entity=data["entity"],
                description=data["description"],
                website=data["website"],
                headquarters=data["headquarters"],
                jurisdiction=data["jurisdiction"],
            )
        adopt(obj, vendor)


@admin.register(Attestation)
class AttestationAdmin(ReadOnlyAdminMixin, AuditedHistoryAdmin):
    """Vendors upload attestations and the scheduled expiry marks them expired."""

    list_display = ("vendor", "kind", "issuer", "issued_on", "expires_on", "status")
    list_filter = ("status", "kind", ExpiryFilter)
    search_fields = ("vendor__organisation__name", "issuer", "kind__name")
    list_select_related = ("vendor__organisation", "kind")
    date_hierarchy = "expires_on"


# --- Roster ---------------------------------------------------------------------------------

CREDENTIAL_DECISION_FIELDS = ("status", "verified_by", "verified_at", "rejection_reason")


class CredentialInline(ServiceTabularInline):
    model = Credential
    extra = 0
    can_delete = False
    show_change_link = True
    fields = (
        "field",
        "level",
        "issuer",
        "identifier",
        "issued_on",
        "expires_on",
        *CREDENTIAL_DECISION_FIELDS,
    )
    readonly_fields = CREDENTIAL_DECISION_FIELDS

    def get_queryset(self, request: HttpRequest) -> models.QuerySet[Credential]:
        return super().get_queryset(request).select_related("field", "level", "verified_by")

    def create_via_service(
        self, request: HttpRequest, parent: models.Model, data: dict[str, Any]
    ) -> Credential:
        assert isinstance(parent, Specialist)
        return credential_add(specialist=parent, user=None, **data)

    def update_via_service(
        self, request: HttpRequest, form: forms.ModelForm, changes: dict[str, Any]
    ) -> Credential:
        return credential_update(credential=form.instance, user=None, **changes)


class AffiliationInline(ServiceTabularInline):
    model = Affiliation
    extra = 0
    fields = ("organisation", "role", "start_date", "end_date")
    autocomplete_fields = ("organisation",)

    def get_queryset(self, request: HttpRequest) -> models.QuerySet[Affiliation]:
        return super().get_queryset(request).select_related("organisation")

    def create_via_service(
        self, request: HttpRequest, parent: models.Model, data: dict[str, Any]
    ) -> Affiliation:
        assert isinstance(parent, Specialist)
        return affiliation_add(specialist=parent, user=None, **data)


@admin.register(Specialist)
class SpecialistAdmin(ServiceModelAdmin):
    list_display = ("full_name", "vendor", "headline", "email", "is_active", "created_at")
    list_filter = ("is_active", ("vendor", ByOrganisationFilter))
    search_fields = ("full_name", "email", "vendor__organisation__name")
    list_select_related = ("vendor__organisation",)
    autocomplete_fields = ("vendor", "person")
    fields = ("vendor", "full_name", "email", "headline", "person", "is_active", "created_at")
    inlines = (CredentialInline, AffiliationInline)

    def get_fields(self, request: HttpRequest, obj: Specialist | None = None) -> Any:
        fields = super().get_fields(request, obj)
        # A new specialist starts active; deactivating is a later change.
        return fields if obj is not None else [f for f in fields if f != "is_active"]

    def get_readonly_fields(
        self, request: HttpRequest, obj: Specialist | None = None
    ) -> tuple[str, ...]:
        return ("created_at",) if obj is None else ("vendor", "created_at")

    def save_model(
        self, request: HttpRequest, obj: Specialist, form: forms.ModelForm, change: bool
    ) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        with refused_as_form_error():
            specialist = specialist_create(
                vendor=obj.vendor,
                user=None,
                full_name=obj.full_name,
                email=obj.email,
                headline=obj.headline,
                person=obj.person,
            )
        adopt(obj, specialist)


@admin.register(Affiliation)
class AffiliationAdmin(ServiceModelAdmin):
    list_display = ("specialist", "vendor", "role", "organisation", "start_date", "end_date")
    list_filter = ("role",)
    search_fields = (
        "specialist__full_name",
        "organisation__name",
        "specialist__vendor__organisation__name",
    )
    list_select_related = ("specialist__vendor__organisation", "organisation")
    autocomplete_fields = ("specialist", "organisation")

    @admin.display(description="Vendor", ordering="specialist__vendor__organisation__name")
    def vendor(self, obj: Affiliation) -> Vendor:
        return obj.specialist.vendor

    def save_model(
        self, request: HttpRequest, obj: Affiliation, form: forms.ModelForm, change: bool
    ) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        with refused_as_form_error():
            affiliation = affiliation_add(
                specialist=obj.specialist,
                user=None,
                organisation=obj.organisation,
                role=obj.role,
                start_date=obj.start_date,
                end_date=obj.end_date,
            )
        adopt(obj, affiliation)


@admin.register(Credential)
class CredentialAdmin(ServiceModelAdmin, AuditedHistoryAdmin):
    """The verification queue: pending credentials first, oldest first."""

    list_display = (
        "specialist",
        "vendor",
        "field",
        "level",
        "issuer",
        "identifier",
        "expires_on",
        "status",
        "verified_by",
        "verified_at",
    )
    list_filter = (
        "status",
        "field",
        "level",
        ExpiryFilter,
        ("specialist__vendor", ByOrganisationFilter),
    )
    search_fields = (
        "specialist__full_name",
        "identifier",
        "issuer",
        "specialist__vendor__organisation__name",
    )
    list_select_related = ("specialist__vendor__organisation", "field", "level", "verified_by")
    autocomplete_fields = ("specialist",)
    date_hierarchy = "created_at"
    ordering = (
        Case(When(status=CredentialStatus.PENDING, then=Value(0)), default=Value(1)).asc(),
        "created_at",
    )
    actions = ("verify_selected", "reject_selected")
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "specialist",
                    "vendor",
                    "field",
                    "level",
                    "issuer",
                    "identifier",
                    ("issued_on", "expires_on"),
                )
            },
        ),
        ("Verification", {"fields": (*CREDENTIAL_DECISION_FIELDS, "created_at")}),
    )
    readonly_fields = ("vendor", *CREDENTIAL_DECISION_FIELDS, "created_at")

    @admin.display(description="Vendor", ordering="specialist__vendor__organisation__name")
    def vendor(self, obj: Credential) -> Vendor:
        return obj.specialist.vendor

    def has_verify_permission(self, request: HttpRequest) -> bool:
        return can_verify_credentials(request.user)  # type: ignore[arg-type]

    def save_model(
        self, request: HttpRequest, obj: Credential, form: forms.ModelForm, change: bool
    ) -> None:
        if change:
            changes = {name: form.cleaned_data[name] for name in form.changed_data}
            with refused_as_form_error():
                adopt(obj, credential_update(credential=obj, user=None, **changes))
            return
        with refused_as_form_error():
            credential = credential_add(
                specialist=obj.specialist,
                user=None,
                field=obj.field,
                level=obj.level,
                issuer=obj.issuer,
                identifier=obj.identifier,
                issued_on=obj.issued_on,
                expires_on=obj.expires_on,
            )
        adopt(obj, credential)

    def _for_decision(self, queryset: models.QuerySet[Credential]) -> models.QuerySet[Credential]:
        return queryset.select_related("specialist", "field", "level")

    @admin.action(description="Verify selected credentials", permissions=["verify"])
    def verify_selected(self, request: HttpRequest, queryset: models.QuerySet[Credential]) -> None:
        apply_each(
            self,
            request,
            self._for_decision(queryset),
            lambda credential: credential_verify(credential=credential, user=acting_admin(request)),
            done="Verified {obj}.",
        )

    @admin.action(description="Reject selected credentials…", permissions=["verify"])
    def reject_selected(
        self, request: HttpRequest, queryset: models.QuerySet[Credential]
    ) -> TemplateResponse | None:
        return action_with_reason(
            self,
            request,
            self._for_decision(queryset),
            action="reject_selected",
            title="Reject credentials",
            intro="These credentials will be rejected; the reason is kept with each of them.",
            submit_label="Reject",
            operation=lambda credential, reason: credential_reject(
                credential=credential, user=acting_admin(request), reason=reason
            ),
            done="Rejected {obj}.",
        )


# --- The same licence at two vendors, and roster imports ------------------------------------


class OpenFlagFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [("open", "Open"), ("resolved", "Resolved")]

    def queryset(self, request: HttpRequest, queryset: models.QuerySet[Any]) -> Any:
        if self.value() in ("open", "resolved"):
            return queryset.filter(resolved_at__isnull=self.value() == "open")
        return queryset


@admin.register(DuplicateCredentialFlag)
class DuplicateCredentialFlagAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Platform staff's queue of licence numbers recorded at two vendors (there is no
    platform organisation to notify in-app; this list is where the flags wait). Open flags
    first. A flagged credential cannot be verified until its flag is resolved with a note."""

    list_display = (
        "identifier_normalised",
        "level",
        "credential_link",
        "vendor",
        "other_credential_link",
        "other_vendor",
        "created_at",
        "is_open",
        "resolved_by",
    )
    list_filter = (OpenFlagFilter, "level")
    search_fields = (
        "identifier_normalised",
        "vendor__organisation__name",
        "other_vendor__organisation__name",
        "credential__specialist__full_name",
        "other_credential__specialist__full_name",
    )
    list_select_related = (
        "level",
        "vendor__organisation",
        "other_vendor__organisation",
        "credential__specialist",
        "other_credential__specialist",
        "resolved_by",
    )
    ordering = (
        Case(When(resolved_at__isnull=True, then=Value(0)), default=Value(1)).asc(),
        "-created_at",
    )
    actions = ("resolve_selected",)
    fields = (
        "identifier_normalised",
        "level",
        "credential_link",
        "vendor",
        "other_credential_link",
        "other_vendor",
        "created_at",
        "resolved_at",
        "resolved_by",
        "resolution_note",
    )
    readonly_fields = ("credential_link", "other_credential_link")

    @admin.display(description="Credential")
    def credential_link(self, obj: DuplicateCredentialFlag) -> Any:
        credential = obj.credential
        return admin_link(
            credential, f"{credential.specialist} ({credential.get_status_display()})"
        )

    @admin.display(description="Already recorded as")
    def other_credential_link(self, obj: DuplicateCredentialFlag) -> Any:
        credential = obj.other_credential
        return admin_link(
            credential, f"{credential.specialist} ({credential.get_status_display()})"
        )

    @admin.display(description="Open", boolean=True)
    def is_open(self, obj: DuplicateCredentialFlag) -> bool:
        return obj.is_open

    def has_resolve_permission(self, request: HttpRequest) -> bool:
        return can_verify_credentials(request.user)  # type: ignore[arg-type]

    @admin.action(description="Resolve selected flags…", permissions=["resolve"])
    def resolve_selected(
        self, request: HttpRequest, queryset: models.QuerySet[DuplicateCredentialFlag]
    ) -> TemplateResponse | None:
        return action_with_reason(
            self,
            request,
            queryset.select_related("vendor__organisation", "other_vendor__organisation"),
            action="resolve_selected",
            title="Resolve duplicate credential flags",
            intro=(
                "Say what you found (the same person at both vendors, a typing error, a "
                "forged number...). The note, your name and the time are kept with each flag; "
                "the credentials can then be verified or rejected."
            ),
            submit_label="Resolve",
            operation=lambda flag, note: duplicate_flag_resolve(
                flag=flag, user=acting_admin(request), note=note
            ),
            done="Resolved {obj}.",
        )


@admin.register(RosterImport)
class RosterImportAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Vendors upload rosters; a worker imports them. Admins look."""

    list_display = (
        "__str__",
        "vendor",
        "uploaded_by",
        "status",
        "progress",
        "rows_created",
        "specialists_created",
        "valid_rows_only",
        "created_at",
        "finished_at",
    )
    list_filter = ("status", "valid_rows_only")
    search_fields = ("vendor__organisation__name", "uploaded_by__email")
    list_select_related = ("vendor__organisation", "uploaded_by")
    date_hierarchy = "created_at"
    fields = (
        "vendor",
        "uploaded_by",
        "file",
        "status",
        "valid_rows_only",
        "progress",
        "rows_created",
        "specialists_created",
        "errors_readable",
        "created_at",
        "started_at",
        "finished_at",
    )
    readonly_fields = ("progress", "errors_readable")

    @admin.display(description="Rows checked")
    def progress(self, obj: RosterImport) -> str:
        return f"{obj.rows_done} of {obj.total_rows} ({obj.percent_done}%)"

    @admin.display(description="Errors")
    def errors_readable(self, obj: RosterImport) -> Any:
        return pretty_json(obj.errors) if obj.errors else "-"
