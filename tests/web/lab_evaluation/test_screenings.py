"""The lab's screenings: the list filtered by verdict, and each verdict's evidence with
the ownership paths drawn as chains."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from marketplace.exchange import services as exchange
from marketplace.exchange.models import Screening, Verdict
from marketplace.ownership.models import InterestType, Provenance
from marketplace.ownership.services import entity_create, stake_create
from tests.exchange.helpers import platform_admin, rival_stake, screening_with_verdict
from tests.plugins.personas import make_vendor_team

pytestmark = pytest.mark.django_db

LIST = "/lab/screenings/"


def detail_url(screening: Screening) -> str:
    return reverse("lab:screening_detail", args=[screening.pk])


def test_the_list_shows_verdict_vendor_and_date(client, acme, medix, mathly):
    screening_with_verdict(acme.lab, medix.vendor, Verdict.BLOCKED, as_of=timezone.localdate())
    screening_with_verdict(acme.lab, mathly.vendor, Verdict.CLEAR)
    client.force_login(acme.reviewer)

    page = client.get(LIST).content.decode()

    assert "Medix Annotations" in page and "Mathly Experts" in page
    assert 'class="verdict verdict-blocked">Blocked' in page
    assert timezone.localdate().strftime("%-d %b %Y") in page


def test_the_list_filters_by_verdict(client, acme, medix, mathly):
    screening_with_verdict(acme.lab, medix.vendor, Verdict.BLOCKED)
    screening_with_verdict(acme.lab, mathly.vendor, Verdict.CLEAR)
    client.force_login(acme.owner)

    page = client.get(LIST, {"verdict": "blocked"}).content.decode()

    assert "Medix Annotations" in page and "Mathly Experts" not in page
    assert "1 screening: blocked" in page


def test_the_list_never_shows_another_labs_screenings(client, acme, rival, medix):
    screening_with_verdict(rival.lab, medix.vendor, Verdict.BLOCKED)
    client.force_login(acme.owner)

    page = client.get(LIST).content.decode()

    assert "Medix Annotations" not in page and "No screenings yet" in page


def test_list_queries_do_not_grow_with_rows(client, acme, django_assert_max_num_queries):
    screening_with_verdict(acme.lab, make_vendor_team("First").vendor, Verdict.CLEAR)
    client.force_login(acme.owner)
    with django_assert_max_num_queries(15) as few:
        client.get(LIST)
    for i in range(8):
        screening_with_verdict(acme.lab, make_vendor_team(f"More {i}").vendor, Verdict.REVIEW)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(LIST).status_code == 200


def test_the_detail_draws_each_path_with_its_rule(client, acme, medix):
    rival_stake(acme, medix, "49")
    screening = Screening.objects.get(
        pk=exchange.screening_refresh_now(lab=acme.lab, vendor=medix.vendor).pk
    )
    client.force_login(acme.reviewer)

    page = client.get(detail_url(screening)).content.decode()

    assert 'class="verdict verdict-blocked">Blocked' in page
    assert 'aria-label="Ownership path: Rival Corp → 49% → Medix Annotations"' in page
    assert '<li class="entity competitor">Rival Corp</li>' in page
    assert "economic, no votes, direct, self-declared" in page
    assert "<strong>49% &gt;= 20% block threshold.</strong>" in page
    assert "blocked at 20% or more, review at 5% or more" in page
    assert "Ownership data version" in page


def test_a_range_along_a_chain_shows_its_interval(client, acme, medix):
    rival_corp = entity_create(name="Rival Corp")
    holding = entity_create(name="Middle Holdings")
    from labs.services import competitor_add

    competitor_add(lab=acme.lab, user=acme.owner, entity=rival_corp)
    stake_create(
        interested_party=rival_corp,
        subject=holding,
        interest_type=InterestType.SHAREHOLDING,
        provenance=Provenance.VERIFIED,
        share_exact=Decimal("100"),
    )
    stake_create(
        interested_party=holding,
        subject=medix.vendor.entity,
        interest_type=InterestType.SHAREHOLDING,
        provenance=Provenance.IMPORTED,
        share_min=Decimal("8"),
        share_max=Decimal("12"),
    )
    screening = exchange.screening_refresh_now(lab=acme.lab, vendor=medix.vendor)
    client.force_login(acme.owner)

    page = client.get(detail_url(screening)).content.decode()

    assert "Rival Corp → 100% → Middle Holdings → 8% to 12% → Medix Annotations" in page
    assert "(a range)" in page
    assert "at or above the 5% review threshold." in page


def test_an_override_shows_its_reason(client, acme, medix):
    screening = screening_with_verdict(acme.lab, medix.vendor, Verdict.BLOCKED)
    exchange.screening_override(
        screening=screening, user=platform_admin(), reason="Stake sold on 1 May."
    )
    client.force_login(acme.owner)

    page = client.get(detail_url(screening)).content.decode()

    assert "Cleared by override" in page and "Stake sold on 1 May." in page
    assert "the rules gave" in page


def test_a_pending_screening_says_so(client, acme, medix):
    screening = screening_with_verdict(acme.lab, medix.vendor, None)
    client.force_login(acme.owner)

    page = client.get(detail_url(screening)).content.decode()

    assert "This screening is being computed" in page


def test_the_detail_is_for_this_labs_members_only(client, acme, rival, medix):
    screening = screening_with_verdict(acme.lab, medix.vendor, Verdict.CLEAR)
    assert client.get(detail_url(screening)).status_code == 302
    client.force_login(rival.owner)
    assert client.get(detail_url(screening)).status_code == 404
    client.force_login(medix.owner)
    assert client.get(detail_url(screening)).status_code == 404
    assert client.get(LIST).status_code == 404
