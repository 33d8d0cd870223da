"""Admin for labs, their competitors and conflict policy, and their jobs.

A lab is created through `lab_create` (organisation, entity and default policy together).
Competitors, policies and jobs are the lab's own declarations, changed by lab staff
through the lab services (which also re-screen); admins see them here read-only."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db import models
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from labs.models import Competitor, ConflictPolicy, Job, Lab, SeatRequirement
from labs.services import lab_create
from marketplace.accounts.admin import ByOrganisationFilter, NewOrganisationForm
from marketplace.core.admin import (
    ReadOnlyAdminMixin,
    ReadOnlyInlineMixin,
    ReadOnlyTabularInline,
    ServiceModelAdmin,
    adopt,
    refused_as_form_error,
)


class LabAddForm(NewOrganisationForm):
    class Meta:
        model = Lab
        fields = ("entity", "description", "website")


class ConflictPolicyInline(ReadOnlyInlineMixin, admin.StackedInline):
    model = ConflictPolicy
    fields = ("review_percent", "block_percent", "lookback_months", "updated_at")


class CompetitorInline(ReadOnlyTabularInline):
    model = Competitor
    fields = ("entity", "note", "created_at")

    def get_queryset(self, request: HttpRequest) -> models.QuerySet[Competitor]:
        return super().get_queryset(request).select_related("entity")


@admin.register(Lab)
class LabAdmin(ServiceModelAdmin):
    add_form = LabAddForm
    list_display = ("__str__", "entity", "policy", "website")
    search_fields = ("organisation__name", "organisation__slug", "entity__name")
    list_select_related = ("organisation", "entity", "conflict_policy")
    autocomplete_fields = ("entity",)
    fields = ("organisation", "entity", "description", "website", "job_list")
    add_fieldsets = ((None, {"fields": ("name", "slug", "entity", "description", "website")}),)
    inlines = (ConflictPolicyInline, CompetitorInline)

    def get_fieldsets(self, request: HttpRequest, obj: Lab | None = None) -> Any:
        return self.add_fieldsets if obj is None else super().get_fieldsets(request, obj)

    def get_readonly_fields(self, request: HttpRequest, obj: Lab | None = None) -> tuple[str, ...]:
        return () if obj is None else ("organisation", "entity", "job_list")

    def get_inlines(self, request: HttpRequest, obj: Lab | None) -> Any:
        return self.inlines if obj is not None else ()

    def has_delete_permission(self, request: HttpRequest, obj: Lab | None = None) -> bool:
        return False

    @admin.display(description="Conflict policy")
    def policy(self, obj: Lab) -> str:
        try:
            policy = obj.conflict_policy
        except ConflictPolicy.DoesNotExist:
            return "-"
        return (
            f"review {policy.review_percent.normalize():f}%, "
            f"block {policy.block_percent.normalize():f}%"
        )

    @admin.display(description="Jobs")
    def job_list(self, obj: Lab) -> str:
        url = reverse("admin:labs_job_changelist") + f"?lab__id__exact={obj.pk}"
        return format_html('<a href="{}">{} jobs</a>', url, obj.jobs.count())

    def save_model(
        self, request: HttpRequest, obj: Lab, form: forms.ModelForm, change: bool
    ) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        data = form.cleaned_data
        with refused_as_form_error():
            lab = lab_create(
                name=data["name"],
                slug=data["slug"] or None,
                entity=data["entity"],
                description=data["description"],
                website=data["website"],
            )
        adopt(obj, lab)


@admin.register(Competitor)
class CompetitorAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("entity", "lab", "note", "created_at")
    list_filter = (("lab", ByOrganisationFilter),)
    search_fields = ("entity__name", "lab__organisation__name", "note")
    list_select_related = ("entity", "lab__organisation")


@admin.register(ConflictPolicy)
class ConflictPolicyAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("lab", "review_percent", "block_percent", "lookback_months", "updated_at")
    search_fields = ("lab__organisation__name",)
    list_select_related = ("lab__organisation",)


class SeatRequirementInline(ReadOnlyTabularInline):
    model = SeatRequirement
    fields = ("count", "field", "min_level", "note")
    show_change_link = False

    def get_queryset(self, request: HttpRequest) -> models.QuerySet[SeatRequirement]:
        return super().get_queryset(request).select_related("field", "min_level")


@admin.register(Job)
class JobAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Jobs move through their lifecycle by the lab's actions and the scheduled workers."""

    list_display = (
        "title",
        "lab",
        "domain",
        "status",
        "budget",
        "bid_deadline",
        "delivery_date",
        "bidding",
        "matching_state",
    )
    list_filter = (
        "status",
        "domain",
        ("lab", ByOrganisationFilter),
        "bidding",
        "sensitivity",
        "visibility",
        "matching_state",
    )
    search_fields = ("title", "lab__organisation__name")
    list_select_related = ("lab__organisation", "domain")
    date_hierarchy = "created_at"
    inlines = (SeatRequirementInline,)
    fieldsets = (
        (None, {"fields": ("title", "lab", "domain", "status", "description", "bid_list")}),
        (
            "Terms",
            {
                "fields": (
                    "volume",
                    "volume_unit",
                    ("budget_min", "budget_max", "currency"),
                    "sensitivity",
                    "required_attestations",
                    "bidding",
                    "visibility",
                    "split_allowed",
                    "max_share_per_vendor",
                )
            },
        ),
        (
            "Dates",
            {
                "fields": (
                    "question_deadline",
                    "bid_deadline",
                    "delivery_date",
                    "created_at",
                    "published_at",
                    "evaluation_started_at",
                    "closed_at",
                    "cancellation_reason",
                    "created_by",
                )
            },
        ),
        (
            "Matching",
            {"fields": ("matching_state", "matching_requested_at", "matching_finished_at")},
        ),
    )
    readonly_fields = (
        "bid_list",
        "created_at",
        "published_at",
        "evaluation_started_at",
        "closed_at",
    )

    @admin.display(description="Budget", ordering="budget_max")
    def budget(self, obj: Job) -> str:
        return f"{obj.budget_min:,.0f}-{obj.budget_max:,.0f} {obj.currency}"

    @admin.display(description="Bids")
    def bid_list(self, obj: Job) -> str:
        url = reverse("admin:exchange_bid_changelist") + f"?job__id__exact={obj.pk}"
        return format_html('<a href="{}">{} bids</a>', url, obj.bids.count())


@admin.register(SeatRequirement)
class SeatRequirementAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("job", "count", "field", "min_level", "note")
    list_filter = ("field", "min_level")
    search_fields = ("job__title", "job__lab__organisation__name")
    list_select_related = ("job", "field", "min_level")
    autocomplete_fields = ("job",)
