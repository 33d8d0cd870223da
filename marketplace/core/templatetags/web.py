"""Template helpers shared by every page: the act-once form token, money, shares."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django import template
from django.utils.html import format_html

from marketplace.core.web import FORM_TOKEN_FIELD, new_form_token

register = template.Library()


@register.simple_tag
def form_token() -> str:
    """A hidden field that makes the form act once however often it is posted."""
    return format_html(
        '<input type="hidden" name="{}" value="{}">', FORM_TOKEN_FIELD, new_form_token()
    )


@register.filter
def money(amount: Any, currency: str = "") -> str:
    """12345.5, "USD" -> "USD 12,345.50"."""
    if amount is None or amount == "":
        return "—"
    try:
        value = Decimal(amount)
    except (InvalidOperation, TypeError, ValueError):
        return str(amount)
    text = f"{value:,.2f}"
    return f"{currency} {text}".strip()


@register.filter
def percent(value: Any, places: int = 1) -> str:
    """A share held as a number of percent (49 -> "49%", 12.345 -> "12.3%")."""
    if value is None or value == "":
        return "—"
    try:
        number = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        return str(value)
    text = f"{number:.{int(places)}f}".rstrip("0").rstrip(".")
    return f"{text}%"
