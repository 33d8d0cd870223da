"""The seat assignment behind eligibility, against a brute-force reference: one person
fills one seat, and the assignment fills as many seats as any assignment can."""

from __future__ import annotations

import itertools
from collections import Counter
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from marketplace.core.models import QualificationLevel
from marketplace.exchange.matching import (
    WEIGHTS,
    History,
    Staffing,
    assign_seats,
    attestation_valid_through,
    credential_valid_on,
    satisfying_level_ids,
    score_components,
    staff_classes,
    weighted_score,
)
from marketplace.exchange.models import Verdict
from vendors.models import Attestation, Credential, CredentialStatus


def best_by_brute_force(seats: list[int], qualifications: dict[str, set[int]]) -> int:
    """Tries every way of giving each specialist one of their requirements or nothing."""
    people = sorted(qualifications)
    choices = [[None, *sorted(qualifications[p])] for p in people]
    best = 0
    for choice in itertools.product(*choices):
        taken = Counter(r for r in choice if r is not None)
        if all(taken[r] <= seats[r] for r in taken):
            best = max(best, sum(taken.values()))
    return best


@st.composite
def staffing_problems(draw: st.DrawFn) -> tuple[list[int], dict[str, set[int]]]:
    requirements = draw(st.integers(min_value=1, max_value=4))
    seats = draw(st.lists(st.integers(1, 3), min_size=requirements, max_size=requirements))
    people = draw(st.integers(min_value=0, max_value=7))
    qualifications = {
        f"specialist-{i}": draw(st.sets(st.integers(0, requirements - 1), max_size=requirements))
        for i in range(people)
    }
    return seats, qualifications


@settings(max_examples=400, deadline=None)
@given(staffing_problems())
def test_the_assignment_fills_as_many_seats_as_any_assignment_can(problem):
    seats, qualifications = problem

    staffing = assign_seats(seats, qualifications)

    assert staffing.total_filled == best_by_brute_force(seats, qualifications)
    assigned = [who for people in staffing.assignment.values() for who in people]
    assert len(assigned) == len(set(assigned)), "someone fills two seats"
    for requirement, people in staffing.assignment.items():
        assert len(people) <= seats[requirement]
        assert all(requirement in qualifications[who] for who in people)
    assert staffing.filled == tuple(len(staffing.assignment.get(r, ())) for r in range(len(seats)))


@settings(max_examples=300, deadline=None)
@given(staffing_problems())
def test_counting_interchangeable_specialists_gives_the_same_staffing(problem):
    seats, qualifications = problem
    classes = Counter(frozenset(q) for q in qualifications.values() if q)

    by_class = staff_classes(seats, classes)
    by_person = assign_seats(seats, qualifications)

    assert by_class.total_filled == by_person.total_filled
    assert by_class.qualified == by_person.qualified
    assert by_class.distinct_qualified == sum(1 for q in qualifications.values() if q)
    assert by_class.spare == by_class.distinct_qualified - by_class.total_filled >= 0
    assert by_class.complete == (by_class.total_filled == sum(seats))


def test_one_person_with_two_credentials_fills_one_seat():
    md, rn = 0, 1

    staffing = assign_seats([1, 1], {"dual": {md, rn}})

    assert staffing.total_filled == 1 and not staffing.complete
    assert staffing.qualified == (1, 1)  # what a count per requirement would wrongly accept


def test_a_first_choice_is_revised_when_that_fills_more_seats():
    # Filling greedily (people with fewer options first, each taking their first open
    # seat) gives 3 of 4: the A-or-C person takes A, the two A-or-B people then find only
    # B open, and the one qualified for all takes C. Moving the A-or-C person to C frees A
    # for the second A-or-B person: an augmenting path.
    seats = [1, 1, 2]  # A, B, C
    qualifications = {"a-or-c": {0, 2}, "ab1": {0, 1}, "ab2": {0, 1}, "abc": {0, 1, 2}}

    staffing = assign_seats(seats, qualifications)
    by_class = staff_classes(
        seats, {frozenset({0, 2}): 1, frozenset({0, 1}): 2, frozenset({0, 1, 2}): 1}
    )

    assert staffing.total_filled == by_class.total_filled == 4
    assert best_by_brute_force(seats, qualifications) == 4
    assert set(staffing.assignment[2]) == {"a-or-c", "abc"}


def test_coverage_depth_counts_qualified_people_left_over():
    staffing = assign_seats([2, 1], {"a": {0}, "b": {0}, "c": {0}, "d": {0, 1}, "e": {1}})

    assert staffing.complete
    assert (staffing.distinct_qualified, staffing.spare) == (5, 2)
    assert staffing.qualified == (4, 2)


