"""The effective-ownership engine against a brute-force reference, on random graphs.

The reference below is written from the rules of DESIGN section 4 alone: fold the stakes
of each pair into one hop, enumerate every simple path with a plain depth-first search,
drop the paths a declared indirect interest summarises, multiply along each path and add
across paths, capped at one. It knows nothing of the engine's upward walk, its pruning or
its indexes. Graphs are built in memory (no database), so hundreds of them run quickly.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from marketplace.ownership.engine import (
    Exposure,
    OwnershipGraph,
    StakeFact,
    controlled_by,
    effective_holdings,
    effective_interests,
)

AS_OF = date(2025, 6, 30)
TOLERANCE = 1e-9
DEEP_ENOUGH = 10  # a simple path among at most 7 entities has at most 6 hops

ECONOMIC = {
    "shareholding",
    "rightsToProfitOrIncome",
    "rightsToSurplusAssetsOnDissolution",
    "beneficiaryOfLegalArrangement",
    "rightToProfitOrIncomeFromAssets",
}
VOTING = {"votingRights"}
BOTH = {"unknownInterest", "unpublishedInterest"}
CONTROLLING = {
    "appointmentOfBoard",
    "controlViaCompanyRulesOrArticles",
    "controlByLegalFramework",
}
KINDS = [
    "shareholding",
    "votingRights",
    "rightsToProfitOrIncome",
    "unknownInterest",
    "unpublishedInterest",
    "boardMember",
    "appointmentOfBoard",
]

Interval = tuple[float, float]
Hop = tuple[int, int, bool]  # party, subject, indirect


@dataclass(frozen=True)
class RandomStake:
    party: int
    subject: int
    kind: str
    low: float
    high: float
    indirect: bool


# --- random graphs ------------------------------------------------------------------------


@st.composite
def shares(draw: st.DrawFn) -> Interval:
    form = draw(st.sampled_from(["exact", "range", "unknown"]))
    if form == "exact":
        x = draw(st.integers(0, 100)) / 100
        return (x, x)
    if form == "range":
        low = draw(st.none() | st.integers(0, 100))
        high = draw(st.none() | st.integers(0, 100))
        low, high = (0 if low is None else low), (100 if high is None else high)
        return (min(low, high) / 100, max(low, high) / 100)
    return (0.0, 1.0)


@st.composite
def stakes(draw: st.DrawFn, size: int, *, indirect: bool = True) -> RandomStake:
    party = draw(st.integers(0, size - 1))
    subject = (party + draw(st.integers(1, size - 1))) % size
    low, high = draw(shares())
    declared_indirect = indirect and draw(st.integers(0, 5)) == 0
    return RandomStake(party, subject, draw(st.sampled_from(KINDS)), low, high, declared_indirect)


@st.composite
def graphs(draw: st.DrawFn, *, with_cycle: bool = False) -> tuple[int, list[RandomStake]]:
    size = draw(st.integers(2, 7))
    drawn = draw(st.lists(stakes(size), max_size=14))
    if with_cycle:
        members = draw(st.permutations(range(size)))[: draw(st.integers(2, size))]
        for party, subject in zip(members, [*members[1:], members[0]], strict=True):
            low, high = draw(shares())
            kind = draw(st.sampled_from(["shareholding", "votingRights", "unknownInterest"]))
            drawn.append(RandomStake(party, subject, kind, low, high, False))
    return size, drawn


def engine_graph(drawn: list[RandomStake]) -> OwnershipGraph:
    facts = [
        StakeFact(
            i, f"rel-{i}", s.party, s.subject, s.kind, s.low, s.high, s.indirect, "", None, None
        )
        for i, s in enumerate(drawn)
    ]
    entities = {s.party for s in drawn} | {s.subject for s in drawn}
    return OwnershipGraph(facts, {e: (f"E{e}", f"e{e}") for e in entities}, AS_OF)


# --- the reference ------------------------------------------------------------------------


def capped_sum(a: Interval, b: Interval) -> Interval:
    return (min(1.0, a[0] + b[0]), min(1.0, a[1] + b[1]))


def hops_of(drawn: list[RandomStake]) -> dict[Hop, tuple[Interval, Interval]]:
    """Each (party, subject, direct-or-indirect) as one hop: stakes of one interest type
    add up (capped), different types take the larger bound by bound."""
    per_type: dict[tuple[int, int, bool, str], Interval] = defaultdict(lambda: (0.0, 0.0))
    for s in drawn:
        key = (s.party, s.subject, s.indirect, s.kind)
        per_type[key] = capped_sum(per_type[key], (s.low, s.high))
    hops: dict[Hop, tuple[Interval, Interval]] = {}
    for (party, subject, indirect, kind), share in per_type.items():
        economic, voting = hops.get((party, subject, indirect), ((0.0, 0.0), (0.0, 0.0)))
        if kind in ECONOMIC | BOTH:
            economic = (max(economic[0], share[0]), max(economic[1], share[1]))
        if kind in VOTING | BOTH:
            voting = (max(voting[0], share[0]), max(voting[1], share[1]))
        hops[(party, subject, indirect)] = (economic, voting)
    return hops


def simple_paths(hops: Mapping[Hop, object], start: int, end: int) -> Iterator[list[Hop]]:
    def extend(node: int, seen: frozenset[int], path: list[Hop]) -> Iterator[list[Hop]]:
        if node == end:
            yield path
            return
        for hop in hops:
            if hop[0] == node and hop[1] not in seen:
                yield from extend(hop[1], seen | {hop[1]}, [*path, hop])

    yield from extend(start, frozenset({start}), [])


def summarised_by_a_declaration(
    path: list[Hop], declared: dict[int, dict[int, tuple[bool, bool]]]
) -> tuple[bool, bool]:
    """Whether a party on the path declared an indirect interest in an entity further
    down, past its next hop, covering the economic and the voting dimension: that
    declaration already stands for this stretch of the path in what it covers."""
    nodes = [path[0][0], *(hop[1] for hop in path)]
    economic = voting = False
    for i in range(len(nodes)):
        for j in range(i + 2, len(nodes)):
            covers = declared.get(nodes[i], {}).get(nodes[j])
            if covers:
                economic = economic or covers[0]
                voting = voting or covers[1]
    return economic, voting


@dataclass
class Expected:
    economic: Interval
    voting: Interval
    paths: list[tuple[Hop, ...]]


def reference(drawn: list[RandomStake], size: int, subject: int) -> dict[int, Expected]:
    hops = hops_of(drawn)
    declared: dict[int, dict[int, tuple[bool, bool]]] = defaultdict(dict)
    for (party, target, indirect), (economic, voting) in hops.items():
        if indirect and (economic[1] > 0 or voting[1] > 0):
            declared[party][target] = (economic[1] > 0, voting[1] > 0)
    result = {}
    for party in range(size):
        if party == subject:
            continue
        expected = Expected((0.0, 0.0), (0.0, 0.0), [])
        for path in simple_paths(hops, party, subject):
            if len(path) > DEEP_ENOUGH:
                continue
            covered = summarised_by_a_declaration(path, declared)
            if all(covered):
                continue
            economic, voting = (1.0, 1.0), (1.0, 1.0)
            for hop in path:
                (e_lo, e_hi), (v_lo, v_hi) = hops[hop]
                economic = (economic[0] * e_lo, economic[1] * e_hi)
                voting = (voting[0] * v_lo, voting[1] * v_hi)
            economic = (0.0, 0.0) if covered[0] else economic
            voting = (0.0, 0.0) if covered[1] else voting
            expected.economic = capped_sum(expected.economic, economic)
            expected.voting = capped_sum(expected.voting, voting)
            expected.paths.append(tuple(path))
        result[party] = expected
    return result


def reference_control(drawn: list[RandomStake], size: int, controller: int) -> set[int]:
    """The least fixed point: y is controlled when a controlled party holds a controlling
    interest type in it, or controlled parties hold more than half its votes (lower
    bounds), counting direct stakes only."""
    hops = hops_of([s for s in drawn if not s.indirect])
    controlling = {(s.party, s.subject) for s in drawn if not s.indirect and s.kind in CONTROLLING}
    controlled = {controller}
    changed = True
    while changed:
        changed = False
        for y in set(range(size)) - controlled:
            held = [(p, voting[0]) for (p, t, _), (_, voting) in hops.items() if t == y]
            if any((p, y) in controlling for p, _ in held if p in controlled) or (
                sum(low for p, low in held if p in controlled) > 0.5 + 1e-9
            ):
                controlled.add(y)
                changed = True
    return controlled


# --- the engine under test ----------------------------------------------------------------


def engine_figures(graph: OwnershipGraph, subject: int) -> dict[int, tuple[Interval, Interval]]:
    exposures = effective_interests(graph, subject, max_depth=DEEP_ENOUGH, floor=0.0)
    return {party: (e.economic, e.voting) for party, e in exposures.items()}


def close(a: Interval, b: Interval) -> bool:
    return abs(a[0] - b[0]) <= TOLERANCE and abs(a[1] - b[1]) <= TOLERANCE


def assert_same(got: Exposure | None, want: Expected, where: tuple[str, int, int]) -> None:
    economic = got.economic if got else (0.0, 0.0)
    voting = got.voting if got else (0.0, 0.0)
    assert close(economic, want.economic), (*where, economic, want.economic)
    assert close(voting, want.voting), (*where, voting, want.voting)
    for low, high in (economic, voting):
        assert 0.0 <= low <= high <= 1.0, where
    got_paths = [
        tuple((e.party, e.subject, e.indirect) for e in p.edges) for p in (got.paths if got else [])
    ]
    assert Counter(got_paths) == Counter(want.paths), where


def assert_matches_reference(size: int, drawn: list[RandomStake]) -> None:
    """Both walks of the engine, up from each subject (effective_interests) and down from
    each party (effective_holdings), give the reference's figures and exactly its paths."""
    graph = engine_graph(drawn)
    expected = {subject: reference(drawn, size, subject) for subject in range(size)}
    options: dict[str, Any] = {"max_depth": DEEP_ENOUGH, "floor": 0.0, "keep_paths": 1_000_000}
    for subject in range(size):
        exposures = effective_interests(graph, subject, **options)
        assert set(exposures) <= set(expected[subject])
        for party, want in expected[subject].items():
            assert_same(exposures.get(party), want, ("up", subject, party))
    for party in range(size):
        holdings = effective_holdings(graph, party, **options)
        assert set(holdings) <= set(range(size)) - {party}
        for subject in set(range(size)) - {party}:
            want = expected[subject][party]
            assert_same(holdings.get(subject), want, ("down", subject, party))


