"""The demo's story in the browser: Northwind's screening of Scalewise reads as the path
that blocks it."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from marketplace.accounts.models import User
from marketplace.exchange.models import Screening

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        call_command("load_demo", stdout=StringIO())


def test_northwind_reads_why_scalewise_is_blocked(client, demo):
    screening = Screening.objects.get(
        lab__organisation__slug="northwind-ai",
        vendor__organisation__slug="scalewise-data",
        bid__isnull=True,
    )
    client.force_login(User.objects.get(email="procurement@northwind.demo"))

    listing = client.get(reverse("lab:screenings"), {"verdict": "blocked"}).content.decode()
    page = client.get(reverse("lab:screening_detail", args=[screening.pk])).content.decode()

    assert reverse("lab:screening_detail", args=[screening.pk]) in listing
    assert 'class="verdict verdict-blocked">Blocked' in page
    assert 'aria-label="Ownership path: Apex Intelligence → 49% → Scalewise Data"' in page
    assert '<li class="entity competitor">Apex Intelligence</li>' in page
    assert '<strong class="hop-share">49%</strong>' in page
    assert "economic, no votes, direct, verified" in page
    assert (
        "Apex Intelligence holds an effective economic interest of 49% in Scalewise Data: "
        "<strong>49% &gt;= 20% block threshold.</strong>"
    ) in page
    assert "Dana Whitfield, senior managing official of Scalewise Data" in page
