"""Forms of the lab's job pages: the job with its seat requirements, the job list filter,
and the reasons and answers the job's moves take. They check the shape of the input; the
rules (deadline ordering, budget range, who may act) are the services' and come back as
DomainErrors shown next to the field they name."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import django_filters
from django import forms
from django.db.models import QuerySet
from django.utils import timezone

from labs.models import (
    Bidding,
    Job,
    JobStatus,
    SeatRequirement,
    Sensitivity,
    Visibility,
    VolumeUnit,
)
from marketplace.core.fields import MAX_POSITIVE_INTEGER, MAX_POSITIVE_SMALL_INTEGER
from marketplace.core.models import (
    AttestationKind,
    CredentialField,
    CredentialKind,
    Domain,
    QualificationLevel,
)

DATETIME_LOCAL_FORMAT = "%Y-%m-%dT%H:%M"
# The most seat rows one job form takes; a real job needs a handful.
MAX_SEAT_ROWS = 20


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format=DATETIME_LOCAL_FORMAT)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%d")


def _timezone_help(text: str) -> str:
    return f"{text} Times are in {timezone.get_current_timezone_name()}."


class JobForm(forms.Form):
    """The terms a lab sets on a job (labs.services.job_create / job_update_draft)."""

    title = forms.CharField(max_length=200, label="Title")
    domain = forms.ModelChoiceField(
        queryset=Domain.objects.active(), label="Domain", empty_label="Choose a domain"
    )
    description = forms.CharField(
        label="Description",
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="What the work is and what a good result looks like. Every vendor that "
        "can see the job reads this.",
    )
    volume = forms.IntegerField(min_value=1, max_value=MAX_POSITIVE_INTEGER, label="Volume")
    volume_unit = forms.ChoiceField(choices=VolumeUnit.choices, label="Volume unit")
    budget_min = forms.DecimalField(
        max_digits=14, decimal_places=2, min_value=Decimal(0), label="Budget from"
    )
    budget_max = forms.DecimalField(
        max_digits=14, decimal_places=2, min_value=Decimal(0), label="Budget up to"
    )
    currency = forms.CharField(
        min_length=3,
        max_length=3,
        initial="USD",
        label="Currency",
        help_text="An ISO 4217 code such as USD, EUR or GBP.",
    )
    question_deadline = forms.DateTimeField(
        label="Question period ends",
        widget=DateTimeLocalInput(),
        help_text=_timezone_help("Vendors can ask questions until then."),
    )
    bid_deadline = forms.DateTimeField(
        label="Bid deadline",
        widget=DateTimeLocalInput(),
        help_text=_timezone_help("Bids close then and evaluation starts."),
    )
    delivery_date = forms.DateField(label="Delivery date", widget=DateInput())
    sensitivity = forms.ChoiceField(
        choices=Sensitivity.choices, initial=Sensitivity.STANDARD, label="Data sensitivity"
    )
    required_attestations = forms.ModelMultipleChoiceField(
        queryset=AttestationKind.objects.active(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Required attestations",
        help_text="Vendors must hold each of these, valid through the delivery date.",
    )
    bidding = forms.ChoiceField(
        choices=Bidding.choices,
        initial=Bidding.SEALED,
        widget=forms.RadioSelect,
        label="Bidding",
        help_text="Sealed: you see the bids' contents only once bidding closes. No vendor "
        "ever sees another vendor's bid.",
    )
    visibility = forms.ChoiceField(
        choices=Visibility.choices,
        initial=Visibility.ALL_VENDORS,
        widget=forms.RadioSelect,
        label="Who can see the job",
    )
    split_allowed = forms.BooleanField(required=False, label="Allow a split award")
    max_share_per_vendor = forms.DecimalField(
        max_digits=5,
        decimal_places=2,
        required=False,
        initial=Decimal(100),
        label="Maximum share per vendor (%)",
        help_text="The largest share of the volume one vendor may be awarded. Leave at 100 "
        "unless a split award is allowed.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    @classmethod
    def initial_for(cls, job: Job) -> dict[str, Any]:
        initial: dict[str, Any] = {name: getattr(job, name) for name in cls.base_fields}
        initial["domain"] = job.domain_id
        initial["required_attestations"] = [kind.pk for kind in job.required_attestations.all()]
        return initial

    def clean_currency(self) -> str:
        return str(self.cleaned_data["currency"]).strip().upper()

    def clean_max_share_per_vendor(self) -> Decimal:
        share = self.cleaned_data.get("max_share_per_vendor")
        return Decimal(100) if share is None else share

    def job_terms(self) -> dict[str, Any]:
        """The cleaned input as the job services take it."""
        terms = dict(self.cleaned_data)
        terms["required_attestations"] = list(terms["required_attestations"])
        return terms


class LevelChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: QualificationLevel) -> str:
        return obj.name


def _levels_by_kind(levels: QuerySet[QualificationLevel]) -> list[tuple[Any, Any]]:
    """The levels as option groups, one per credential kind, each in ladder order."""
    groups: dict[str, list[tuple[int, str]]] = {kind: [] for kind in CredentialKind.values}
    for level in levels.order_by("ladder", "rank", "name"):
        groups.setdefault(level.kind, []).append((level.pk, level.name))
    choices: list[tuple[Any, Any]] = [("", "Choose a level")]
    for kind, label in CredentialKind.choices:
        if groups.get(kind):
            choices.append((label, groups[kind]))
    return choices


class SeatRequirementForm(forms.Form):
    """One row of the seats: N specialists holding a credential of a kind, in a field, at
    or above a level."""

    kind = forms.ChoiceField(
        choices=[("", "Choose a kind"), *CredentialKind.choices], label="Credential kind"
    )
    field = forms.ModelChoiceField(
        queryset=CredentialField.objects.active(), label="Field", empty_label="Choose a field"
    )
    min_level = LevelChoiceField(
        queryset=QualificationLevel.objects.active(),
        label="Minimum level",
        help_text="Higher levels of the same ladder count too.",
    )
    count = forms.IntegerField(
        min_value=1, max_value=MAX_POSITIVE_SMALL_INTEGER, label="Number of specialists"
    )
    note = forms.CharField(max_length=200, required=False, label="Note")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        level_field = self.fields["min_level"]
        assert isinstance(level_field, forms.ModelChoiceField) and level_field.queryset is not None
        level_field.choices = _levels_by_kind(level_field.queryset)

    @staticmethod
    def initial_for(seat: SeatRequirement) -> dict[str, Any]:
        return {
            "kind": seat.min_level.kind,
            "field": seat.field_id,
            "min_level": seat.min_level_id,
            "count": seat.count,
            "note": seat.note,
        }

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        kind, level = cleaned.get("kind"), cleaned.get("min_level")
        if kind and level is not None and level.kind != kind:
            self.add_error(
                "min_level",
                f"{level.name} is a {level.get_kind_display().lower()} level; choose a "
                f"{CredentialKind(kind).label.lower()} level or change the credential kind.",
            )
        return cleaned

    def seat_terms(self) -> dict[str, Any]:
        """The cleaned row as labs.services.seat_requirement_add takes it."""
        return {
            "count": self.cleaned_data["count"],
            "field": self.cleaned_data["field"],
            "min_level": self.cleaned_data["min_level"],
            "note": self.cleaned_data.get("note", ""),
        }


class BaseSeatRequirementFormSet(forms.BaseFormSet):
    """Every row is new to the server: saving a draft replaces its seat requirements as a
    whole, so rows carry no ids (nothing to forge) and a row left blank is skipped."""

    def initial_form_count(self) -> int:
        return 0

    def total_form_count(self) -> int:
        if self.is_bound:
            return int(super().total_form_count())
        return max(len(self.initial or []), 1)

    def add_fields(self, form: forms.Form, index: int | None) -> None:
        super().add_fields(form, index)
        if self.can_delete and forms.formsets.DELETION_FIELD_NAME in form.fields:
            form.fields[forms.formsets.DELETION_FIELD_NAME].label = "Remove this seat"

    def rows_to_save(self) -> list[SeatRequirementForm]:
        """Filled-in rows not marked for removal (call after is_valid())."""
        return [
            form
            for form in self.forms
            if form.has_changed()
            and form.cleaned_data
            and not form.cleaned_data.get(forms.formsets.DELETION_FIELD_NAME)
        ]


SeatRequirementFormSet = forms.formset_factory(
    SeatRequirementForm,
    formset=BaseSeatRequirementFormSet,
    extra=0,
    can_delete=True,
    max_num=MAX_SEAT_ROWS,
    validate_max=True,
    absolute_max=MAX_SEAT_ROWS + 5,
)

SEATS_PREFIX = "seats"


def seat_formset(
    data: Any = None, *, initial: list[dict[str, Any]] | None = None
) -> BaseSeatRequirementFormSet:
    """The seat rows of the job form, posted (`data`) or to fill in (`initial`)."""
    formset = SeatRequirementFormSet(data, initial=initial, prefix=SEATS_PREFIX)
    assert isinstance(formset, BaseSeatRequirementFormSet)
    return formset


def typed_values(form: forms.BaseForm) -> dict[str, Any]:
    """What the user typed into a bound form, as initial values for a fresh one."""
    return {bound.name: bound.value() for bound in form}


def seat_formset_with_row_added(seats: BaseSeatRequirementFormSet) -> BaseSeatRequirementFormSet:
    """The rows as typed plus an empty one, unbound so nothing is reported missing yet."""
    rows = [typed_values(row) for row in seats.forms][:MAX_SEAT_ROWS]
    if len(rows) < MAX_SEAT_ROWS:
        rows.append({})
    formset = seat_formset(initial=rows)
    # Whoever asked for the row goes on typing in it.
    formset.forms[-1].fields["kind"].widget.attrs["autofocus"] = True
    return formset


class ReasonForm(forms.Form):
    """A reason a move takes (cancel, mark unsuccessful). Whether it may be blank is the
    service's rule, so the field is optional here and the browser is asked to require it."""

    reason = forms.CharField(
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3, "required": True}),
    )

    def __init__(self, *args: Any, label: str = "Reason", **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.fields["reason"].label = label


class AnswerForm(forms.Form):
    answer = forms.CharField(
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3, "required": True}),
        help_text="Every vendor that can see the job reads the answer; the asker is never named.",
    )

    def __init__(self, *args: Any, number: int | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.fields["answer"].label = f"Answer to question {number}" if number else "Answer"


# --- The job list filter --------------------------------------------------------------------

# Jobs that have ended one way or another.
CLOSED_STATUSES = (JobStatus.COMPLETED, JobStatus.CANCELLED, JobStatus.UNSUCCESSFUL)
STAGES = {
    "draft": (JobStatus.DRAFT,),
    "open": (JobStatus.OPEN,),
    "evaluation": (JobStatus.EVALUATION,),
    "awarded": (JobStatus.AWARDED,),
    "closed": CLOSED_STATUSES,
}
STAGE_CHOICES = [
    ("draft", "Drafts"),
    ("open", "Open"),
    ("evaluation", "In evaluation"),
    ("awarded", "Awarded"),
    ("closed", "Closed (completed, cancelled or unsuccessful)"),
]


class LabJobFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(
        choices=STAGE_CHOICES,
        empty_label="All jobs",
        label="Show",
        method="filter_stage",
        widget=forms.Select(attrs={"data-autosubmit": ""}),
    )

    class Meta:
        model = Job
        fields = ["status"]

    def filter_stage(self, queryset: QuerySet[Job], name: str, value: str) -> QuerySet[Job]:
        return queryset.filter(status__in=STAGES[value]) if value in STAGES else queryset
