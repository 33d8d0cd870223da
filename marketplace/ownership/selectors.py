"""Reads of the ownership graph."""

from __future__ import annotations

from datetime import date
from typing import Any

from marketplace.ownership.engine import (
    Edge,
    Interval,
    OwnershipGraph,
    PathShare,
    controlled_by,
    effective_interests,
)
from marketplace.ownership.models import Entity


def _percent(interval: Interval) -> dict[str, float]:
    return {"min": round(interval[0] * 100, 6), "max": round(interval[1] * 100, 6)}


def _hop(graph: OwnershipGraph, edge: Edge) -> dict[str, Any]:
    # A hop shows its economic share; a hop of votes only shows the votes.
    share = edge.economic if edge.economic[1] > 0 else edge.voting
    return {
        "from_record_id": graph.record_id(edge.party),
        "from_name": graph.name(edge.party),
        "to_record_id": graph.record_id(edge.subject),
        "to_name": graph.name(edge.subject),
        "interest_types": sorted({fact.interest_type for fact in edge.stakes}),
        "share": _percent(share),
        "direct_or_indirect": "indirect" if edge.indirect else "direct",
    }


def _path(graph: OwnershipGraph, path: PathShare) -> list[dict[str, Any]]:
    return [_hop(graph, edge) for edge in path.edges]


def effective_ownership_report(
    *, subject: Entity, as_of: date, keep_paths: int = 5
) -> list[dict[str, Any]]:
    """Every entity or person with an effective economic or voting interest in `subject`
    on `as_of` (upper bound above zero), in percent, with whether it controls the subject
    and its strongest paths (at most `keep_paths`, strongest first); largest economic
    interest first."""
    graph = OwnershipGraph.load(as_of=as_of, upstream_of=[subject.pk])
    exposures = effective_interests(graph, subject.pk, keep_paths=keep_paths)
    graph.ensure_names(
        {subject.pk, *exposures}
        | {edge.party for e in exposures.values() for path in e.paths for edge in path.edges}
    )
    report: list[dict[str, Any]] = []
    for party, exposure in exposures.items():
        if exposure.economic[1] <= 0 and exposure.voting[1] <= 0:
            continue
        report.append(
            {
                "record_id": graph.record_id(party),
                "name": graph.name(party),
                "economic": _percent(exposure.economic),
                "voting": _percent(exposure.voting),
                "controls": subject.pk in controlled_by(graph, party),
                "paths": [_path(graph, path) for path in exposure.paths],
            }
        )
    report.sort(key=lambda row: (-row["economic"]["max"], row["name"], row["record_id"]))
    return report
