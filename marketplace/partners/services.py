"""Writes for partner access: creating and revoking organisation API keys."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from marketplace.accounts.models import Membership, Organisation, User
from marketplace.accounts.permissions import OWNER_ROLE_BY_KIND, role_in
from marketplace.core.errors import InvalidTransition, NotPermitted, RuleViolation
from marketplace.partners.models import APIKeyScope, OrganisationAPIKey
from marketplace.partners.recent_keys import recent_keys

# How often a key's last-used time is written: at most once per this many seconds.
LAST_USED_RESOLUTION_SECONDS = 60


def can_manage_api_keys(user: User | None, organisation: Organisation) -> bool:
    """The organisation's owner, or a platform admin. A key never manages keys."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if hasattr(user, "api_key"):
        return False
    return user.is_staff or role_in(user, organisation, [OWNER_ROLE_BY_KIND[organisation.kind]])


@transaction.atomic
def api_key_create(
    *,
    organisation: Organisation,
    scope: str,
    name: str,
    created_by: User | None = None,
    expires_at: datetime | None = None,
) -> tuple[OrganisationAPIKey, str]:
    """Creates a key and its service user. Returns the key and the raw key, which is
    shown once and never stored."""
    if created_by is not None and not can_manage_api_keys(created_by, organisation):
        raise NotPermitted("Only the organisation's owner may create API keys.")
    if scope not in APIKeyScope.values:
        raise RuleViolation("The scope must be read or write.", field="scope")
    name = (name or "").strip()
    if not name:
        raise RuleViolation("An API key needs a name.", field="name")
    if len(name) > 50:
        raise RuleViolation("The name can be at most 50 characters.", field="name")
    if expires_at is not None and expires_at <= timezone.now():
        raise RuleViolation("The expiry must be in the future.", field="expires_at")
    if not organisation.is_active:
        raise RuleViolation("The organisation is not active.")

    api_key = OrganisationAPIKey(
        organisation=organisation,
        scope=scope,
        name=name,
        created_by=created_by,
        expiry_date=expires_at,
    )
    raw_key = OrganisationAPIKey.objects.assign_key(api_key)
    actor = User.objects.create_user(
        email=f"api-key-{api_key.prefix.lower()}@keys.invalid",
        password=None,
        full_name=f"API key {name!r} ({organisation.name})",
    )
    Membership.objects.create(
        user=actor, organisation=organisation, role=OWNER_ROLE_BY_KIND[organisation.kind]
    )
    api_key.actor = actor
    api_key.save()
    return api_key, raw_key


@transaction.atomic
def api_key_revoke(*, api_key: OrganisationAPIKey, user: User) -> OrganisationAPIKey:
    """Revokes the key for good and deactivates its service user."""
    if not can_manage_api_keys(user, api_key.organisation):
        raise NotPermitted("Only the organisation's owner may revoke API keys.")
    api_key = OrganisationAPIKey.objects.select_for_update().get(pk=api_key.pk)
    if api_key.revoked:
        raise InvalidTransition("This API key is already revoked.")
    api_key.revoked = True
    api_key.save(update_fields=["revoked"])
    User.objects.filter(pk=api_key.actor_id).update(is_active=False)
    # Forgotten now, and again after commit in case a request in another thread of this
    # process looked it up in between.
    recent_keys.forget(api_key.prefix)
    transaction.on_commit(lambda: recent_keys.forget(api_key.prefix))
    return api_key


def api_key_record_use(*, api_key: OrganisationAPIKey, now: datetime | None = None) -> None:
    """Writes the last-used time at most once a minute; a guarded update, so concurrent
    requests write it once. `api_key` as just read: when its time is recent, no query."""
    now = now or timezone.now()
    threshold = now - timedelta(seconds=LAST_USED_RESOLUTION_SECONDS)
    if api_key.last_used_at is not None and api_key.last_used_at >= threshold:
        return
    OrganisationAPIKey.objects.filter(
        Q(last_used_at__isnull=True) | Q(last_used_at__lt=threshold), pk=api_key.pk
    ).update(last_used_at=now)
    api_key.last_used_at = now
