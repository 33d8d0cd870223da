"""The story the demo tells, end to end: a lab sees the largest vendor blocked with the
path that explains why, and ending the rival's stake in the admin lifts the block."""

from io import StringIO

import pytest
from django.core.management import call_command

from marketplace.exchange.models import Notification, Screening, Verdict
from marketplace.ownership.models import Stake

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        call_command("load_demo", stdout=StringIO())


def northwind_on_scalewise() -> Screening:
    return Screening.objects.get(
        lab__organisation__slug="northwind-ai",
        vendor__organisation__slug="scalewise-data",
        bid__isnull=True,
    )


def test_northwind_sees_scalewise_blocked_with_the_path(demo):
    screening = northwind_on_scalewise()

    assert screening.verdict == Verdict.BLOCKED
    reasons = screening.evidence["reasons"]
    assert reasons[0] == (
        "Apex Intelligence holds an effective economic interest of 49% in Scalewise Data: "
        "49% >= 20% block threshold."
    )
    assert reasons[1].startswith("Apex Intelligence -> 49% -> Scalewise Data (direct, ")
    assert any(
        r.startswith("Dana Whitfield, senior managing official of Scalewise Data") for r in reasons
    )
    assert Notification.objects.filter(
        organisation__slug="northwind-ai",
        kind="screening.changed",
        title__contains="Scalewise Data",
    ).exists()


def test_ending_the_stake_in_the_admin_lifts_the_block(
    demo, client, django_capture_on_commit_callbacks
):
    from marketplace.accounts.models import User

    client.force_login(User.objects.get(email="admin@exchange.demo"))
    stake = Stake.objects.get(
        interested_party__name="Apex Intelligence",
        subject__name="Scalewise Data",
        interest_type="shareholding",
    )

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/admin/ownership/stake/",
            {"action": "end_today", "_selected_action": [stake.pk]},
            follow=True,
        )

    assert response.status_code == 200
    screening = northwind_on_scalewise()
    # The 49% is gone; the former chief executive now at the rival still warrants a look.
    assert screening.verdict == Verdict.REVIEW
    assert not any("49%" in reason for reason in screening.evidence["reasons"])
    assert screening.history.filter(verdict=Verdict.BLOCKED).exists()
