"""The effective-ownership engine (DESIGN section 4, steps 1-3), on hand-worked cases.

Each case states the expected figures and how they were worked out. Figures are in
percent; an interval [lo, hi] is written lo-hi.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from itertools import count
from typing import Any, NamedTuple

import pytest

from marketplace.ownership.engine import (
    Exposure,
    OwnershipGraph,
    StakeFact,
    controlled_by,
    effective_interests,
    former_officials_of,
    influence_links,
)
from marketplace.ownership.models import (
    DirectOrIndirect,
    Entity,
    EntityType,
    InterestType,
    RecordType,
    Stake,
)
from tests.factories import EntityFactory, StakeFactory

AS_OF = date(2025, 6, 30)
TWELVE_MONTHS = (AS_OF - date(2024, 6, 30)).days


# --- helpers ------------------------------------------------------------------------------


class Figures(NamedTuple):
    """An effective interest in percent, rounded to 6 decimals: (lo, hi) each."""

    economic: tuple[float, float]
    voting: tuple[float, float]


def eco(lo: float, hi: float | None = None) -> Figures:
    return Figures((lo, lo if hi is None else hi), (0.0, 0.0))


def votes(lo: float, hi: float | None = None) -> Figures:
    return Figures((0.0, 0.0), (lo, lo if hi is None else hi))


def _pct(interval: tuple[float, float]) -> tuple[float, float]:
    return (round(interval[0] * 100, 6), round(interval[1] * 100, 6))


def figures(graph: OwnershipGraph, exposures: dict[int, Exposure]) -> dict[str, Figures]:
    return {
        graph.name(party): Figures(_pct(exposure.economic), _pct(exposure.voting))
        for party, exposure in exposures.items()
    }


def effective_in(subject: Entity, **options: Any) -> dict[str, Figures]:
    """The effective interests in `subject` by party name, computed on the graph loaded
    upstream of the subject and on the whole graph: the two must agree."""
    upstream = OwnershipGraph.load(as_of=AS_OF, upstream_of=[subject.pk])
    whole = OwnershipGraph.load(as_of=AS_OF)
    from_upstream = figures(upstream, effective_interests(upstream, subject.pk, **options))
    from_whole = figures(whole, effective_interests(whole, subject.pk, **options))
    assert from_upstream == from_whole
    return from_upstream


def entity(name: str, **fields: Any) -> Entity:
    return EntityFactory.create(name=name, record_id=name.lower().replace(" ", "-"), **fields)


def person(name: str) -> Entity:
    return entity(name, record_type=RecordType.PERSON, entity_type=EntityType.KNOWN_PERSON)


def hold(
    party: Entity,
    subject: Entity,
    percent: float | None = None,
    *,
    interest_type: str = InterestType.SHAREHOLDING,
    low: float | None = None,
    high: float | None = None,
    **fields: Any,
) -> Stake:
    """A stake of `percent` (or the range `low`-`high`; neither given: an unknown share)."""

    def dec(value: float | None) -> Decimal | None:
        return None if value is None else Decimal(str(value))

    return StakeFactory.create(
        interested_party=party,
        subject=subject,
        interest_type=interest_type,
        share_exact=dec(percent),
        share_min=dec(low),
        share_max=dec(high),
        **fields,
    )


def names(graph: OwnershipGraph, ids: set[int]) -> set[str]:
    return {graph.name(i) for i in ids}


_fact_ids = count(1)


def fact(
    party: int,
    subject: int,
    low: float,
    high: float | None = None,
    *,
    kind: str = InterestType.SHAREHOLDING,
    indirect: bool = False,
) -> StakeFact:
    """An in-memory active stake; shares as fractions of one."""
    stake_id = next(_fact_ids)
    return StakeFact(
        stake_id,
        f"rel-{stake_id}",
        party,
        subject,
        kind,
        low,
        low if high is None else high,
        indirect,
        "self_declared",
        None,
        None,
    )


def memory_graph(*facts: StakeFact) -> OwnershipGraph:
    ids = {f.party for f in facts} | {f.subject for f in facts}
    return OwnershipGraph(facts, {i: (f"E{i}", f"e{i}") for i in ids}, AS_OF)


def memory_figures(graph: OwnershipGraph, subject: int, **options: Any) -> dict[str, Figures]:
    return figures(graph, effective_interests(graph, subject, **options))


# --- paths: chains, diamonds, cycles ------------------------------------------------------


@pytest.mark.django_db
def test_a_chain_multiplies_the_shares_along_it():
    # A 60% of B, B 50% of V: A holds 0.6 x 0.5 = 30% of V; B holds its direct 50%.
    a, b, v = entity("A"), entity("B"), entity("V")
    hold(a, b, 60)
    hold(b, v, 50)

    assert effective_in(v) == {"A": eco(30), "B": eco(50)}


@pytest.mark.django_db
def test_a_path_names_every_hop_from_the_party_down_to_the_subject():
    a, b, v = entity("A"), entity("B"), entity("V")
    hold(a, b, 60)
    hold(b, v, 50)
    graph = OwnershipGraph.load(as_of=AS_OF, upstream_of=[v.pk])

    [path] = effective_interests(graph, v.pk)[a.pk].paths

    assert [(graph.name(e.party), graph.name(e.subject)) for e in path.edges] == [
        ("A", "B"),
        ("B", "V"),
    ]
    assert [e.economic for e in path.edges] == [(0.6, 0.6), (0.5, 0.5)]
    assert graph.record_id(a.pk) == "a"


@pytest.mark.django_db
def test_the_paths_of_a_diamond_add_up():
    # A 50% of B and 50% of C; B 40% of V, C 20% of V.
    # A: 0.5 x 0.4 + 0.5 x 0.2 = 0.20 + 0.10 = 30%.
    a, b, c, v = entity("A"), entity("B"), entity("C"), entity("V")
    hold(a, b, 50)
    hold(a, c, 50)
    hold(b, v, 40)
    hold(c, v, 20)

    assert effective_in(v) == {"A": eco(30), "B": eco(40), "C": eco(20)}


@pytest.mark.django_db
def test_the_total_counts_every_path_even_when_only_the_strongest_are_kept():
    # The diamond again; keeping one path keeps A -> B -> V (20%), the total stays 30%.
    a, b, c, v = entity("A"), entity("B"), entity("C"), entity("V")
    hold(a, b, 50)
    hold(a, c, 50)
    hold(b, v, 40)
    hold(c, v, 20)
    graph = OwnershipGraph.load(as_of=AS_OF)

    exposure = effective_interests(graph, v.pk, keep_paths=1)[a.pk]

    assert _pct(exposure.economic) == (30, 30)
    [path] = exposure.paths
    assert [graph.name(e.subject) for e in path.edges] == ["B", "V"]
    assert _pct(path.economic) == (20, 20)


@pytest.mark.django_db
def test_a_cycle_terminates_and_never_inflates_a_total():
    # A 30% of B, B 10% of A, B 40% of V. Simple paths only:
    #   B: B -> V = 40%            (B -> A -> B -> V visits B twice)
    #   A: A -> B -> V = 0.3 x 0.4 = 12%
    # Going round the cycle would give the geometric series 12 / (1 - 0.03) = 12.37% for A
    # and 40 / 0.97 = 41.24% for B.
    a, b, v = entity("A"), entity("B"), entity("V")
    hold(a, b, 30)
    hold(b, a, 10)
    hold(b, v, 40)

    assert effective_in(v) == {"A": eco(12), "B": eco(40)}


@pytest.mark.django_db
def test_a_subject_holding_a_stake_in_its_owner_is_not_its_own_owner():
    # V 20% of A, A 50% of V: the only simple path into V is A -> V (50%); V -> A -> V would
    # visit V twice.
    a, v = entity("A"), entity("V")
    hold(a, v, 50)
    hold(v, a, 20)

    assert effective_in(v) == {"A": eco(50)}


# --- shares as intervals ------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("share", "expected"),
    [
        # [20, 40] x [50, 60] = [10, 24]
        pytest.param({"low": 20, "high": 40}, eco(10, 24), id="min and max"),
        # [20, 100] x [50, 60] = [10, 60]: a missing maximum is 100%
        pytest.param({"low": 20}, eco(10, 60), id="min only"),
        # [0, 40] x [50, 60] = [0, 24]: a missing minimum is 0%
        pytest.param({"high": 40}, eco(0, 24), id="max only"),
        # [0, 100] x [50, 60] = [0, 60]
        pytest.param({}, eco(0, 60), id="unknown"),
    ],
)
def test_a_range_multiplies_its_bounds(share, expected):
    a, b, v = entity("A"), entity("B"), entity("V")
    hold(a, b, **share)
    hold(b, v, low=50, high=60)

    assert effective_in(v) == {"A": expected, "B": eco(50, 60)}


@pytest.mark.django_db
def test_an_unknown_share_times_the_rest_of_the_chain():
    # A holds an unknown share of B ([0, 100]), B 60% of V: A holds [0, 60] of V.
    a, b, v = entity("A"), entity("B"), entity("V")
    hold(a, b)
    hold(b, v, 60)

    assert effective_in(v) == {"A": eco(0, 60), "B": eco(60)}


@pytest.mark.django_db
def test_a_zero_share_is_zero_not_unknown():
    # A holds exactly 0% of B (B 60% of V): A holds nothing of V, not [0, 60].
    a, b, v = entity("A"), entity("B"), entity("V")
    hold(a, b, 0)
    hold(b, v, 60)

    assert effective_in(v, floor=0) == {"A": eco(0), "B": eco(60)}
    assert effective_in(v) == {"B": eco(60)}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "interest_type", [InterestType.UNKNOWN_INTEREST, InterestType.UNPUBLISHED_INTEREST]
)
def test_an_interest_of_undetermined_type_counts_as_economic_and_as_votes(interest_type):
    # We cannot tell whether it is shares or votes: 25% of each, and an unknown share is
    # [0, 100] of each.
    a, b, v = entity("A"), entity("B"), entity("V")
    hold(a, v, 25, interest_type=interest_type)
    hold(b, v, interest_type=interest_type)

    assert effective_in(v) == {
        "A": Figures((25, 25), (25, 25)),
        "B": Figures((0, 100), (0, 100)),
    }


# --- declared indirect interests ----------------------------------------------------------


@pytest.mark.django_db
def test_a_declared_indirect_interest_is_authoritative_for_the_paths_it_summarises():
    # The BODS indirect-ownership example: Person 1 holds an unknown interest in Company B
    # (a component), B holds 60% of Company A (a component), and Person 1 declares an
    # indirect 30% of A summarising the two.
    #   Person 1: exactly the declared 30%. Following the components as well would give
    #   [0, 60] through B, or [30, 90] added to the declared figure.
    #   Company B: its direct 60%.
    company_a = entity("Company A")
    company_b = entity("Company B", is_component=True)
    person_1 = person("Person 1")
    owns_b = hold(
        person_1,
        company_b,
        interest_type=InterestType.UNKNOWN_INTEREST,
        direct_or_indirect=DirectOrIndirect.UNKNOWN,
        is_component=True,
    )
    b_owns_a = hold(company_b, company_a, 60, is_component=True)
    hold(
        person_1,
        company_a,
        30,
        direct_or_indirect=DirectOrIndirect.INDIRECT,
        component_record_ids=[company_b.record_id, b_owns_a.record_id, owns_b.record_id],
    )

    assert effective_in(company_a) == {"Person 1": eco(30), "Company B": eco(60)}
    graph = OwnershipGraph.load(as_of=AS_OF, upstream_of=[company_a.pk])
    [path] = effective_interests(graph, company_a.pk)[person_1.pk].paths
    assert [(e.party, e.subject, e.indirect) for e in path.edges] == [
        (person_1.pk, company_a.pk, True)
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("indirect", "direct", "expected"),
    [
        # The BODS mixed-direct-and-indirect example: 50 indirect + 50 direct = 100%.
        pytest.param(50, 50, 100, id="bods example"),
        # 20 indirect + 30 direct = 50%, exactly; the path through B ([0, 100] x 50%) is
        # summarised by the declared 20%, else Person 1 would hold [50, 100].
        pytest.param(20, 30, 50, id="below the cap"),
    ],
)
def test_a_direct_interest_adds_to_a_declared_indirect_one(indirect, direct, expected):
    company_a = entity("Company A")
    company_b = entity("Company B", is_component=True)
    person_1 = person("Person 1")
    hold(person_1, company_b, interest_type=InterestType.UNKNOWN_INTEREST, is_component=True)
    hold(company_b, company_a, 50, is_component=True)
    both: dict[str, Any] = {"record_id": "person-1-in-company-a"}
    hold(person_1, company_a, indirect, direct_or_indirect=DirectOrIndirect.INDIRECT, **both)
    hold(person_1, company_a, direct, interest_index=1, **both)

    assert effective_in(company_a) == {"Person 1": eco(expected), "Company B": eco(50)}


def test_a_declared_indirect_interest_in_an_intermediate_covers_the_paths_through_it():
    # 1 declares an indirect 30% of 3; 3 holds 50% of V (4). 1 also holds 60% of 2, and 2
    # holds 50% of 3.
    #   1 -> (declared 30%) 3 -> V            = 0.3 x 0.5       = 15%
    #   1 -> 2 -> 3 -> V                      dropped: covered by the declared 30% of 3
    #   2 -> 3 -> V                           = 0.5 x 0.5       = 25%
    graph = memory_graph(
        fact(1, 3, 0.3, indirect=True),
        fact(3, 4, 0.5),
        fact(1, 2, 0.6),
        fact(2, 3, 0.5),
    )

    assert memory_figures(graph, 4) == {"E1": eco(15), "E2": eco(25), "E3": eco(50)}


def test_a_declared_indirect_interest_is_followed_upwards_like_any_hop():
    # 0 holds 50% of 1; 1 declares an indirect 40% of V (2): 0 holds 0.5 x 0.4 = 20%.
    graph = memory_graph(fact(0, 1, 0.5), fact(1, 2, 0.4, indirect=True))

    assert memory_figures(graph, 2) == {"E0": eco(20), "E1": eco(40)}


# --- joint ownership ----------------------------------------------------------------------


@pytest.mark.django_db
def test_joint_owners_of_an_arrangement_each_hold_their_part():
    # The BODS joint-ownership example: a joint shareholding (an arrangement) holds 100% of
    # CHRINON LTD; Natalie Coleman and Roberto Lopez each hold 50% of the arrangement:
    # 0.5 x 1.0 = 50% each.
    chrinon = entity("CHRINON LTD")
    joint = entity("Joint shareholding", entity_type=EntityType.ARRANGEMENT)
    hold(joint, chrinon, 100)
    hold(person("Natalie Coleman"), joint, 50)
    hold(person("Roberto Lopez"), joint, 50)

    assert effective_in(chrinon) == {
        "Joint shareholding": eco(100),
        "Natalie Coleman": eco(50),
        "Roberto Lopez": eco(50),
    }


# --- which stakes count -------------------------------------------------------------------


@pytest.mark.django_db
def test_only_stakes_held_on_the_day_count():
    # end_date is the first day a stake is no longer held.
    v = entity("V")
    hold(entity("Ended today"), v, 60, end_date=AS_OF)
    hold(entity("Starts tomorrow"), v, 40, start_date=AS_OF + timedelta(days=1))
    starts_today = entity("Starts today")
    hold(starts_today, v, 30, start_date=AS_OF)
    hold(entity("Ends tomorrow"), v, 20, end_date=AS_OF + timedelta(days=1))
    # an ended link breaks the chain above it
    hold(entity("Former parent"), starts_today, 100, end_date=AS_OF)

    assert effective_in(v) == {"Starts today": eco(30), "Ends tomorrow": eco(20)}


@pytest.mark.django_db
def test_the_total_is_capped_at_100_percent():
    # A 80% of V directly, and 100% of B, which holds 50% of V: 0.8 + 1.0 x 0.5 = 130%,
    # capped at 100%.
    a, b, v = entity("A"), entity("B"), entity("V")
    hold(a, v, 80)
    hold(a, b, 100)
    hold(b, v, 50)

    assert effective_in(v) == {"A": eco(100), "B": eco(50)}


@pytest.mark.django_db
def test_stakes_of_one_type_add_up_and_different_types_take_the_larger():
    # A: two share classes of 30% and 20% (same type: 50%).
    # B: 30% of the shares and rights to 40% of the profit (one holding described twice:
    # 40%, not 70%).
    # C: two share classes of 60% and 70% (130%, capped at 100%).
    a, b, c, v = entity("A"), entity("B"), entity("C"), entity("V")
    hold(a, v, 30)
    hold(a, v, 20)
    hold(b, v, 30)
    hold(b, v, 40, interest_type=InterestType.RIGHTS_TO_PROFIT_OR_INCOME)
    hold(c, v, 60)
    hold(c, v, 70)

    assert effective_in(v) == {"A": eco(50), "B": eco(40), "C": eco(100)}


def test_different_types_take_the_larger_bound_by_bound():
    # shareholding [10, 50] and rights to surplus assets [30, 40]: [max(10, 30), max(50, 40)]
    graph = memory_graph(
        fact(0, 1, 0.1, 0.5),
        fact(0, 1, 0.3, 0.4, kind=InterestType.RIGHTS_TO_SURPLUS_ASSETS_ON_DISSOLUTION),
    )

    assert memory_figures(graph, 1) == {"E0": eco(30, 50)}


@pytest.mark.django_db
def test_votes_and_shares_are_counted_apart():
    # Votes without shares: economic 0, voting 60. Shares without votes: voting is not
    # assumed. A chain of votes multiplies like a chain of shares: 0.5 x 0.6 = 30%.
    votes_only, shares_only, g, v = entity("Votes"), entity("Shares"), entity("G"), entity("V")
    hold(votes_only, v, 60, interest_type=InterestType.VOTING_RIGHTS)
    hold(shares_only, v, 60)
    hold(g, votes_only, 50, interest_type=InterestType.VOTING_RIGHTS)

    assert effective_in(v) == {"Votes": votes(60), "Shares": eco(60), "G": votes(30)}


def test_every_economic_interest_type_counts_as_economic():
    kinds = [
        InterestType.SHAREHOLDING,
        InterestType.RIGHTS_TO_PROFIT_OR_INCOME,
        InterestType.RIGHTS_TO_SURPLUS_ASSETS_ON_DISSOLUTION,
        InterestType.BENEFICIARY_OF_LEGAL_ARRANGEMENT,
        InterestType.RIGHT_TO_PROFIT_OR_INCOME_FROM_ASSETS,
    ]
    graph = memory_graph(*(fact(i, 9, 0.1 * (i + 1), kind=k) for i, k in enumerate(kinds)))

    assert memory_figures(graph, 9) == {f"E{i}": eco(10 * (i + 1)) for i in range(5)}


def test_roles_carry_no_share():
    # A board seat or an appointment right is no economic or voting interest.
    graph = memory_graph(
        fact(0, 2, 1.0, kind=InterestType.BOARD_MEMBER),
        fact(1, 2, 1.0, kind=InterestType.APPOINTMENT_OF_BOARD),
    )

    assert memory_figures(graph, 2) == {}


# --- depth and materiality ----------------------------------------------------------------


@pytest.mark.django_db
def test_a_chain_longer_than_the_depth_bound_contributes_nothing_beyond_it():
    # A -> B -> C -> D -> V, 100% each hop: A is 4 hops away.
    a, b, c, d, v = (entity(n) for n in "ABCDV")
    hold(a, b, 100)
    hold(b, c, 100)
    hold(c, d, 100)
    hold(d, v, 100)

    assert effective_in(v, max_depth=3) == {"B": eco(100), "C": eco(100), "D": eco(100)}
    assert effective_in(v, max_depth=4) == {n: eco(100) for n in "ABCD"}
    # loading upstream stops at the depth bound too: A's stake is not even read
    shallow = OwnershipGraph.load(as_of=AS_OF, upstream_of=[v.pk], max_depth=3)
    assert b.pk in shallow.children
    assert a.pk not in shallow.children


@pytest.mark.django_db
def test_the_depth_bound_is_a_setting(settings):
    settings.OWNERSHIP_MAX_DEPTH = 2
    a, b, c, v = (entity(n) for n in "ABCV")
    hold(a, b, 100)
    hold(b, c, 100)
    hold(c, v, 100)

    assert effective_in(v) == {"B": eco(100), "C": eco(100)}


@pytest.mark.django_db
def test_paths_below_the_materiality_floor_are_pruned(settings):
    # A 1% of B, B 0.5% of V: A holds 0.01 x 0.005 = 0.005%, below the 0.01% default floor;
    # C, 100% of A, is pruned with it. B's 0.5% stays.
    default_floor = settings.OWNERSHIP_MATERIALITY_FLOOR_PERCENT
    assert default_floor == Decimal("0.01")
    a, b, c, v = entity("A"), entity("B"), entity("C"), entity("V")
    hold(a, b, 1)
    hold(b, v, 0.5)
    hold(c, a, 100)

    assert effective_in(v) == {"B": eco(0.5)}
    assert effective_in(v, floor=0) == {"A": eco(0.005), "B": eco(0.5), "C": eco(0.005)}

    settings.OWNERSHIP_MATERIALITY_FLOOR_PERCENT = Decimal("1")
    assert effective_in(v) == {}


def test_the_floor_looks_at_the_upper_bound():
    # An unknown share of 0.5%: [0, 0.005] is kept, its upper bound is above the floor.
    graph = memory_graph(fact(0, 1, 0.0, 0.005))

    assert memory_figures(graph, 1) == {"E0": eco(0, 0.5)}


# --- control ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_control_follows_a_chain_of_majorities():
    # A 51% of the votes of B, B 51% of the votes of V: A controls B, so controls V
    # through it, although its effective vote is 0.51 x 0.51 = 26.01%.
    a, b, v = entity("A"), entity("B"), entity("V")
    hold(a, b, 51, interest_type=InterestType.VOTING_RIGHTS)
    hold(b, v, 51, interest_type=InterestType.VOTING_RIGHTS)
    graph = OwnershipGraph.load(as_of=AS_OF, upstream_of=[v.pk])

    assert names(graph, controlled_by(graph, a.pk)) == {"A", "B", "V"}
    assert effective_in(v)["A"] == votes(26.01)


@pytest.mark.django_db
def test_votes_of_controlled_entities_are_aggregated():
    # A holds 60% of the votes of B and of C; B and C each hold 30% of V's votes:
    # 30 + 30 = 60% > 50%, so A controls V (its effective vote is 2 x 0.6 x 0.3 = 36%).
    # B alone (30%) does not.
    a, b, c, v = entity("A"), entity("B"), entity("C"), entity("V")
    for sub in (b, c):
        hold(a, sub, 60, interest_type=InterestType.VOTING_RIGHTS)
        hold(sub, v, 30, interest_type=InterestType.VOTING_RIGHTS)
    graph = OwnershipGraph.load(as_of=AS_OF)

    assert names(graph, controlled_by(graph, a.pk)) == {"A", "B", "C", "V"}
    assert controlled_by(graph, b.pk) == {b.pk}
    assert effective_in(v)["A"] == votes(36)


def test_control_is_found_whatever_order_the_controlled_entities_are_reached_in():
    # 0 controls 1 (60%), 1 controls 2 (60%); V (3) has 30% votes from 1 and 30% from 2.
    # V can only be seen as controlled once 2 is.
    voting = InterestType.VOTING_RIGHTS
    graph = memory_graph(
        fact(0, 1, 0.6, kind=voting),
        fact(1, 2, 0.6, kind=voting),
        fact(1, 3, 0.3, kind=voting),
        fact(2, 3, 0.3, kind=voting),
    )

    assert controlled_by(graph, 0) == {0, 1, 2, 3}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "interest_type",
    [
        InterestType.APPOINTMENT_OF_BOARD,
        InterestType.CONTROL_VIA_COMPANY_RULES_OR_ARTICLES,
        InterestType.CONTROL_BY_LEGAL_FRAMEWORK,
    ],
)
def test_a_controlling_interest_type_gives_control(interest_type):
    # A appoints B's board (no share at all); B holds 51% of V's votes: A controls both.
    a, b, v = entity("A"), entity("B"), entity("V")
    hold(a, b, interest_type=interest_type)
    hold(b, v, 51, interest_type=InterestType.VOTING_RIGHTS)
    graph = OwnershipGraph.load(as_of=AS_OF, upstream_of=[v.pk])

    assert names(graph, controlled_by(graph, a.pk)) == {"A", "B", "V"}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "stake",
    [
        pytest.param({"percent": 60}, id="60% of the shares, no votes"),
        pytest.param(
            {"percent": 50, "interest_type": InterestType.VOTING_RIGHTS}, id="exactly half"
        ),
        pytest.param(
            {"low": 40, "high": 70, "interest_type": InterestType.VOTING_RIGHTS},
            id="40-70% of the votes",
        ),
        pytest.param(
            {
                "percent": 60,
                "interest_type": InterestType.VOTING_RIGHTS,
                "direct_or_indirect": DirectOrIndirect.INDIRECT,
            },
            id="a declared indirect 60% of the votes",
        ),
        pytest.param(
            {"percent": 60, "interest_type": InterestType.VOTING_RIGHTS, "end_date": AS_OF},
            id="an ended majority",
        ),
    ],
)
def test_no_control_without_a_sure_direct_majority_of_votes(stake):
    a, v = entity("A"), entity("V")
    hold(a, v, **stake)
    graph = OwnershipGraph.load(as_of=AS_OF, upstream_of=[v.pk])

    assert controlled_by(graph, a.pk) == {a.pk}


# --- influence without shares -------------------------------------------------------------


@pytest.mark.django_db
def test_a_board_seat_held_by_a_controlled_subsidiary_is_an_influence_link():
    # Rival controls Sub (60% of its votes); Sub sits on V's board. Outsider chairs V's
    # board but is nobody Rival controls.
    rival, sub, outsider, v = entity("Rival"), entity("Sub"), entity("Outsider"), entity("V")
    hold(rival, sub, 60, interest_type=InterestType.VOTING_RIGHTS)
    seat = hold(sub, v, interest_type=InterestType.BOARD_MEMBER)
    hold(outsider, v, interest_type=InterestType.BOARD_CHAIR)
    graph = OwnershipGraph.load(as_of=AS_OF, upstream_of=[v.pk])

    [link] = influence_links(
        graph,
        v.pk,
        controlled_by(graph, rival.pk),
        lookback_days=TWELVE_MONTHS,
        former_officials=[],
    )

    assert (link.kind, link.holder, link.via, link.role) == (
        "role",
        sub.pk,
        sub.pk,
        InterestType.BOARD_MEMBER,
    )
    assert link.stake.stake_id == seat.pk
    # a seat is influence, not ownership
    assert effective_in(v) == {}


@pytest.fixture
def former_ceo_setup() -> dict[str, Entity]:
    rival, sub, v = entity("Rival"), entity("Sub"), entity("V")
    hold(rival, sub, 60, interest_type=InterestType.VOTING_RIGHTS)
    return {"rival": rival, "sub": sub, "v": v, "ceo": person("Dana Ceo")}


def former_officials(v: Entity, *, lookback_days: int) -> list[StakeFact]:
    return former_officials_of([v.pk], as_of=AS_OF, lookback_days=lookback_days).get(v.pk, [])


def _former_official_links(rival: Entity, v: Entity) -> list[Any]:
    graph = OwnershipGraph.load(as_of=AS_OF)
    former = former_officials(v, lookback_days=TWELVE_MONTHS)
    return influence_links(
        graph,
        v.pk,
        controlled_by(graph, rival.pk),
        lookback_days=TWELVE_MONTHS,
        former_officials=former,
    )


@pytest.mark.django_db
@pytest.mark.parametrize("now_at", ["rival", "sub"])
def test_a_senior_official_who_left_for_the_rival_is_an_influence_link(former_ceo_setup, now_at):
    # Dana was V's senior managing official until three months ago and is now one at the
    # rival (or at an entity the rival controls).
    s = former_ceo_setup
    smo = InterestType.SENIOR_MANAGING_OFFICIAL
    left = hold(
        s["ceo"], s["v"], interest_type=smo, start_date=date(2020, 1, 1), end_date=date(2025, 3, 31)
    )
    joined = hold(s["ceo"], s[now_at], interest_type=smo, start_date=date(2025, 4, 1))

    [link] = _former_official_links(s["rival"], s["v"])

    assert (link.kind, link.holder, link.via, link.role) == (
        "former_official",
        s["ceo"].pk,
        s[now_at].pk,
        smo,
    )
    assert link.stake.stake_id == left.pk
    assert link.later_stake is not None and link.later_stake.stake_id == joined.pk


@pytest.mark.django_db
def test_any_stake_of_the_former_official_in_the_rival_is_a_link(former_ceo_setup):
    s = former_ceo_setup
    hold(
        s["ceo"],
        s["v"],
        interest_type=InterestType.SENIOR_MANAGING_OFFICIAL,
        end_date=date(2025, 3, 31),
    )
    hold(s["ceo"], s["rival"], 2)

    [link] = _former_official_links(s["rival"], s["v"])

    assert (link.kind, link.via) == ("former_official", s["rival"].pk)


@pytest.mark.django_db
def test_an_official_who_left_before_the_lookback_window_is_no_link(former_ceo_setup):
    # Dana left 14 months ago; the lookback is 12 months.
    s = former_ceo_setup
    smo = InterestType.SENIOR_MANAGING_OFFICIAL
    hold(s["ceo"], s["v"], interest_type=smo, end_date=date(2024, 4, 30))
    hold(s["ceo"], s["rival"], interest_type=smo, start_date=date(2025, 4, 1))

    assert former_officials(s["v"], lookback_days=TWELVE_MONTHS) == []
    assert _former_official_links(s["rival"], s["v"]) == []
    # influence_links applies the window itself too, whatever it is given
    graph = OwnershipGraph.load(as_of=AS_OF)
    older = former_officials(s["v"], lookback_days=500)
    assert len(older) == 1
    assert (
        influence_links(
            graph,
            s["v"].pk,
            controlled_by(graph, s["rival"].pk),
            lookback_days=TWELVE_MONTHS,
            former_officials=older,
        )
        == []
    )


@pytest.mark.django_db
def test_an_official_who_left_for_an_unrelated_company_is_no_link(former_ceo_setup):
    s = former_ceo_setup
    smo = InterestType.SENIOR_MANAGING_OFFICIAL
    hold(s["ceo"], s["v"], interest_type=smo, end_date=date(2025, 3, 31))
    hold(s["ceo"], entity("Elsewhere"), interest_type=smo, start_date=date(2025, 4, 1))

    assert _former_official_links(s["rival"], s["v"]) == []


@pytest.mark.django_db
def test_a_current_official_is_no_former_official(former_ceo_setup):
    s = former_ceo_setup
    smo = InterestType.SENIOR_MANAGING_OFFICIAL
    hold(s["ceo"], s["v"], interest_type=smo, end_date=AS_OF + timedelta(days=1))
    hold(s["ceo"], s["rival"], interest_type=smo)

    assert former_officials(s["v"], lookback_days=TWELVE_MONTHS) == []


# --- what a declared indirect interest summarises -----------------------------


@pytest.mark.parametrize(
    "declared",
    [
        pytest.param(
            {"percent": 30, "kind": InterestType.VOTING_RIGHTS}, id="an indirect 30% of the votes"
        ),
        pytest.param({"percent": 1.0, "kind": InterestType.BOARD_MEMBER}, id="an indirect seat"),
    ],
)
def test_a_declaration_without_an_economic_figure_leaves_the_economic_paths_alone(declared):
    # 0 holds 50% of the shares of 1, 1 holds 60% of the shares of V (2): 0 holds 30% of V.
    # 0 also declares an indirect interest in V that says nothing about shares (votes
    # only, or a board seat). It summarises no economic path, so 0 still holds 30%.
    graph = memory_graph(
        fact(0, 1, 0.5),
        fact(1, 2, 0.6),
        fact(0, 2, declared["percent"], kind=declared["kind"], indirect=True),
    )

    assert memory_figures(graph, 2).get("E0", eco(0)).economic == (30, 30)
