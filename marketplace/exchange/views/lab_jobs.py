"""The lab's dashboard and jobs: everything before bids are evaluated. Thin: reads go
through selectors scoped to the lab, writes through the job services, and what a role may
do comes from labs.permissions (the services enforce it again)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.urls import reverse
from django.views.generic import ListView, TemplateView

from labs import selectors as lab_selectors
from labs import services as lab_services
from labs.models import Job, JobStatus, WorkState
from labs.permissions import can_answer_questions, can_manage_jobs
from marketplace.accounts.models import User
from marketplace.core.errors import DomainError
from marketplace.core.web import LabViewMixin, add_domain_error, submit_once
from marketplace.exchange import selectors
from marketplace.exchange import services as exchange
from marketplace.exchange.forms.lab_jobs import (
    AnswerForm,
    BaseSeatRequirementFormSet,
    JobForm,
    LabJobFilter,
    ReasonForm,
    SeatRequirementForm,
    seat_formset,
    seat_formset_with_row_added,
    typed_values,
)
from marketplace.exchange.models import Invitation, Question
from marketplace.exchange.services.invitations import WARNING_PREFIX

ADD_SEAT = "add_seat"
# How many rows each dashboard list shows before pointing to the full list.
DASHBOARD_ROWS = 10
MATCHING_UNDER_WAY = (WorkState.PENDING, WorkState.RUNNING)
CANCELLABLE = (JobStatus.DRAFT, JobStatus.OPEN, JobStatus.EVALUATION)


def _user(request: HttpRequest) -> User:
    """The signed-in user: LabViewMixin lets nobody else in."""
    user = request.user
    assert isinstance(user, User)
    return user


def _job_url(job: Job) -> str:
    return reverse("lab:job_detail", args=[job.pk])


# --- Dashboard ------------------------------------------------------------------------------


class DashboardView(LabViewMixin, TemplateView):
    template_name = "exchange/lab/dashboard.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        counts = lab_selectors.job_count_by_status_for_lab(lab=self.lab)
        open_jobs = (
            lab_selectors.job_list_for_lab(lab=self.lab, status=JobStatus.OPEN)
            .prefetch_related(None)
            .order_by("bid_deadline", "pk")[:DASHBOARD_ROWS]
        )
        evaluation_jobs = list(selectors.job_list_in_evaluation_for_lab(lab=self.lab))
        alerts = selectors.screening_alert_list_for_lab(lab=self.lab)
        return super().get_context_data(
            nav="dashboard",
            counts=counts,
            open_jobs=open_jobs,
            evaluation_jobs=evaluation_jobs,
            bids_awaiting_decision=sum(
                job.bids_awaiting_decision  # type: ignore[attr-defined]
                for job in evaluation_jobs
            ),
            screening_alerts=alerts[:DASHBOARD_ROWS],
            screening_alert_count=alerts.count(),
            spend=selectors.contract_spend_for_lab(lab=self.lab),
            can_manage_jobs=can_manage_jobs(_user(self.request), self.lab),
            dashboard_rows=DASHBOARD_ROWS,
            **kwargs,
        )


# --- Job list -------------------------------------------------------------------------------


class JobListView(LabViewMixin, ListView):
    template_name = "exchange/lab/job_list.html"
    context_object_name = "jobs"
    paginate_by = 20

    def get_queryset(self) -> Any:
        self.filterset = LabJobFilter(
            self.request.GET or None,
            queryset=lab_selectors.job_list_for_lab(lab=self.lab).prefetch_related(
                "required_attestations"
            ),
        )
        return self.filterset.qs.order_by("-created_at", "-pk")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(
            nav="jobs",
            filter=self.filterset,
            filtered=bool(self.request.GET.get("status")),
            can_manage_jobs=can_manage_jobs(_user(self.request), self.lab),
            **kwargs,
        )


# --- Creating and editing a draft ---------------------------------------------------------


class _SeatRefused(Exception):
    """A service refused one seat row; the error is already on that row."""


class JobFormView(LabViewMixin, TemplateView):
    """Shared by create and edit: the job's terms and its seat rows, saved in one
    transaction; "Add another seat" re-renders with one more row, keeping what was typed."""

    template_name = "exchange/lab/job_form.html"
    job: Job | None = None

    def load(self) -> HttpResponse | None:
        """Reads what the page works on; a response ends the request there."""
        if not can_manage_jobs(_user(self.request), self.lab):
            raise PermissionDenied("Only the lab's owner or procurement may post and edit jobs.")
        return None

    def initial_forms(self) -> tuple[JobForm, BaseSeatRequirementFormSet]:
        raise NotImplementedError

    def save(self, form: JobForm, seats: BaseSeatRequirementFormSet) -> Job:
        raise NotImplementedError

    def success_message(self, job: Job) -> str:
        raise NotImplementedError

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        stop = self.load()
        if stop is not None:
            return stop
        return self.render_forms(*self.initial_forms())

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        stop = self.load()
        if stop is not None:
            return stop
        form = JobForm(request.POST)
        seats = seat_formset(request.POST)
        if ADD_SEAT in request.POST:
            # A new row is not a submission: nothing is reported missing yet.
            return self.render_forms(
                JobForm(initial=typed_values(form)),
                seat_formset_with_row_added(seats),
            )
        if not (form.is_valid() and seats.is_valid()):
            return self.render_forms(form, seats)
        return submit_once(request, lambda: self.act(form, seats))

    def act(self, form: JobForm, seats: BaseSeatRequirementFormSet) -> HttpResponse:
        try:
            job = self.save(form, seats)
        except _SeatRefused:
            return self.render_forms(form, seats)
        except DomainError as exc:
            add_domain_error(form, exc)
            return self.render_forms(form, seats)
        messages.success(self.request, self.success_message(job))
        return redirect(_job_url(job))

    def add_seats(self, job: Job, seats: BaseSeatRequirementFormSet) -> None:
        """Caller holds the transaction that creates or updates the job."""
        for row in seats.rows_to_save():
            assert isinstance(row, SeatRequirementForm)
            try:
                lab_services.seat_requirement_add(
                    job=job, user=_user(self.request), **row.seat_terms()
                )
            except DomainError as exc:
                add_domain_error(row, exc)
                raise _SeatRefused from exc

    def render_forms(self, form: JobForm, seats: BaseSeatRequirementFormSet) -> HttpResponse:
        return self.render_to_response(
            self.get_context_data(nav="jobs", form=form, seats=seats, job=self.job)
        )


class JobCreateView(JobFormView):
    def initial_forms(self) -> tuple[JobForm, BaseSeatRequirementFormSet]:
        return JobForm(), seat_formset()

    def save(self, form: JobForm, seats: BaseSeatRequirementFormSet) -> Job:
        # One use case, "post a draft with its seats": all or nothing.
        with transaction.atomic():
            job = lab_services.job_create(
                lab=self.lab, user=_user(self.request), **form.job_terms()
            )
            self.add_seats(job, seats)
        return job

    def success_message(self, job: Job) -> str:
        return f"Draft “{job.title}” saved. Publish it when it is ready for vendors."


class JobEditView(JobFormView):
    def load(self) -> HttpResponse | None:
        self.job = lab_selectors.job_get_for_lab(lab=self.lab, job_id=self.kwargs["job_id"])
        super().load()
        if self.job.status != JobStatus.DRAFT:
            messages.error(self.request, "Only a draft job can be edited.")
            return redirect(_job_url(self.job))
        return None

    def initial_forms(self) -> tuple[JobForm, BaseSeatRequirementFormSet]:
        assert self.job is not None
        seats = lab_selectors.seat_requirement_list_for_job(lab=self.lab, job_id=self.job.pk)
        return (
            JobForm(initial=JobForm.initial_for(self.job)),
            seat_formset(initial=[SeatRequirementForm.initial_for(seat) for seat in seats]),
        )

    def save(self, form: JobForm, seats: BaseSeatRequirementFormSet) -> Job:
        assert self.job is not None
        user = _user(self.request)
        with transaction.atomic():
            job = lab_services.job_update_draft(job=self.job, user=user, **form.job_terms())
            # The rows on the form are the job's seats now: the old ones make way.
            for seat in lab_selectors.seat_requirement_list_for_job(lab=self.lab, job_id=job.pk):
                lab_services.seat_requirement_remove(seat_requirement=seat, user=user)
            self.add_seats(job, seats)
        return job

    def success_message(self, job: Job) -> str:
        return f"Changes to “{job.title}” saved."


# --- Job detail and its moves ---------------------------------------------------------------


@dataclass(frozen=True)
class JobActions:
    """Which moves the page offers: the job's status and the user's role allow them."""

    edit: bool
    publish: bool
    close: bool
    cancel: bool
    mark_unsuccessful: bool
    answer: bool
    compare_bids: bool

    @property
    def any_danger(self) -> bool:
        return self.close or self.cancel or self.mark_unsuccessful


def job_actions(job: Job, *, manage: bool, answer: bool) -> JobActions:
    return JobActions(
        edit=manage and job.status == JobStatus.DRAFT,
        publish=manage and job.status == JobStatus.DRAFT,
        close=manage and job.status == JobStatus.OPEN,
        cancel=manage and job.status in CANCELLABLE,
        mark_unsuccessful=manage and job.status == JobStatus.EVALUATION,
        answer=answer and job.status == JobStatus.OPEN,
        compare_bids=job.evaluation_started_at is not None,
    )


@dataclass(frozen=True)
class InvitationRow:
    invitation: Invitation
    reasons: list[str]
    warnings: list[str]


def invitation_rows(invitations: Any) -> list[InvitationRow]:
    """Each invitation with its stored reasons apart from any warning written after it
    (a credential or attestation that has expired since)."""
    rows = []
    for invitation in invitations:
        reasons = (
            [str(r) for r in invitation.reasons] if isinstance(invitation.reasons, list) else []
        )
        rows.append(
            InvitationRow(
                invitation=invitation,
                reasons=[r for r in reasons if not r.startswith(WARNING_PREFIX)],
                warnings=[r for r in reasons if r.startswith(WARNING_PREFIX)],
            )
        )
    return rows


class JobPage(LabViewMixin, TemplateView):
    """The job detail page, which the moves re-render with their form's errors."""

    template_name = "exchange/lab/job_detail.html"
    job: Job

    def get_job(self) -> Job:
        if not hasattr(self, "job"):
            self.job = lab_selectors.job_get_for_lab(lab=self.lab, job_id=self.kwargs["job_id"])
        return self.job

    def invitations_context(self, job: Job) -> dict[str, Any]:
        return {
            "invitations": invitation_rows(
                selectors.invitation_list_for_lab(lab=self.lab, job=job)
            ),
            "matching_under_way": job.matching_state in MATCHING_UNDER_WAY,
        }

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        job = self.get_job()
        user = _user(self.request)
        actions = job_actions(
            job, manage=can_manage_jobs(user, self.lab), answer=can_answer_questions(user, self.lab)
        )
        questions = list(selectors.question_list_for_job(job=job))
        answer_forms: dict[int, AnswerForm] = kwargs.pop("answer_forms", {})
        for number, question in enumerate(questions, start=1):
            question.number = number  # type: ignore[attr-defined]
            if actions.answer and question.answered_at is None:
                question.answer_form = answer_forms.get(  # type: ignore[attr-defined]
                    question.pk, AnswerForm(prefix=f"q{question.pk}", number=number)
                )
        kwargs.setdefault("cancel_form", ReasonForm(prefix="cancel", label="Why cancel?"))
        kwargs.setdefault(
            "unsuccessful_form",
            ReasonForm(prefix="unsuccessful", label="Why was no bid acceptable?"),
        )
        return super().get_context_data(
            nav="jobs",
            job=job,
            seats=lab_selectors.seat_requirement_list_for_job(lab=self.lab, job_id=job.pk),
            attestations=list(job.required_attestations.all()),
            actions=actions,
            questions=questions,
            bid_count=(
                selectors.bid_count_for_lab(lab=self.lab, job=job)
                if job.status != JobStatus.DRAFT
                else 0
            ),
            **self.invitations_context(job),
            **kwargs,
        )


