"""The lab's evaluation pages: bids compared side by side (sealed until evaluation),
shortlisting, rejecting, awarding (single or split) and completing contracts; the lab's
screenings with the evidence behind each verdict; and its supplier concentration.

Reads go through the exchange selectors scoped to `self.lab` (a row of another lab is a
404), writes through the exchange services, which check the role again."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Prefetch, Q
from django.forms import BaseForm
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views import View
from django.views.generic import TemplateView

from labs.models import Job, JobStatus
from labs.permissions import can_award, can_evaluate_bids
from labs.selectors import job_get_for_lab
from marketplace.accounts.models import User
from marketplace.core.errors import DomainError, NotFound
from marketplace.core.web import LabViewMixin, add_domain_error, submit_once
from marketplace.exchange import selectors
from marketplace.exchange.charts import (
    MARKERS,
    ScatterDatum,
    bar_chart,
    marker_path,
    scatter_chart,
)
from marketplace.exchange.concentration import BANDS, concentration_by_currency
from marketplace.exchange.evidence import evidence_of
from marketplace.exchange.forms.lab_evaluation import (
    PENDING,
    VERDICT_FILTER_CHOICES,
    ContractCompleteForm,
    RejectForm,
    ScreeningFilterForm,
    ShortlistForm,
    SingleAwardForm,
    SplitAwardForm,
)
from marketplace.exchange.models import (
    VERDICT_SEVERITY,
    Bid,
    Contract,
    ContractStatus,
    Screening,
    Verdict,
)
from marketplace.exchange.services import (
    award_make,
    bid_reject,
    bid_shortlist,
    contract_complete,
)
from marketplace.exchange.services.awards import AWARDABLE
from vendors.models import Credential

SCREENINGS_PER_PAGE = 25
# The chart's key: each verdict's marker shape, drawn small, with its word.
LEGEND = [
    {"category": code, "label": label, "path": marker_path(MARKERS[code], 9, 9, 6)}
    for code, label in (*Verdict.choices, (PENDING, "Screening pending"))
]


def _worse(a: Screening | None, b: Screening | None) -> Screening | None:
    """The screening that matters more for an award: a computed verdict over a pending
    one, then the more severe verdict."""
    candidates = [s for s in (a, b) if s is not None]
    if not candidates:
        return None
    return max(
        candidates,
        key=lambda s: (s.verdict is not None, VERDICT_SEVERITY[Verdict(s.verdict or "clear")]),
    )


@dataclass
class BidRow:
    bid: Bid
    score: Decimal | None
    screening: Screening | None
    verdict: str  # a Verdict value, or "pending"
    verdict_label: str
    reject_form: BaseForm
    shortlist_form: BaseForm
    can_shortlist: bool
    can_reject: bool

    @property
    def decision_errors(self) -> list[str]:
        """A refused shortlist or rejection, shown in the bid's row whatever it offers now."""
        return [*self.shortlist_form.non_field_errors(), *self.reject_form.non_field_errors()]


