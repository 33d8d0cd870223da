"""Entities and the stakes between them, in the vocabulary of BODS 0.4.

An Entity is a BODS entity or person record; a Stake is one interest of a BODS
relationship record (a relationship with three interests is three stakes sharing the
relationship's record id). Shares are percentages: exact, a min/max range, or unknown.
"""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords


def new_entity_record_id() -> str:
    return f"xdx-entity-{uuid.uuid4()}"


def new_stake_record_id() -> str:
    return f"xdx-relationship-{uuid.uuid4()}"


class RecordType(models.TextChoices):
    ENTITY = "entity", "Entity"
    PERSON = "person", "Person"


class EntityType(models.TextChoices):
    """BODS 0.4 entityType.type, plus personType for person records."""

    REGISTERED_ENTITY = "registeredEntity", "Registered entity"
    LEGAL_ENTITY = "legalEntity", "Legal entity"
    ARRANGEMENT = "arrangement", "Arrangement"
    ANONYMOUS_ENTITY = "anonymousEntity", "Anonymous entity"
    UNKNOWN_ENTITY = "unknownEntity", "Unknown entity"
    STATE = "state", "State"
    STATE_BODY = "stateBody", "State body"
    KNOWN_PERSON = "knownPerson", "Known person"
    ANONYMOUS_PERSON = "anonymousPerson", "Anonymous person"
    UNKNOWN_PERSON = "unknownPerson", "Unknown person"


PERSON_TYPES = (EntityType.KNOWN_PERSON, EntityType.ANONYMOUS_PERSON, EntityType.UNKNOWN_PERSON)


class Entity(models.Model):
    """A company, person or arrangement that can own or be owned."""

    record_id = models.CharField(max_length=200, unique=True, default=new_entity_record_id)
    record_type = models.CharField(
        max_length=10, choices=RecordType.choices, default=RecordType.ENTITY
    )
    entity_type = models.CharField(
        max_length=20, choices=EntityType.choices, default=EntityType.REGISTERED_ENTITY
    )
    name = models.CharField(max_length=300)
    jurisdiction = models.CharField(max_length=10, blank=True, help_text="ISO 3166 code")
    identifiers = models.JSONField(
        default=list, blank=True, help_text="BODS identifiers: [{scheme, id}]"
    )
    is_component = models.BooleanField(default=False)
    source = models.CharField(max_length=200, blank=True, help_text="Where the record came from")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "entities"
        indexes = [models.Index(fields=["name"])]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(
                        record_type=RecordType.PERSON,
                        entity_type__in=[t.value for t in PERSON_TYPES],
                    )
                    | (
                        Q(record_type=RecordType.ENTITY)
                        & ~Q(entity_type__in=[t.value for t in PERSON_TYPES])
                    )
                ),
                name="entity_type_matches_record_type",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_person(self) -> bool:
        return self.record_type == RecordType.PERSON


class InterestType(models.TextChoices):
    """The BODS 0.4 interestType codelist."""

    SHAREHOLDING = "shareholding", "Shareholding"
    VOTING_RIGHTS = "votingRights", "Voting rights"
    APPOINTMENT_OF_BOARD = "appointmentOfBoard", "Appointment of board"
    OTHER_INFLUENCE_OR_CONTROL = "otherInfluenceOrControl", "Other influence or control"
    SENIOR_MANAGING_OFFICIAL = "seniorManagingOfficial", "Senior managing official"
    SETTLOR = "settlor", "Settlor"
    TRUSTEE = "trustee", "Trustee"
    PROTECTOR = "protector", "Protector"
    BENEFICIARY_OF_LEGAL_ARRANGEMENT = (
        "beneficiaryOfLegalArrangement",
        "Beneficiary of legal arrangement",
    )
    RIGHTS_TO_SURPLUS_ASSETS_ON_DISSOLUTION = (
        "rightsToSurplusAssetsOnDissolution",
        "Rights to surplus assets on dissolution",
    )
    RIGHTS_TO_PROFIT_OR_INCOME = "rightsToProfitOrIncome", "Rights to profit or income"
    RIGHTS_GRANTED_BY_CONTRACT = "rightsGrantedByContract", "Rights granted by contract"
    CONDITIONAL_RIGHTS_GRANTED_BY_CONTRACT = (
        "conditionalRightsGrantedByContract",
        "Conditional rights granted by contract",
    )
    CONTROL_VIA_COMPANY_RULES_OR_ARTICLES = (
        "controlViaCompanyRulesOrArticles",
        "Control via company rules or articles",
    )
    CONTROL_BY_LEGAL_FRAMEWORK = "controlByLegalFramework", "Control by legal framework"
    BOARD_MEMBER = "boardMember", "Board member"
    BOARD_CHAIR = "boardChair", "Board chair"
    UNKNOWN_INTEREST = "unknownInterest", "Unknown interest"
    UNPUBLISHED_INTEREST = "unpublishedInterest", "Unpublished interest"
    ENJOYMENT_AND_USE_OF_ASSETS = "enjoymentAndUseOfAssets", "Enjoyment and use of assets"
    RIGHT_TO_PROFIT_OR_INCOME_FROM_ASSETS = (
        "rightToProfitOrIncomeFromAssets",
        "Right to profit or income from assets",
    )
    NOMINEE = "nominee", "Nominee"
    NOMINATOR = "nominator", "Nominator"


