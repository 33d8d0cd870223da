"""Seat requirements are part of a draft job: added and removed only while drafting."""

import pytest

from labs import services as labs
from labs.models import SeatRequirement
from marketplace.core.errors import InvalidTransition, NotPermitted, RuleViolation
from marketplace.core.models import CredentialKind
from tests.factories import (
    CredentialFieldFactory,
    JobFactory,
    QualificationLevelFactory,
    SeatRequirementFactory,
)
from tests.plugins.personas import make_open_job

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft(acme):
    return JobFactory(lab=acme.lab, created_by=acme.procurement)


@pytest.fixture
def nursing():
    return CredentialFieldFactory(code="nursing")


@pytest.fixture
def rn():
    return QualificationLevelFactory(
        code="rn", name="RN", kind=CredentialKind.LICENCE, ladder="nursing", rank=1
    )


def test_procurement_asks_for_three_registered_nurses(acme, draft, nursing, rn):
    seat = labs.seat_requirement_add(
        job=draft, user=acme.procurement, count=3, field=nursing, min_level=rn, note="US-licensed"
    )

    assert list(draft.seat_requirements.all()) == [seat]
    assert (seat.count, seat.field, seat.min_level, seat.note) == (3, nursing, rn, "US-licensed")


def test_the_owner_removes_a_seat_requirement(acme, draft):
    seat = SeatRequirementFactory(job=draft)

    labs.seat_requirement_remove(seat_requirement=seat, user=acme.owner)

    assert not draft.seat_requirements.exists()


@pytest.mark.parametrize("count", [0, -2])
def test_a_seat_requirement_needs_at_least_one_seat(acme, draft, nursing, rn, count):
    with pytest.raises(RuleViolation) as refused:
        labs.seat_requirement_add(
            job=draft, user=acme.procurement, count=count, field=nursing, min_level=rn
        )

    assert refused.value.field == "count"
    assert not SeatRequirement.objects.exists()


@pytest.mark.parametrize(
    "who",
    [
        pytest.param(lambda acme, rival, medix: acme.reviewer, id="lab reviewer"),
        pytest.param(lambda acme, rival, medix: rival.procurement, id="another lab"),
        pytest.param(lambda acme, rival, medix: medix.owner, id="vendor owner"),
    ],
)
def test_others_may_not_add_or_remove_seats(acme, rival, medix, draft, nursing, rn, who):
    user = who(acme, rival, medix)
    seat = SeatRequirementFactory(job=draft)

    with pytest.raises(NotPermitted):
        labs.seat_requirement_add(job=draft, user=user, count=1, field=nursing, min_level=rn)
    with pytest.raises(NotPermitted):
        labs.seat_requirement_remove(seat_requirement=seat, user=user)

    assert list(draft.seat_requirements.all()) == [seat]


def test_seats_of_a_published_job_are_fixed(acme, nursing, rn):
    job = make_open_job(acme)
    seat = job.seat_requirements.get()

    with pytest.raises(InvalidTransition):
        labs.seat_requirement_add(
            job=job, user=acme.procurement, count=1, field=nursing, min_level=rn
        )
    with pytest.raises(InvalidTransition):
        labs.seat_requirement_remove(seat_requirement=seat, user=acme.procurement)

    assert list(job.seat_requirements.all()) == [seat]
