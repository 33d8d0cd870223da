"""Helpers for the lab job pages: form posts as a browser sends them, invitations and
questions made through the services or straight in the database."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from decimal import Decimal
from html.parser import HTMLParser
from typing import Any

from django.utils import timezone

from labs.models import Job
from marketplace.core.models import CredentialKind
from marketplace.exchange import services as exchange
from marketplace.exchange.models import Invitation, Question
from tests.factories import (
    AttestationKindFactory,
    CredentialFieldFactory,
    DomainFactory,
    QualificationLevelFactory,
)
from tests.plugins.personas import VendorTeam

LOCAL = "%Y-%m-%dT%H:%M"


def seat_row(index: int, **values: Any) -> dict[str, Any]:
    level = values.pop("min_level", None) or QualificationLevelFactory()
    row = {
        "kind": level.kind,
        "field": (values.pop("field", None) or CredentialFieldFactory()).pk,
        "min_level": level.pk,
        "count": "3",
        "note": "",
    }
    row.update(values)
    return {f"seats-{index}-{name}": value for name, value in row.items()}


def management(total: int) -> dict[str, str]:
    return {
        "seats-TOTAL_FORMS": str(total),
        "seats-INITIAL_FORMS": "0",
        "seats-MIN_NUM_FORMS": "0",
        "seats-MAX_NUM_FORMS": "20",
    }


def job_post(*, seats: int = 1, **overrides: Any) -> dict[str, Any]:
    """What the job form posts when filled in correctly, with `seats` seat rows."""
    now = timezone.now()
    data: dict[str, Any] = {
        "title": "Radiology report grading",
        "domain": DomainFactory().pk,
        "description": "Radiologists grade model-written reports.",
        "volume": "500",
        "volume_unit": "items",
        "budget_min": "10000",
        "budget_max": "20000",
        "currency": "usd",
        "question_deadline": (now + timedelta(days=5)).strftime(LOCAL),
        "bid_deadline": (now + timedelta(days=10)).strftime(LOCAL),
        "delivery_date": (timezone.localdate() + timedelta(days=60)).isoformat(),
        "sensitivity": "phi",
        "required_attestations": [AttestationKindFactory().pk],
        "bidding": "sealed",
        "visibility": "all_vendors",
        "max_share_per_vendor": "100",
        "form_token": str(uuid.uuid4()),
        **management(seats),
    }
    for index in range(seats):
        data.update(seat_row(index))
    data.update(overrides)
    return data


def degree_level(code: str = "phd", rank: int = 3) -> Any:
    return QualificationLevelFactory(
        code=code, name=code.upper(), kind=CredentialKind.DEGREE, ladder="degree", rank=rank
    )


def invite(job: Job, team: VendorTeam, *, rank: int = 1, reasons: list[str] | None = None):
    """An invitation as matching stores it."""
    return Invitation.objects.create(
        job=job,
        vendor=team.vendor,
        rank=rank,
        score=Decimal("81.250"),
        reasons=reasons if reasons is not None else ["Can staff every seat."],
    )


def ask(job: Job, team: VendorTeam, body: str = "Is the data de-identified?") -> Question:
    return exchange.question_ask(job=job, vendor=team.vendor, user=team.bid_manager, body=body)


def token() -> str:
    return str(uuid.uuid4())


# --- Reading a page as a user would ---------------------------------------------------------


class _Page(HTMLParser):
    """Collects the visible text, the values the form fields show, and the field errors."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.values: dict[str, Any] = {}
        self._skip = 0
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        name = a.get("name") or ""
        if tag in ("script", "style", "title"):
            self._skip += 1
        elif tag == "input" and name:
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self.values.setdefault(name, []).append(a.get("value", "on"))
                else:
                    self.values.setdefault(name, [])
            elif kind not in ("submit", "button"):
                self.values[name] = a.get("value", "")
        elif tag == "select":
            self._select = name
            self.values.setdefault(name, "")
        elif tag == "option" and self._select and "selected" in a:
            self.values[self._select] = a.get("value", "")
        elif tag == "textarea":
            self._textarea = name
            self.values[name] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "title"):
            self._skip -= 1
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self.values[self._textarea] += data.lstrip("\n")
        elif not self._skip:
            self.text.append(data)


def page(response: Any) -> _Page:
    parsed = _Page()
    parsed.feed(response.content.decode())
    return parsed


def text(response: Any) -> str:
    """The page's text with whitespace collapsed, as a reader meets it."""
    return " ".join(" ".join(page(response).text).split())


def values(response: Any) -> dict[str, Any]:
    """What each form field on the page shows, by field name."""
    return page(response).values


def error_for(response: Any, field_id: str) -> str:
    """The text of the error list shown next to the field with this id."""
    match = re.search(
        rf'<ul class="errorlist"[^>]*id="{re.escape(field_id)}_error"[^>]*>(.*?)</ul>',
        response.content.decode(),
        re.S,
    )
    return " ".join(re.sub(r"<[^>]+>", " ", match.group(1)).split()) if match else ""