# --- properties ---------------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(graphs())
def test_both_walks_equal_the_brute_force_reference(graph_spec):
    size, drawn = graph_spec
    assert_matches_reference(size, drawn)


@settings(max_examples=200, deadline=None)
@given(graphs(with_cycle=True))
def test_a_cycle_never_inflates_a_total(graph_spec):
    # Every graph here has at least one cycle; the engine still equals the sum over
    # simple paths, never a sum that goes round the cycle.
    size, drawn = graph_spec
    assert_matches_reference(size, drawn)


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_adding_a_direct_stake_never_lowers_an_effective_interest(data):
    # A declared indirect interest may replace the paths it summarises (and so lower a
    # figure); a direct stake only ever adds paths or raises a hop.
    size, drawn = data.draw(graphs())
    extra = data.draw(stakes(size, indirect=False))
    before, after = engine_graph(drawn), engine_graph([*drawn, extra])
    for subject in range(size):
        old, new = engine_figures(before, subject), engine_figures(after, subject)
        for economic, voting in new.values():
            for low, high in (economic, voting):
                assert 0.0 <= low <= high <= 1.0
        for party, (old_economic, old_voting) in old.items():
            new_economic, new_voting = new[party]
            for was, now in ((old_economic, new_economic), (old_voting, new_voting)):
                assert now[0] >= was[0] - TOLERANCE and now[1] >= was[1] - TOLERANCE


