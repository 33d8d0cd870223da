"""The conflict policy page: the owner edits the thresholds, with validation; others
read them."""

from __future__ import annotations

from decimal import Decimal

import pytest

from labs.models import ConflictPolicy, Lab

pytestmark = pytest.mark.django_db

PAGE = "/lab/policy/"


def policy(lab) -> ConflictPolicy:
    return ConflictPolicy.objects.get(lab=lab)


def test_the_owner_changes_the_thresholds(client, acme, django_capture_on_commit_callbacks):
    client.force_login(acme.owner)

    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(
            PAGE,
            {"block_percent": "25", "review_percent": "2.5", "lookback_months": "24"},
            follow=True,
        )

    saved = policy(acme.lab)
    assert (saved.block_percent, saved.review_percent, saved.lookback_months) == (
        Decimal("25"),
        Decimal("2.5"),
        24,
    )
    assert "Your conflict policy is saved. Your vendors are being screened again." in (
        response.content.decode()
    )
    assert callbacks and Lab.objects.get(pk=acme.lab.pk).screening_inputs_changed_at


def test_the_form_shows_the_current_values(client, acme):
    client.force_login(acme.owner)

    page = client.get(PAGE).content.decode()

    assert 'name="block_percent" value="20"' in page
    assert 'name="lookback_months" value="12"' in page


def test_review_above_block_is_refused_next_to_the_field(client, acme):
    client.force_login(acme.owner)

    response = client.post(
        PAGE, {"block_percent": "10", "review_percent": "30", "lookback_months": "12"}
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert "Thresholds must satisfy 0 &lt;= review &lt;= block &lt;= 100 percent." in page
    assert 'value="30"' in page
    assert policy(acme.lab).block_percent == Decimal("20")


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("block_percent", "120", "less than or equal to 100"),
        ("review_percent", "-1", "greater than or equal to 0"),
        ("lookback_months", "121", "less than or equal to 120"),
        ("lookback_months", "soon", "Enter a whole number."),
    ],
)
def test_out_of_range_values_are_refused(client, acme, field, value, message):
    client.force_login(acme.owner)
    data = {"block_percent": "20", "review_percent": "5", "lookback_months": "12", field: value}

    response = client.post(PAGE, data)

    assert message in response.content.decode()
    assert policy(acme.lab).lookback_months == 12


def test_only_the_owner_edits(client, acme, medix):
    data = {"block_percent": "1", "review_percent": "1", "lookback_months": "1"}
    client.force_login(acme.procurement)
    page = client.get(PAGE).content.decode()
    assert "Only the lab's owner can change the policy." in page
    assert 'name="block_percent"' not in page
    assert client.post(PAGE, data).status_code == 403

    client.force_login(medix.owner)
    assert client.get(PAGE).status_code == 404
    client.logout()
    assert client.get(PAGE).status_code == 302
    assert policy(acme.lab).block_percent == Decimal("20")


def test_another_labs_policy_is_untouched(client, acme, rival):
    client.force_login(rival.owner)

    client.post(PAGE, {"block_percent": "50", "review_percent": "10", "lookback_months": "6"})

    assert policy(acme.lab).block_percent == Decimal("20")
    assert policy(rival.lab).block_percent == Decimal("50")


def test_a_double_submitted_change_acts_once(client, acme):
    client.force_login(acme.owner)
    data = {
        "block_percent": "30",
        "review_percent": "5",
        "lookback_months": "12",
        "form_token": "2c1e0f8a-9f3b-4bb1-8d5e-2b6f6e1c7a90",
    }

    first = client.post(PAGE, data)
    second = client.post(PAGE, data)

    assert first.status_code == second.status_code == 302
