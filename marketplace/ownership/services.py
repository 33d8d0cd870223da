"""Writes to the ownership graph. Every change bumps the ownership data version inside
the same transaction, so a screening can say which state of the data it saw."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db import transaction
from django.db.models import F

from marketplace.core.async_work import enqueue_on_commit
from marketplace.core.errors import InvalidTransition, RuleViolation
from marketplace.ownership.models import (
    PERSON_TYPES,
    DirectOrIndirect,
    Entity,
    EntityType,
    InterestType,
    OwnershipChange,
    OwnershipDataVersion,
    Provenance,
    RecordType,
    Stake,
)


def ownership_version_bump() -> int:
    """Caller holds a transaction. Returns the new version."""
    OwnershipDataVersion.objects.get_or_create(id=1)
    OwnershipDataVersion.objects.filter(id=1).update(version=F("version") + 1)
    return OwnershipDataVersion.objects.values_list("version", flat=True).get(id=1)


RESCREEN_TASK = "marketplace.exchange.tasks.process_ownership_changes_task"


def _record_change(stake: Stake) -> None:
    """Caller holds a transaction. Bumps the version and leaves a row for re-screening."""
    version = ownership_version_bump()
    OwnershipChange.objects.create(subject_id=stake.subject_id, stake=stake, version=version)
    enqueue_on_commit(RESCREEN_TASK)


def ownership_version_current() -> int:
    return OwnershipDataVersion.objects.filter(id=1).values_list("version", flat=True).first() or 0


@transaction.atomic
def entity_create(
    *,
    name: str,
    entity_type: str = EntityType.REGISTERED_ENTITY,
    jurisdiction: str = "",
    identifiers: list[dict[str, str]] | None = None,
    record_id: str | None = None,
    source: str = "",
) -> Entity:
    if not name.strip():
        raise RuleViolation("An entity needs a name.", field="name")
    record_type = RecordType.PERSON if entity_type in PERSON_TYPES else RecordType.ENTITY
    fields: dict[str, object] = {
        "name": name.strip(),
        "entity_type": entity_type,
        "record_type": record_type,
        "jurisdiction": jurisdiction,
        "identifiers": identifiers or [],
        "source": source,
    }
    if record_id:
        fields["record_id"] = record_id
    entity = Entity.objects.create(**fields)
    ownership_version_bump()
    return entity


def _validate_share(
    share_exact: Decimal | None, share_min: Decimal | None, share_max: Decimal | None
) -> None:
    for label, value in (
        ("share", share_exact),
        ("minimum share", share_min),
        ("maximum share", share_max),
    ):
        if value is not None and not (Decimal(0) <= value <= Decimal(100)):
            raise RuleViolation(f"The {label} must be between 0 and 100%.", field="share")
    if share_exact is not None and (share_min is not None or share_max is not None):
        raise RuleViolation("Give an exact share or a range, not both.", field="share")
    if share_min is not None and share_max is not None and share_min > share_max:
        raise RuleViolation("The minimum share is above the maximum.", field="share")


def _validate_codes(*, interest_type: str, direct_or_indirect: str, provenance: str) -> None:
    if interest_type not in InterestType.values:
        raise RuleViolation(f"Unknown interest type {interest_type!r}.", field="interest_type")
    if direct_or_indirect not in DirectOrIndirect.values:
        raise RuleViolation(
            f"Direct or indirect must be one of {', '.join(DirectOrIndirect.values)}.",
            field="direct_or_indirect",
        )
    if provenance not in Provenance.values:
        raise RuleViolation(f"Unknown provenance {provenance!r}.", field="provenance")


@transaction.atomic
def stake_create(
    *,
    interested_party: Entity,
    subject: Entity,
    interest_type: str,
    provenance: str,
    share_exact: Decimal | None = None,
    share_min: Decimal | None = None,
    share_max: Decimal | None = None,
    direct_or_indirect: str = DirectOrIndirect.DIRECT,
    beneficial_ownership_or_control: bool = False,
    start_date: date | None = None,
    end_date: date | None = None,
    component_record_ids: list[str] | None = None,
    record_id: str | None = None,
    interest_index: int = 0,
    source_note: str = "",
    declared_at: date | None = None,
    is_component: bool = False,
) -> Stake:
    if interested_party.pk == subject.pk:
        raise RuleViolation("An entity cannot hold a stake in itself.", field="subject")
    _validate_codes(
        interest_type=interest_type, direct_or_indirect=direct_or_indirect, provenance=provenance
    )
    _validate_share(share_exact, share_min, share_max)
    if start_date and end_date and end_date <= start_date:
        raise RuleViolation("A stake must end after it starts.", field="end_date")
    fields: dict[str, object] = {
        "interested_party": interested_party,
        "subject": subject,
        "interest_type": interest_type,
        "provenance": provenance,
        "share_exact": share_exact,
        "share_min": share_min,
        "share_max": share_max,
        "direct_or_indirect": direct_or_indirect,
        "beneficial_ownership_or_control": beneficial_ownership_or_control,
        "start_date": start_date,
        "end_date": end_date,
        "component_record_ids": component_record_ids or [],
        "interest_index": interest_index,
        "source_note": source_note,
        "declared_at": declared_at,
        "is_component": is_component,
    }
    if record_id:
        fields["record_id"] = record_id
    stake = Stake.objects.create(**fields)
    _record_change(stake)
    return stake


STAKE_EDITABLE_FIELDS = frozenset(
    {
        "interest_type",
        "share_exact",
        "share_min",
        "share_max",
        "direct_or_indirect",
        "beneficial_ownership_or_control",
        "start_date",
        "end_date",
        "provenance",
        "component_record_ids",
        "source_note",
        "declared_at",
        "is_component",
    }
)


@transaction.atomic
def stake_update(*, stake: Stake, **changes: object) -> Stake:
    unknown = set(changes) - STAKE_EDITABLE_FIELDS
    if unknown:
        raise RuleViolation(f"These stake fields cannot be changed: {', '.join(sorted(unknown))}.")
    stake = Stake.objects.select_for_update().get(pk=stake.pk)
    for name, value in changes.items():
        setattr(stake, name, value)
    if stake.component_record_ids is None:
        stake.component_record_ids = []
    _validate_codes(
        interest_type=stake.interest_type,
        direct_or_indirect=stake.direct_or_indirect,
        provenance=stake.provenance,
    )
    _validate_share(stake.share_exact, stake.share_min, stake.share_max)
    if stake.start_date and stake.end_date and stake.end_date <= stake.start_date:
        raise RuleViolation("A stake must end after it starts.", field="end_date")
    stake.save()
    _record_change(stake)
    return stake


@transaction.atomic
def stake_end(*, stake: Stake, end_date: date) -> Stake:
    """Ends a stake: from `end_date` on it is no longer held."""
    stake = Stake.objects.select_for_update().get(pk=stake.pk)
    if stake.end_date is not None and stake.end_date <= end_date:
        raise InvalidTransition(f"This stake already ended on {stake.end_date.isoformat()}.")
    if stake.start_date is not None and end_date <= stake.start_date:
        raise RuleViolation("A stake must end after it starts.", field="end_date")
    stake.end_date = end_date
    stake.save(update_fields=["end_date", "updated_at"])
    _record_change(stake)
    return stake


ENTITY_EDITABLE_FIELDS = frozenset(
    {"name", "entity_type", "jurisdiction", "identifiers", "is_component", "source"}
)


@transaction.atomic
def entity_update(*, entity: Entity, **changes: object) -> Entity:
    """Changes an entity's details; the record type follows the entity type. A call that
    changes nothing writes nothing and leaves the version alone."""
    unknown = set(changes) - ENTITY_EDITABLE_FIELDS
    if unknown:
        raise RuleViolation(f"These entity fields cannot be changed: {', '.join(sorted(unknown))}.")
    if "name" in changes:
        name = str(changes["name"] or "").strip()
        if not name:
            raise RuleViolation("An entity needs a name.", field="name")
        changes["name"] = name
    if "entity_type" in changes and changes["entity_type"] not in EntityType.values:
        raise RuleViolation(f"Unknown entity type {changes['entity_type']!r}.", field="entity_type")
    if "identifiers" in changes and changes["identifiers"] is None:
        changes["identifiers"] = []
    entity = Entity.objects.select_for_update().get(pk=entity.pk)
    changed = {name: value for name, value in changes.items() if getattr(entity, name) != value}
    if not changed:
        return entity
    for name, value in changed.items():
        setattr(entity, name, value)
    entity.record_type = (
        RecordType.PERSON if entity.entity_type in PERSON_TYPES else RecordType.ENTITY
    )
    entity.save()
    ownership_version_bump()
    return entity
