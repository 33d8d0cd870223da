"""The competitors page: the lab's rivals, searching the ownership graph to add one,
adding a new entity, removing one; each change re-screens the lab's vendors."""

from __future__ import annotations

import pytest
from django.urls import reverse

from labs.models import Competitor, Lab
from marketplace.ownership.models import Entity
from marketplace.ownership.services import entity_create
from tests.factories import EntityFactory

pytestmark = pytest.mark.django_db

PAGE = "/lab/competitors/"
ADD = "/lab/competitors/add/"


def remove_url(competitor: Competitor) -> str:
    return reverse("lab:competitor_remove", args=[competitor.pk])


def test_the_lab_sees_its_competitors(client, acme, rival):
    Competitor.objects.create(
        lab=acme.lab, entity=EntityFactory(name="Apex Intelligence"), note="Rival"
    )
    Competitor.objects.create(lab=rival.lab, entity=EntityFactory(name="Secret Rival"))
    client.force_login(acme.reviewer)

    page = client.get(PAGE).content.decode()

    assert "Apex Intelligence" in page and "Rival" in page
    assert "Secret Rival" not in page
    # A reviewer reads; only owners and procurement change the list.
    assert "Add a competitor" not in page and "Remove" not in page


def test_search_finds_entities_to_add(client, acme, rival):
    EntityFactory(name="Apex Intelligence")
    EntityFactory(name="Apex Person", record_type="person", entity_type="knownPerson")
    entity_create(name="Apex Shadow", source=f"lab:{rival.lab.organisation.slug}")
    client.force_login(acme.procurement)

    page = client.get(PAGE, {"q": "apex"}).content.decode()

    assert "Add Apex Intelligence as a competitor" in page
    # Not people, nor what another lab brought in by naming it.
    assert "Apex Person" not in page and "Apex Shadow" not in page


def test_search_answers_htmx_with_the_results_only(client, acme):
    EntityFactory(name="Apex Intelligence")
    client.force_login(acme.owner)

    response = client.get(
        PAGE, {"q": "apex"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="entity-results"
    )

    page = response.content.decode()
    assert "Add Apex Intelligence as a competitor" in page and "<h1>" not in page


def test_adding_an_existing_entity(client, acme, django_capture_on_commit_callbacks):
    apex = EntityFactory(name="Apex Intelligence")
    client.force_login(acme.procurement)

    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(ADD, {"record_id": apex.record_id}, follow=True)

    assert Competitor.objects.filter(lab=acme.lab, entity=apex).exists()
    assert "Apex Intelligence is now one of your competitors." in response.content.decode()
    # The lab's vendors are screened again.
    assert callbacks and Lab.objects.get(pk=acme.lab.pk).screening_inputs_changed_at


def test_adding_a_new_entity_by_name(client, acme):
    client.force_login(acme.owner)

    client.post(ADD, {"name": "Brand New AI", "note": "Stealth lab"})

    competitor = Competitor.objects.get(lab=acme.lab)
    assert competitor.entity.name == "Brand New AI" and competitor.note == "Stealth lab"
    assert competitor.entity.source == f"lab:{acme.lab.organisation.slug}"


def test_a_name_is_needed(client, acme):
    client.force_login(acme.owner)

    response = client.post(ADD, {"name": "  ", "note": "kept"})

    page = response.content.decode()
    assert response.status_code == 200
    assert "Give the competitor&#x27;s name." in page and 'value="kept"' in page
    assert not Competitor.objects.exists()


def test_naming_a_competitor_twice_is_refused(client, acme):
    apex = EntityFactory(name="Apex Intelligence")
    Competitor.objects.create(lab=acme.lab, entity=apex)
    client.force_login(acme.owner)

    response = client.post(ADD, {"record_id": apex.record_id})

    assert "Apex Intelligence is already one of your competitors." in response.content.decode()


def test_a_double_submitted_add_creates_one_competitor(client, acme):
    client.force_login(acme.owner)
    data = {"name": "Twice Corp", "form_token": "6f1c9b9e-3d1a-4f59-9a43-7c7d2e5d9b10"}

    first = client.post(ADD, data)
    second = client.post(ADD, data)

    assert first.status_code == second.status_code == 302
    assert Competitor.objects.filter(lab=acme.lab).count() == 1
    assert Entity.objects.filter(name="Twice Corp").count() == 1


def test_removing_a_competitor(client, acme):
    competitor = Competitor.objects.create(lab=acme.lab, entity=EntityFactory(name="Old Rival"))
    client.force_login(acme.procurement)

    response = client.post(remove_url(competitor), follow=True)

    assert not Competitor.objects.filter(pk=competitor.pk).exists()
    assert "Old Rival is no longer a competitor." in response.content.decode()


def test_changes_need_the_role_and_the_lab(client, acme, rival, medix):
    competitor = Competitor.objects.create(lab=acme.lab, entity=EntityFactory())
    client.force_login(acme.reviewer)
    assert client.post(ADD, {"name": "Nope"}).status_code == 403
    assert client.post(remove_url(competitor)).status_code == 403

    client.force_login(rival.owner)
    assert client.post(remove_url(competitor)).status_code == 404

    client.force_login(medix.owner)
    assert client.get(PAGE).status_code == 404
    assert client.post(ADD, {"name": "Nope"}).status_code == 404

    client.logout()
    assert client.get(PAGE).status_code == 302
    assert Competitor.objects.filter(pk=competitor.pk).exists()
    assert not Entity.objects.filter(name="Nope").exists()


def test_the_list_queries_do_not_grow(client, acme, django_assert_max_num_queries):
    Competitor.objects.create(lab=acme.lab, entity=EntityFactory())
    client.force_login(acme.owner)
    with django_assert_max_num_queries(15) as few:
        client.get(PAGE)
    for _ in range(6):
        Competitor.objects.create(lab=acme.lab, entity=EntityFactory())
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(PAGE).status_code == 200