# --- validity on the delivery date ----------------------------------------------------------

DELIVERY = date(2026, 5, 9)


@pytest.mark.parametrize(
    ("status", "expires_on", "valid"),
    [
        (CredentialStatus.VERIFIED, None, True),
        (CredentialStatus.VERIFIED, DELIVERY + timedelta(days=1), True),
        (CredentialStatus.VERIFIED, DELIVERY, False),
        (CredentialStatus.VERIFIED, DELIVERY - timedelta(days=1), False),
        (CredentialStatus.PENDING, None, False),
        (CredentialStatus.REJECTED, None, False),
        (CredentialStatus.EXPIRED, None, False),
    ],
)
def test_a_credential_counts_when_verified_and_unexpired_on_the_delivery_date(
    status, expires_on, valid
):
    assert credential_valid_on(status, expires_on, DELIVERY) is valid
    # The same rule as the model's own.
    model = Credential(status=status, expires_on=expires_on)
    assert model.is_valid_on(DELIVERY) is valid


@pytest.mark.parametrize(
    ("issued_on", "expires_on", "valid"),
    [
        (DELIVERY - timedelta(days=300), DELIVERY + timedelta(days=1), True),
        (DELIVERY - timedelta(days=300), DELIVERY, False),
        (DELIVERY, DELIVERY + timedelta(days=10), True),
        (DELIVERY + timedelta(days=1), DELIVERY + timedelta(days=10), False),
    ],
)
def test_an_attestation_covers_a_job_valid_through_its_delivery_date(issued_on, expires_on, valid):
    assert attestation_valid_through(issued_on, expires_on, DELIVERY) is valid
    model = Attestation(issued_on=issued_on, expires_on=expires_on, status="valid")
    assert model.is_valid_through(DELIVERY) is valid


def test_a_level_satisfies_requirements_at_or_below_it_on_its_own_ladder():
    def level(pk: int, ladder: str, rank: int) -> QualificationLevel:
        return QualificationLevel(pk=pk, code=f"l{pk}", name=f"L{pk}", ladder=ladder, rank=rank)

    bachelor, master, doctorate = (
        level(1, "degree", 1),
        level(2, "degree", 2),
        level(3, "degree", 3),
    )
    rn, np, md = level(4, "nursing", 1), level(5, "nursing", 2), level(6, "physician", 1)
    levels = [bachelor, master, doctorate, rn, np, md]

    assert satisfying_level_ids(master, levels) == {2, 3}
    assert satisfying_level_ids(rn, levels) == {4, 5}
    assert satisfying_level_ids(md, levels) == {6}


# --- the score ------------------------------------------------------------------------------


def staffing(spare: int, seats: int = 3) -> Staffing:
    return Staffing(
        seats=(seats,),
        filled=(seats,),
        qualified=(seats + spare,),
        distinct_qualified=seats + spare,
    )


def test_a_new_vendor_scores_average_on_history_and_full_marks_on_the_rest():
    components = score_components(
        staffing=staffing(spare=3), verdict=Verdict.CLEAR, history=History(), spend_share=0
    )

    assert components == {
        "coverage": 0.5,
        "rating": 0.5,
        "on_time": 0.5,
        "screening": 1.0,
        "price": 0.5,
        "diversification": 1.0,
    }
    assert sum(WEIGHTS.values()) == 100
    assert float(weighted_score(components)) == 15 + 10 + 5 + 15 + 5 + 15


@settings(max_examples=200, deadline=None)
@given(
    spare=st.integers(0, 50),
    completed=st.integers(0, 20),
    share=st.floats(0, 1),
    ratio=st.one_of(st.none(), st.floats(0.1, 3)),
)
def test_each_component_stays_between_0_and_1_and_moves_the_right_way(
    spare, completed, share, ratio
):
    history = History(
        completed=completed,
        rating_sum=4 * completed,
        timed=completed,
        on_time=completed,
        bids=3 if ratio is not None else 0,
        price_ratio=ratio,
    )

    def score(**changes) -> dict[str, float]:
        given = {"staffing": staffing(spare), "verdict": Verdict.CLEAR, "history": history}
        given |= {"spend_share": share} | changes
        return score_components(**given)

    components = score()
    assert all(0 <= value <= 1 for value in components.values())
    assert score(staffing=staffing(spare + 1))["coverage"] > components["coverage"]
    assert score(verdict=Verdict.REVIEW)["screening"] == 0
    assert score(verdict=Verdict.CLEARED_BY_OVERRIDE)["screening"] == 1
    assert (
        score(spend_share=min(1.0, share + 0.1))["diversification"]
        <= (components["diversification"])
    )
