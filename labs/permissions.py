"""Who may do what at a lab. Used by services, API permissions and templates alike."""

from __future__ import annotations

from labs.models import Lab
from marketplace.accounts.models import Role, User
from marketplace.accounts.permissions import is_member, role_in

JOB_ROLES = (Role.LAB_OWNER, Role.PROCUREMENT)
EVALUATION_ROLES = (Role.LAB_OWNER, Role.PROCUREMENT, Role.REVIEWER)
AWARD_ROLES = (Role.LAB_OWNER, Role.PROCUREMENT)
POLICY_ROLES = (Role.LAB_OWNER,)
COMPETITOR_ROLES = (Role.LAB_OWNER, Role.PROCUREMENT)


def can_view_lab(user: User | None, lab: Lab) -> bool:
    return is_member(user, lab.organisation_id)


def can_manage_jobs(user: User | None, lab: Lab) -> bool:
    """Create, edit, publish, close and cancel jobs."""
    return role_in(user, lab.organisation_id, JOB_ROLES)


def can_answer_questions(user: User | None, lab: Lab) -> bool:
    return role_in(user, lab.organisation_id, EVALUATION_ROLES)


def can_evaluate_bids(user: User | None, lab: Lab) -> bool:
    """Shortlist and reject bids, and rate completed work."""
    return role_in(user, lab.organisation_id, EVALUATION_ROLES)


def can_award(user: User | None, lab: Lab) -> bool:
    return role_in(user, lab.organisation_id, AWARD_ROLES)


def can_manage_competitors(user: User | None, lab: Lab) -> bool:
    return role_in(user, lab.organisation_id, COMPETITOR_ROLES)


def can_manage_policy(user: User | None, lab: Lab) -> bool:
    return role_in(user, lab.organisation_id, POLICY_ROLES)
