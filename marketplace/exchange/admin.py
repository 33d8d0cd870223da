"""Admin for where labs and vendors meet. Everything here is made by the services (matching,
bidding, screening, awarding), so admins look rather than edit; the one write is the
audited screening override, which goes through `screening_override`."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib import admin
from django.db import models
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from marketplace.accounts.admin import ByOrganisationFilter, acting_admin
from marketplace.core.admin import (
    AuditedHistoryAdmin,
    ReadOnlyAdminMixin,
    ReadOnlyTabularInline,
    action_with_reason,
    admin_link,
    pretty_json,
)
from marketplace.exchange.models import (
    Award,
    Bid,
    BidRevision,
    Contract,
    Invitation,
    Notification,
    Question,
    Screening,
    Verdict,
)
from marketplace.exchange.permissions import can_override_screening
from marketplace.exchange.services import screening_override

# --- Rendering screening evidence -------------------------------------------------------------


def _percent(value: object) -> str:
    """A share as people read it: 49 -> "49%", [20, 49] -> "20-49%", None -> "?"."""
    if isinstance(value, dict):
        low = value.get("min", value.get("low", value.get("lower")))
        high = value.get("max", value.get("high", value.get("upper")))
        if low is None and high is None and "exact" in value:
            return _percent(value["exact"])
        return _percent([low, high])
    if isinstance(value, list | tuple) and len(value) == 2:
        low, high = (_number(v) for v in value)
        if low == high:
            return f"{low}%"
        return f"{low}-{high}%"
    if value is None or value == "":
        return "?"
    text = _number(value)
    return text if text.endswith("%") else f"{text}%"


def _number(value: object) -> str:
    if value is None:
        return "?"
    try:
        number = Decimal(str(value).rstrip("%").strip())
    except (InvalidOperation, ValueError):
        return str(value)
    text = f"{number.normalize():f}"
    return text


def _hop_name(hop: object) -> str:
    if isinstance(hop, dict):
        return str(hop.get("name") or hop.get("entity") or hop.get("record_id") or "?")
    return str(hop)


def path_text(path: object) -> str:
    """One ownership path as a sentence: "Rival Corp → 49% → Holdco → 60% → Vendor X".

    Accepts a list of hops, or a dict holding one under "hops". A hop is a dict with
    "name" and "share". When the first hop carries no share, each hop's share is the
    stake held in it by the hop before (node style); otherwise each hop's share is the
    stake it holds in the next one (edge style)."""
    hops = path.get("hops") if isinstance(path, dict) else path
    if not isinstance(hops, list) or not hops:
        return str(path)
    shares = [hop.get("share") if isinstance(hop, dict) else None for hop in hops]
    edge_style = shares[0] is not None
    parts = [_hop_name(hops[0])]
    for index in range(1, len(hops)):
        share = shares[index - 1] if edge_style else shares[index]
        parts += [_percent(share), _hop_name(hops[index])]
    text = " → ".join(parts)
    if isinstance(path, dict):
        extras = [str(path[key]) for key in ("kind", "interest", "note") if path.get(key)]
        if extras:
            text += f" ({', '.join(extras)})"
    return text


def evidence_paths(evidence: object) -> list[str]:
    if not isinstance(evidence, dict):
        return []
    paths = evidence.get("paths")
    if not isinstance(paths, list):
        return []
    return [path_text(path) for path in paths]


def _html_list(items: Iterable[str]) -> SafeString | str:
    items = list(items)
    if not items:
        return "-"
    return format_html("<ul>{}</ul>", format_html_join("", "<li>{}</li>", ((i,) for i in items)))


# --- Screenings -----------------------------------------------------------------------------


@admin.register(Screening)
class ScreeningAdmin(ReadOnlyAdminMixin, AuditedHistoryAdmin):
    """Screenings are computed; the one decision an admin takes is an audited override."""

    list_display = (
        "lab",
        "target",
        "verdict",
        "computed_verdict",
        "state",
        "as_of",
        "ownership_version",
        "computed_at",
        "overridden_by",
    )
    list_filter = (
        "verdict",
        "computed_verdict",
        "state",
        ("lab", ByOrganisationFilter),
        ("bid", admin.EmptyFieldListFilter),
    )
    search_fields = (
        "lab__organisation__name",
        "vendor__organisation__name",
        "bid__job__title",
        "override_reason",
    )
    list_select_related = ("lab__organisation", "vendor__organisation", "overridden_by", "bid__job")
    date_hierarchy = "requested_at"
    actions = ("override_selected",)
    fieldsets = (
        (None, {"fields": ("lab", "vendor", "bid", "verdict", "computed_verdict")}),
        (
            "Why",
            {
                "fields": (
                    "paths",
                    "evidence_readable",
                    "policy_readable",
                    "as_of",
                    "ownership_version",
                )
            },
        ),
        ("Override", {"fields": ("override_reason", "overridden_by", "overridden_at")}),
        (
            "Work",
            {
                "fields": ("state", "requested_at", "computed_at", "attempts", "last_error"),
                "classes": ("collapse",),
            },
        ),
    )
    readonly_fields = ("paths", "evidence_readable", "policy_readable")

    @admin.display(description="Vendor or bid", ordering="vendor__organisation__name")
    def target(self, obj: Screening) -> str:
        return f"{obj.vendor} (bid on {obj.bid.job})" if obj.bid is not None else str(obj.vendor)

    @admin.display(description="Ownership paths")
    def paths(self, obj: Screening) -> SafeString | str:
        return _html_list(evidence_paths(obj.evidence))

    @admin.display(description="Evidence")
    def evidence_readable(self, obj: Screening) -> SafeString | str:
        return pretty_json(obj.evidence) if obj.evidence else "-"

    @admin.display(description="Policy used")
    def policy_readable(self, obj: Screening) -> SafeString | str:
        return pretty_json(obj.policy) if obj.policy else "-"

    def has_override_permission(self, request: HttpRequest) -> bool:
        return can_override_screening(request.user)  # type: ignore[arg-type]

    @admin.action(description="Override selected screenings…", permissions=["override"])
    def override_selected(
        self, request: HttpRequest, queryset: models.QuerySet[Screening]
    ) -> TemplateResponse | None:
        return action_with_reason(
            self,
            request,
            queryset.select_related("lab__organisation", "vendor__organisation"),
            action="override_selected",
            title="Override screenings",
            intro=(
                f"These screenings will read "
                f"“{Verdict.CLEARED_BY_OVERRIDE.label.lower()}”. The reason, your name and "
                "the time are kept in each screening's history."
            ),
            submit_label="Override",
            operation=lambda screening, reason: screening_override(
                screening=screening, user=acting_admin(request), reason=reason
            ),
            done="Overrode {obj}.",
        )


# --- Bids -------------------------------------------------------------------------------------


class BidRevisionInline(ReadOnlyTabularInline):
    model = BidRevision
    fields = (
        "number",
        "price",
        "currency",
        "timeline_days",
        "note",
        "specialist_ids",
        "created_by",
        "created_at",
    )
    show_change_link = False

    def get_queryset(self, request: HttpRequest) -> models.QuerySet[BidRevision]:
        return super().get_queryset(request).select_related("created_by")


@admin.register(Bid)
class BidAdmin(ReadOnlyAdminMixin, AuditedHistoryAdmin):
    """Bids are placed, revised and withdrawn by vendors and decided by labs."""

    list_display = (
        "job",
        "vendor",
        "status",
        "price",
        "currency",
        "timeline_days",
        "revision_number",
        "submitted_at",
    )
    list_filter = ("status", "currency", ("job__lab", ByOrganisationFilter))
    search_fields = ("job__title", "vendor__organisation__name", "note")
    list_select_related = ("job", "vendor__organisation")
    date_hierarchy = "submitted_at"
    inlines = (BidRevisionInline,)
    fieldsets = (
        (None, {"fields": ("job", "vendor", "status", "screening_verdict")}),
        (
            "Terms",
            {
                "fields": (
                    "price",
                    "currency",
                    "timeline_days",
                    "note",
                    "specialists",
                    "revision_number",
                )
            },
        ),
        (
            "History",
            {
                "fields": (
                    "created_by",
                    "created_at",
                    "submitted_at",
                    "withdrawn_at",
                    "decided_at",
                    "decision_reason",
                )
            },
        ),
    )
    readonly_fields = ("specialists", "screening_verdict")

    def get_queryset(self, request: HttpRequest) -> models.QuerySet[Bid]:
        return super().get_queryset(request).select_related("job", "vendor__organisation")

    @admin.display(description="Proposed specialists")
    def specialists(self, obj: Bid) -> SafeString | str:
        return _html_list(admin_link(specialist) for specialist in obj.proposed_specialists.all())

    @admin.display(description="Screening")
    def screening_verdict(self, obj: Bid) -> SafeString | str:
        try:
            screening = obj.screening
        except Screening.DoesNotExist:
            return "-"
        return admin_link(screening, screening.get_verdict_display() or "pending")


@admin.register(BidRevision)
class BidRevisionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "bid",
        "number",
        "price",
        "currency",
        "timeline_days",
        "created_by",
        "created_at",
    )
    search_fields = ("bid__job__title", "bid__vendor__organisation__name")
    list_select_related = ("bid__job", "bid__vendor__organisation", "created_by")
    date_hierarchy = "created_at"


# --- Awards and contracts -------------------------------------------------------------------


class ContractInline(ReadOnlyTabularInline):
    model = Contract
    fk_name = "award"
    fields = (
        "vendor",
        "bid",
        "share_percent",
        "value",
        "currency",
        "status",
        "delivered_on",
        "on_time",
        "rating",
    )

    def get_queryset(self, request: HttpRequest) -> models.QuerySet[Contract]:
        return (
            super()
            .get_queryset(request)
            .select_related(
                "vendor__organisation", "bid__job", "bid__vendor__organisation", "award__job"
            )
        )


@admin.register(Award)
class AwardAdmin(ReadOnlyAdminMixin, AuditedHistoryAdmin):
    list_display = ("job", "lab", "awarded_by", "awarded_at")
    search_fields = ("job__title", "job__lab__organisation__name")
    list_filter = (("job__lab", ByOrganisationFilter),)
    list_select_related = ("job__lab__organisation", "awarded_by")
    date_hierarchy = "awarded_at"
    inlines = (ContractInline,)
    fields = ("job", "lab", "awarded_by", "awarded_at", "note")
    readonly_fields = ("lab",)

    @admin.display(description="Lab", ordering="job__lab__organisation__name")
    def lab(self, obj: Award) -> Any:
        return obj.job.lab


@admin.register(Contract)
class ContractAdmin(ReadOnlyAdminMixin, AuditedHistoryAdmin):
    list_display = (
        "award",
        "vendor",
        "lab",
        "share_percent",
        "value",
        "currency",
        "status",
        "delivered_on",
        "on_time",
        "rating",
    )
    list_filter = ("status", "on_time", "rating", ("lab", ByOrganisationFilter))
    search_fields = ("award__job__title", "vendor__organisation__name", "lab__organisation__name")
    list_select_related = ("award__job", "vendor__organisation", "lab__organisation")
    date_hierarchy = "completed_at"


# --- Matching, questions and notifications ------------------------------------------------


@admin.register(Invitation)
class InvitationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("job", "vendor", "rank", "score", "created_at")
    list_filter = (("job__lab", ByOrganisationFilter),)
    search_fields = ("job__title", "vendor__organisation__name")
    list_select_related = ("job", "vendor__organisation")
    date_hierarchy = "created_at"
    fields = ("job", "vendor", "rank", "score", "reasons_readable", "created_at")
    readonly_fields = ("reasons_readable",)

    @admin.display(description="Reasons")
    def reasons_readable(self, obj: Invitation) -> SafeString | str:
        reasons = obj.reasons if isinstance(obj.reasons, list) else [obj.reasons]
        return _html_list(str(reason) for reason in reasons)


class AnsweredFilter(admin.SimpleListFilter):
    title = "answered"
    parameter_name = "answered"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [("yes", "Answered"), ("no", "Waiting for an answer")]

    def queryset(self, request: HttpRequest, queryset: models.QuerySet[Question]) -> Any:
        if self.value() in ("yes", "no"):
            return queryset.filter(answered_at__isnull=self.value() == "no")
        return queryset


@admin.register(Question)
class QuestionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Admins may see who asked; labs and other vendors never do."""

    list_display = ("__str__", "job", "asked_by_vendor", "asked_by", "asked_at", "answered_at")
    list_filter = (AnsweredFilter, ("job__lab", ByOrganisationFilter))
    search_fields = ("body", "answer", "job__title", "asked_by_vendor__organisation__name")
    list_select_related = ("job", "asked_by_vendor__organisation", "asked_by")
    date_hierarchy = "asked_at"

    def has_delete_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        # An abusive question may be removed.
        return admin.ModelAdmin.has_delete_permission(self, request, obj)


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "title",
        "recipient",
        "organisation",
        "kind",
        "created_at",
        "read_at",
        "emailed_at",
    )
    list_filter = (
        "kind",
        ("read_at", admin.EmptyFieldListFilter),
        ("emailed_at", admin.EmptyFieldListFilter),
    )
    search_fields = ("title", "body", "recipient__email", "organisation__name", "dedupe_key")
    list_select_related = ("recipient", "organisation")
    date_hierarchy = "created_at"
