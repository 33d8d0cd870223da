"""Reading a screening's stored evidence: rules apart from the path sentences, influence
and specialist links they are stored with; chains ending at the vendor."""

from __future__ import annotations

from marketplace.exchange.evidence import chain_of, evidence_of, interest_kinds
from marketplace.exchange.models import Screening

HOPS = [
    {"record_id": "r", "name": "Rival Corp"},
    {
        "record_id": "h",
        "name": "Holdings",
        "share": "100%",
        "economic": {"min": 100.0, "max": 100.0},
        "voting": {"min": 100.0, "max": 100.0},
        "interest_types": ["shareholding", "votingRights"],
        "direct_or_indirect": "direct",
        "provenance": "verified",
        "since": "2021-01-04",
    },
    {
        "record_id": "v",
        "name": "Vendor X",
        "share": "8%-12%",
        "economic": {"min": 8.0, "max": 12.0},
        "voting": {"min": 0.0, "max": 0.0},
        "interest_types": ["shareholding"],
        "direct_or_indirect": "direct",
        "provenance": "self-declared",
        "since": None,
    },
]


def test_a_chain_alternates_entities_and_shares_to_the_vendor():
    chain = chain_of(HOPS)

    assert chain.text == "Rival Corp → 100% → Holdings → 8% to 12% → Vendor X"
    kinds = [item.kind for item in chain.items]
    assert kinds == ["entity", "hop", "entity", "hop", "entity"]
    assert chain.items[0].is_competitor and chain.items[-1].is_vendor
    first, second = chain.items[1].hop, chain.items[3].hop
    assert first.detail == "economic and voting, direct, verified 2021-01-04"
    assert second.is_range and second.detail == "economic, no votes, direct, self-declared"


def test_kinds_of_interest():
    assert interest_kinds(["votingRights", "shareholding"]) == ["economic", "voting"]
    assert interest_kinds(["appointmentOfBoard"]) == ["control"]
    assert interest_kinds(["seniorManagingOfficial"]) == ["influence"]


def test_rules_are_told_apart_from_what_supports_them():
    rule = (
        "Rival Corp may hold up to 12% (economic) of Vendor X: at or above the 5% review threshold."
    )
    path = "Rival Corp -> 100% -> Holdings -> 8%-12% -> Vendor X (direct, self-declared)"
    influence = "Ann Lee holds a board member position at Vendor X"
    specialist = "Bo Chen is employee at Rival Corp"
    screening = Screening(
        verdict="review",
        evidence={
            "as_of": "2026-01-02",
            "ownership_version": 7,
            "vendor": {"record_id": "v", "name": "Vendor X"},
            "competitors": [
                {
                    "name": "Rival Corp",
                    "verdict": "review",
                    "economic": {"min": 8.0, "max": 12.0},
                    "voting": {"min": 0.0, "max": 0.0},
                    "controls": False,
                    "paths": [HOPS],
                    "influence": [influence],
                    "specialist_links": [specialist],
                    "reasons": [
                        rule,
                        path,
                        f"{influence}.",
                        f"Proposed specialist {specialist}.",
                    ],
                }
            ],
            "reasons": [rule, path, f"{influence}.", f"Proposed specialist {specialist}."],
        },
    )

    evidence = evidence_of(screening)

    (competitor,) = evidence.competitors
    assert [r.text for r in competitor.rules] == [rule]
    assert competitor.rules[0].rule == "at or above the 5% review threshold."
    assert competitor.economic == "8% to 12%" and competitor.voting == "0%"
    assert competitor.influence == [influence] and competitor.specialist_links == [specialist]
    assert evidence.notes == [] and evidence.ownership_version == 7


def test_a_clear_screening_keeps_its_note():
    note = "No competitor ownership, control or influence found in Vendor X."
    screening = Screening(
        verdict="clear",
        evidence={"vendor": {"name": "Vendor X"}, "competitors": [], "reasons": [note]},
    )

    assert evidence_of(screening).notes == [note]