class EvaluationPageMixin(LabViewMixin):
    """What the bid comparison page shows, for its own GET and for the POSTs that render
    it again with a refused form."""

    request: HttpRequest
    template_name: str | None = "exchange/lab/eval_bids.html"

    @property
    def user(self) -> User:
        assert isinstance(self.request.user, User)
        return self.request.user

    def job(self, job_id: int) -> Job:
        return job_get_for_lab(lab=self.lab, job_id=job_id)

    def comparison_context(
        self,
        job: Job,
        *,
        award_form: BaseForm | None = None,
        bid_forms: dict[tuple[str, int], BaseForm] | None = None,
        contract_forms: dict[int, BaseForm] | None = None,
    ) -> dict[str, Any]:
        bid_forms = bid_forms or {}
        contract_forms = contract_forms or {}
        may_evaluate = can_evaluate_bids(self.user, self.lab)
        may_award = can_award(self.user, self.lab)
        evaluating = job.status == JobStatus.EVALUATION
        context: dict[str, Any] = {
            "nav": "jobs",
            "lab": self.lab,
            "organisation": self.organisation,
            "job": job,
            "sealed": not selectors.bids_are_visible_to_lab(job),
            "can_evaluate": may_evaluate,
            "can_award": may_award,
            "evaluating": evaluating,
        }
        if context["sealed"]:
            context["bid_count"] = selectors.bid_count_for_lab(lab=self.lab, job=job)
            return context

        bids = list(
            selectors.bid_list_for_lab(lab=self.lab, job=job).prefetch_related(
                Prefetch(
                    "proposed_specialists__credentials",
                    queryset=Credential.objects.select_related("field", "level").order_by(
                        "level__rank", "pk"
                    ),
                )
            )
        )
        scores = {
            invitation.vendor_id: invitation.score
            for invitation in selectors.invitation_list_for_lab(lab=self.lab, job=job)
        }
        by_bid: dict[int, Screening] = {}
        by_vendor: dict[int, Screening] = {}
        for found in selectors.screening_list_for_lab(lab=self.lab).filter(
            Q(bid__job=job) | Q(bid__isnull=True, vendor__in=[b.vendor_id for b in bids])
        ):
            if found.bid_id:
                by_bid[found.bid_id] = found
            else:
                by_vendor[found.vendor_id] = found

        rows = []
        for bid in bids:
            screening = _worse(by_bid.get(bid.pk), by_vendor.get(bid.vendor_id))
            verdict = (screening.verdict if screening else None) or PENDING
            rows.append(
                BidRow(
                    bid=bid,
                    score=scores.get(bid.vendor_id),
                    screening=screening,
                    verdict=verdict,
                    verdict_label=(
                        Verdict(verdict).label if verdict in Verdict.values else "Pending"
                    ),
                    reject_form=bid_forms.get(("reject", bid.pk))
                    or RejectForm(auto_id=f"id_bid_{bid.pk}_%s"),
                    shortlist_form=bid_forms.get(("shortlist", bid.pk)) or ShortlistForm(),
                    can_shortlist=may_evaluate and evaluating and bid.status == "submitted",
                    can_reject=may_evaluate and evaluating and bid.status in AWARDABLE,
                )
            )
        context["rows"] = rows
        context["chart"] = self._chart(job, rows)
        context["unplotted"] = [row for row in rows if row.score is None]
        context["legend"] = LEGEND

        awardable = [row for row in rows if row.bid.status in AWARDABLE]
        if may_award and evaluating and awardable:
            form = award_form or self.award_form(job, [row.bid for row in awardable])
            chosen = str(form.data.get("bid", "")) if form.is_bound else ""
            context["award_form"] = form
            context["award_choices"] = [
                {
                    "row": row,
                    "share": form.data.get(f"share_{row.bid.pk}", "") if form.is_bound else "",
                    "checked": chosen == str(row.bid.pk),
                }
                for row in awardable
            ]

        if job.status in (JobStatus.AWARDED, JobStatus.COMPLETED):
            contracts = list(selectors.contract_list_for_job(lab=self.lab, job=job))
            context["contracts"] = [
                {
                    "contract": contract,
                    "form": (
                        contract_forms.get(contract.pk)
                        or ContractCompleteForm(auto_id=f"id_contract_{contract.pk}_%s")
                    )
                    if may_evaluate and contract.status == ContractStatus.ACTIVE
                    else None,
                }
                for contract in contracts
            ]
            context["award"] = contracts[0].award if contracts else None
        return context

    def award_form(self, job: Job, bids: list[Bid], data: Any = None) -> BaseForm:
        if job.split_allowed:
            return SplitAwardForm(data, bids=bids, auto_id="id_award_%s")
        return SingleAwardForm(data, bids=bids, auto_id="id_award_%s")

    def _chart(self, job: Job, rows: list[BidRow]) -> Any:
        data = [
            ScatterDatum(
                x=float(row.bid.price),
                y=float(row.score),
                label=f"{row.bid.vendor} ({row.verdict_label.lower()})",
                category=row.verdict,
            )
            for row in rows
            if row.score is not None
        ]
        if not data:
            return None
        return scatter_chart(
            data,
            x_label=f"Price ({job.currency})",
            y_label="Match score (0-100)",
            y_range=(0.0, 100.0),
        )

    def render_page(self, job: Job, *, status: int = 200, **forms: Any) -> HttpResponse:
        return TemplateResponse(
            self.request,
            self.template_name or "",
            self.comparison_context(job, **forms),
            status=status,
        )


