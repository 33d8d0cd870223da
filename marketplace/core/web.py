"""The base every browser view builds on: the signed-in user's current organisation,
resolved once per request, kind checks, domain errors shown next to form fields, and
forms that act once however many times they are posted.

Scoping happens here, once (DESIGN section 7, STYLE point 3): `dispatch()` sets
`self.membership`, `self.organisation` and `self.lab` or `self.vendor`, and views read
data only through selectors given them. A page of the other kind, or of an organisation
the user does not belong to, answers 404 like a missing one.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.forms import BaseForm
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.utils import timezone

from marketplace.accounts.models import Membership, User
from marketplace.core.errors import DomainError, NotFound
from marketplace.core.models import FormSubmission

SESSION_ORGANISATION = "organisation_id"
FORM_TOKEN_FIELD = "form_token"
# How long a repeat waits for the first submission of the same form to finish.
DUPLICATE_WAIT_SECONDS = 5.0
FORM_SUBMISSION_TTL = timedelta(days=1)


def signed_in_user(request: HttpRequest) -> User:
    """The user of a request the sign-in check has let through."""
    if not isinstance(request.user, User):
        raise PermissionDenied
    return request.user


def current_membership(request: HttpRequest) -> Membership | None:
    """The membership the user acts through: the one chosen in the session, else their
    first (by organisation name). Cached on the request."""
    if hasattr(request, "_membership"):
        return request._membership  # type: ignore[no-any-return]
    membership = None
    user = request.user
    if user.is_authenticated:
        memberships = Membership.objects.filter(
            user=user, organisation__is_active=True
        ).select_related("organisation")
        chosen = request.session.get(SESSION_ORGANISATION)
        if chosen is not None:
            membership = memberships.filter(organisation_id=chosen).first()
        if membership is None:
            membership = memberships.first()
    request._membership = membership  # type: ignore[attr-defined]
    return membership


def organisation_switch(request: HttpRequest, *, organisation_id: int) -> Membership:
    """Makes `organisation_id` the user's current organisation; 404 unless a member."""
    membership = (
        Membership.objects.filter(
            user=signed_in_user(request),
            organisation_id=organisation_id,
            organisation__is_active=True,
        )
        .select_related("organisation")
        .first()
    )
    if membership is None:
        raise Http404("No such organisation.")
    request.session[SESSION_ORGANISATION] = membership.organisation_id
    request._membership = membership  # type: ignore[attr-defined]
    return membership


class OrganisationViewMixin(LoginRequiredMixin):
    """Base of every tenant page. Subclasses set `organisation_kind` ("lab"/"vendor")."""

    organisation_kind: str | None = None

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        membership = current_membership(request)
        if membership is None:
            raise Http404("You are not a member of any organisation.")
        if self.organisation_kind and membership.organisation.kind != self.organisation_kind:
            raise Http404(f"This page is for {self.organisation_kind}s.")
        self.membership = membership
        self.organisation = membership.organisation
        try:
            self.setup_organisation()
            return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]
        except NotFound as exc:
            # A selector's "no such object" (missing, or another organisation's) is a 404.
            raise Http404(exc.message) from exc

    def setup_organisation(self) -> None:
        """Hook for kind-specific attributes (self.lab, self.vendor)."""

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)  # type: ignore[misc]
        context.setdefault("organisation", self.organisation)
        context.setdefault("membership", self.membership)
        return context  # type: ignore[no-any-return]


class LabViewMixin(OrganisationViewMixin):
    organisation_kind = "lab"

    def setup_organisation(self) -> None:
        self.lab = self.organisation.lab  # type: ignore[attr-defined]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        kwargs.setdefault("lab", self.lab)
        return super().get_context_data(**kwargs)


class VendorViewMixin(OrganisationViewMixin):
    organisation_kind = "vendor"

    def setup_organisation(self) -> None:
        self.vendor = self.organisation.vendor  # type: ignore[attr-defined]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        kwargs.setdefault("vendor", self.vendor)
        return super().get_context_data(**kwargs)


def add_domain_error(form: BaseForm, exc: DomainError) -> None:
    """Shows a refused service call next to the field it concerns (or above the form).
    A field the form does not have goes above the form too."""
    field = exc.field if exc.field in form.fields else None
    form.add_error(field, exc.message)


# --- Acting once ------------------------------------------------------------------------


def new_form_token() -> str:
    return str(uuid.uuid4())


def _parse_token(raw: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(raw))
    except (TypeError, ValueError):
        return None


def submit_once(request: HttpRequest, act: Callable[[], HttpResponse]) -> HttpResponse:
    """Runs `act` once per form token. `act` returns a redirect on success (remembered,
    so a repeat of the same post goes where the first went) or a re-rendered form
    (the token is released, so the corrected form can be sent again). Posts without a
    token act normally: scripts and old pages keep working, the database constraints
    still hold."""
    token = _parse_token(request.POST.get(FORM_TOKEN_FIELD))
    if token is None or not request.user.is_authenticated:
        return act()
    try:
        with transaction.atomic():
            claim = FormSubmission.objects.create(token=token, user_id=request.user.pk)
    except IntegrityError:
        return _repeat_of(request, token)
    try:
        response = act()
    except BaseException:
        FormSubmission.objects.filter(pk=claim.pk).delete()
        raise
    if isinstance(response, HttpResponseRedirect):
        FormSubmission.objects.filter(pk=claim.pk).update(redirect_url=response.url[:500])
    else:
        FormSubmission.objects.filter(pk=claim.pk).delete()
    return response


def _repeat_of(request: HttpRequest, token: uuid.UUID) -> HttpResponse:
    deadline = time.monotonic() + DUPLICATE_WAIT_SECONDS
    while True:
        first = FormSubmission.objects.filter(
            token=token, user_id=signed_in_user(request).pk
        ).first()
        if first is None:
            # Another user's token, or the first attempt failed and let go of it.
            return redirect(request.path)
        if first.redirect_url:
            return redirect(first.redirect_url)
        if time.monotonic() > deadline:
            return redirect(request.path)
        time.sleep(0.1)


def form_submission_purge() -> int:
    cutoff = timezone.now() - FORM_SUBMISSION_TTL
    deleted, _ = FormSubmission.objects.filter(created_at__lt=cutoff).delete()
    return deleted


class SubmitOnceMixin:
    """For FormView-style views whose template puts `{% form_token %}` in the form:
    runs `form_valid` through `submit_once`."""

    def form_valid(self, form: BaseForm) -> HttpResponse:
        return submit_once(self.request, lambda: self.act(form))  # type: ignore[attr-defined]

    def act(self, form: BaseForm) -> HttpResponse:
        """Calls the service; on DomainError use add_domain_error and form_invalid."""
        raise NotImplementedError
