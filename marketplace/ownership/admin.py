"""Admin for the ownership graph. Stakes are created, changed and ended only through the
ownership services, so every change bumps the ownership data version (and fires the
re-screening that hangs off it); nothing here deletes a stake: end it instead."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.contrib import admin
from django.db import models
from django.http import HttpRequest
from django.utils import timezone

from marketplace.core.admin import (
    AuditedHistoryAdmin,
    ReadOnlyAdminMixin,
    ServiceModelAdmin,
    ServiceTabularInline,
    admin_link,
    adopt,
    apply_each,
    refused_as_form_error,
)
from marketplace.ownership.models import (
    PERSON_TYPES,
    Entity,
    OwnershipChange,
    OwnershipDataVersion,
    RecordType,
    Stake,
)
from marketplace.ownership.services import (
    entity_create,
    entity_update,
    stake_create,
    stake_end,
    stake_update,
)


class ActiveOnFilter(admin.SimpleListFilter):
    title = "held today"
    parameter_name = "held"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [("active", "Held today"), ("ended", "Ended"), ("future", "Starts later")]

    def queryset(self, request: HttpRequest, queryset: models.QuerySet[Stake]) -> Any:
        today = timezone.localdate()
        if self.value() == "active":
            return queryset.active_on(today)  # type: ignore[attr-defined]
        if self.value() == "ended":
            return queryset.filter(end_date__lte=today)
        if self.value() == "future":
            return queryset.filter(start_date__gt=today)
        return queryset


class PlatformRoleFilter(admin.SimpleListFilter):
    title = "on the platform as"
    parameter_name = "platform"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [
            ("lab", "Lab"),
            ("vendor", "Vendor"),
            ("specialist", "Specialist"),
            ("competitor", "Named as a competitor"),
            ("none", "Not on the platform"),
        ]

    def queryset(self, request: HttpRequest, queryset: models.QuerySet[Entity]) -> Any:
        value = self.value()
        if value == "lab":
            return queryset.filter(lab__isnull=False)
        if value == "vendor":
            return queryset.filter(vendor__isnull=False)
        if value == "specialist":
            return queryset.filter(specialist_profiles__isnull=False).distinct()
        if value == "competitor":
            return queryset.filter(named_as_competitor__isnull=False).distinct()
        if value == "none":
            return queryset.filter(lab__isnull=True, vendor__isnull=True)
        return queryset


# --- Stakes -------------------------------------------------------------------------------

STAKE_SHARE_HELP = "Give an exact share, or a minimum and/or maximum, or nothing for unknown."


class StakeInlineBase(ServiceTabularInline):
    model = Stake
    extra = 0
    can_delete = False
    show_change_link = True
    # The side of the stake that is not the entity on the page.
    counterpart: str = ""

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return [
            self.counterpart,
            "interest_type",
            "share_exact",
            "share_min",
            "share_max",
            "direct_or_indirect",
            "start_date",
            "end_date",
            "provenance",
        ]

    def get_autocomplete_fields(self, request: HttpRequest) -> tuple[str, ...]:
        return (self.counterpart,)

    def get_queryset(self, request: HttpRequest) -> models.QuerySet[Stake]:
        return super().get_queryset(request).select_related("interested_party", "subject")

    def create_via_service(
        self, request: HttpRequest, parent: models.Model, data: dict[str, Any]
    ) -> Stake:
        assert self.fk_name is not None and isinstance(parent, Entity)
        return stake_create(**{**data, self.fk_name: parent})

    def update_via_service(
        self, request: HttpRequest, form: forms.ModelForm, changes: dict[str, Any]
    ) -> Stake:
        return stake_update(stake=form.instance, **changes)


class StakesHeldInline(StakeInlineBase):
    fk_name = "interested_party"
    counterpart = "subject"
    verbose_name = "stake held"
    verbose_name_plural = "stakes held (this entity owns or controls ...)"


class StakesInInline(StakeInlineBase):
    fk_name = "subject"
    counterpart = "interested_party"
    verbose_name = "stake in this entity"
    verbose_name_plural = "stakes in this entity (... owns or controls this entity)"


class StakeForm(forms.ModelForm):
    class Meta:
        model = Stake
        fields = (
            "interested_party",
            "subject",
            "interest_type",
            "share_exact",
            "share_min",
            "share_max",
            "direct_or_indirect",
            "beneficial_ownership_or_control",
            "start_date",
            "end_date",
            "declared_at",
            "provenance",
            "source_note",
            "record_id",
            "interest_index",
            "component_record_ids",
        )

    def clean_component_record_ids(self) -> list[str]:
        return self.cleaned_data["component_record_ids"] or []


@admin.register(Stake)
class StakeAdmin(ServiceModelAdmin, AuditedHistoryAdmin):
    form = StakeForm
    list_display = (
        "interested_party",
        "share",
        "interest_type",
        "subject",
        "direct_or_indirect",
        "provenance",
        "start_date",
        "end_date",
        "held_today",
    )
    list_filter = (
        ActiveOnFilter,
        "interest_type",
        "direct_or_indirect",
        "provenance",
        "beneficial_ownership_or_control",
        "is_component",
    )
    search_fields = ("interested_party__name", "subject__name", "record_id", "source_note")
    list_select_related = ("interested_party", "subject")
    autocomplete_fields = ("interested_party", "subject")
    actions = ("end_today",)
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "interested_party",
                    "subject",
                    "interest_type",
                    "direct_or_indirect",
                    "beneficial_ownership_or_control",
                )
            },
        ),
        (
            "Share",
            {
                "fields": ("share_exact", ("share_min", "share_max")),
                "description": STAKE_SHARE_HELP,
            },
        ),
        ("Dates", {"fields": (("start_date", "end_date"), "declared_at")}),
        ("Provenance", {"fields": ("provenance", "source_note")}),
        (
            "BODS record",
            {
                "fields": (
                    "record_id",
                    "interest_index",
                    "component_record_ids",
                    "is_component",
                    "created_at",
                    "updated_at",
                ),
                "classes": ("collapse",),
            },
        ),
    )

    def get_readonly_fields(
        self, request: HttpRequest, obj: Stake | None = None
    ) -> tuple[str, ...]:
        if obj is None:
            return ("is_component", "created_at", "updated_at")
        # `stake_update` changes the terms of a stake, never whose stake in what it is.
        return (
            "interested_party",
            "subject",
            "record_id",
            "interest_index",
            "is_component",
            "created_at",
            "updated_at",
        )

    def has_delete_permission(self, request: HttpRequest, obj: Stake | None = None) -> bool:
        return False

    @admin.display(description="Share")
    def share(self, obj: Stake) -> str:
        return obj.share_display

    @admin.display(description="Held today", boolean=True)
    def held_today(self, obj: Stake) -> bool:
        return obj.is_active_on(timezone.localdate())

    def save_model(
        self, request: HttpRequest, obj: Stake, form: forms.ModelForm, change: bool
    ) -> None:
        with refused_as_form_error():
            if change:
                changes = {name: form.cleaned_data[name] for name in form.changed_data}
                if not changes:
                    return
                saved = stake_update(stake=obj, **changes)
            else:
                saved = stake_create(**{name: form.cleaned_data[name] for name in form.fields})
        adopt(obj, saved)

    @admin.action(description="End selected stakes today", permissions=["change"])
    def end_today(self, request: HttpRequest, queryset: models.QuerySet[Stake]) -> None:
        today: date = timezone.localdate()
        apply_each(
            self,
            request,
            queryset.select_related("interested_party", "subject"),
            lambda stake: stake_end(stake=stake, end_date=today),
            done=f"Ended {{obj}} as of {today.isoformat()}.",
        )


# --- Entities -------------------------------------------------------------------------------


class EntityForm(forms.ModelForm):
    class Meta:
        model = Entity
        fields = ("name", "entity_type", "jurisdiction", "identifiers", "record_id", "source")

    def clean_entity_type(self) -> str:
        entity_type = self.cleaned_data["entity_type"]
        if self.instance.pk is not None:
            was_person = self.instance.record_type == RecordType.PERSON
            if (entity_type in PERSON_TYPES) != was_person:
                raise forms.ValidationError(
                    "A person cannot become an entity or the reverse; create a new record."
                )
        return entity_type

    def clean_identifiers(self) -> list[dict[str, str]]:
        return self.cleaned_data["identifiers"] or []


@admin.register(Entity)
class EntityAdmin(ServiceModelAdmin, AuditedHistoryAdmin):
    form = EntityForm
    list_display = (
        "name",
        "entity_type",
        "jurisdiction",
        "on_platform",
        "is_component",
        "source",
        "updated_at",
    )
    list_filter = (PlatformRoleFilter, "record_type", "entity_type", "is_component", "jurisdiction")
    search_fields = ("name", "record_id", "identifiers")
    list_select_related = ("lab__organisation", "vendor__organisation")
    inlines = (StakesInInline, StakesHeldInline)
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "name",
                    "entity_type",
                    "record_type",
                    "jurisdiction",
                    "identifiers",
                    "on_platform",
                )
            },
        ),
        ("Record", {"fields": ("record_id", "source", "is_component", "created_at", "updated_at")}),
    )

    def get_readonly_fields(
        self, request: HttpRequest, obj: Entity | None = None
    ) -> tuple[str, ...]:
        readonly = ("record_type", "is_component", "on_platform", "created_at", "updated_at")
        # The record id is the stable BODS identifier imports match on.
        return readonly if obj is None else (*readonly, "record_id")

    def has_delete_permission(self, request: HttpRequest, obj: Entity | None = None) -> bool:
        return False

    @admin.display(description="On the platform")
    def on_platform(self, obj: Entity) -> str:
        for accessor in ("lab", "vendor"):
            try:
                profile = getattr(obj, accessor)
            except models.ObjectDoesNotExist:
                continue
            return admin_link(profile, f"{accessor.title()}: {profile}")
        return "-"

    def save_model(
        self, request: HttpRequest, obj: Entity, form: forms.ModelForm, change: bool
    ) -> None:
        if not change:
            with refused_as_form_error():
                saved = entity_create(
                    name=obj.name,
                    entity_type=obj.entity_type,
                    jurisdiction=obj.jurisdiction,
                    identifiers=obj.identifiers,
                    record_id=obj.record_id,
                    source=obj.source,
                )
            adopt(obj, saved)
        elif form.has_changed():
            changes = {name: form.cleaned_data[name] for name in form.changed_data}
            with refused_as_form_error():
                adopt(obj, entity_update(entity=obj, **changes))


@admin.register(OwnershipDataVersion)
class OwnershipDataVersionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("__str__", "version", "changed_at")


@admin.register(OwnershipChange)
class OwnershipChangeAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Changes waiting for (or done with) re-screening of the vendors downstream."""

    list_display = ("version", "subject", "stake", "created_at", "processed_at")
    list_filter = (("processed_at", admin.EmptyFieldListFilter),)
    search_fields = ("subject__name", "subject__record_id")
    list_select_related = ("subject", "stake__interested_party", "stake__subject")
