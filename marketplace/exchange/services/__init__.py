"""Use cases where labs and vendors meet. Each public function is one transaction."""

from marketplace.exchange.services.awards import award_make, contract_complete
from marketplace.exchange.services.bids import (
    bid_draft_create,
    bid_reject,
    bid_revise,
    bid_shortlist,
    bid_submit,
    bid_withdraw,
)
from marketplace.exchange.services.jobs import (
    close_due_bidding,
    job_cancel,
    job_close_bidding,
    job_mark_unsuccessful,
    job_publish,
)
from marketplace.exchange.services.matching import (
    MatchResult,
    job_match,
    job_matching_record_failure,
    job_request_matching,
    reconcile_matching,
)
from marketplace.exchange.services.notifications import notification_mark_read, notify_organisation
from marketplace.exchange.services.questions import question_answer, question_ask
from marketplace.exchange.services.screenings import (
    lab_rescreen,
    process_ownership_changes,
    reconcile_screenings,
    screening_override,
    screening_record_failure,
    screening_record_failures,
    screening_refresh_now,
    screening_request,
    screening_run,
    screening_run_batch,
)

__all__ = [
    "MatchResult",
    "award_make",
    "bid_draft_create",
    "bid_reject",
    "bid_revise",
    "bid_shortlist",
    "bid_submit",
    "bid_withdraw",
    "close_due_bidding",
    "contract_complete",
    "job_cancel",
    "job_close_bidding",
    "job_mark_unsuccessful",
    "job_match",
    "job_matching_record_failure",
    "job_publish",
    "job_request_matching",
    "lab_rescreen",
    "notification_mark_read",
    "notify_organisation",
    "process_ownership_changes",
    "question_answer",
    "question_ask",
    "reconcile_matching",
    "reconcile_screenings",
    "screening_override",
    "screening_record_failure",
    "screening_record_failures",
    "screening_refresh_now",
    "screening_request",
    "screening_run",
    "screening_run_batch",
]
