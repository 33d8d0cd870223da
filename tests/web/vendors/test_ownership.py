"""The ownership declaration: the stakes in the vendor, declaring one (an existing or a
new interested party), ending one, and importing a BODS 0.4 file confined to the
vendor's own declaration. Every change leaves a row for re-screening."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from marketplace.ownership.models import Entity, OwnershipChange, Provenance, Stake
from tests.factories import EntityFactory, StakeFactory
from tests.ownership.test_bods_import import company, relationship, shareholding
from tests.web.vendors.conftest import error_next_to, post_form, queries_for, signed_in, text_of

PAGE = reverse("vendor:ownership")
CREATE = reverse("vendor:stake_create")
BODS = reverse("vendor:bods_import")
TOKEN = "8d7c6b5a-4f3e-4d2c-9b1a-0f9e8d7c6b5a"


def bods_file(statements: list[dict]) -> SimpleUploadedFile:
    return SimpleUploadedFile("ownership.json", json.dumps(statements).encode(), "application/json")


def end_url(stake: Stake) -> str:
    return reverse("vendor:stake_end", args=[stake.pk])


def stake_form(vendor, **overrides):  # type: ignore[no-untyped-def]
    data = {
        "subject": vendor.entity.pk,
        "interested_party": "",
        "new_party_name": "Seed Fund LP",
        "new_party_type": "registeredEntity",
        "interest_type": "shareholding",
        "share_exact": "12.5",
        "direct_or_indirect": "direct",
        "start_date": "2024-01-01",
    }
    return data | overrides


def test_the_page_shows_the_vendors_entity_and_the_stakes_in_it(db, medix, mathly):
    StakeFactory(
        subject=medix.vendor.entity,
        interested_party=EntityFactory(name="Rival Corp"),
        interest_type="votingRights",
        share_exact=None,
        share_min=Decimal("25"),
        share_max=Decimal("50"),
        start_date=date(2023, 5, 1),
        provenance=Provenance.IMPORTED,
    )
    StakeFactory(subject=mathly.vendor.entity, interested_party=EntityFactory(name="Not Ours"))

    page = text_of(signed_in(medix.bid_manager).get(PAGE))

    assert medix.vendor.entity.record_id in page
    assert "Rival Corp" in page and "Voting rights" in page and "25-50%" in page
    assert "2023-05-01" in page and "Imported from a register or BODS file" in page
    assert "Not Ours" not in page


def test_the_owner_declares_a_stake_held_by_a_new_party(db, medix):
    client = signed_in(medix.owner)

    response = post_form(client, CREATE, stake_form(medix.vendor))

    assert response.status_code == 302 and response.url == PAGE
    stake = Stake.objects.get(subject=medix.vendor.entity)
    assert stake.interested_party.name == "Seed Fund LP"
    assert stake.interested_party.source == f"vendor:{medix.vendor.organisation.slug}"
    assert stake.provenance == Provenance.SELF_DECLARED
    assert stake.share_exact == Decimal("12.5")
    assert OwnershipChange.objects.filter(stake=stake).exists()  # re-screening is due
    page = text_of(client.get(PAGE))
    assert "Stake declared." in page and "Seed Fund LP" in page and "12.5%" in page


def test_the_owner_declares_a_stake_held_by_an_existing_party(db, medix):
    fund = EntityFactory(name="Known Capital")

    post_form(
        signed_in(medix.owner),
        CREATE,
        stake_form(
            medix.vendor,
            interested_party=fund.pk,
            new_party_name="",
            share_exact="",
            share_min="10",
            share_max="20",
        ),
    )

    stake = Stake.objects.get(subject=medix.vendor.entity)
    assert stake.interested_party == fund
    assert (stake.share_min, stake.share_max) == (Decimal("10"), Decimal("20"))


def test_a_double_submitted_stake_is_declared_once(db, medix):
    client = signed_in(medix.owner)

    post_form(client, CREATE, stake_form(medix.vendor), token=TOKEN)
    post_form(client, CREATE, stake_form(medix.vendor), token=TOKEN)

    assert Stake.objects.filter(subject=medix.vendor.entity).count() == 1
    assert Entity.objects.filter(name="Seed Fund LP").count() == 1


def test_an_existing_and_a_new_party_at_once_is_refused_next_to_the_field(db, medix):
    fund = EntityFactory(name="Known Capital")

    response = post_form(
        signed_in(medix.owner), CREATE, stake_form(medix.vendor, interested_party=fund.pk)
    )

    page = text_of(response)
    assert response.status_code == 200
    assert 'id="id_new_party_name_error"' in page
    assert 'value="Seed Fund LP"' in page
    assert not Stake.objects.exists()


def test_no_party_at_all_is_refused_next_to_the_field(db, medix):
    response = post_form(
        signed_in(medix.owner), CREATE, stake_form(medix.vendor, new_party_name="")
    )

    assert 'id="id_interested_party_error"' in text_of(response)


def test_an_exact_share_and_a_range_are_refused_by_the_service_next_to_the_share(db, medix):
    response = post_form(
        signed_in(medix.owner), CREATE, stake_form(medix.vendor, share_min="5", share_max="10")
    )

    page = text_of(response)
    assert error_next_to(page, "share_exact", "Give an exact share or a range, not both.")
    assert not Stake.objects.exists()
    assert not Entity.objects.filter(name="Seed Fund LP").exists()


def test_another_vendors_declared_entities_are_neither_offered_nor_accepted(db, medix, mathly):
    secret = EntityFactory(
        name="Mathly Secret Holding", source=f"vendor:{mathly.vendor.organisation.slug}"
    )
    client = signed_in(medix.owner)

    page = text_of(client.get(CREATE))
    response = post_form(
        client, CREATE, stake_form(medix.vendor, interested_party=secret.pk, new_party_name="")
    )
    into_mathly = post_form(
        client, CREATE, stake_form(medix.vendor, subject=mathly.vendor.entity.pk)
    )

    assert "Mathly Secret Holding" not in page
    assert 'id="id_interested_party_error"' in text_of(response)
    assert 'id="id_subject_error"' in text_of(into_mathly)
    assert not Stake.objects.exists()


def test_the_owner_ends_a_self_declared_stake(db, medix):
    stake = StakeFactory(subject=medix.vendor.entity, start_date=date(2020, 1, 1))
    client = signed_in(medix.owner)

    assert end_url(stake) in text_of(client.get(PAGE))
    response = post_form(client, end_url(stake), {"end_date": "2025-06-30"})

    assert response.status_code == 302
    stake.refresh_from_db()
    assert stake.end_date == date(2025, 6, 30)
    assert OwnershipChange.objects.filter(stake=stake).exists()
    page = text_of(client.get(PAGE))
    assert "Stake ended." in page and "Ended 2025-06-30" in page
    assert end_url(stake) not in page


def test_an_imported_stake_is_not_offered_for_ending_and_is_refused(db, medix):
    stake = StakeFactory(subject=medix.vendor.entity, provenance=Provenance.IMPORTED)
    client = signed_in(medix.owner)

    assert end_url(stake) not in text_of(client.get(PAGE))
    response = post_form(client, end_url(stake), {"end_date": "2025-06-30"})

    assert "Only self-declared stakes can be ended here." in text_of(response)
    stake.refresh_from_db()
    assert stake.end_date is None


def test_an_end_before_the_start_is_shown_next_to_the_date(db, medix):
    stake = StakeFactory(subject=medix.vendor.entity, start_date=date(2024, 1, 1))

    response = post_form(signed_in(medix.owner), end_url(stake), {"end_date": "2023-01-01"})

    assert 'id="id_end_date_error"' in text_of(response)


def test_a_bid_manager_reads_the_declaration_but_cannot_change_it(db, medix):
    stake = StakeFactory(subject=medix.vendor.entity)
    client = signed_in(medix.bid_manager)

    page = text_of(client.get(PAGE))

    assert "Declare a stake" not in page and end_url(stake) not in page
    assert client.get(CREATE).status_code == 403
    assert post_form(client, CREATE, stake_form(medix.vendor)).status_code == 403
    assert post_form(client, end_url(stake), {"end_date": "2030-01-01"}).status_code == 403
    assert client.post(BODS, {"file": bods_file([])}).status_code == 403
    assert Stake.objects.count() == 1
    stake.refresh_from_db()
    assert stake.end_date is None


def test_another_vendors_stake_is_404(db, medix, mathly):
    theirs = StakeFactory(subject=mathly.vendor.entity)
    client = signed_in(medix.owner)

    assert client.get(end_url(theirs)).status_code == 404
    assert post_form(client, end_url(theirs), {"end_date": "2030-01-01"}).status_code == 404
    theirs.refresh_from_db()
    assert theirs.end_date is None


def test_the_ownership_page_takes_the_same_queries_for_more_stakes(db, medix):
    client = signed_in(medix.owner)
    StakeFactory.create_batch(2, subject=medix.vendor.entity)
    two = queries_for(client, PAGE)
    StakeFactory.create_batch(8, subject=medix.vendor.entity)

    assert queries_for(client, PAGE) == two


# --- BODS import --------------------------------------------------------------------------


def test_the_owner_imports_a_bods_file(db, medix):
    record = medix.vendor.entity.record_id
    statements = [
        company("fund-1", "Upload Fund"),
        relationship("rel-1", record, "fund-1", [shareholding(30)]),
    ]
    client = signed_in(medix.owner)

    response = client.post(BODS, {"file": bods_file(statements), "form_token": TOKEN})

    assert response.status_code == 302 and response.url == PAGE
    stake = Stake.objects.get(subject=medix.vendor.entity)
    assert stake.interested_party.name == "Upload Fund"
    assert OwnershipChange.objects.filter(stake=stake).exists()
    page = text_of(client.get(PAGE))
    assert "BODS file imported: 2 statements; stakes 1 created" in page
    assert "Upload Fund" in page


def test_a_bad_statement_is_named_next_to_the_file_field(db, medix):
    bad = company("x-1", "X")
    del bad["recordDetails"]

    response = signed_in(medix.owner).post(BODS, {"file": bods_file([bad])})

    page = text_of(response)
    assert response.status_code == 200
    assert '<ul class="errorlist" id="id_file_error"><li>' in page
    assert "recordDetails" in page and "statementId" in page
    assert not Entity.objects.filter(record_id="x-1").exists()


def test_a_bods_file_cannot_declare_stakes_in_another_vendor(db, medix, mathly):
    statements = [
        company("fund-2", "Sneaky Fund"),
        relationship("rel-2", mathly.vendor.entity.record_id, "fund-2", [shareholding(60)]),
    ]

    response = signed_in(medix.owner).post(BODS, {"file": bods_file(statements)})

    assert "not yours to declare" in text_of(response)
    assert not Entity.objects.filter(record_id="fund-2").exists()
    assert not mathly.vendor.entity.stakes_in.exists()


def test_skipped_statements_are_reported_one_by_one(db, medix):
    record = medix.vendor.entity.record_id
    statements = [company("fund-3", "Quiet Fund"), relationship("rel-3", record, "fund-3", [])]
    client = signed_in(medix.owner)

    response = client.post(BODS, {"file": bods_file(statements)})

    page = text_of(client.get(response.url))
    assert "(record rel-3) was skipped:" in page