class JobDetailView(JobPage):
    pass


class JobInvitationsView(JobPage):
    """The invitations block alone, which the detail page polls while matching runs."""

    template_name = "exchange/lab/_invitations.html"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        job = self.get_job()
        if not request.htmx:  # type: ignore[attr-defined]
            return redirect(f"{_job_url(job)}#invitations")
        return self.render_to_response({"job": job, **self.invitations_context(job)})


class JobMoveView(JobPage):
    """A POST-only move on a job. Without a form, a refusal is a message on the job page;
    with one, the page is shown again with the error next to the field."""

    http_method_names = ["post"]
    form_prefix: str | None = None
    form_label = "Reason"
    form_context_name = ""

    def move(self, job: Job, data: dict[str, Any]) -> str:
        """Calls the service; returns the success message."""
        raise NotImplementedError

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        job = self.get_job()
        form = None
        if self.form_prefix:
            form = ReasonForm(request.POST, prefix=self.form_prefix, label=self.form_label)
            if not form.is_valid():
                return self.form_invalid(form)
        return submit_once(request, lambda: self.act(job, form))

    def act(self, job: Job, form: ReasonForm | None) -> HttpResponse:
        try:
            done = self.move(job, form.cleaned_data if form else {})
        except DomainError as exc:
            if form is not None and exc.field in form.fields:
                add_domain_error(form, exc)
                return self.form_invalid(form)
            # Not about what was typed (the job moved on, the role does not allow it).
            messages.error(self.request, exc.message)
            return redirect(_job_url(job))
        messages.success(self.request, done)
        return redirect(_job_url(job))

    def form_invalid(self, form: ReasonForm) -> HttpResponse:
        # The job may have moved on; the page shows where it is now.
        self.job = lab_selectors.job_get_for_lab(lab=self.lab, job_id=self.kwargs["job_id"])
        return self.render_to_response(self.get_context_data(**{self.form_context_name: form}))


