"""The webhook event catalogue: every event a partner's endpoint can subscribe to, with who
receives it. docs/webhooks.md describes each payload.

The exchange and vendors apps never import this app: they record an event in its outbox
through the app registry, in their own transaction (PartnersConfig.event_emit)."""

from __future__ import annotations

from collections.abc import Iterable

from marketplace.core.errors import RuleViolation

# A test delivery sent from the admin; not subscribable, always sent to the one endpoint.
PING = "ping"

EVENT_TYPES: dict[str, str] = {
    "job.published": "Lab: one of its jobs was published and is open for bids.",
    "job.evaluation_started": "Lab and each vendor with a submitted bid: bidding closed.",
    "job.awarded": "Lab: one of its jobs was awarded (single or split).",
    "invitation.created": "Vendor: it was invited to bid on a job.",
    "question.answered": "Vendors that can see the job: a question on it was answered.",
    "bid.submitted": "Lab: a bid arrived (sealed jobs: no price or terms).",
    "bid.revised": "Lab: a bid's terms changed (sealed jobs: no price or terms).",
    "bid.withdrawn": "Lab: a bid was withdrawn.",
    "award.made": "Vendor: its own bid was awarded, with its share.",
    "screening.changed": "Lab: a vendor's or bid's screening verdict got worse.",
    "credential.expired": "Vendor: credentials of its specialists expired.",
    "roster_import.finished": "Vendor: a roster import finished (done or failed).",
}


def event_types_validate(event_types: Iterable[str]) -> list[str]:
    """The subscribed events, de-duplicated in catalogue order; unknown names are refused."""
    if isinstance(event_types, str) or not isinstance(event_types, Iterable):
        raise RuleViolation("Event types must be a list of event names.", field="event_types")
    wanted = [str(e).strip() for e in event_types]
    unknown = sorted({e for e in wanted if e not in EVENT_TYPES})
    if unknown:
        raise RuleViolation(f"Unknown event type(s): {', '.join(unknown)}.", field="event_types")
    if not wanted:
        raise RuleViolation("Subscribe to at least one event.", field="event_types")
    return [e for e in EVENT_TYPES if e in set(wanted)]