@settings(max_examples=200, deadline=None)
@given(graphs(with_cycle=True))
def test_control_equals_the_reference_fixed_point(graph_spec):
    size, drawn = graph_spec
    graph = engine_graph(drawn)
    for controller in range(size):
        expected = reference_control(drawn, size, controller)
        # an entity with no stakes at all is not in the graph, but still controls itself
        assert controlled_by(graph, controller) == expected


@settings(max_examples=100, deadline=None)
@given(st.data())
def test_asking_for_some_parties_or_subjects_gives_their_figures_unchanged(data):
    size, drawn = data.draw(graphs())
    some = data.draw(st.sets(st.integers(0, size - 1)))
    graph = engine_graph(drawn)
    options: dict[str, Any] = {"max_depth": DEEP_ENOUGH, "floor": 0.0}
    for node in range(size):
        every_party = engine_figures(graph, node)
        assert {
            p: (e.economic, e.voting)
            for p, e in effective_interests(graph, node, parties=some, **options).items()
        } == {p: figures for p, figures in every_party.items() if p in some}
        every_subject = effective_holdings(graph, node, **options)
        assert {
            s: (e.economic, e.voting)
            for s, e in effective_holdings(graph, node, subjects=some, **options).items()
        } == {s: (e.economic, e.voting) for s, e in every_subject.items() if s in some}