class JobPublishView(JobMoveView):
    def move(self, job: Job, data: dict[str, Any]) -> str:
        exchange.job_publish(job=job, user=_user(self.request))
        return f"“{job.title}” is open for questions and bids. Matching vendors now."


class JobCloseView(JobMoveView):
    def move(self, job: Job, data: dict[str, Any]) -> str:
        exchange.job_close_bidding(job=job, user=_user(self.request))
        return f"Bidding on “{job.title}” is closed; its bids are ready to compare."


class JobCancelView(JobMoveView):
    form_prefix = "cancel"
    form_label = "Why cancel?"
    form_context_name = "cancel_form"

    def move(self, job: Job, data: dict[str, Any]) -> str:
        exchange.job_cancel(job=job, user=_user(self.request), reason=data["reason"])
        return f"“{job.title}” was cancelled."


class JobMarkUnsuccessfulView(JobMoveView):
    form_prefix = "unsuccessful"
    form_label = "Why was no bid acceptable?"
    form_context_name = "unsuccessful_form"

    def move(self, job: Job, data: dict[str, Any]) -> str:
        exchange.job_mark_unsuccessful(job=job, user=_user(self.request), reason=data["reason"])
        return f"“{job.title}” ended without an award; the bidders were told."


class QuestionAnswerView(JobPage):
    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        question = selectors.question_get_for_lab(
            lab=self.lab, question_id=self.kwargs["question_id"]
        )
        self.job = lab_selectors.job_get_for_lab(lab=self.lab, job_id=question.job_id)
        number = [q.pk for q in selectors.question_list_for_job(job=question.job)].index(
            question.pk
        )
        form = AnswerForm(request.POST, prefix=f"q{question.pk}", number=number + 1)
        if not form.is_valid():
            return self.form_invalid(question, form)
        return submit_once(request, lambda: self.act(question, form))

    def act(self, question: Question, form: AnswerForm) -> HttpResponse:
        job_url = _job_url(question.job)
        try:
            exchange.question_answer(
                question=question, user=_user(self.request), answer=form.cleaned_data["answer"]
            )
        except DomainError as exc:
            if exc.field in form.fields:
                add_domain_error(form, exc)
                return self.form_invalid(question, form)
            messages.error(self.request, exc.message)
            return redirect(job_url)
        messages.success(self.request, "Answer published to every vendor that can see the job.")
        return HttpResponseRedirect(f"{job_url}#question-{question.pk}")

    def form_invalid(self, question: Question, form: AnswerForm) -> HttpResponse:
        return self.render_to_response(self.get_context_data(answer_forms={question.pk: form}))
