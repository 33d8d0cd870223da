"""Admin for the shared vocabularies, and the pieces every app's admin is built from.

The admin is an edge like the browser views and the API: writes that a service owns go
through that service. A refused write (a DomainError) is shown on the form that caused it,
with the admin's input kept, instead of a server error:

* `ServiceModelAdmin.save_model` (or an inline's `create_via_service`/`update_via_service`)
  calls the service inside `refused_as_form_error()`, which turns a DomainError into a
  `ServiceRefusal`;
* `ServiceModelAdmin.changeform_view` lets the refusal roll the attempt back, then renders
  the same POST again with the refusal attached to the form (or inline form) it belongs to.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.options import InlineModelAdmin
from django.core.exceptions import PermissionDenied
from django.db import models
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString
from simple_history.admin import SimpleHistoryAdmin

from marketplace.core.errors import DomainError
from marketplace.core.models import (
    AttestationKind,
    CredentialField,
    Domain,
    FormSubmission,
    QualificationLevel,
    TaskFailure,
)

M = TypeVar("M", bound=models.Model)

# --- Writes through services ------------------------------------------------------------

_REFUSAL_ATTRIBUTE = "_admin_service_refusal"


class ServiceRefusal(Exception):
    """A service refused a write the admin routed to it. `form_prefix` names the inline
    form that caused it; None means the main form."""

    def __init__(self, error: DomainError, *, form_prefix: str | None = None) -> None:
        super().__init__(error.message)
        self.error = error
        self.form_prefix = form_prefix


@contextmanager
def refused_as_form_error(form_prefix: str | None = None) -> Iterator[None]:
    try:
        yield
    except DomainError as error:
        raise ServiceRefusal(error, form_prefix=form_prefix) from error


def _attach_refusal(form: forms.BaseForm, error: DomainError) -> None:
    field = error.field if error.field in form.fields else None
    form.add_error(field, error.message)


def _refusal_for(request: HttpRequest) -> ServiceRefusal | None:
    return getattr(request, _REFUSAL_ATTRIBUTE, None)


def adopt(target: models.Model, source: models.Model) -> None:
    """Makes `target` (the admin's unsaved form instance) stand for the row a service
    saved as `source`, so the admin's redirect, log entry and inlines use that row."""
    for field in source._meta.concrete_fields:
        setattr(target, field.attname, getattr(source, field.attname))
    target._state.adding = False
    target._state.db = source._state.db


class ServiceModelAdmin(admin.ModelAdmin):
    """A ModelAdmin whose writes go through services (see the module docstring)."""

    add_form: type[forms.ModelForm] | None = None
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ServiceRefusal as refusal:
            # The attempt's transaction has rolled back. Validate the same input again,
            # this time with the refusal as a form error, so the page shows it.
            setattr(request, _REFUSAL_ATTRIBUTE, refusal)
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ServiceRefusal as refusal:
            self.message_user(request, refusal.error.message, messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def get_form(
        self,
        request: HttpRequest,
        obj: models.Model | None = None,
        change: bool = False,
        **kwargs: Any,
    ) -> type[forms.ModelForm]:
        if obj is None and self.add_form is not None and "form" not in kwargs:
            kwargs["form"] = self.add_form
        form_class = super().get_form(request, obj, change=change, **kwargs)
        refusal = _refusal_for(request)
        if refusal is None or refusal.form_prefix is not None:
            return form_class
        error = refusal.error

        class RefusedForm(form_class):  # type: ignore[valid-type, misc]
            def clean(self) -> dict[str, Any] | None:
                cleaned = super().clean()
                _attach_refusal(self, error)
                return cleaned

        return RefusedForm

    def save_formset(
        self, request: HttpRequest, form: forms.ModelForm, formset: BaseInlineFormSet, change: bool
    ) -> None:
        inline = getattr(formset, "service_inline", None)
        if inline is None:
            super().save_formset(request, form, formset, change)
        else:
            inline.save_formset_via_services(request, formset)


class ServiceInline(InlineModelAdmin):
    """An inline whose rows are created (and, if overridden, changed or deleted) through
    services. Its parent admin must be a ServiceModelAdmin."""

    def create_via_service(
        self, request: HttpRequest, parent: models.Model, data: dict[str, Any]
    ) -> models.Model:
        raise NotImplementedError

    def update_via_service(
        self, request: HttpRequest, form: forms.ModelForm, changes: dict[str, Any]
    ) -> models.Model:
        """Rows whose changes no service owns are saved as they are."""
        return form.save()

    def delete_via_service(self, request: HttpRequest, obj: models.Model) -> None:
        obj.delete()

    def get_formset(
        self, request: HttpRequest, obj: models.Model | None = None, **kwargs: Any
    ) -> type[BaseInlineFormSet]:
        formset_class = super().get_formset(request, obj, **kwargs)
        refusal = _refusal_for(request)
        attributes: dict[str, Any] = {"service_inline": self}
        if refusal is not None and refusal.form_prefix is not None:
            prefix = refusal.form_prefix

            def clean(formset: BaseInlineFormSet) -> None:
                formset_class.clean(formset)
                for form in formset.forms:
                    if form.prefix == prefix:
                        _attach_refusal(form, refusal.error)

            attributes["clean"] = clean
        return type(formset_class.__name__, (formset_class,), attributes)

    def save_formset_via_services(self, request: HttpRequest, formset: BaseInlineFormSet) -> None:
        # The admin's change message reads these three lists.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        to_delete = formset.deleted_forms if formset.can_delete else []
        fk_name = formset.fk.name
        for form in formset.initial_forms:
            if any(form is deleted for deleted in to_delete):
                with refused_as_form_error(form.prefix):
                    self.delete_via_service(request, form.instance)
                formset.deleted_objects.append(form.instance)
            elif form.has_changed():
                changes = {
                    name: form.cleaned_data[name]
                    for name in form.changed_data
                    if name not in (fk_name, "id", "DELETE")
                }
                with refused_as_form_error(form.prefix):
                    saved = self.update_via_service(request, form, changes)
                formset.changed_objects.append((saved, form.changed_data))
        for form in formset.extra_forms:
            if not form.has_changed() or any(form is deleted for deleted in to_delete):
                continue
            data = {
                name: form.cleaned_data[name]
                for name in form.fields
                if name not in (fk_name, "id", "DELETE")
            }
            with refused_as_form_error(form.prefix):
                created = self.create_via_service(request, formset.instance, data)
            form.instance = created
            formset.new_objects.append(created)


class ServiceTabularInline(ServiceInline, admin.TabularInline):
    pass


class ServiceStackedInline(ServiceInline, admin.StackedInline):
    pass


# --- Read-only and audited admins -----------------------------------------------------------


class ReadOnlyAdminMixin:
    """For rows that services compute or record (screenings, bids, invitations): admins
    look, they do not edit."""

    def has_add_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return False


class ReadOnlyInlineMixin(ReadOnlyAdminMixin):
    """A read-only inline; list its columns in `fields`."""

    def get_readonly_fields(self, request: HttpRequest, obj: models.Model | None = None) -> Any:
        return getattr(self, "fields", None) or ()


class ReadOnlyTabularInline(ReadOnlyInlineMixin, admin.TabularInline):
    extra = 0
    show_change_link = True


class AuditedHistoryAdmin(SimpleHistoryAdmin):
    """Shows who changed what and when. Reverting to an old version is off: it would write
    around the services (and their hooks)."""

    def revert_disabled(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return True

    def history_form_view(
        self,
        request: HttpRequest,
        object_id: str,
        version_id: str,
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        if request.method == "POST":
            raise PermissionDenied("Old versions can be viewed, not restored.")
        return super().history_form_view(request, object_id, version_id, extra_context)


# --- Actions ---------------------------------------------------------------------------------


def apply_each(
    model_admin: admin.ModelAdmin[Any],
    request: HttpRequest,
    objects: Iterable[M],
    operation: Callable[[M], object],
    *,
    done: str,
) -> int:
    """Runs a service per object, each in its own transaction, and reports every success
    and every refusal. `done` is formatted with `obj`. Returns how many succeeded."""
    succeeded = 0
    for obj in objects:
        try:
            operation(obj)
        except DomainError as error:
            model_admin.message_user(request, f"{obj}: {error.message}", messages.ERROR)
        else:
            succeeded += 1
            model_admin.message_user(request, done.format(obj=obj), messages.SUCCESS)
    return succeeded


class ReasonForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4, "cols": 80}),
        help_text="Kept with the change history.",
    )


def action_with_reason(
    model_admin: admin.ModelAdmin[Any],
    request: HttpRequest,
    queryset: models.QuerySet[M],
    *,
    action: str,
    title: str,
    intro: str,
    submit_label: str,
    operation: Callable[[M, str], object],
    done: str,
) -> TemplateResponse | None:
    """An admin action that first asks for a reason on an intermediate page, then runs
    `operation(obj, reason)` for each selected object."""
    form = ReasonForm(request.POST if "apply" in request.POST else None)
    if form.is_bound and form.is_valid():
        reason = form.cleaned_data["reason"]
        apply_each(model_admin, request, queryset, lambda obj: operation(obj, reason), done=done)
        return None
    opts = model_admin.model._meta
    request.current_app = model_admin.admin_site.name
    context = {
        **model_admin.admin_site.each_context(request),
        "title": title,
        "intro": intro,
        "submit_label": submit_label,
        "opts": opts,
        "objects": list(queryset),
        "form": form,
        "action": action,
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        "media": model_admin.media,
    }
    return TemplateResponse(
        request,
        [
            f"admin/{opts.app_label}/{opts.model_name}/action_with_reason.html",
            "admin/action_with_reason.html",
        ],
        context,
    )


# --- Display helpers -------------------------------------------------------------------------


def admin_link(obj: models.Model | None, text: str | None = None) -> SafeString | str:
    """A link to the object's admin change page, or its name when it has none."""
    if obj is None:
        return "-"
    opts = obj._meta
    try:
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
    except NoReverseMatch:
        return text or str(obj)
    return format_html('<a href="{}">{}</a>', url, text or str(obj))


def pretty_json(value: object) -> SafeString:
    text = json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False, default=str)
    return format_html('<pre style="white-space: pre-wrap; margin: 0">{}</pre>', text)


