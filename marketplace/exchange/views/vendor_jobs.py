"""The vendor's pages for finding jobs and bidding: the dashboard, open jobs with their
questions and answers, and the vendor's own bids with their revisions.

Reads go through selectors scoped to `self.vendor`; writes through the exchange services,
whose refusals (deadline passed, wrong currency, not the vendor's roster...) are shown
next to the field they concern. No vendor ever sees another vendor's bid."""

from __future__ import annotations

from functools import cached_property
from typing import Any, cast

from django.contrib import messages
from django.forms import BaseForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.views.generic import FormView, ListView, TemplateView

from labs.models import Job
from marketplace.accounts.models import User
from marketplace.core.errors import DomainError
from marketplace.core.web import SubmitOnceMixin, VendorViewMixin, add_domain_error, submit_once
from marketplace.exchange import selectors
from marketplace.exchange.forms.vendor_jobs import (
    BidForm,
    BidWithdrawForm,
    JobFilterForm,
    QuestionAskForm,
)
from marketplace.exchange.models import Bid, BidStatus
from marketplace.exchange.permissions import (
    bidding_is_open,
    can_ask_question,
    can_bid_on,
    can_revise_bid,
    can_withdraw_bid,
    questions_are_open,
)
from marketplace.exchange.services import bid_revise, bid_submit, bid_withdraw, question_ask
from vendors import selectors as vendor_selectors
from vendors.models import Vendor
from vendors.permissions import can_bid

PAGE_SIZE = 20
DASHBOARD_ROWS = 10


class VendorPage(VendorViewMixin):
    request: HttpRequest
    kwargs: dict[str, Any]

    @property
    def user(self) -> User:
        # Signed in: the mixin sends anyone else to the sign-in page first.
        return cast(User, self.request.user)


# --- Dashboard ----------------------------------------------------------------------------


class DashboardView(VendorPage, TemplateView):
    template_name = "exchange/vendor/dashboard.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        vendor = self.vendor
        today = timezone.localdate()
        invitations = selectors.invitation_list_open_for_vendor(vendor=vendor)
        bids = selectors.bid_list_awaiting_decision_for_vendor(vendor=vendor)
        credentials = vendor_selectors.credential_list_expiring(vendor=vendor, today=today)
        attestations = vendor_selectors.attestation_list_expiring(vendor=vendor, today=today)
        kwargs.update(
            nav="dashboard",
            today=today,
            invitations=[
                (invitation, selectors.invitation_warning_for_vendor(invitation))
                for invitation in invitations[:DASHBOARD_ROWS]
            ],
            invitation_count=invitations.count(),
            bids=list(bids[:DASHBOARD_ROWS]),
            bid_count=bids.count(),
            credentials=list(credentials[:DASHBOARD_ROWS]),
            credential_count=credentials.count(),
            attestations=list(attestations[:DASHBOARD_ROWS]),
            attestation_count=attestations.count(),
        )
        return super().get_context_data(**kwargs)


# --- Jobs ---------------------------------------------------------------------------------


class JobListView(VendorPage, ListView):
    template_name = "exchange/vendor/jobs.html"
    context_object_name = "jobs"
    paginate_by = PAGE_SIZE

    def get_queryset(self) -> Any:
        self.filter_form = JobFilterForm(self.request.GET or None)
        domain = ""
        if self.filter_form.is_valid() and self.filter_form.cleaned_data["domain"]:
            domain = self.filter_form.cleaned_data["domain"].code
        return selectors.job_list_open_for_vendor(vendor=self.vendor, domain_code=domain)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        kwargs.update(nav="jobs", filter_form=self.filter_form)
        return super().get_context_data(**kwargs)


class JobDetailView(VendorPage, TemplateView):
    template_name = "exchange/vendor/job_detail.html"

    @cached_property
    def job(self) -> Job:
        return selectors.job_get_for_vendor(vendor=self.vendor, job_id=self.kwargs["job_id"])

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        job, vendor, user = self.job, self.vendor, self.user
        bid = selectors.bid_active_for_vendor(vendor=vendor, job=job)
        kwargs.setdefault("ask_form", QuestionAskForm())
        kwargs.update(
            nav="jobs",
            job=job,
            invited=job.invitations.filter(vendor=vendor).exists(),
            questions=selectors.question_list_for_vendor(vendor=vendor, job_id=job.pk),
            bid=bid,
            questions_open=questions_are_open(job),
            can_ask=questions_are_open(job) and can_ask_question(user, vendor, job),
            bidding_open=bidding_is_open(job),
            can_bid=bidding_is_open(job)
            and (bid is None or bid.status == BidStatus.DRAFT)
            and can_bid_on(user, vendor, job),
        )
        return super().get_context_data(**kwargs)


