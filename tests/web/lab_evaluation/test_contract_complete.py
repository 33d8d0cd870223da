"""Completing a contract with the lab's rating, from the job's award section."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from labs.models import JobStatus
from marketplace.exchange import services as exchange
from marketplace.exchange.models import Contract, ContractStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def contract(acme, evaluation) -> Contract:
    exchange.award_make(
        job=evaluation.job, user=acme.owner, shares={evaluation.medix_bid.pk: Decimal(100)}
    )
    return Contract.objects.get(award__job=evaluation.job)


def complete_url(contract: Contract) -> str:
    return reverse("lab:contract_complete", args=[contract.pk])


def test_a_reviewer_completes_and_rates_the_work(client, acme, contract):
    client.force_login(acme.reviewer)
    today = timezone.localdate()

    response = client.post(
        complete_url(contract),
        {"delivered_on": today.isoformat(), "rating": "4", "comment": "Careful work."},
        follow=True,
    )

    contract.refresh_from_db()
    assert contract.status == ContractStatus.COMPLETED
    assert (contract.rating, contract.rating_comment, contract.on_time) == (
        4,
        "Careful work.",
        True,
    )
    page = response.content.decode()
    assert "contract is completed and rated 4/5" in page
    assert "4 of 5" in page and "Careful work." in page
    contract.award.job.refresh_from_db()
    assert contract.award.job.status == JobStatus.COMPLETED


def test_late_delivery_shows_as_not_on_time(client, acme, contract):
    job = contract.award.job
    job.delivery_date = timezone.localdate() - timedelta(days=3)
    job.save(update_fields=["delivery_date"])
    client.force_login(acme.owner)

    client.post(
        complete_url(contract),
        {"delivered_on": timezone.localdate().isoformat(), "rating": "3"},
    )

    contract.refresh_from_db()
    assert contract.on_time is False


def test_a_future_delivery_date_is_refused_next_to_the_field(client, acme, contract):
    client.force_login(acme.owner)
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()

    response = client.post(
        complete_url(contract), {"delivered_on": tomorrow, "rating": "5", "comment": "Keep me"}
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert "Delivery cannot be in the future." in page
    assert f'value="{tomorrow}"' in page and "Keep me</textarea>" in page
    contract.refresh_from_db()
    assert contract.status == ContractStatus.ACTIVE


def test_a_rating_is_required(client, acme, contract):
    client.force_login(acme.owner)

    response = client.post(
        complete_url(contract), {"delivered_on": timezone.localdate().isoformat()}
    )

    assert "This field is required." in response.content.decode()
    contract.refresh_from_db()
    assert contract.status == ContractStatus.ACTIVE


def test_a_double_submitted_completion_acts_once(client, acme, contract):
    client.force_login(acme.owner)
    data = {
        "delivered_on": timezone.localdate().isoformat(),
        "rating": "5",
        "form_token": "0b6a5a49-7a2b-4c52-b3c7-8e1f0f1e2a3b",
    }

    first = client.post(complete_url(contract), data)
    second = client.post(complete_url(contract), data)

    assert first.status_code == second.status_code == 302
    assert contract.history.filter(status=ContractStatus.COMPLETED).count() == 1


def test_another_lab_or_a_vendor_gets_404(client, rival, medix, contract):
    data = {"delivered_on": timezone.localdate().isoformat(), "rating": "1"}
    client.force_login(rival.owner)
    assert client.post(complete_url(contract), data).status_code == 404
    client.force_login(medix.owner)
    assert client.post(complete_url(contract), data).status_code == 404
    contract.refresh_from_db()
    assert contract.status == ContractStatus.ACTIVE
