"""Who may do what at a vendor. Used by services, API permissions and templates alike."""

from __future__ import annotations

from marketplace.accounts.models import Role, User
from marketplace.accounts.permissions import is_member, role_in
from marketplace.ownership.models import Provenance, Stake
from vendors.models import Credential, CredentialStatus, Vendor

VENDOR_ADMIN_ROLES = (Role.VENDOR_OWNER,)
BID_ROLES = (Role.VENDOR_OWNER, Role.BID_MANAGER)
ROSTER_ROLES = (Role.VENDOR_OWNER, Role.BID_MANAGER)


def can_view_vendor(user: User | None, vendor: Vendor) -> bool:
    return is_member(user, vendor.organisation_id)


def can_manage_profile(user: User | None, vendor: Vendor) -> bool:
    """Profile, attestations and the ownership declaration."""
    return role_in(user, vendor.organisation_id, VENDOR_ADMIN_ROLES)


def can_manage_roster(user: User | None, vendor: Vendor) -> bool:
    return role_in(user, vendor.organisation_id, ROSTER_ROLES)


def can_bid(user: User | None, vendor: Vendor) -> bool:
    return role_in(user, vendor.organisation_id, BID_ROLES)


def can_verify_credentials(user: User | None) -> bool:
    """Credential verification is a platform admin's job, never a vendor's."""
    return bool(user and user.is_authenticated and user.is_active and user.is_staff)


# Row-level halves of the rules above, for lists: the role is checked once per page with
# the predicates above, these once per row, without a query.


def stake_is_endable_by_vendor(stake: Stake) -> bool:
    """A stake the vendor declared itself and has not ended (vendors.services.vendor_stake_end
    refuses imported and verified ones)."""
    return stake.provenance == Provenance.SELF_DECLARED and stake.end_date is None


def credential_is_correctable(credential: Credential) -> bool:
    """An expired credential is not corrected but renewed (vendors.services.credential_update)."""
    return credential.status != CredentialStatus.EXPIRED