class QuestionAskView(JobDetailView):
    """The job page's "Ask a question" form. A refused question re-renders the job page
    with the error and what was typed."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = QuestionAskForm(request.POST)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(ask_form=form))

        def act() -> HttpResponse:
            try:
                question_ask(
                    job=self.job,
                    vendor=self.vendor,
                    user=self.user,
                    body=form.cleaned_data["body"],
                )
            except DomainError as exc:
                add_domain_error(form, exc)
                return self.render_to_response(self.get_context_data(ask_form=form))
            messages.success(
                request,
                "Your question was sent to the lab. Its answer will appear here for every "
                "vendor that can see the job.",
            )
            return redirect(reverse("vendor:job_detail", args=[self.job.pk]) + "#questions")

        return submit_once(request, act)


# --- Bidding ------------------------------------------------------------------------------


class BidFormView(VendorPage, SubmitOnceMixin, FormView):
    """The bid form for a job: the eligible specialists offered, the others listed with
    why not."""

    form_class = BidForm
    template_name = "exchange/vendor/bid_form.html"

    @property
    def bid_job(self) -> Job:
        raise NotImplementedError

    @cached_property
    def fits(self) -> selectors.JobStaffingForVendor:
        return selectors.specialist_fit_list_for_job(vendor=self.vendor, job=self.bid_job)

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_form_kwargs()
        kwargs["eligible"] = self.fits.eligible
        return kwargs

    def refused(self, form: BaseForm, exc: DomainError) -> HttpResponse:
        add_domain_error(form, exc)
        return self.form_invalid(form)

    def terms(self, form: BaseForm) -> dict[str, Any]:
        assert isinstance(form, BidForm)
        return form.terms()

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        fits = self.fits
        kwargs.update(
            nav="bids",
            job=self.bid_job,
            fits=fits,
            seat_rows=list(zip(fits.needs, fits.staffing.qualified, strict=True)),
        )
        return super().get_context_data(**kwargs)


class BidCreateView(BidFormView):
    @cached_property
    def bid_job(self) -> Job:
        return selectors.job_get_for_vendor(vendor=self.vendor, job_id=self.kwargs["job_id"])

    @cached_property
    def existing(self) -> Bid | None:
        return selectors.bid_active_for_vendor(vendor=self.vendor, job=self.bid_job)

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if self.existing is not None and self.existing.status != BidStatus.DRAFT:
            messages.info(request, "You already have a bid on this job.")
            return redirect("vendor:bid_detail", bid_id=self.existing.pk)
        return super().get(request, *args, **kwargs)

    def get_initial(self) -> dict[str, Any]:
        draft = self.existing
        if draft is not None and draft.status == BidStatus.DRAFT:
            return {
                "price": draft.price,
                "currency": draft.currency,
                "timeline_days": draft.timeline_days,
                "note": draft.note,
                "specialists": [s.pk for s in draft.proposed_specialists.all()],
            }
        return {"currency": self.bid_job.currency}

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        job, user = self.bid_job, self.user
        kwargs.update(
            title=f"Bid on {job.title}",
            submit_label="Submit bid",
            allowed=bidding_is_open(job) and can_bid_on(user, self.vendor, job),
            not_allowed_reason=_bidding_refusal(user, self.vendor, job, verb="bid"),
            cancel_url=reverse("vendor:job_detail", args=[job.pk]),
        )
        return super().get_context_data(**kwargs)

    def act(self, form: BaseForm) -> HttpResponse:
        try:
            bid = bid_submit(
                job=self.bid_job, vendor=self.vendor, user=self.user, **self.terms(form)
            )
        except DomainError as exc:
            return self.refused(form, exc)
        messages.success(self.request, f"Your bid on {self.bid_job.title} was submitted.")
        return redirect("vendor:bid_detail", bid_id=bid.pk)


def _bidding_refusal(user: User, vendor: Vendor, job: Job, *, verb: str) -> str:
    """Why the bid form is not offered, in words; "" when it is."""
    if not can_bid(user, vendor):
        return f"Only the vendor's owner or bid managers may {verb}."
    if not bidding_is_open(job):
        return "Bidding on this job has closed."
    return ""


class OwnBidMixin(VendorPage):
    @cached_property
    def bid(self) -> Bid:
        return selectors.bid_get_for_vendor(vendor=self.vendor, bid_id=self.kwargs["bid_id"])


class BidReviseView(OwnBidMixin, BidFormView):
    @property
    def bid_job(self) -> Job:
        return self.bid.job

    def get_initial(self) -> dict[str, Any]:
        bid = self.bid
        return {
            "price": bid.price,
            "currency": bid.currency,
            "timeline_days": bid.timeline_days,
            "note": bid.note,
            "specialists": [s.pk for s in bid.proposed_specialists.all()],
        }

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        bid, user = self.bid, self.user
        eligible = {fit.specialist.pk for fit in self.fits.eligible}
        refusal = _bidding_refusal(user, self.vendor, bid.job, verb="revise bids")
        if not refusal and bid.status != BidStatus.SUBMITTED:
            status = bid.get_status_display().lower()
            refusal = f"Only a submitted bid can be revised; this one is {status}."
        kwargs.update(
            bid=bid,
            title=f"Revise your bid on {bid.job.title}",
            submit_label="Save revision",
            allowed=can_revise_bid(user, bid),
            not_allowed_reason=refusal,
            cancel_url=reverse("vendor:bid_detail", args=[bid.pk]),
            dropped=[s for s in bid.proposed_specialists.all() if s.pk not in eligible],
        )
        return super().get_context_data(**kwargs)

    def act(self, form: BaseForm) -> HttpResponse:
        terms = self.terms(form)
        # An unchanged selection is not a change of specialists: no new screening for it.
        current = {s.pk for s in self.bid.proposed_specialists.all()}
        if {s.pk for s in terms["specialists"]} == current:
            terms["specialists"] = None
        try:
            bid = bid_revise(bid=self.bid, user=self.user, **terms)
        except DomainError as exc:
            return self.refused(form, exc)
        messages.success(
            self.request, f"Your bid was revised: revision {bid.revision_number} is now current."
        )
        return redirect("vendor:bid_detail", bid_id=bid.pk)


class BidWithdrawView(OwnBidMixin, SubmitOnceMixin, FormView):
    """A confirmation page; the bid is withdrawn only by its POST."""

    form_class = BidWithdrawForm
    template_name = "exchange/vendor/bid_withdraw.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        kwargs.update(nav="bids", bid=self.bid, allowed=can_withdraw_bid(self.user, self.bid))
        return super().get_context_data(**kwargs)

    def act(self, form: BaseForm) -> HttpResponse:
        try:
            bid_withdraw(bid=self.bid, user=self.user)
        except DomainError as exc:
            add_domain_error(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, f"Your bid on {self.bid.job.title} was withdrawn.")
        return redirect("vendor:bid_detail", bid_id=self.bid.pk)


# --- The vendor's bids --------------------------------------------------------------------


class BidListView(VendorPage, ListView):
    template_name = "exchange/vendor/bids.html"
    context_object_name = "bids"
    paginate_by = PAGE_SIZE

    def get_queryset(self) -> Any:
        return selectors.bid_list_for_vendor(vendor=self.vendor).order_by("-created_at", "-pk")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        kwargs["nav"] = "bids"
        return super().get_context_data(**kwargs)


class BidDetailView(OwnBidMixin, TemplateView):
    template_name = "exchange/vendor/bid_detail.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        bid, user = self.bid, self.user
        kwargs.update(
            nav="bids",
            bid=bid,
            revisions=selectors.bid_revision_list_for_vendor(vendor=self.vendor, bid=bid),
            bidding_open=bidding_is_open(bid.job),
            can_revise=can_revise_bid(user, bid),
            can_withdraw=can_withdraw_bid(user, bid),
            can_submit_draft=bid.status == BidStatus.DRAFT
            and bidding_is_open(bid.job)
            and can_bid(user, self.vendor),
        )
        return super().get_context_data(**kwargs)
