"""Admin for people, member organisations and their memberships. The e-mail address is
the login; the username column only mirrors it and is never shown."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.db import models
from django.http import HttpRequest
from django.utils.text import slugify

from marketplace.accounts.models import Membership, Organisation, User
from marketplace.accounts.services import membership_set
from marketplace.core.admin import (
    ServiceModelAdmin,
    ServiceTabularInline,
    admin_link,
    adopt,
    refused_as_form_error,
)


def acting_admin(request: HttpRequest) -> User:
    """The signed-in platform admin; admin views only run for staff who signed in."""
    assert isinstance(request.user, User)
    return request.user


class NewOrganisationForm(forms.ModelForm):
    """An add form for a lab or vendor: the organisation (and, unless an existing entity is
    chosen, its entity in the ownership graph) are created with it."""

    name = forms.CharField(max_length=200)
    website = forms.URLField(max_length=200, required=False, assume_scheme="https")
    slug = forms.SlugField(
        max_length=80, required=False, help_text="Leave empty to derive it from the name."
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["entity"].required = False
        self.fields["entity"].help_text = (
            "An entity already in the ownership graph (e.g. imported from a register). "
            "Leave empty to create one."
        )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        name = cleaned.get("name") or ""
        slug = cleaned.get("slug") or slugify(name)
        if name and not slug:
            self.add_error("slug", "Give a slug: none can be derived from this name.")
        elif slug and Organisation.objects.filter(slug=slug).exists():
            self.add_error(
                "slug" if cleaned.get("slug") else "name",
                f"An organisation with the slug {slug!r} already exists.",
            )
        return cleaned


class EmailUserCreationForm(AdminUserCreationForm):
    class Meta(AdminUserCreationForm.Meta):
        model = User
        fields = ("email", "full_name")


class EmailUserChangeForm(UserChangeForm):
    class Meta(UserChangeForm.Meta):
        model = User
        fields = "__all__"


class MembershipInlineBase(ServiceTabularInline):
    """Memberships are set through `membership_set`, which checks the role fits the kind
    of organisation."""

    model = Membership
    extra = 0
    fields = ["organisation", "user", "role", "created_at"]
    readonly_fields = ("created_at",)
    autocomplete_fields = ("organisation", "user")

    def get_queryset(self, request: HttpRequest) -> models.QuerySet[Membership]:
        return super().get_queryset(request).select_related("user", "organisation")

    def create_via_service(
        self, request: HttpRequest, parent: models.Model, data: dict[str, Any]
    ) -> Membership:
        fields = (
            {"user": parent, **data}
            if isinstance(parent, User)
            else {"organisation": parent, **data}
        )
        return membership_set(
            organisation=fields["organisation"], user=fields["user"], role=fields["role"]
        )

    def update_via_service(
        self, request: HttpRequest, form: forms.ModelForm, changes: dict[str, Any]
    ) -> Membership:
        membership: Membership = form.instance
        moved = {"user", "organisation"} & set(changes)
        saved = membership_set(
            organisation=membership.organisation, user=membership.user, role=membership.role
        )
        if moved:
            # The row now names another person or organisation: the old membership ends.
            Membership.objects.filter(pk=membership.pk).exclude(pk=saved.pk).delete()
        return saved


class MembershipOfUserInline(MembershipInlineBase):
    fields = ["organisation", "role", "created_at"]
    verbose_name = "membership"
    verbose_name_plural = "memberships in organisations"


class MembershipOfOrganisationInline(MembershipInlineBase):
    fields = ["user", "role", "created_at"]
    verbose_name = "member"
    verbose_name_plural = "members"


@admin.register(User)
class UserAdmin(ServiceModelAdmin, DjangoUserAdmin):
    form = EmailUserChangeForm
    add_form = EmailUserCreationForm
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Personal info", {"fields": ("full_name", "first_name", "last_name")}),
        (
            "Permissions",
            {
                "fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions"),
                "classes": ("collapse",),
            },
        ),
        ("Important dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("email", "full_name", "usable_password", "password1", "password2"),
            },
        ),
    )
    readonly_fields = ("last_login", "date_joined")
    list_display = ("email", "full_name", "is_active", "is_staff", "is_superuser", "last_login")
    list_filter = ("is_staff", "is_superuser", "is_active", "memberships__role", "groups")
    search_fields = ("email", "full_name", "first_name", "last_name")
    ordering = ("email",)
    date_hierarchy = "date_joined"
    inlines = (MembershipOfUserInline,)

    def get_inlines(self, request: HttpRequest, obj: User | None) -> Any:
        # As in Django's own user admin: e-mail and password first, the rest on the next page.
        return self.inlines if obj is not None else ()


class ByOrganisationFilter(admin.RelatedOnlyFieldListFilter):
    """Filters by a lab or vendor, named by its organisation, in one query."""

    def field_choices(self, field: Any, request: HttpRequest, model_admin: Any) -> Any:
        in_use = model_admin.get_queryset(request).values_list(f"{self.field_path}__pk", flat=True)
        related = (
            field.related_model._default_manager.filter(pk__in=in_use)
            .select_related("organisation")
            .order_by("organisation__name")
        )
        return [(obj.pk, str(obj)) for obj in related]


@admin.register(Organisation)
class OrganisationAdmin(ServiceModelAdmin):
    """Organisations are created with their lab or vendor (Lab and Vendor admins)."""

    list_display = ("name", "kind", "slug", "is_active", "member_profile", "created_at")
    list_filter = ("kind", "is_active")
    search_fields = ("name", "slug")
    list_select_related = ("lab", "vendor")
    readonly_fields = ("kind", "member_profile", "created_at")
    fields = ("name", "slug", "kind", "is_active", "member_profile", "created_at")
    inlines = (MembershipOfOrganisationInline,)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.display(description="Lab or vendor")
    def member_profile(self, obj: Organisation) -> str:
        for accessor in ("lab", "vendor"):
            profile = getattr(obj, accessor, None)
            if profile is not None:
                return admin_link(profile, f"{accessor.title()}: {profile}")
        return "-"


@admin.register(Membership)
class MembershipAdmin(ServiceModelAdmin):
    list_display = ("user", "organisation", "kind", "role", "created_at")
    list_filter = ("role", "organisation__kind")
    search_fields = ("user__email", "user__full_name", "organisation__name")
    list_select_related = ("user", "organisation")
    autocomplete_fields = ("user", "organisation")
    fields = ("user", "organisation", "role", "created_at")
    readonly_fields = ("created_at",)

    @admin.display(description="Kind", ordering="organisation__kind")
    def kind(self, obj: Membership) -> str:
        return obj.organisation.get_kind_display()

    def get_readonly_fields(
        self, request: HttpRequest, obj: Membership | None = None
    ) -> tuple[str, ...]:
        if obj is None:
            return ("created_at",)
        return ("user", "organisation", "created_at")

    def save_model(
        self, request: HttpRequest, obj: Membership, form: forms.ModelForm, change: bool
    ) -> None:
        with refused_as_form_error():
            saved = membership_set(organisation=obj.organisation, user=obj.user, role=obj.role)
        adopt(obj, saved)
