"""Request bodies for the API tests."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from tests.factories import CredentialFieldFactory, DomainFactory, QualificationLevelFactory


def job_payload(**overrides: Any) -> dict[str, Any]:
    """A valid draft job with one seat requirement, as JSON."""
    now = timezone.now()
    payload: dict[str, Any] = {
        "title": "Grade clinical answers",
        "domain": DomainFactory().code,
        "description": "Physicians grade model answers to clinical questions.",
        "volume": 2000,
        "volume_unit": "items",
        "budget_min": "20000.00",
        "budget_max": "60000.00",
        "currency": "USD",
        "question_deadline": (now + timedelta(days=5)).isoformat(),
        "bid_deadline": (now + timedelta(days=10)).isoformat(),
        "delivery_date": (timezone.localdate() + timedelta(days=60)).isoformat(),
        "seat_requirements": [
            {
                "count": 2,
                "field": CredentialFieldFactory().code,
                "min_level": QualificationLevelFactory().code,
            }
        ],
    }
    payload.update(overrides)
    return payload
