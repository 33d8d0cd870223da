"""A lab names the rivals it screens vendors against."""

import pytest

from labs import services as labs
from labs.models import Competitor
from marketplace.core.errors import NotPermitted, RuleViolation
from tests.factories import EntityFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def rival_corp():
    return EntityFactory(name="Rival Corp")


@pytest.mark.parametrize("role", ["owner", "procurement"])
def test_owner_and_procurement_name_a_competitor(acme, rival_corp, role):
    competitor = labs.competitor_add(
        lab=acme.lab,
        user=getattr(acme, role),
        entity=rival_corp,
        note="Bought 49% of our biggest vendor",
    )

    assert list(acme.lab.competitors.all()) == [competitor]
    assert competitor.entity == rival_corp and competitor.note.startswith("Bought 49%")


def test_a_lab_on_the_platform_can_be_named_a_competitor(acme, rival):
    competitor = labs.competitor_add(lab=acme.lab, user=acme.owner, entity=rival.lab.entity)

    assert competitor.entity == rival.lab.entity


def test_the_same_competitor_cannot_be_named_twice(acme, rival_corp):
    labs.competitor_add(lab=acme.lab, user=acme.owner, entity=rival_corp)

    with pytest.raises(RuleViolation) as refused:
        labs.competitor_add(lab=acme.lab, user=acme.procurement, entity=rival_corp)

    assert refused.value.field == "entity"
    assert acme.lab.competitors.count() == 1


def test_two_labs_may_name_the_same_competitor(acme, rival, rival_corp):
    labs.competitor_add(lab=acme.lab, user=acme.owner, entity=rival_corp)
    labs.competitor_add(lab=rival.lab, user=rival.owner, entity=rival_corp)

    assert Competitor.objects.filter(entity=rival_corp).count() == 2


def test_a_lab_cannot_name_itself(acme):
    with pytest.raises(RuleViolation) as refused:
        labs.competitor_add(lab=acme.lab, user=acme.owner, entity=acme.lab.entity)

    assert refused.value.field == "entity"
    assert not acme.lab.competitors.exists()


@pytest.mark.parametrize(
    "who",
    [
        pytest.param(lambda acme, rival, medix: acme.reviewer, id="lab reviewer"),
        pytest.param(lambda acme, rival, medix: rival.owner, id="owner of another lab"),
        pytest.param(lambda acme, rival, medix: medix.owner, id="vendor owner"),
    ],
)
def test_others_may_not_change_the_competitors(acme, rival, medix, rival_corp, who):
    user = who(acme, rival, medix)
    named = labs.competitor_add(lab=acme.lab, user=acme.owner, entity=rival_corp)

    with pytest.raises(NotPermitted):
        labs.competitor_add(lab=acme.lab, user=user, entity=EntityFactory())
    with pytest.raises(NotPermitted):
        labs.competitor_remove(competitor=named, user=user)

    assert list(acme.lab.competitors.all()) == [named]


def test_procurement_removes_a_competitor(acme, rival_corp):
    named = labs.competitor_add(lab=acme.lab, user=acme.owner, entity=rival_corp)

    labs.competitor_remove(competitor=named, user=acme.procurement)

    assert not acme.lab.competitors.exists()
