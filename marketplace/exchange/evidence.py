"""A screening's stored evidence (screening.compute_screening) arranged for a person to
read: per competitor, the rules it triggered, each ownership path as a chain of entities
and shares, and the influence and specialist links. Reads the JSON only: nothing here
decides a verdict, so the page shows exactly what the screening found.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from marketplace.exchange.models import Screening, Verdict
from marketplace.exchange.screening import path_text
from marketplace.ownership.models import (
    CONTROLLING_INTEREST_TYPES,
    ECONOMIC_INTEREST_TYPES,
    INFLUENCE_INTEREST_TYPES,
    VOTING_INTEREST_TYPES,
    InterestType,
)

# An interest type's kind, as DESIGN section 4 names them.
KIND_ORDER = ("economic", "voting", "control", "influence")


def interest_kinds(interest_types: list[str]) -> list[str]:
    kinds = set()
    for code in interest_types:
        if code in ECONOMIC_INTEREST_TYPES:
            kinds.add("economic")
        elif code in VOTING_INTEREST_TYPES:
            kinds.add("voting")
        elif code in CONTROLLING_INTEREST_TYPES:
            kinds.add("control")
        elif code in INFLUENCE_INTEREST_TYPES:
            kinds.add("influence")
    return [kind for kind in KIND_ORDER if kind in kinds]


def _interest_label(code: str) -> str:
    try:
        return str(InterestType(code).label).lower()
    except ValueError:
        return code


def _percent_text(value: float) -> str:
    text = f"{value:.4f}".rstrip("0").rstrip(".")
    return f"{text}%"


def _interval_text(interval: dict[str, Any] | None) -> str:
    if not interval:
        return "0%"
    low, high = float(interval.get("min", 0)), float(interval.get("max", 0))
    if abs(high - low) < 1e-7:
        return _percent_text(low)
    return f"{_percent_text(low)} to {_percent_text(high)}"


@dataclass(frozen=True)
class Hop:
    """One stake along a path: the share held in the next entity and where it is from."""

    share: str
    is_range: bool
    low: str
    high: str
    kinds: list[str]
    interest_types: list[str]
    votes: str  # the voting share, when it differs from the share shown
    direct_or_indirect: str
    provenance: str
    since: str | None

    @property
    def detail(self) -> str:
        parts = [" and ".join(self.kinds) or "interest"]
        if self.votes == "0%":
            parts.append("no votes")
        elif self.votes:
            parts.append(f"votes {self.votes}")
        parts.append(self.direct_or_indirect)
        parts.append(self.provenance + (f" {self.since}" if self.since else ""))
        return ", ".join(part for part in parts if part)


@dataclass(frozen=True)
class ChainItem:
    kind: str  # "entity" or "hop"
    name: str = ""
    hop: Hop | None = None
    is_competitor: bool = False
    is_vendor: bool = False


@dataclass(frozen=True)
class Chain:
    items: list[ChainItem]
    text: str  # "Apex Intelligence → 49% → Scalewise Data"


@dataclass(frozen=True)
class Rule:
    text: str  # the whole stored sentence
    lead: str  # what holds, before the colon
    rule: str  # the threshold it met ("49% >= 20% block threshold.")


@dataclass
class CompetitorEvidence:
    name: str
    verdict: str
    verdict_label: str
    economic: str
    voting: str
    controls: bool
    rules: list[Rule] = field(default_factory=list)
    chains: list[Chain] = field(default_factory=list)
    influence: list[str] = field(default_factory=list)
    specialist_links: list[str] = field(default_factory=list)


@dataclass
class Evidence:
    as_of: str | None
    ownership_version: int | None
    vendor_name: str
    competitors: list[CompetitorEvidence]
    notes: list[str]  # reasons belonging to no competitor ("No competitor ... found")


def _hop(raw: dict[str, Any]) -> Hop:
    economic = raw.get("economic") or {}
    voting = raw.get("voting") or {}
    shown = economic if float(economic.get("max", 0)) > 0 else voting
    low, high = float(shown.get("min", 0)), float(shown.get("max", 0))
    is_range = abs(high - low) >= 1e-7
    votes = ""
    if shown is economic and voting != economic:
        votes = _interval_text(voting)
    return Hop(
        share=_interval_text(shown),
        is_range=is_range,
        low=_percent_text(low),
        high=_percent_text(high),
        kinds=interest_kinds(raw.get("interest_types", [])),
        interest_types=[_interest_label(code) for code in raw.get("interest_types", [])],
        votes=votes,
        direct_or_indirect=raw.get("direct_or_indirect", ""),
        provenance=raw.get("provenance", ""),
        since=raw.get("since"),
    )


def chain_of(hops: list[dict[str, Any]]) -> Chain:
    """A stored path (its first entry the holder, then each entity with the share held in
    it) as alternating entity and hop items, ending at the vendor."""
    items = [ChainItem(kind="entity", name=hops[0]["name"], is_competitor=True)]
    text = hops[0]["name"]
    for position, raw in enumerate(hops[1:], start=1):
        hop = _hop(raw)
        items.append(ChainItem(kind="hop", hop=hop))
        items.append(
            ChainItem(kind="entity", name=raw["name"], is_vendor=position == len(hops) - 1)
        )
        text += f" → {hop.share} → {raw['name']}"
    return Chain(items=items, text=text)


def _rule(text: str) -> Rule:
    lead, sep, rule = text.rpartition(": ")
    if not sep:
        return Rule(text=text, lead="", rule=text)
    return Rule(text=text, lead=lead + ":", rule=rule)


def _competitor(entry: dict[str, Any]) -> CompetitorEvidence:
    paths = entry.get("paths", [])
    influence = list(entry.get("influence", []))
    specialist_links = list(entry.get("specialist_links", []))
    # The stored reasons mix rules, path sentences, influence and specialist links; the
    # rules are what is left once the others are set apart.
    others = {path_text(path) for path in paths if path}
    others |= {f"{text}." for text in influence}
    others |= {f"Proposed specialist {text}." for text in specialist_links}
    verdict = entry.get("verdict") or Verdict.CLEAR
    return CompetitorEvidence(
        name=entry.get("name", ""),
        verdict=verdict,
        verdict_label=str(Verdict(verdict).label) if verdict in Verdict.values else verdict,
        economic=_interval_text(entry.get("economic")),
        voting=_interval_text(entry.get("voting")),
        controls=bool(entry.get("controls")),
        rules=[_rule(r) for r in entry.get("reasons", []) if r not in others],
        chains=[chain_of(path) for path in paths if path],
        influence=influence,
        specialist_links=specialist_links,
    )


def evidence_of(screening: Screening) -> Evidence:
    evidence = screening.evidence or {}
    competitors = [_competitor(entry) for entry in evidence.get("competitors", [])]
    explained = {
        reason for entry in evidence.get("competitors", []) for reason in entry.get("reasons", [])
    }
    return Evidence(
        as_of=evidence.get("as_of"),
        ownership_version=evidence.get("ownership_version"),
        vendor_name=(evidence.get("vendor") or {}).get("name") or str(screening.vendor),
        competitors=competitors,
        notes=[r for r in evidence.get("reasons", []) if r not in explained],
    )