# Interest types that carry an economic interest, that carry votes, and that give control
# outright (DESIGN section 4, steps 1 and 2).
ECONOMIC_INTEREST_TYPES = frozenset(
    {
        InterestType.SHAREHOLDING,
        InterestType.RIGHTS_TO_PROFIT_OR_INCOME,
        InterestType.RIGHTS_TO_SURPLUS_ASSETS_ON_DISSOLUTION,
        InterestType.BENEFICIARY_OF_LEGAL_ARRANGEMENT,
        InterestType.RIGHT_TO_PROFIT_OR_INCOME_FROM_ASSETS,
    }
)
VOTING_INTEREST_TYPES = frozenset({InterestType.VOTING_RIGHTS})
CONTROLLING_INTEREST_TYPES = frozenset(
    {
        InterestType.APPOINTMENT_OF_BOARD,
        InterestType.CONTROL_VIA_COMPANY_RULES_OR_ARTICLES,
        InterestType.CONTROL_BY_LEGAL_FRAMEWORK,
    }
)
INFLUENCE_INTEREST_TYPES = frozenset(
    {
        InterestType.BOARD_MEMBER,
        InterestType.BOARD_CHAIR,
        InterestType.SENIOR_MANAGING_OFFICIAL,
    }
)


class DirectOrIndirect(models.TextChoices):
    DIRECT = "direct", "Direct"
    INDIRECT = "indirect", "Indirect"
    UNKNOWN = "unknown", "Unknown"


class Provenance(models.TextChoices):
    SELF_DECLARED = "self_declared", "Self-declared by the vendor"
    IMPORTED = "imported", "Imported from a register or BODS file"
    VERIFIED = "verified", "Verified by an admin"


class StakeQuerySet(models.QuerySet["Stake"]):
    def active_on(self, day: date) -> StakeQuerySet:
        return self.filter(
            Q(start_date__isnull=True) | Q(start_date__lte=day),
            Q(end_date__isnull=True) | Q(end_date__gt=day),
        )


