"""Browser forms for the vendor's own pages: profile, attestations, roster, roster
import and ownership declaration. They check the shape of the input only; every rule
is the service's (vendors/services.py), whose refusals the views show next to a field."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.db.models import Q, QuerySet

from marketplace.core.models import AttestationKind, CredentialField, QualificationLevel
from marketplace.ownership.models import DirectOrIndirect, Entity, EntityType, InterestType
from vendors.models import AffiliationRole, Credential


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class EntityChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Entity) -> str:
        return f"{obj.name} ({obj.get_entity_type_display().lower()})"


class LevelChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: QualificationLevel) -> str:
        return f"{obj.name} ({obj.get_kind_display().lower()})"


def _set_choices(form: forms.Form, name: str, queryset: QuerySet) -> None:
    cast(forms.ModelChoiceField, form.fields[name]).queryset = queryset


def _active_or_current(queryset: QuerySet, current_id: int | None) -> QuerySet:
    """The active vocabulary entries, plus the one already chosen even if retired since,
    so correcting another detail does not force a new choice."""
    if current_id is None:
        return queryset.filter(is_active=True)
    return queryset.filter(Q(is_active=True) | Q(pk=current_id))


# --- Profile ------------------------------------------------------------------------------


class ProfileForm(forms.Form):
    description = forms.CharField(
        label="Description",
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="What your team does, for the labs that read your bids.",
    )
    website = forms.URLField(label="Website", required=False, max_length=200, assume_scheme="https")
    headquarters = forms.CharField(
        label="Headquarters", required=False, max_length=120, help_text="City and country."
    )


# --- Attestations -------------------------------------------------------------------------


class AttestationForm(forms.Form):
    kind = forms.ModelChoiceField(
        label="Kind",
        queryset=AttestationKind.objects.none(),
        empty_label="Choose a kind",
    )
    issuer = forms.CharField(
        label="Issuer",
        required=False,
        max_length=200,
        help_text="The auditor or counterparty, e.g. the audit firm of a SOC 2 report.",
    )
    issued_on = forms.DateField(label="Valid from", widget=DateInput())
    expires_on = forms.DateField(label="Valid until", widget=DateInput())
    document = forms.FileField(
        label="Document",
        required=False,
        help_text="The report or certificate: a PDF or an image (PNG, JPEG).",
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,image/png,image/jpeg"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _set_choices(self, "kind", AttestationKind.objects.active().order_by("name"))


# --- Roster -------------------------------------------------------------------------------


class SpecialistForm(forms.Form):
    full_name = forms.CharField(label="Full name", max_length=200)
    email = forms.EmailField(
        label="E-mail",
        required=False,
        help_text="Identifies the specialist in roster imports.",
    )
    headline = forms.CharField(
        label="Headline",
        required=False,
        max_length=200,
        help_text="One line on their expertise, e.g. “Emergency physician, 12 years”.",
    )


class CredentialForm(forms.Form):
    field = forms.ModelChoiceField(
        label="Field", queryset=CredentialField.objects.none(), empty_label="Choose a field"
    )
    level = LevelChoiceField(
        label="Level", queryset=QualificationLevel.objects.none(), empty_label="Choose a level"
    )
    issuer = forms.CharField(
        label="Issuer",
        max_length=200,
        help_text="Who issued it: a licensing board, a university.",
    )
    identifier = forms.CharField(
        label="Identifier",
        required=False,
        max_length=100,
        help_text="Licence or certificate number; blank for most degrees.",
    )
    issued_on = forms.DateField(label="Issued on", required=False, widget=DateInput())
    expires_on = forms.DateField(
        label="Expires on",
        required=False,
        widget=DateInput(),
        help_text="Blank for credentials that do not expire.",
    )

    def __init__(self, *args: Any, credential: Credential | None = None, **kwargs: Any) -> None:
        if credential is not None:
            recorded = {
                "field": credential.field_id,
                "level": credential.level_id,
                "issuer": credential.issuer,
                "identifier": credential.identifier,
                "issued_on": credential.issued_on,
                "expires_on": credential.expires_on,
            }
            kwargs["initial"] = {**recorded, **(kwargs.get("initial") or {})}
        super().__init__(*args, **kwargs)
        _set_choices(
            self,
            "field",
            _active_or_current(
                CredentialField.objects.order_by("name"),
                credential.field_id if credential else None,
            ),
        )
        _set_choices(
            self,
            "level",
            _active_or_current(
                QualificationLevel.objects.order_by("ladder", "rank", "name"),
                credential.level_id if credential else None,
            ),
        )

    def changes(self) -> dict[str, Any]:
        """Only what the user changed: any change sends the credential back to pending."""
        return {name: self.cleaned_data[name] for name in self.changed_data}


class AffiliationForm(forms.Form):
    organisation = EntityChoiceField(
        label="Organisation",
        queryset=Entity.objects.none(),
        empty_label="Choose an organisation",
        help_text="The employer or the organisation they advise.",
    )
    role = forms.ChoiceField(label="Role", choices=AffiliationRole.choices)
    start_date = forms.DateField(label="Start date", required=False, widget=DateInput())
    end_date = forms.DateField(
        label="End date",
        required=False,
        widget=DateInput(),
        help_text="The first day it no longer holds; blank if it still does.",
    )

    def __init__(self, *args: Any, organisations: QuerySet[Entity], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _set_choices(self, "organisation", organisations)


class EndDateForm(forms.Form):
    end_date = forms.DateField(
        label="End date", widget=DateInput(), help_text="The first day it no longer holds."
    )


# --- Roster import ------------------------------------------------------------------------

ALL_OR_NOTHING = "all"
VALID_ROWS_ONLY = "valid"


class RosterImportForm(forms.Form):
    file = forms.FileField(
        label="Roster file (CSV)",
        help_text="UTF-8 CSV, one row per credential, at most 5 MB.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )
    mode = forms.ChoiceField(
        label="If some rows are wrong",
        choices=[
            (ALL_OR_NOTHING, "All or nothing: import nothing and list every problem"),
            (VALID_ROWS_ONLY, "Import valid rows only, and list the wrong ones"),
        ],
        initial=ALL_OR_NOTHING,
        widget=forms.RadioSelect,
    )

    @property
    def valid_rows_only(self) -> bool:
        return self.cleaned_data["mode"] == VALID_ROWS_ONLY


# --- Ownership ----------------------------------------------------------------------------


STAKE_TERMS = (
    "interest_type",
    "share_exact",
    "share_min",
    "share_max",
    "direct_or_indirect",
    "beneficial_ownership_or_control",
    "start_date",
)


class StakeForm(forms.Form):
    subject = EntityChoiceField(
        label="Stake in",
        queryset=Entity.objects.none(),
        empty_label=None,
        help_text="Your own company, or an owner of it you declared earlier.",
    )
    interested_party = EntityChoiceField(
        label="Existing interested party",
        queryset=Entity.objects.none(),
        required=False,
        empty_label="None: a new one, named below",
        help_text="A company or person already known to the platform.",
    )
    new_party_name = forms.CharField(
        label="Or a new interested party: name", required=False, max_length=300
    )
    new_party_type = forms.ChoiceField(
        label="Kind of the new interested party",
        choices=EntityType.choices,
        initial=EntityType.REGISTERED_ENTITY,
        help_text="Used only for a new interested party.",
    )
    interest_type = forms.ChoiceField(
        label="Interest type",
        choices=InterestType.choices,
        initial=InterestType.SHAREHOLDING,
        help_text="As in the Beneficial Ownership Data Standard (BODS 0.4).",
    )
    share_exact = forms.DecimalField(
        label="Exact share (%)", required=False, max_digits=9, decimal_places=6
    )
    share_min = forms.DecimalField(
        label="Minimum share (%)", required=False, max_digits=9, decimal_places=6
    )
    share_max = forms.DecimalField(
        label="Maximum share (%)",
        required=False,
        max_digits=9,
        decimal_places=6,
        help_text="Give an exact share, or a range, or leave all three blank if unknown.",
    )
    direct_or_indirect = forms.ChoiceField(
        label="Direct or indirect",
        choices=DirectOrIndirect.choices,
        initial=DirectOrIndirect.DIRECT,
    )
    beneficial_ownership_or_control = forms.BooleanField(
        label="Beneficial ownership or control", required=False
    )
    start_date = forms.DateField(label="Start date", required=False, widget=DateInput())

    def __init__(
        self,
        *args: Any,
        subjects: QuerySet[Entity],
        parties: QuerySet[Entity],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        _set_choices(self, "subject", subjects)
        _set_choices(self, "interested_party", parties)

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        existing, name = data.get("interested_party"), (data.get("new_party_name") or "").strip()
        if existing is not None and name:
            self.add_error(
                "new_party_name",
                "Choose an existing interested party or name a new one, not both.",
            )
        elif existing is None and not name and "interested_party" not in self.errors:
            self.add_error(
                "interested_party", "Choose an existing interested party or name a new one."
            )
        data["new_party_name"] = name
        return data

    def terms(self) -> dict[str, Any]:
        """The stake's terms for vendors.services.vendor_stake_declare."""
        data = self.cleaned_data
        return {name: data[name] for name in STAKE_TERMS}


class BodsImportForm(forms.Form):
    file = forms.FileField(
        label="BODS 0.4 file",
        help_text="A JSON array of statements, or JSON Lines; at most 10 MB.",
        widget=forms.ClearableFileInput(attrs={"accept": ".json,.jsonl,application/json"}),
    )
