"""Forms of the lab's evaluation pages: deciding on bids, awarding, completing contracts,
filtering screenings. They check the shape of the input only; the services decide."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from marketplace.exchange.models import Bid, Verdict

PENDING = "pending"
NOT_A_SHARE = "Each share must be a number of percent, such as 40."


class RejectForm(forms.Form):
    reason = forms.CharField(
        label="Reason (optional)",
        required=False,
        max_length=1000,
        help_text="Kept with the decision.",
    )


class ShortlistForm(forms.Form):
    """No fields: the button is the decision. A form so errors have a place to show."""


class SingleAwardForm(forms.Form):
    """A job that does not allow a split goes to one bid, for all of its volume."""

    bid = forms.TypedChoiceField(
        label="Bid to award", coerce=int, widget=forms.RadioSelect, empty_value=None
    )
    note = forms.CharField(
        label="Note (optional)",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, bids: Iterable[Bid], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.bids = list(bids)
        field = self.fields["bid"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(bid.pk, str(bid.vendor)) for bid in self.bids]

    def award_shares(self) -> dict[int, Decimal]:
        return {self.cleaned_data["bid"]: Decimal(100)}


class ShareInputs(forms.Widget):
    """One percentage input per bid, named `share_<bid id>`; the template draws them in
    the bids' table, so this widget only reads them back."""

    def __init__(self, bid_ids: Iterable[int] = (), attrs: dict[str, Any] | None = None):
        super().__init__(attrs)
        self.bid_ids = list(bid_ids)

    def value_from_datadict(self, data: Mapping[str, Any], files: Any, name: str) -> dict[int, str]:
        return {bid_id: (data.get(f"share_{bid_id}") or "").strip() for bid_id in self.bid_ids}

    def value_omitted_from_data(self, data: Mapping[str, Any], files: Any, name: str) -> bool:
        return not any(f"share_{bid_id}" in data for bid_id in self.bid_ids)


class SharesField(forms.Field):
    """{bid id: "40"} -> {bid id: Decimal("40")}, leaving out bids given no share."""

    widget = ShareInputs

    def to_python(self, value: Any) -> dict[int, Decimal]:
        shares: dict[int, Decimal] = {}
        for bid_id, raw in (value or {}).items():
            if raw in ("", None):
                continue
            try:
                share = Decimal(str(raw).replace("%", "").strip())
            except InvalidOperation:
                raise ValidationError(NOT_A_SHARE) from None
            if not share.is_finite():
                raise ValidationError(NOT_A_SHARE)
            if share == 0:
                continue  # a zero share is no share: that bid is not part of the award
            shares[bid_id] = share
        return shares


class SplitAwardForm(forms.Form):
    """A split award: a share of the volume for each chosen bid."""

    # Not required here: the award service says what an empty award lacks.
    shares = SharesField(
        required=False,
        label="Volume share per bid (%)",
        help_text="Leave a bid empty to leave it out.",
    )
    note = forms.CharField(
        label="Note (optional)",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, bids: Iterable[Bid], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.bids = list(bids)
        self.fields["shares"].widget = ShareInputs(bid_ids=[bid.pk for bid in self.bids])

    def award_shares(self) -> dict[int, Decimal]:
        return dict(self.cleaned_data["shares"])


RATING_CHOICES = [(n, f"{n} of 5") for n in range(5, 0, -1)]


class ContractCompleteForm(forms.Form):
    delivered_on = forms.DateField(
        label="Delivered on",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    rating = forms.TypedChoiceField(
        label="Rating", choices=RATING_CHOICES, coerce=int, widget=forms.RadioSelect
    )
    comment = forms.CharField(
        label="Comment (optional)",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, **kwargs: Any):
        kwargs.setdefault("initial", {"delivered_on": timezone.localdate().isoformat()})
        super().__init__(*args, **kwargs)


VERDICT_FILTER_CHOICES = [("", "All verdicts"), *Verdict.choices, (PENDING, "Pending")]


class ScreeningFilterForm(forms.Form):
    verdict = forms.ChoiceField(
        label="Verdict",
        choices=VERDICT_FILTER_CHOICES,
        required=False,
        widget=forms.Select(attrs={"data-autosubmit": ""}),
    )