# --- Vocabularies ---------------------------------------------------------------------------


class VocabularyAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "is_active"]
    list_editable = ("is_active",)
    list_filter = ["is_active"]
    search_fields = ("name", "code")
    prepopulated_fields = {"code": ("name",)}


@admin.register(Domain)
class DomainAdmin(VocabularyAdmin):
    fields = ("name", "code", "description", "is_active")


@admin.register(AttestationKind)
class AttestationKindAdmin(VocabularyAdmin):
    fields = ("name", "code", "description", "is_active")


@admin.register(CredentialField)
class CredentialFieldAdmin(VocabularyAdmin):
    fields = ("name", "code", "is_active")


@admin.register(QualificationLevel)
class QualificationLevelAdmin(VocabularyAdmin):
    list_display = ["name", "code", "kind", "ladder", "rank", "is_active"]
    list_filter = ["kind", "ladder", "is_active"]
    fields = ("name", "code", "kind", "ladder", "rank", "is_active")
    ordering = ("ladder", "rank")


# --- Background work ------------------------------------------------------------------------


@admin.register(FormSubmission)
class FormSubmissionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Browser form submissions kept for a day so a repeated post acts once: for
    looking into a report of a form that "did nothing"."""

    list_display = ("token", "user_id", "redirect_url", "created_at")
    search_fields = ("token", "redirect_url")
    date_hierarchy = "created_at"


@admin.register(TaskFailure)
class TaskFailureAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Tasks that failed for good. Each row is what was given up on; the work's own state
    row (a screening, a job's matching, an import) says failed too, and its reconciler or
    a person starts it again."""

    list_display = ["failed_at", "task_name", "task_id", "retries", "exception_summary"]
    list_filter = ["task_name"]
    search_fields = ("task_name", "task_id", "exception")
    date_hierarchy = "failed_at"
    fields = (
        "task_name",
        "task_id",
        "failed_at",
        "retries",
        "arguments",
        "keyword_arguments",
        "exception",
        "traceback_text",
    )
    readonly_fields = fields

    @admin.display(description="Exception")
    def exception_summary(self, obj: TaskFailure) -> str:
        return obj.exception if len(obj.exception) <= 120 else obj.exception[:119] + "…"

    @admin.display(description="Args")
    def arguments(self, obj: TaskFailure) -> SafeString:
        return pretty_json(obj.args)

    @admin.display(description="Kwargs")
    def keyword_arguments(self, obj: TaskFailure) -> SafeString:
        return pretty_json(obj.kwargs)

    @admin.display(description="Traceback")
    def traceback_text(self, obj: TaskFailure) -> SafeString:
        return format_html('<pre style="white-space: pre-wrap; margin: 0">{}</pre>', obj.traceback)
