"""Conflict-of-interest verdicts (DESIGN section 4, steps 4-6): pure computation, no
writes. The services in services/screenings.py store what this returns."""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.utils import timezone

from labs.models import Competitor, ConflictPolicy, Lab
from marketplace.exchange.models import Bid, Verdict
from marketplace.ownership.engine import (
    EPSILON,
    Exposure,
    InfluenceLink,
    OwnershipGraph,
    PathShare,
    StakeFact,
    controlled_by,
    effective_holdings,
    effective_interests,
    former_officials_of,
    influence_links,
)
from marketplace.ownership.models import InterestType, Provenance
from marketplace.ownership.services import ownership_version_current
from vendors.models import Affiliation, AffiliationRole, Vendor

SEVERITY: dict[str, int] = {
    Verdict.CLEAR: 0,
    Verdict.CLEARED_BY_OVERRIDE: 0,
    Verdict.REVIEW: 1,
    Verdict.BLOCKED: 2,
}
PROVENANCE_WORDS: dict[str, str] = {
    Provenance.SELF_DECLARED: "self-declared",
    Provenance.IMPORTED: "imported",
    Provenance.VERIFIED: "verified",
}
SPECIALIST_LINK_ROLES = (
    AffiliationRole.EMPLOYEE,
    AffiliationRole.ADVISOR,
    AffiliationRole.BOARD_MEMBER,
    AffiliationRole.CONTRACTOR,
)


