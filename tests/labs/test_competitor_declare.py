"""Naming a rival by an existing entity's record id or by a new entity's name."""

import pytest

from labs import services as labs
from labs.models import Competitor
from marketplace.core.errors import NotPermitted, RuleViolation
from marketplace.ownership.models import Entity
from tests.factories import EntityFactory

pytestmark = pytest.mark.django_db


def test_an_existing_entity_by_record_id(acme):
    apex = EntityFactory(name="Apex Intelligence")

    competitor = labs.competitor_declare(
        lab=acme.lab, user=acme.owner, entity_record_id=apex.record_id, note="Rival"
    )

    assert competitor.entity == apex and competitor.note == "Rival"


def test_a_new_entity_by_name_is_sourced_to_the_lab(acme):
    competitor = labs.competitor_declare(lab=acme.lab, user=acme.procurement, entity_name="New AI")

    assert competitor.entity.name == "New AI"
    assert competitor.entity.source == f"lab:{acme.lab.organisation.slug}"


def test_exactly_one_of_record_id_and_name(acme):
    with pytest.raises(RuleViolation):
        labs.competitor_declare(lab=acme.lab, user=acme.owner)
    with pytest.raises(RuleViolation):
        labs.competitor_declare(
            lab=acme.lab, user=acme.owner, entity_record_id="x", entity_name="y"
        )


def test_an_unknown_record_id_is_refused(acme):
    with pytest.raises(RuleViolation) as refused:
        labs.competitor_declare(lab=acme.lab, user=acme.owner, entity_record_id="nope")

    assert refused.value.field == "record_id"


def test_a_reviewer_is_refused_and_no_entity_is_left_behind(acme):
    with pytest.raises(NotPermitted):
        labs.competitor_declare(lab=acme.lab, user=acme.reviewer, entity_name="Ghost Corp")

    assert not Entity.objects.filter(name="Ghost Corp").exists()
    assert not Competitor.objects.exists()


def test_a_blank_name_is_refused_next_to_it(acme):
    with pytest.raises(RuleViolation) as refused:
        labs.competitor_declare(lab=acme.lab, user=acme.owner, entity_name="  ")

    assert refused.value.field == "name"
