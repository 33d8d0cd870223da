"""Browser forms of the lab's own settings: its competitors and its conflict policy.
They check the shape of the input; labs.services decides."""

from __future__ import annotations

from typing import Any

from django import forms

from labs.services import MAX_LOOKBACK_MONTHS


class CompetitorSearchForm(forms.Form):
    q = forms.CharField(label="Search entities by name", required=False, max_length=200)


class CompetitorAddForm(forms.Form):
    """An entity already in the ownership graph (its record id, from the search results)
    or a new entity by name: one of the two."""

    record_id = forms.CharField(required=False, max_length=200, widget=forms.HiddenInput)
    name = forms.CharField(
        label="Name of the new entity",
        required=False,
        max_length=300,
        help_text="Search first: naming an entity that is already in the ownership graph "
        "lets screening follow its stakes.",
    )
    note = forms.CharField(label="Note (optional)", required=False, max_length=300)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        record_id = (data.get("record_id") or "").strip()
        name = (data.get("name") or "").strip()
        if record_id and name:
            raise forms.ValidationError("Pick an entity from the results or name a new one.")
        if not record_id and not name:
            self.add_error("name", "Give the competitor's name.")
        data["record_id"], data["name"] = record_id or None, name or None
        return data


class ConflictPolicyForm(forms.Form):
    block_percent = forms.DecimalField(
        label="Block at (%)",
        min_value=0,
        max_value=100,
        max_digits=6,
        decimal_places=3,
        help_text="A vendor is blocked when a competitor's effective economic or voting "
        "stake in it (its lower bound) reaches this share.",
    )
    review_percent = forms.DecimalField(
        label="Review at (%)",
        min_value=0,
        max_value=100,
        max_digits=6,
        decimal_places=3,
        help_text="A vendor needs review when a competitor's effective stake (its upper "
        "bound) reaches this share. At most the block threshold.",
    )
    lookback_months = forms.IntegerField(
        label="Lookback (months)",
        min_value=0,
        max_value=MAX_LOOKBACK_MONTHS,
        help_text="How long a vendor's former senior official who moved to a competitor "
        "still counts as influence.",
    )