class Stake(models.Model):
    """One interest an interested party holds in a subject."""

    record_id = models.CharField(
        max_length=200, default=new_stake_record_id, help_text="The BODS relationship record id."
    )
    interest_index = models.PositiveSmallIntegerField(
        default=0, help_text="Position of this interest within its relationship record."
    )
    interested_party = models.ForeignKey(
        Entity, on_delete=models.PROTECT, related_name="stakes_held"
    )
    subject = models.ForeignKey(Entity, on_delete=models.PROTECT, related_name="stakes_in")
    interest_type = models.CharField(max_length=40, choices=InterestType.choices)
    share_exact = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    share_min = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    share_max = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    direct_or_indirect = models.CharField(
        max_length=10, choices=DirectOrIndirect.choices, default=DirectOrIndirect.DIRECT
    )
    beneficial_ownership_or_control = models.BooleanField(default=False)
    component_record_ids = models.JSONField(
        default=list,
        blank=True,
        help_text="For an indirect interest: the record ids of the relationships it summarises.",
    )
    is_component = models.BooleanField(default=False)
    start_date = models.DateField(null=True, blank=True)
    end_date = models.DateField(
        null=True, blank=True, help_text="The first day the stake is no longer held."
    )
    provenance = models.CharField(max_length=20, choices=Provenance.choices)
    declared_at = models.DateField(
        null=True, blank=True, help_text="When the source declared or published it."
    )
    source_note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = StakeQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["subject__name", "interested_party__name"]
        indexes = [
            models.Index(fields=["subject", "interested_party"]),
            models.Index(fields=["interested_party", "subject"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["record_id", "interest_index"], name="stake_record_interest_unique"
            ),
            models.CheckConstraint(
                condition=~Q(interested_party=models.F("subject")), name="stake_not_self"
            ),
            models.CheckConstraint(
                condition=Q(interest_type__in=[t.value for t in InterestType]),
                name="stake_interest_type_valid",
            ),
            models.CheckConstraint(
                condition=Q(share_exact__isnull=True)
                | (
                    Q(share_exact__gte=0)
                    & Q(share_exact__lte=100)
                    & Q(share_min__isnull=True)
                    & Q(share_max__isnull=True)
                ),
                name="stake_share_exact_in_range_and_alone",
            ),
            models.CheckConstraint(
                condition=(
                    Q(share_min__isnull=True) | (Q(share_min__gte=0) & Q(share_min__lte=100))
                )
                & (Q(share_max__isnull=True) | (Q(share_max__gte=0) & Q(share_max__lte=100))),
                name="stake_share_bounds_in_range",
            ),
            models.CheckConstraint(
                condition=Q(share_min__isnull=True)
                | Q(share_max__isnull=True)
                | Q(share_min__lte=models.F("share_max")),
                name="stake_share_min_le_max",
            ),
            models.CheckConstraint(
                condition=Q(start_date__isnull=True)
                | Q(end_date__isnull=True)
                | Q(start_date__lt=models.F("end_date")),
                name="stake_start_before_end",
            ),
            models.CheckConstraint(
                condition=Q(provenance__in=[p.value for p in Provenance]),
                name="stake_provenance_valid",
            ),
        ]

    def __str__(self) -> str:
        interest = self.get_interest_type_display()
        return f"{self.interested_party} -> {self.share_display} {interest} -> {self.subject}"

    @property
    def share_bounds(self) -> tuple[Decimal, Decimal]:
        """The share as an interval in percent: exact x is [x, x]; unknown is [0, 100]."""
        if self.share_exact is not None:
            return self.share_exact, self.share_exact
        return (
            self.share_min if self.share_min is not None else Decimal(0),
            self.share_max if self.share_max is not None else Decimal(100),
        )

    @property
    def share_display(self) -> str:
        if self.share_exact is not None:
            return f"{self.share_exact.normalize():f}%"
        if self.share_min is None and self.share_max is None:
            return "unknown share"
        low, high = self.share_bounds
        return f"{low.normalize():f}-{high.normalize():f}%"

    def is_active_on(self, day: date) -> bool:
        return (self.start_date is None or self.start_date <= day) and (
            self.end_date is None or self.end_date > day
        )


class OwnershipDataVersion(models.Model):
    """A single counter bumped by every change to entities or stakes, so a screening can
    record which state of the ownership data it saw."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    version = models.PositiveBigIntegerField(default=0)
    changed_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(id=1), name="ownership_version_singleton")
        ]

    def __str__(self) -> str:
        return f"ownership data v{self.version}"


class OwnershipChange(models.Model):
    """A change to the ownership graph still to be screened: written in the same
    transaction as the change, processed (and marked) by the exchange's re-screening
    task, replayed by its reconciler if that task's message was lost."""

    subject = models.ForeignKey(Entity, on_delete=models.CASCADE, related_name="+")
    stake = models.ForeignKey(
        Stake, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    version = models.PositiveBigIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["processed_at", "created_at"])]

    def __str__(self) -> str:
        return f"ownership change v{self.version} at {self.subject}"
