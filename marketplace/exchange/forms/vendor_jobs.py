"""Forms of the vendor's job and bid pages. They check the input's shape; the rules
(deadlines, currency, the roster) are the services' and come back as DomainErrors."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms

from marketplace.core.fields import MAX_POSITIVE_INTEGER
from marketplace.core.models import Domain
from marketplace.exchange.selectors import SpecialistFit
from vendors.models import Specialist


class VendorForm(forms.Form):
    """Labels without Django's trailing colon: "Price", as a screen reader says it."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class JobFilterForm(VendorForm):
    domain = forms.ModelChoiceField(
        queryset=Domain.objects.active(),
        to_field_name="code",
        required=False,
        empty_label="All domains",
        label="Domain",
        widget=forms.Select(attrs={"data-autosubmit": ""}),
    )


class QuestionAskForm(VendorForm):
    body = forms.CharField(
        label="Your question",
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="The lab's answer is shown to every vendor that can see this job. "
        "Your organisation is never named.",
    )


class SpecialistChoiceField(forms.ModelMultipleChoiceField):
    """The vendor's eligible specialists, each labelled with the seats they can fill."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.seats_by_id: dict[int, str] = {}
        super().__init__(*args, **kwargs)

    def label_from_instance(self, obj: Specialist) -> str:
        seats = self.seats_by_id.get(obj.pk)
        return f"{obj.full_name} (can fill: {seats})" if seats else obj.full_name


class BidForm(VendorForm):
    price = forms.DecimalField(
        label="Price", max_digits=14, decimal_places=2, help_text="The total for the whole job."
    )
    currency = forms.CharField(label="Currency", min_length=3, max_length=3)
    timeline_days = forms.IntegerField(
        label="Timeline (days)", min_value=1, max_value=MAX_POSITIVE_INTEGER
    )
    note = forms.CharField(
        label="Note to the lab",
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    specialists = SpecialistChoiceField(
        label="Proposed specialists",
        queryset=Specialist.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, eligible: Sequence[SpecialistFit] = (), **kwargs: Any):
        super().__init__(*args, **kwargs)
        field = self.fields["specialists"]
        assert isinstance(field, SpecialistChoiceField)
        field.seats_by_id = {
            fit.specialist.pk: ", ".join(seat.label for seat in fit.seats) for fit in eligible
        }
        # Only the eligible are offered; a crafted post naming another is refused here.
        field.queryset = Specialist.objects.filter(
            pk__in=[fit.specialist.pk for fit in eligible]
        ).order_by("full_name", "pk")

    def clean_currency(self) -> str:
        return self.cleaned_data["currency"].strip().upper()

    def terms(self) -> dict[str, Any]:
        """The cleaned input as the bid services' keyword arguments."""
        data = self.cleaned_data
        return {
            "price": data["price"],
            "currency": data["currency"],
            "timeline_days": data["timeline_days"],
            "note": data["note"].strip(),
            "specialists": list(data["specialists"]),
        }


class BidWithdrawForm(VendorForm):
    """A confirmation: nothing to fill in but the act-once token."""
