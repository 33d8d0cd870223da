"""Supplier concentration: spend share per vendor group (vendors under one ultimate
parent together), and the Herfindahl-Hirschman index with its band."""

from __future__ import annotations

from decimal import Decimal

import pytest

from marketplace.exchange import selectors
from marketplace.exchange.concentration import (
    VendorGroupSpend,
    concentration_by_currency,
    herfindahl_hirschman_index,
    hhi_band,
)
from marketplace.exchange.models import Award, Contract
from marketplace.ownership.models import InterestType, Provenance
from marketplace.ownership.services import entity_create, stake_create
from tests.factories import JobFactory
from tests.plugins.personas import make_vendor_team

D = Decimal
URL = "/lab/concentration/"


def test_hhi_is_the_sum_of_squared_percentage_shares():
    # By hand: 50² + 30² + 20² = 2,500 + 900 + 400 = 3,800.
    assert herfindahl_hirschman_index([D(50), D(30), D(20)]) == D(3800)
    assert herfindahl_hirschman_index([D(100)]) == D(10000)
    assert herfindahl_hirschman_index([D(10)] * 10) == D(1000)


@pytest.mark.parametrize(
    ("hhi", "band"),
    [
        (0, "unconcentrated"),
        (1499, "unconcentrated"),
        (1500, "moderate"),
        (2500, "moderate"),
        (2501, "high"),
        (10000, "high"),
    ],
)
def test_bands(hhi, band):
    assert hhi_band(D(hhi)).code == band


def test_shares_and_index_per_currency():
    groups = [
        VendorGroupSpend("USD", "A", ("A",), D(60000), 2),
        VendorGroupSpend("USD", "B", ("B",), D(40000), 1),
        VendorGroupSpend("EUR", "C", ("C",), D(5000), 1),
    ]

    eur, usd = concentration_by_currency(groups)

    assert (eur.currency, eur.hhi, eur.band.code) == ("EUR", D(10000), "high")
    assert [(g.group_name, g.share_percent) for g in usd.groups] == [("A", D(60)), ("B", D(40))]
    assert usd.hhi == D(5200) and usd.hhi_text == "5,200"


@pytest.fixture
def spend(acme, medix, mathly):
    """Acme paid Medix 50,000 and Mathly 30,000, and a third vendor 20,000."""
    third = make_vendor_team("Third Opinion")
    for team, value in ((medix, "50000"), (mathly, "30000"), (third, "20000")):
        add_contract(acme, team, value)
    return third


def add_contract(lab_team, vendor_team, value: str, currency: str = "USD") -> Contract:
    # Contracts with their award made straight in the database: this page reads values only.
    from marketplace.exchange.models import Bid

    job = JobFactory(lab=lab_team.lab, created_by=lab_team.owner, currency=currency)
    award = Award.objects.create(job=job, awarded_by=lab_team.owner)
    bid = Bid.objects.create(
        job=job,
        vendor=vendor_team.vendor,
        status="awarded",
        price=D(value),
        currency=currency,
        timeline_days=10,
        created_by=vendor_team.owner,
        submitted_at=job.created_at,
    )
    return Contract.objects.create(
        award=award,
        bid=bid,
        vendor=vendor_team.vendor,
        lab=lab_team.lab,
        share_percent=D(100),
        value=D(value),
        currency=currency,
    )


@pytest.mark.django_db
def test_vendors_under_one_parent_are_one_group(acme, medix, mathly, spend):
    parent = entity_create(name="Holdco Group")
    for team in (medix, mathly):
        stake_create(
            interested_party=parent,
            subject=team.vendor.entity,
            interest_type=InterestType.SHAREHOLDING,
            provenance=Provenance.VERIFIED,
            share_exact=D("80"),
        )

    groups = {g.group_name: g for g in selectors.spend_by_vendor_group_for_lab(lab=acme.lab)}

    assert set(groups) == {"Holdco Group", "Third Opinion"}
    assert groups["Holdco Group"].total == D(80000)
    assert set(groups["Holdco Group"].vendor_names) == {"Medix Annotations", "Mathly Experts"}


@pytest.mark.django_db
def test_the_page_shows_chart_table_and_index(client, acme, spend):
    client.force_login(acme.reviewer)

    page = client.get(URL).content.decode()

    # 50² + 30² + 20² = 3,800: highly concentrated.
    assert "3,800" in page and "Highly concentrated" in page
    assert 'role="img"' in page and "Medix Annotations 50.0%" in page
    assert "<caption>Spend share by vendor group, USD, largest first</caption>" in page
    assert "USD 100,000.00" in page


@pytest.mark.django_db
def test_a_lab_without_contracts_sees_an_empty_state(client, rival, acme, spend):
    client.force_login(rival.owner)

    page = client.get(URL).content.decode()

    assert "You have no contracts yet" in page and "Medix" not in page


@pytest.mark.django_db
def test_the_page_is_for_labs(client, medix):
    assert client.get(URL).status_code == 302
    client.force_login(medix.owner)
    assert client.get(URL).status_code == 404


@pytest.mark.django_db
def test_queries_do_not_grow_with_vendors(client, acme, medix, django_assert_max_num_queries):
    add_contract(acme, medix, "1000")
    client.force_login(acme.owner)
    with django_assert_max_num_queries(20) as few:
        client.get(URL)
    for i in range(5):
        add_contract(acme, make_vendor_team(f"Extra {i}"), "1000")
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(URL).status_code == 200