def months_before(day: date, months: int) -> date:
    month_index = day.year * 12 + day.month - 1 - months
    year, month = divmod(month_index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def percent(value: float) -> str:
    text = f"{value * 100:.4f}".rstrip("0").rstrip(".")
    return f"{text}%"


def interval_text(low: float, high: float) -> str:
    if abs(high - low) < EPSILON:
        return percent(low)
    return f"{percent(low)}-{percent(high)}"


@dataclass
class PolicyValues:
    block_percent: Decimal
    review_percent: Decimal
    lookback_months: int

    @classmethod
    def of(cls, lab: Lab) -> PolicyValues:
        policy = ConflictPolicy.objects.filter(lab=lab).first() or ConflictPolicy(lab=lab)
        return cls(policy.block_percent, policy.review_percent, policy.lookback_months)

    def as_json(self) -> dict[str, Any]:
        return {
            "block_percent": str(self.block_percent),
            "review_percent": str(self.review_percent),
            "lookback_months": self.lookback_months,
        }


@dataclass
class ScreeningContext:
    """What screening many vendors for one lab shares: read once, not per vendor."""

    as_of: date
    policy: PolicyValues
    lookback_days: int
    ownership_version: int
    competitors: list[Competitor]
    former_officials: dict[int, list[StakeFact]]

    @classmethod
    def for_lab(cls, lab: Lab, *, as_of: date | None, vendors: list[Vendor]) -> ScreeningContext:
        as_of = as_of or timezone.localdate()
        policy = PolicyValues.of(lab)
        lookback_days = (as_of - months_before(as_of, policy.lookback_months)).days
        return cls(
            as_of=as_of,
            policy=policy,
            lookback_days=lookback_days,
            ownership_version=ownership_version_current(),
            competitors=list(lab.competitors.select_related("entity").order_by("entity__name")),
            former_officials=former_officials_of(
                [v.entity_id for v in vendors], as_of=as_of, lookback_days=lookback_days
            ),
        )


@dataclass
class ComputedScreening:
    verdict: str
    evidence: dict[str, Any]
    policy: dict[str, Any]
    as_of: date
    ownership_version: int
    reasons: list[str] = field(default_factory=list)


def _hop_json(graph: OwnershipGraph, path: PathShare) -> list[dict[str, Any]]:
    """A path as the chain a person reads: party, then each subject with the share held."""
    first = path.edges[0]
    hops: list[dict[str, Any]] = [
        {"record_id": graph.record_id(first.party), "name": graph.name(first.party)}
    ]
    for edge in path.edges:
        stake = max(edge.stakes, key=lambda f: f.high)
        hops.append(
            {
                "record_id": graph.record_id(edge.subject),
                "name": graph.name(edge.subject),
                "share": interval_text(*edge.economic)
                if edge.economic[1] > 0
                else interval_text(*edge.voting),
                "economic": {"min": edge.economic[0] * 100, "max": edge.economic[1] * 100},
                "voting": {"min": edge.voting[0] * 100, "max": edge.voting[1] * 100},
                "interest_types": sorted({f.interest_type for f in edge.stakes}),
                "direct_or_indirect": "indirect" if edge.indirect else "direct",
                "provenance": PROVENANCE_WORDS.get(stake.provenance, stake.provenance),
                "since": stake.start_date.isoformat() if stake.start_date else None,
                "stake_record_id": stake.record_id,
            }
        )
    return hops


def path_text(hops: list[dict[str, Any]]) -> str:
    """A path as the sentence stored among the reasons (the evidence page tells these
    sentences apart from the rules they support by it)."""
    chain = hops[0]["name"]
    for hop in hops[1:]:
        chain += f" -> {hop['share']} -> {hop['name']}"
    last = hops[-1]
    detail = f"{last['direct_or_indirect']}, {last['provenance']}"
    if last.get("since"):
        detail += f" {last['since']}"
    return f"{chain} ({detail})"


def _influence_text(
    graph: OwnershipGraph, link: InfluenceLink, vendor_name: str, competitor_name: str
) -> str:
    holder = graph.name(link.holder)
    role = InterestType(link.role).label.lower()
    if link.kind == "role":
        via = "" if link.holder == link.via else f" (controlled by {competitor_name})"
        return f"{holder}{via} holds a {role} position at {vendor_name}"
    ended = link.stake.end_date.isoformat() if link.stake.end_date else "recently"
    now_at = graph.name(link.via)
    tie = ""
    if link.later_stake is not None:
        tie = f" ({InterestType(link.later_stake.interest_type).label.lower()})"
    return f"{holder}, {role} of {vendor_name} until {ended}, is now with {now_at}{tie}" + (
        "" if now_at == competitor_name else f", controlled by {competitor_name}"
    )


def compute_screening(
    *,
    lab: Lab,
    vendor: Vendor,
    bid: Bid | None = None,
    as_of: date | None = None,
    graph: OwnershipGraph | None = None,
    exposures: dict[int, Exposure] | None = None,
    controlled: dict[int, set[int]] | None = None,
    context: ScreeningContext | None = None,
) -> ComputedScreening:
    """The verdict for `lab` x `vendor` (and, with `bid`, its proposed specialists) under
    the lab's conflict policy, with the evidence that produced it. For bulk runs, `graph`
    may be a preloaded whole graph and `exposures` / `controlled` the competitors'
    holdings in this vendor and what each controls, computed once for many vendors
    (see screen_vendors); otherwise only what lies upstream of the vendor is loaded."""
    context = context or ScreeningContext.for_lab(lab, as_of=as_of, vendors=[vendor])
    as_of = context.as_of
    policy = context.policy
    lookback_days = context.lookback_days
    block = float(policy.block_percent) / 100
    review = float(policy.review_percent) / 100
    version = context.ownership_version
    competitors = context.competitors
    subject = vendor.entity_id
    vendor_name = vendor.entity.name

    former = context.former_officials.get(subject, [])
    affiliations: list[Affiliation] = []
    if bid is not None:
        affiliations = [
            a
            for a in Affiliation.objects.filter(
                specialist__in=bid.proposed_specialists.all(), role__in=SPECIALIST_LINK_ROLES
            ).select_related("specialist", "organisation")
            if a.is_current_on(as_of)
        ]
    if graph is None:
        seeds = {subject} | {a.organisation_id for a in affiliations}
        if former:
            # Where former officials are now: their current ties, and who controls those.
            parties = [f.party for f in former]
            seeds |= set(parties) | _current_ties(parties, as_of)
        graph = OwnershipGraph.load(as_of=as_of, upstream_of=seeds)
    if exposures is None:
        exposures = effective_interests(graph, subject, parties={c.entity_id for c in competitors})

    graph.ensure_names(
        _named_in(exposures.values(), {subject} | {c.entity_id for c in competitors})
    )

    verdict = Verdict.CLEAR
    entries: list[dict[str, Any]] = []
    all_reasons: list[str] = []
    flat_paths: list[list[dict[str, Any]]] = []
    # Who could tie a competitor to this vendor other than by shares: role holders at the
    # vendor, where its former officials are now, and the proposed specialists' employers.
    ties = {e.party for e in graph.parents.get(subject, ()) if e.influence}
    ties |= {e.subject for f in former for e in graph.children.get(f.party, ())}
    ties |= {a.organisation_id for a in affiliations}
    for competitor in competitors:
        c = competitor.entity_id
        exposure = exposures.get(c)
        if controlled is not None:
            controls_set = controlled.get(c, {c})
        elif graph.knows(c) or c == subject:
            controls_set = controlled_by(graph, c)
        else:
            controls_set = {c}
        if (
            exposure is None
            and c != subject
            and subject not in controls_set
            and not (ties & controls_set)
        ):
            continue  # nothing connects this competitor to the vendor
        name = competitor.entity.name
        reasons: list[str] = []
        c_verdict = Verdict.CLEAR
        economic = exposure.economic if exposure else (0.0, 0.0)
        voting = exposure.voting if exposure else (0.0, 0.0)
        controls = subject in controls_set and c != subject
        paths = [_hop_json(graph, p) for p in exposure.paths] if exposure else []

        if c == subject:
            c_verdict = Verdict.BLOCKED
            reasons.append(f"{vendor_name} is your competitor {name} itself.")
        if controls:
            c_verdict = Verdict.BLOCKED
            reasons.append(
                f"{name} controls {vendor_name} (majority of votes or a "
                "controlling interest along the chain)."
            )
        for label, share in (("economic", economic), ("voting", voting)):
            if share[0] >= block - EPSILON:
                c_verdict = Verdict.BLOCKED
                reasons.append(
                    f"{name} holds an effective {label} interest of {interval_text(*share)} "
                    f"in {vendor_name}: {percent(share[0])} >= "
                    f"{policy.block_percent.normalize():f}% block threshold."
                )
            elif share[1] >= review - EPSILON:
                c_verdict = max(c_verdict, Verdict.REVIEW, key=SEVERITY.__getitem__)
                reasons.append(
                    f"{name} may hold up to {percent(share[1])} ({label}) of {vendor_name}: "
                    f"at or above the {policy.review_percent.normalize():f}% review threshold."
                )
        for path in paths:
            if reasons:
                reasons.append(path_text(path))
        links = influence_links(
            graph, subject, controls_set, lookback_days=lookback_days, former_officials=former
        )
        influence = [_influence_text(graph, link, vendor_name, name) for link in links]
        if influence:
            c_verdict = max(c_verdict, Verdict.REVIEW, key=SEVERITY.__getitem__)
            reasons.extend(f"{text}." for text in influence)
        specialist_links = [
            f"{a.specialist.full_name} is {a.get_role_display().lower()} at "
            f"{a.organisation.name}" + ("" if a.organisation_id == c else f", controlled by {name}")
            for a in affiliations
            if a.organisation_id in controls_set
        ]
        if specialist_links:
            c_verdict = max(c_verdict, Verdict.REVIEW, key=SEVERITY.__getitem__)
            reasons.extend(f"Proposed specialist {text}." for text in specialist_links)

        verdict = max(verdict, c_verdict, key=SEVERITY.__getitem__)
        if c_verdict != Verdict.CLEAR or economic[1] > 0 or voting[1] > 0:
            entries.append(
                {
                    "record_id": competitor.entity.record_id,
                    "name": name,
                    "verdict": c_verdict,
                    "economic": {"min": economic[0] * 100, "max": economic[1] * 100},
                    "voting": {"min": voting[0] * 100, "max": voting[1] * 100},
                    "controls": controls,
                    "paths": paths,
                    "influence": influence,
                    "specialist_links": specialist_links,
                    "reasons": reasons,
                }
            )
            all_reasons.extend(reasons)
            flat_paths.extend(paths)

    if not all_reasons:
        all_reasons.append(
            f"No competitor ownership, control or influence found in {vendor_name}."
            if competitors
            else "This lab has named no competitors."
        )
    evidence = {
        "as_of": as_of.isoformat(),
        "ownership_version": version,
        "vendor": {"record_id": vendor.entity.record_id, "name": vendor_name},
        "competitors": entries,
        "paths": flat_paths,
        "reasons": all_reasons,
    }
    return ComputedScreening(
        verdict=verdict,
        evidence=evidence,
        policy=policy.as_json(),
        as_of=as_of,
        ownership_version=version,
        reasons=all_reasons,
    )


def _named_in(exposures: Iterable[Exposure], also: set[int]) -> set[int]:
    ids = set(also)
    for exposure in exposures:
        for path in exposure.paths:
            for edge in path.edges:
                ids.add(edge.party)
                ids.add(edge.subject)
    return ids


def _current_ties(parties: list[int], as_of: date) -> set[int]:
    """Entities the given persons hold a stake in today."""
    from marketplace.ownership.models import Stake

    return set(
        Stake.objects.active_on(as_of)
        .filter(interested_party_id__in=parties)
        .values_list("subject_id", flat=True)
    )


def is_worse(old: str | None, new: str) -> bool:
    return SEVERITY[new] > SEVERITY.get(old or Verdict.CLEAR, 0)


@dataclass
class LabScreener:
    """Screens many vendors (and their bids) for one lab: one walk down from each
    competitor answers for every vendor, instead of one walk up from each vendor.
    `prepare` reads what the lab's screenings share once; `screen` is then cheap."""

    lab: Lab
    context: ScreeningContext
    graph: OwnershipGraph
    holdings: dict[int, dict[int, Exposure]]
    controlled: dict[int, set[int]]

    @classmethod
    def prepare(
        cls,
        *,
        lab: Lab,
        vendors: list[Vendor],
        graph: OwnershipGraph | None = None,
        as_of: date | None = None,
    ) -> LabScreener:
        """Without a preloaded graph, only what lies below the competitors (and what the
        vendors' former officials hold now) is loaded: nothing else can tie a competitor
        to a vendor."""
        context = ScreeningContext.for_lab(lab, as_of=as_of, vendors=vendors)
        competitor_ids = [c.entity_id for c in context.competitors]
        vendor_entities = {v.entity_id for v in vendors}
        if graph is None:
            holders = {f.party for facts in context.former_officials.values() for f in facts}
            graph = OwnershipGraph.load(
                as_of=context.as_of, downstream_of=competitor_ids, holdings_of=holders
            )
        holdings = {
            c: effective_holdings(graph, c, subjects=vendor_entities) for c in competitor_ids
        }
        controlled = {c: controlled_by(graph, c) for c in competitor_ids}
        graph.ensure_names(
            _named_in(
                (e for held in holdings.values() for e in held.values()),
                set(competitor_ids) | vendor_entities,
            )
        )
        return cls(lab=lab, context=context, graph=graph, holdings=holdings, controlled=controlled)

    def screen(self, vendor: Vendor, bid: Bid | None = None) -> ComputedScreening:
        exposures = {
            c: held[vendor.entity_id]
            for c, held in self.holdings.items()
            if vendor.entity_id in held
        }
        return compute_screening(
            lab=self.lab,
            vendor=vendor,
            bid=bid,
            graph=self.graph,
            exposures=exposures,
            controlled=self.controlled,
            context=self.context,
        )


def screen_vendors(
    *,
    lab: Lab,
    vendors: list[Vendor],
    graph: OwnershipGraph | None = None,
    as_of: date | None = None,
) -> dict[int, ComputedScreening]:
    """Screens many vendors for one lab (see LabScreener)."""
    screener = LabScreener.prepare(lab=lab, vendors=vendors, graph=graph, as_of=as_of)
    return {vendor.pk: screener.screen(vendor) for vendor in vendors}
