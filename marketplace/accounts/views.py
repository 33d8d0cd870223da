"""Browser pages for the signed-in person: switching organisation and the team page.
Signing in, out and password resets are Django's own views (urls.py), so anything that
hooks Django's authentication (login throttling) sees every attempt."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.contrib.auth.views import LogoutView
from django.core.exceptions import PermissionDenied
from django.forms import BaseForm
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.views import View
from django.views.generic import FormView

from marketplace.accounts.forms import (
    MemberInviteForm,
    MemberRoleForm,
    OrganisationSwitchForm,
)
from marketplace.accounts.models import Membership, User
from marketplace.accounts.permissions import can_manage_team
from marketplace.accounts.selectors import (
    membership_get_for_organisation,
    membership_list_for_organisation,
)
from marketplace.accounts.services import (
    membership_invite,
    membership_remove,
    membership_role_change,
)
from marketplace.core.errors import DomainError, NotFound
from marketplace.core.web import (
    OrganisationViewMixin,
    SubmitOnceMixin,
    add_domain_error,
    organisation_switch,
    submit_once,
)


def _member_name(membership: Membership) -> str:
    return membership.user.full_name or membership.user.email


class SignOutView(LogoutView):
    """Django's sign-out (POST only), confirming on the sign-in page that it happened."""

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = super().post(request, *args, **kwargs)
        messages.info(request, "You have signed out.")
        return response


class OrganisationSwitchView(LoginRequiredMixin, View):
    """Makes another of the user's organisations the one they work in."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest) -> HttpResponse:
        form = OrganisationSwitchForm(request.POST)
        if not form.is_valid():
            raise Http404("No such organisation.")
        membership = organisation_switch(request, organisation_id=form.cleaned_data["organisation"])
        messages.success(request, f"You are now working in {membership.organisation.name}.")
        return redirect("home")


class TeamPageMixin(OrganisationViewMixin):
    """The team page, for any member; owners also get the forms that change the team."""

    request: HttpRequest

    @property
    def user(self) -> User:
        assert isinstance(self.request.user, User)
        return self.request.user

    def check_can_manage(self) -> None:
        """Refuses non-owners before any form is read; the services refuse them too."""
        if not can_manage_team(self.user, self.organisation):
            raise PermissionDenied("Only an owner may change the team.")

    def member(self, membership_id: int) -> Membership:
        try:
            return membership_get_for_organisation(
                organisation=self.organisation, membership_id=membership_id
            )
        except NotFound as exc:
            raise Http404(exc.message) from exc

    def team_context(
        self,
        *,
        invite_form: BaseForm | None = None,
        failed_role_form: tuple[int, BaseForm] | None = None,
    ) -> dict[str, Any]:
        can_manage = can_manage_team(self.user, self.organisation)
        rows = []
        for membership in membership_list_for_organisation(organisation=self.organisation):
            role_form: BaseForm | None = None
            if can_manage:
                if failed_role_form and failed_role_form[0] == membership.pk:
                    role_form = failed_role_form[1]
                else:
                    role_form = MemberRoleForm(
                        organisation=self.organisation,
                        initial={"role": membership.role},
                        auto_id=f"id_member_{membership.pk}_%s",
                    )
            rows.append(
                {
                    "membership": membership,
                    "name": _member_name(membership),
                    "is_you": membership.user_id == self.user.pk,
                    "pending": not membership.user.has_usable_password(),
                    "role_form": role_form,
                }
            )
        if can_manage and invite_form is None:
            invite_form = MemberInviteForm(organisation=self.organisation)
        return {
            "nav": "team",
            "organisation": self.organisation,
            "membership": self.membership,
            "rows": rows,
            "can_manage_team": can_manage,
            "invite_form": invite_form if can_manage else None,
        }


class TeamView(TeamPageMixin, SubmitOnceMixin, FormView):
    """Lists the organisation's members; an owner invites new ones here (POST)."""

    template_name = "accounts/team.html"
    form_class = MemberInviteForm

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_form_kwargs()
        kwargs["organisation"] = self.organisation
        return kwargs

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return TemplateResponse(request, self.template_name, self.team_context())

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.check_can_manage()
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form: BaseForm) -> HttpResponse:
        return TemplateResponse(
            self.request, self.template_name, self.team_context(invite_form=form)
        )

    def act(self, form: BaseForm) -> HttpResponse:
        data = form.cleaned_data
        try:
            membership = membership_invite(
                organisation=self.organisation,
                email=data["email"],
                role=data["role"],
                full_name=data["full_name"],
                invited_by=self.user,
                base_url=self.request.build_absolute_uri("/"),
            )
        except DomainError as exc:
            add_domain_error(form, exc)
            return self.form_invalid(form)
        messages.success(
            self.request,
            f"{membership.user.email} was added as {membership.get_role_display()} "
            "and told by e-mail.",
        )
        return redirect("accounts:team")


class MemberRoleView(TeamPageMixin, View):
    """An owner changes one member's role (POST from that member's row)."""

    http_method_names = ["post"]
    template_name = "accounts/team.html"

    def post(self, request: HttpRequest, membership_id: int) -> HttpResponse:
        self.check_can_manage()
        membership = self.member(membership_id)
        form = MemberRoleForm(
            request.POST, organisation=self.organisation, auto_id=f"id_member_{membership.pk}_%s"
        )
        if not form.is_valid():
            return self.failed(membership, form)

        def act() -> HttpResponse:
            try:
                changed = membership_role_change(
                    membership=membership, role=form.cleaned_data["role"], changed_by=self.user
                )
            except DomainError as exc:
                add_domain_error(form, exc)
                return self.failed(membership, form)
            messages.success(
                request, f"{_member_name(changed)} is now {changed.get_role_display()}."
            )
            return redirect("accounts:team")

        return submit_once(request, act)

    def failed(self, membership: Membership, form: BaseForm) -> HttpResponse:
        return TemplateResponse(
            self.request,
            self.template_name,
            self.team_context(failed_role_form=(membership.pk, form)),
        )


class MemberRemoveView(TeamPageMixin, View):
    """Asks an owner to confirm, then removes the member from the organisation."""

    http_method_names = ["get", "post"]
    template_name = "accounts/member_remove.html"

    def setup_organisation(self) -> None:
        super().setup_organisation()
        # Owners only, even to look: the services refuse anyone else as well.
        self.check_can_manage()

    def get(self, request: HttpRequest, membership_id: int) -> HttpResponse:
        return self.confirmation(self.member(membership_id), forms.Form())

    def post(self, request: HttpRequest, membership_id: int) -> HttpResponse:
        def act() -> HttpResponse:
            # Looked up inside: a repeat of a post that already removed the member goes
            # where the first went instead of finding nobody.
            target = self.member(membership_id)
            form = forms.Form(request.POST)
            try:
                membership_remove(membership=target, removed_by=self.user)
            except DomainError as exc:
                add_domain_error(form, exc)
                return self.confirmation(target, form)
            if target.user_id == self.user.pk:
                messages.success(request, f"You have left {self.organisation.name}.")
                return redirect("home")
            messages.success(
                request, f"{_member_name(target)} was removed from {self.organisation.name}."
            )
            return redirect("accounts:team")

        return submit_once(request, act)

    def confirmation(self, target: Membership, form: BaseForm) -> HttpResponse:
        context = {
            "nav": "team",
            "organisation": self.organisation,
            "membership": self.membership,
            "form": form,
            "target": target,
            "target_name": _member_name(target),
            "is_you": target.user_id == self.user.pk,
        }
        return TemplateResponse(self.request, self.template_name, context)