class JobBidsView(EvaluationPageMixin, TemplateView):
    """lab:job_bids: the job's bids side by side, sealed until evaluation."""

    def get(self, request: HttpRequest, job_id: int) -> HttpResponse:  # type: ignore[override]
        return self.render_page(self.job(job_id))


class BidDecisionView(EvaluationPageMixin, View):
    """Shortlisting or rejecting one bid (POST from its row of the comparison)."""

    http_method_names = ["post"]
    decision = ""

    def post(self, request: HttpRequest, bid_id: int) -> HttpResponse:
        if not can_evaluate_bids(self.user, self.lab):
            raise PermissionDenied("Only members of the lab may evaluate bids.")
        try:
            bid = selectors.bid_get_for_lab(lab=self.lab, bid_id=bid_id)
        except NotFound as exc:
            raise Http404(exc.message) from exc
        except DomainError as exc:  # still sealed: nothing about the bid is shown
            messages.error(request, exc.message)
            return redirect("lab:jobs")
        form = self.form(request.POST, bid)
        if not form.is_valid():
            return self.render_page(bid.job, bid_forms={(self.decision, bid.pk): form})

        def act() -> HttpResponse:
            try:
                self.decide(bid, form)
            except DomainError as exc:
                add_domain_error(form, exc)
                return self.render_page(bid.job, bid_forms={(self.decision, bid.pk): form})
            messages.success(request, self.done_message(bid))
            return redirect(reverse("lab:job_bids", args=[bid.job_id]) + f"#bid-{bid.pk}")

        return submit_once(request, act)

    def form(self, data: Any, bid: Bid) -> BaseForm:
        raise NotImplementedError

    def decide(self, bid: Bid, form: BaseForm) -> None:
        raise NotImplementedError

    def done_message(self, bid: Bid) -> str:
        raise NotImplementedError


class BidShortlistView(BidDecisionView):
    decision = "shortlist"

    def form(self, data: Any, bid: Bid) -> BaseForm:
        return ShortlistForm(data)

    def decide(self, bid: Bid, form: BaseForm) -> None:
        bid_shortlist(bid=bid, user=self.user)

    def done_message(self, bid: Bid) -> str:
        return f"{bid.vendor}'s bid is shortlisted."


class BidRejectView(BidDecisionView):
    decision = "reject"

    def form(self, data: Any, bid: Bid) -> BaseForm:
        return RejectForm(data, auto_id=f"id_bid_{bid.pk}_%s")

    def decide(self, bid: Bid, form: BaseForm) -> None:
        bid_reject(bid=bid, user=self.user, reason=form.cleaned_data["reason"])

    def done_message(self, bid: Bid) -> str:
        return f"{bid.vendor}'s bid is rejected."


