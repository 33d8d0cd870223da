"""The effective-ownership engine (DESIGN section 4, steps 1-3).

Written by hand because it is the product's own logic: no library computes interval
effective ownership over simple paths with declared indirect interests, control and
influence as the rules below define them.

The graph holds the stakes active on one day. For a subject V the engine walks every
simple path x -> ... -> V upwards from V (no entity twice on a path, at most
`max_depth` hops), multiplies the shares along the path and adds the products per
interested party x, separately for the economic interest and for votes. Shares are
intervals [low, high] in fractions of one; the sums are capped at one. A declared
indirect interest of x in some node n is authoritative for the pair (x, n): it is a hop
like any other, and a path that reaches x from n through intermediates is dropped, since
the declared figure already summarises it. Paths whose upper bound falls below the materiality floor
are pruned.

Control: x controls y when it holds a controlling interest type in y, or the voting
stakes (lower bounds) of x and of the entities x controls in y add up to more than 50%.
Influence: a board seat or senior managing official role held in V by the competitor or
an entity it controls; or a person who was a senior managing official of V within the
lookback window and now holds a role or interest in the competitor or an entity it
controls.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import connection

from marketplace.ownership.models import (
    CONTROLLING_INTEREST_TYPES,
    ECONOMIC_INTEREST_TYPES,
    INFLUENCE_INTEREST_TYPES,
    VOTING_INTEREST_TYPES,
    DirectOrIndirect,
    Entity,
    InterestType,
    Stake,
)

# Interest types that could be economic or voting, we cannot tell which: counted as
# both, with their share (unknown share: 0-100%), so they can raise a review, never a block.
UNDETERMINED_INTEREST_TYPES = frozenset(
    {InterestType.UNKNOWN_INTEREST, InterestType.UNPUBLISHED_INTEREST}
)
MAJORITY = 0.5
EPSILON = 1e-9

Interval = tuple[float, float]
ZERO: Interval = (0.0, 0.0)


@dataclass(slots=True)
class StakeFact:
    """One active stake, as the engine needs it."""

    stake_id: int
    record_id: str
    party: int
    subject: int
    interest_type: str
    low: float
    high: float
    indirect: bool
    provenance: str
    start_date: date | None
    end_date: date | None


@dataclass(slots=True)
class Edge:
    """Everything one party holds in one subject, folded into one hop."""

    party: int
    subject: int
    economic: Interval = ZERO
    voting: Interval = ZERO
    controlling: bool = False
    influence: set[str] = field(default_factory=set)
    indirect: bool = False
    stakes: list[StakeFact] = field(default_factory=list)

    @property
    def carries_share(self) -> bool:
        return self.economic[1] > 0 or self.voting[1] > 0


def _fold(current: Interval, low: float, high: float) -> Interval:
    # Different interest types describing one holding are not added: the larger counts.
    return (max(current[0], low), max(current[1], high))


def _add(current: Interval, low: float, high: float) -> Interval:
    return (min(1.0, current[0] + low), min(1.0, current[1] + high))


class OwnershipGraph:
    """Stakes active on `as_of`, indexed by subject (upwards) and by party."""

    def __init__(self, facts: Iterable[StakeFact], names: dict[int, tuple[str, str]], as_of: date):
        self.as_of = as_of
        self.names = names
        self.parents: dict[int, list[Edge]] = defaultdict(list)
        self.children: dict[int, list[Edge]] = defaultdict(list)
        # Declared indirect interests, with which dimensions (economic, voting) they cover:
        # party -> {subject: covers} and subject -> {party: covers}.
        self.indirect_subjects: dict[int, dict[int, tuple[bool, bool]]] = defaultdict(dict)
        self.indirect_parties: dict[int, dict[int, tuple[bool, bool]]] = defaultdict(dict)
        edges: dict[tuple[int, int, bool], Edge] = {}
        per_type: dict[tuple[int, int, bool, str], Interval] = {}
        for fact in facts:
            key = (fact.party, fact.subject, fact.indirect)
            edge = edges.get(key)
            if edge is None:
                edge = edges[key] = Edge(
                    party=fact.party, subject=fact.subject, indirect=fact.indirect
                )
            edge.stakes.append(fact)
            kind = fact.interest_type
            # Stakes of one type between one pair add up (share classes); capped at one.
            type_key = (*key, kind)
            per_type[type_key] = _add(per_type.get(type_key, ZERO), fact.low, fact.high)
            if kind in CONTROLLING_INTEREST_TYPES:
                edge.controlling = True
            if kind in INFLUENCE_INTEREST_TYPES:
                edge.influence.add(kind)
        for (party, subject, indirect, kind), share in per_type.items():
            edge = edges[(party, subject, indirect)]
            if kind in ECONOMIC_INTEREST_TYPES or kind in UNDETERMINED_INTEREST_TYPES:
                edge.economic = _fold(edge.economic, *share)
            if kind in VOTING_INTEREST_TYPES or kind in UNDETERMINED_INTEREST_TYPES:
                edge.voting = _fold(edge.voting, *share)
        for edge in edges.values():
            self.parents[edge.subject].append(edge)
            self.children[edge.party].append(edge)
            covers = (edge.economic[1] > 0, edge.voting[1] > 0)
            if edge.indirect and any(covers):
                self.indirect_subjects[edge.party][edge.subject] = covers
                self.indirect_parties[edge.subject][edge.party] = covers

    # --- loading ----------------------------------------------------------------------

    @classmethod
    def load(
        cls,
        *,
        as_of: date,
        upstream_of: Iterable[int] | None = None,
        downstream_of: Iterable[int] | None = None,
        holdings_of: Iterable[int] = (),
        max_depth: int | None = None,
    ) -> OwnershipGraph:
        """The whole graph; or only what lies upstream of `upstream_of` (all that one
        vendor's screening needs); or only what lies downstream of `downstream_of` plus
        the stakes held by `holdings_of` (all that screening many vendors against a few
        competitors needs). One recursive query in the database, on SQLite and PostgreSQL
        alike. Names are fetched only for entities a caller asks about (ensure_names)."""
        if downstream_of is not None:
            return cls._load_downstream(
                as_of, sorted(set(downstream_of)), sorted(set(holdings_of)), max_depth
            )
        max_depth = max_depth if max_depth is not None else settings.OWNERSHIP_MAX_DEPTH
        stake_table = Stake._meta.db_table
        columns = ", ".join(f"s.{c}" for c in STAKE_COLUMNS)
        active = (
            "(s.start_date IS NULL OR s.start_date <= %s)"
            " AND (s.end_date IS NULL OR s.end_date > %s)"
        )
        if upstream_of is None:
            sql = f"SELECT {columns} FROM {stake_table} s WHERE {active}"
            params: list[Any] = [as_of, as_of]
        else:
            seeds = sorted(set(upstream_of))
            if not seeds:
                return cls([], {}, as_of)
            if len(seeds) > 400:
                # SQLite allows at most 500 terms in one compound SELECT.
                return cls.load(as_of=as_of, max_depth=max_depth)
            seed_rows = " UNION ALL ".join(["SELECT CAST(%s AS BIGINT), 0"] * len(seeds))
            sql = f"""
                WITH RECURSIVE up(id, depth) AS (
                    {seed_rows}
                    UNION
                    SELECT s.interested_party_id, up.depth + 1
                    FROM {stake_table} s JOIN up ON s.subject_id = up.id
                    WHERE up.depth < %s AND {active}
                ),
                nodes AS (SELECT DISTINCT id FROM up)
                SELECT {columns} FROM {stake_table} s
                WHERE s.subject_id IN (SELECT id FROM nodes)
                  AND s.interested_party_id IN (SELECT id FROM nodes)
                  AND {active}
            """
            params = [*seeds, max_depth, as_of, as_of, as_of, as_of]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            facts = [_fact(*row) for row in cursor.fetchall()]
        return cls(facts, {}, as_of)

    @classmethod
    def _load_downstream(
        cls, as_of: date, seeds: list[int], holders: list[int], max_depth: int | None
    ) -> OwnershipGraph:
        max_depth = max_depth if max_depth is not None else settings.OWNERSHIP_MAX_DEPTH
        if len(seeds) > 400 or len(holders) > 400:
            return cls.load(as_of=as_of, max_depth=max_depth)
        stake_table = Stake._meta.db_table
        columns = ", ".join(f"s.{c}" for c in STAKE_COLUMNS)
        active = (
            "(s.start_date IS NULL OR s.start_date <= %s)"
            " AND (s.end_date IS NULL OR s.end_date > %s)"
        )
        facts: list[StakeFact] = []
        with connection.cursor() as cursor:
            if seeds:
                seed_rows = " UNION ALL ".join(["SELECT CAST(%s AS BIGINT), 0"] * len(seeds))
                cursor.execute(
                    f"""
                    WITH RECURSIVE down(id, depth) AS (
                        {seed_rows}
                        UNION
                        SELECT s.subject_id, down.depth + 1
                        FROM {stake_table} s JOIN down ON s.interested_party_id = down.id
                        WHERE down.depth < %s AND {active}
                    ),
                    nodes AS (SELECT DISTINCT id FROM down)
                    SELECT {columns} FROM {stake_table} s
                    WHERE s.interested_party_id IN (SELECT id FROM nodes)
                      AND s.subject_id IN (SELECT id FROM nodes)
                      AND {active}
                    """,
                    [*seeds, max_depth, as_of, as_of, as_of, as_of],
                )
                facts = [_fact(*row) for row in cursor.fetchall()]
            if holders:
                seen = {f.stake_id for f in facts}
                placeholders = ", ".join(["%s"] * len(holders))
                cursor.execute(
                    f"SELECT {columns} FROM {stake_table} s "
                    f"WHERE s.interested_party_id IN ({placeholders}) AND {active}",
                    [*holders, as_of, as_of],
                )
                facts += [
                    f for f in (_fact(*row) for row in cursor.fetchall()) if f.stake_id not in seen
                ]
        return cls(facts, {}, as_of)

    def ensure_names(self, entity_ids: Iterable[int]) -> None:
        missing = {i for i in entity_ids if i not in self.names}
        if missing:
            self.names.update(
                {pk: (name, record_id) for pk, name, record_id in _chunked_values(missing)}
            )

    def name(self, entity_id: int) -> str:
        self.ensure_names((entity_id,))
        return self.names.get(entity_id, (f"entity {entity_id}", ""))[0]

    def record_id(self, entity_id: int) -> str:
        self.ensure_names((entity_id,))
        return self.names.get(entity_id, ("", f"entity-{entity_id}"))[1]

    def knows(self, entity_id: int) -> bool:
        return entity_id in self.parents or entity_id in self.children


STAKE_COLUMNS = (
    "id",
    "record_id",
    "interested_party_id",
    "subject_id",
    "interest_type",
    "share_exact",
    "share_min",
    "share_max",
    "direct_or_indirect",
    "provenance",
    "start_date",
    "end_date",
)


def _as_date(value: date | str | None) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) else value


def _fact(
    pk: int,
    record_id: str,
    party: int,
    subject: int,
    interest_type: str,
    exact: Decimal | float | None,
    low: Decimal | float | None,
    high: Decimal | float | None,
    direct_or_indirect: str,
    provenance: str,
    start_date: date | str | None,
    end_date: date | str | None,
) -> StakeFact:
    start_date, end_date = _as_date(start_date), _as_date(end_date)
    if exact is not None:
        lo = hi = float(exact) / 100
    else:
        lo = float(low) / 100 if low is not None else 0.0
        hi = float(high) / 100 if high is not None else 1.0
    return StakeFact(
        pk,
        record_id,
        party,
        subject,
        interest_type,
        lo,
        hi,
        direct_or_indirect == DirectOrIndirect.INDIRECT,
        provenance,
        start_date,
        end_date,
    )


def _chunked_values(ids: set[int]) -> Iterator[tuple[int, str, str]]:
    ordered = sorted(ids)
    for start in range(0, len(ordered), 5000):
        yield from Entity.objects.filter(pk__in=ordered[start : start + 5000]).values_list(
            "pk", "name", "record_id"
        )


# --- effective stakes ---------------------------------------------------------------------


@dataclass(slots=True)
class PathShare:
    """One simple path from an interested party down to the subject."""

    edges: tuple[Edge, ...]  # from the interested party down to the subject
    economic: Interval
    voting: Interval


@dataclass(slots=True)
class Exposure:
    """An interested party's effective interest in the subject."""

    party: int
    economic: Interval = ZERO
    voting: Interval = ZERO
    paths: list[PathShare] = field(default_factory=list)
    controls: bool = False

    def add(self, path: PathShare, keep_paths: int) -> None:
        self.economic = _add(self.economic, *path.economic)
        self.voting = _add(self.voting, *path.voting)
        self.paths.append(path)
        if len(self.paths) > keep_paths * 2:
            self._trim(keep_paths)

    def _trim(self, keep_paths: int) -> None:
        self.paths.sort(key=lambda p: (-p.economic[1], -p.voting[1], len(p.edges)))
        del self.paths[keep_paths:]


def _covered(
    declared: dict[int, tuple[bool, bool]], on_path: dict[int, int], depth: int
) -> tuple[bool, bool]:
    """Which dimensions declarations cover for a pair at least two hops apart: each
    declared node must sit on the path before the current node (position < depth)."""
    economic = voting = False
    for node, (covers_economic, covers_voting) in declared.items():
        if on_path.get(node, depth) < depth:
            economic = economic or covers_economic
            voting = voting or covers_voting
    return economic, voting


def _walk(
    graph: OwnershipGraph,
    start: int,
    *,
    upwards: bool,
    wanted: set[int] | None,
    max_depth: int | None,
    floor: float | None,
    keep_paths: int,
) -> dict[int, Exposure]:
    """Every simple path from `start`, up through owners or down through holdings, with
    its products summed per far end. Keyed by the far end (a party when walking up, a
    subject when walking down); only ends in `wanted` are recorded when it is given."""
    max_depth = max_depth if max_depth is not None else settings.OWNERSHIP_MAX_DEPTH
    if floor is None:
        floor = float(settings.OWNERSHIP_MATERIALITY_FLOOR_PERCENT) / 100
    found: dict[int, Exposure] = {}
    adjacency = graph.parents if upwards else graph.children
    # Declarations between the new end and a node already on the path.
    declarations = graph.indirect_subjects if upwards else graph.indirect_parties
    on_path: dict[int, int] = {start: 0}  # node -> its position on the current path
    trail: list[Edge] = []

    def walk(
        node: int, depth: int, eco: Interval, vote: Interval, covered: tuple[bool, bool]
    ) -> None:
        for edge in adjacency.get(node, ()):
            end = edge.party if upwards else edge.subject
            if end in on_path:
                continue  # simple paths only: a cycle never inflates a total
            e = (eco[0] * edge.economic[0], eco[1] * edge.economic[1])
            v = (vote[0] * edge.voting[0], vote[1] * edge.voting[1])
            declared = declarations.get(end)
            now_covered = covered
            if declared and depth > 0:
                # A declared indirect interest between the new end and a node at least two
                # hops away already stands for this stretch, in the dimensions it gives.
                hit = _covered(declared, on_path, depth)
                now_covered = (covered[0] or hit[0], covered[1] or hit[1])
                if now_covered[0] and now_covered[1]:
                    continue
                e = ZERO if now_covered[0] else e
                v = ZERO if now_covered[1] else v
            if e[1] < floor and v[1] < floor:
                continue  # immaterial, or a role without shares (see influence_links)
            trail.append(edge)
            if wanted is None or end in wanted:
                exposure = found.get(end)
                if exposure is None:
                    exposure = found[end] = Exposure(party=end if upwards else start)
                edges = tuple(reversed(trail)) if upwards else tuple(trail)
                exposure.add(PathShare(edges, e, v), keep_paths)
            if depth + 1 < max_depth:
                on_path[end] = depth + 1
                walk(end, depth + 1, e, v, now_covered)
                del on_path[end]
            trail.pop()

    walk(start, 0, (1.0, 1.0), (1.0, 1.0), (False, False))
    for exposure in found.values():
        exposure._trim(keep_paths)
    return found


def effective_interests(
    graph: OwnershipGraph,
    subject: int,
    *,
    max_depth: int | None = None,
    floor: float | None = None,
    keep_paths: int = 5,
    parties: set[int] | None = None,
) -> dict[int, Exposure]:
    """Every party with a path to `subject` (or only those in `parties`), with its
    effective economic and voting interest as intervals and its strongest paths."""
    return _walk(
        graph,
        subject,
        upwards=True,
        wanted=parties,
        max_depth=max_depth,
        floor=floor,
        keep_paths=keep_paths,
    )


def effective_holdings(
    graph: OwnershipGraph,
    party: int,
    *,
    subjects: set[int] | None = None,
    max_depth: int | None = None,
    floor: float | None = None,
    keep_paths: int = 5,
) -> dict[int, Exposure]:
    """The same sums walked the other way: everything `party` holds an effective interest
    in (or only `subjects`), keyed by subject. One walk down from a competitor answers for
    every vendor at once, which is what screening many vendors for one lab needs."""
    return _walk(
        graph,
        party,
        upwards=False,
        wanted=subjects,
        max_depth=max_depth,
        floor=floor,
        keep_paths=keep_paths,
    )


# --- control and influence ----------------------------------------------------------------


def controlled_by(graph: OwnershipGraph, controller: int) -> set[int]:
    """Every entity in the graph that `controller` controls, itself included: by a
    controlling interest type, or by more than half of the votes held by it and the
    entities it already controls (lower bounds)."""
    controlled = {controller}
    frontier = [controller]
    while frontier:
        candidates = {edge.subject for node in frontier for edge in graph.children.get(node, ())}
        frontier = []
        for subject in candidates - controlled:
            votes = 0.0
            for edge in graph.parents.get(subject, ()):
                if edge.party in controlled and not edge.indirect:
                    if edge.controlling:
                        votes = 1.0
                        break
                    votes += edge.voting[0]
            if votes > MAJORITY + EPSILON:
                controlled.add(subject)
                frontier.append(subject)
    return controlled


@dataclass(frozen=True, slots=True)
class InfluenceLink:
    kind: str  # "role" or "former_official"
    holder: int  # the entity or person holding the role
    via: int  # the competitor, or the entity it controls, that the holder is tied to
    role: str
    stake: StakeFact
    later_stake: StakeFact | None = None


def influence_links(
    graph: OwnershipGraph,
    subject: int,
    controlled: set[int],
    *,
    lookback_days: int,
    former_officials: list[StakeFact],
) -> list[InfluenceLink]:
    """Board seats and senior managing official roles in `subject` held by a member of
    `controlled` (the competitor and what it controls); and former senior managing
    officials of `subject` who now hold a role or interest in a member of `controlled`."""
    links = []
    for edge in graph.parents.get(subject, ()):
        if edge.party in controlled and edge.influence:
            for fact in edge.stakes:
                if fact.interest_type in INFLUENCE_INTEREST_TYPES:
                    links.append(
                        InfluenceLink("role", edge.party, edge.party, fact.interest_type, fact)
                    )
    for former in former_officials:
        if former.end_date is None or (graph.as_of - former.end_date).days > lookback_days:
            continue
        for edge in graph.children.get(former.party, ()):
            if edge.subject in controlled and edge.subject != subject:
                links.append(
                    InfluenceLink(
                        "former_official",
                        former.party,
                        edge.subject,
                        InterestType.SENIOR_MANAGING_OFFICIAL,
                        former,
                        edge.stakes[0],
                    )
                )
    return links


def former_officials_of(
    subjects: Iterable[int], *, as_of: date, lookback_days: int
) -> dict[int, list[StakeFact]]:
    """Senior managing official stakes in each of `subjects` that ended within the
    lookback window, by subject."""
    rows = Stake.objects.filter(
        subject_id__in=list(subjects),
        interest_type=InterestType.SENIOR_MANAGING_OFFICIAL,
        end_date__isnull=False,
        end_date__lte=as_of,
        end_date__gt=as_of - timedelta(days=lookback_days),
    ).values_list(*STAKE_COLUMNS)
    found: dict[int, list[StakeFact]] = defaultdict(list)
    for row in rows:
        fact = _fact(*row)
        found[fact.subject].append(fact)
    return found
