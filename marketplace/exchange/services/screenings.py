from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from marketplace.accounts.models import User
from marketplace.core.errors import InvalidTransition, NotPermitted, RuleViolation
from marketplace.exchange.models import Screening, Verdict
from marketplace.exchange.permissions import can_override_screening


@transaction.atomic
def screening_override(*, screening: Screening, user: User, reason: str) -> Screening:
    """Turns a review or blocked verdict into cleared-by-override. Recorded with who, when
    and why in the screening's change history."""
    if not can_override_screening(user):
        raise NotPermitted("Only platform admins may override a screening.")
    if not reason.strip():
        raise RuleViolation("An override needs a reason.", field="reason")
    screening = Screening.objects.select_for_update().get(pk=screening.pk)
    if screening.verdict not in (Verdict.REVIEW, Verdict.BLOCKED):
        raise InvalidTransition(
            "Only a screening under review or blocked can be overridden; "
            f"this one is {screening.get_verdict_display() or 'not computed yet'}."
        )
    screening.verdict = Verdict.CLEARED_BY_OVERRIDE
    screening._history_user = user  # type: ignore[attr-defined]
    screening.override_reason = reason.strip()
    screening.overridden_by = user
    screening.overridden_at = timezone.now()
    screening.save(update_fields=["verdict", "override_reason", "overridden_by", "overridden_at"])
    return screening