class JobAwardView(EvaluationPageMixin, View):
    """lab:job_award: awards the job to one bid or splits it (POST from the comparison)."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, job_id: int) -> HttpResponse:
        if not can_award(self.user, self.lab):
            raise PermissionDenied("Only the lab's owner or procurement may award jobs.")
        job = self.job(job_id)
        if not selectors.bids_are_visible_to_lab(job):
            messages.error(request, "Bids on this job are sealed until bidding closes.")
            return redirect("lab:job_bids", job_id=job.pk)
        # Any bid on the job is a valid choice here; whether it can still be awarded is the
        # service's call. So a repeated post validates as the first did and acts once.
        bids = list(selectors.bid_list_for_lab(lab=self.lab, job=job))
        form = self.award_form(job, bids, request.POST)
        if not form.is_valid():
            return self.render_page(job, award_form=form)

        def act() -> HttpResponse:
            try:
                award_make(
                    job=job,
                    user=self.user,
                    shares=form.award_shares(),  # type: ignore[attr-defined]
                    note=form.cleaned_data["note"],
                )
            except DomainError as exc:
                add_domain_error(form, exc)
                return self.render_page(job, award_form=form)
            messages.success(request, f"{job.title} is awarded.")
            return redirect(reverse("lab:job_bids", args=[job.pk]) + "#award")

        return submit_once(request, act)


class ContractCompleteView(EvaluationPageMixin, View):
    """lab:contract_complete: records delivery and the lab's rating of one contract."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, contract_id: int) -> HttpResponse:
        if not can_evaluate_bids(self.user, self.lab):
            raise PermissionDenied("Only members of the lab may complete its contracts.")
        contract: Contract = selectors.contract_get_for_lab(lab=self.lab, contract_id=contract_id)
        job = self.job(contract.award.job_id)
        form = ContractCompleteForm(request.POST, auto_id=f"id_contract_{contract.pk}_%s")
        if not form.is_valid():
            return self.render_page(job, contract_forms={contract.pk: form})

        def act() -> HttpResponse:
            data = form.cleaned_data
            try:
                contract_complete(
                    contract=contract,
                    user=self.user,
                    delivered_on=data["delivered_on"],
                    rating=data["rating"],
                    comment=data["comment"],
                )
            except DomainError as exc:
                add_domain_error(form, exc)
                return self.render_page(job, contract_forms={contract.pk: form})
            messages.success(
                request, f"{contract.vendor}'s contract is completed and rated {data['rating']}/5."
            )
            return redirect(reverse("lab:job_bids", args=[job.pk]) + "#award")

        return submit_once(request, act)


# --- Screenings ---------------------------------------------------------------------------


class ScreeningListView(LabViewMixin, TemplateView):
    """lab:screenings: every screening of the lab, newest first, filtered by verdict."""

    template_name = "exchange/lab/screening_list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        form = ScreeningFilterForm(self.request.GET or None)
        screenings = selectors.screening_list_for_lab(lab=self.lab).select_related("bid__job")
        verdict = form.cleaned_data["verdict"] if form.is_valid() else ""
        if verdict == PENDING:
            screenings = screenings.filter(verdict__isnull=True)
        elif verdict:
            screenings = screenings.filter(verdict=verdict)
        screenings = screenings.order_by("-requested_at", "-pk")
        page = Paginator(screenings, SCREENINGS_PER_PAGE).get_page(self.request.GET.get("page"))
        return super().get_context_data(
            nav="screenings",
            filter_form=form,
            page=page,
            verdict=verdict,
            verdict_label=dict(VERDICT_FILTER_CHOICES).get(verdict, ""),
            **kwargs,
        )


class ScreeningDetailView(LabViewMixin, TemplateView):
    """lab:screening_detail: the verdict and the evidence that produced it."""

    template_name = "exchange/lab/screening_detail.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        screening: Screening = selectors.screening_get_for_lab(
            lab=self.lab,
            screening_id=self.kwargs["screening_id"],
        )
        job = screening.bid.job if screening.bid else None
        return super().get_context_data(
            nav="screenings",
            screening=screening,
            job=job,
            evidence=evidence_of(screening),
            computed_label=(
                Verdict(screening.computed_verdict).label
                if screening.computed_verdict in Verdict.values
                else None
            ),
            **kwargs,
        )


# --- Concentration ------------------------------------------------------------------------


class ConcentrationView(LabViewMixin, TemplateView):
    """lab:concentration: the lab's spend share by vendor group, and its HHI."""

    template_name = "exchange/lab/concentration.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        currencies = concentration_by_currency(
            selectors.spend_by_vendor_group_for_lab(lab=self.lab)
        )
        sections = [
            {
                "concentration": c,
                "chart": bar_chart([(g.group_name, float(g.share_percent)) for g in c.groups]),
            }
            for c in currencies
        ]
        return super().get_context_data(
            nav="concentration", sections=sections, bands=list(BANDS.values()), **kwargs
        )
