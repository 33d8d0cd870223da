"""The lab's own settings in the browser: the competitors it screens vendors against and
its conflict policy. Every change re-screens the lab's vendors (labs.services)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.forms import BaseForm
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.views import View
from django.views.generic import FormView
from django_htmx.middleware import HtmxDetails

from labs.forms import CompetitorAddForm, CompetitorSearchForm, ConflictPolicyForm
from labs.permissions import can_manage_competitors, can_manage_policy
from labs.selectors import (
    competitor_candidate_list,
    competitor_get_for_lab,
    competitor_list_for_lab,
    conflict_policy_get_for_lab,
)
from labs.services import competitor_declare, competitor_remove, conflict_policy_update
from marketplace.accounts.models import User
from marketplace.core.errors import DomainError, NotFound
from marketplace.core.web import LabViewMixin, SubmitOnceMixin, add_domain_error, submit_once

RESCREEN_NOTE = "Your vendors are being screened again."


class LabSettingsMixin(LabViewMixin):
    request: HttpRequest

    @property
    def user(self) -> User:
        assert isinstance(self.request.user, User)
        return self.request.user


class CompetitorPageMixin(LabSettingsMixin):
    template_name = "labs/competitors.html"

    def competitors_context(self, *, add_form: BaseForm | None = None) -> dict[str, Any]:
        search = CompetitorSearchForm(self.request.GET or None)
        query = search.cleaned_data["q"] if search.is_valid() else ""
        may_manage = can_manage_competitors(self.user, self.lab)
        return {
            "nav": "competitors",
            "lab": self.lab,
            "organisation": self.organisation,
            "competitors": competitor_list_for_lab(lab=self.lab),
            "can_manage": may_manage,
            "search_form": search,
            "query": query,
            "candidates": (
                list(competitor_candidate_list(lab=self.lab, query=query))
                if query and may_manage
                else []
            ),
            "add_form": add_form or CompetitorAddForm(initial={"name": query}),
        }

    def render_page(self, **kwargs: Any) -> HttpResponse:
        return TemplateResponse(
            self.request, self.template_name, self.competitors_context(**kwargs)
        )


class CompetitorListView(CompetitorPageMixin, View):
    """lab:competitors: the lab's competitors; owners and procurement search the ownership
    graph for an entity to add, or add a new one."""

    def get(self, request: HttpRequest) -> HttpResponse:
        context = self.competitors_context()
        htmx: HtmxDetails = request.htmx  # type: ignore[attr-defined]
        if htmx and htmx.target == "entity-results":
            return TemplateResponse(request, "labs/competitor_results.html", context)
        return TemplateResponse(request, self.template_name, context)


class CompetitorAddView(CompetitorPageMixin, View):
    """lab:competitor_add (POST): names an existing entity or a new one as a rival."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest) -> HttpResponse:
        if not can_manage_competitors(self.user, self.lab):
            raise PermissionDenied("Only the lab's owner or procurement may change competitors.")
        form = CompetitorAddForm(request.POST)
        if not form.is_valid():
            return self.render_page(add_form=form)

        def act() -> HttpResponse:
            data = form.cleaned_data
            try:
                competitor = competitor_declare(
                    lab=self.lab,
                    user=self.user,
                    entity_record_id=data["record_id"],
                    entity_name=data["name"],
                    note=data["note"],
                )
            except DomainError as exc:
                add_domain_error(form, exc)
                return self.render_page(add_form=form)
            messages.success(
                request, f"{competitor.entity.name} is now one of your competitors. {RESCREEN_NOTE}"
            )
            return redirect("lab:competitors")

        return submit_once(request, act)


class CompetitorRemoveView(LabSettingsMixin, View):
    """lab:competitor_remove (POST): stops screening vendors against this rival."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, competitor_id: int) -> HttpResponse:
        if not can_manage_competitors(self.user, self.lab):
            raise PermissionDenied("Only the lab's owner or procurement may change competitors.")
        try:
            competitor = competitor_get_for_lab(lab=self.lab, competitor_id=competitor_id)
        except NotFound as exc:
            raise Http404(exc.message) from exc

        def act() -> HttpResponse:
            try:
                competitor_remove(competitor=competitor, user=self.user)
            except DomainError as exc:
                messages.error(request, exc.message)
                return redirect("lab:competitors")
            messages.success(
                request, f"{competitor.entity.name} is no longer a competitor. {RESCREEN_NOTE}"
            )
            return redirect("lab:competitors")

        return submit_once(request, act)


class PolicyView(LabSettingsMixin, SubmitOnceMixin, FormView):
    """lab:policy: the conflict policy's thresholds; only the lab's owner changes them."""

    template_name = "labs/policy.html"
    form_class = ConflictPolicyForm

    def setup_organisation(self) -> None:
        super().setup_organisation()
        self.policy = conflict_policy_get_for_lab(lab=self.lab)

    def get_initial(self) -> dict[str, Any]:
        return {
            "block_percent": f"{self.policy.block_percent.normalize():f}",
            "review_percent": f"{self.policy.review_percent.normalize():f}",
            "lookback_months": self.policy.lookback_months,
        }

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(
            nav="competitors",
            policy=self.policy,
            can_manage=can_manage_policy(self.user, self.lab),
            **kwargs,
        )

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not can_manage_policy(self.user, self.lab):
            raise PermissionDenied("Only the lab's owner may change its conflict policy.")
        return super().post(request, *args, **kwargs)

    def act(self, form: BaseForm) -> HttpResponse:
        try:
            conflict_policy_update(lab=self.lab, user=self.user, **form.cleaned_data)
        except DomainError as exc:
            add_domain_error(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, f"Your conflict policy is saved. {RESCREEN_NOTE}")
        return redirect("lab:policy")
