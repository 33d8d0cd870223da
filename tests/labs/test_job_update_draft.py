"""A lab edits its draft job; once published, the terms are fixed."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from labs import services as labs
from labs.models import Job, JobStatus
from marketplace.core.errors import InvalidTransition, NotPermitted, RuleViolation
from tests.exchange.helpers import start_evaluation
from tests.factories import AttestationKindFactory, JobFactory
from tests.plugins.personas import make_open_job

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft(acme):
    return JobFactory(lab=acme.lab, created_by=acme.procurement)


def test_procurement_changes_the_terms_of_a_draft(acme, draft):
    soc2 = AttestationKindFactory(code="soc2")

    labs.job_update_draft(
        job=draft,
        user=acme.procurement,
        budget_max=Decimal("80000"),
        currency="EUR",
        bidding="open",
        required_attestations=[soc2],
    )

    draft.refresh_from_db()
    assert draft.budget_max == Decimal("80000")
    assert draft.currency == "EUR"
    assert not draft.is_sealed
    assert list(draft.required_attestations.all()) == [soc2]


def test_the_owner_may_turn_on_split_awards_with_a_cap(acme, draft):
    labs.job_update_draft(
        job=draft, user=acme.owner, split_allowed=True, max_share_per_vendor=Decimal("40")
    )

    draft.refresh_from_db()
    assert draft.split_allowed and draft.max_share_per_vendor == Decimal("40")


@pytest.mark.parametrize(
    "who",
    [
        pytest.param(lambda acme, rival, medix: acme.reviewer, id="lab reviewer"),
        pytest.param(lambda acme, rival, medix: rival.owner, id="owner of another lab"),
        pytest.param(lambda acme, rival, medix: medix.owner, id="vendor owner"),
    ],
)
def test_others_may_not_edit_the_draft(acme, rival, medix, draft, who):
    with pytest.raises(NotPermitted):
        labs.job_update_draft(job=draft, user=who(acme, rival, medix), title="Hijacked")

    draft.refresh_from_db()
    assert draft.title != "Hijacked"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        pytest.param({"budget_min": Decimal("90000")}, "budget_min", id="budget min above max"),
        pytest.param({"currency": "euro"}, "currency", id="bad currency"),
        pytest.param(
            {"max_share_per_vendor": Decimal("50")},
            "max_share_per_vendor",
            id="max share without split",
        ),
        pytest.param({"volume": 0}, "volume", id="zero volume"),
        pytest.param({"title": "   "}, "title", id="blank title"),
    ],
)
def test_invalid_changes_are_refused_and_nothing_is_saved(acme, draft, changes, field):
    before = Job.objects.values().get(pk=draft.pk)

    with pytest.raises(RuleViolation) as refused:
        labs.job_update_draft(job=draft, user=acme.procurement, **changes)

    assert refused.value.field == field
    assert Job.objects.values().get(pk=draft.pk) == before


def test_the_question_deadline_may_not_move_past_the_bid_deadline(acme, draft):
    with pytest.raises(RuleViolation) as refused:
        labs.job_update_draft(
            job=draft,
            user=acme.procurement,
            question_deadline=draft.bid_deadline + timedelta(hours=1),
        )

    assert refused.value.field == "question_deadline"


def test_the_bid_deadline_may_not_move_past_delivery(acme, draft):
    later = timezone.now() + timedelta(days=90)

    with pytest.raises(RuleViolation) as refused:
        labs.job_update_draft(job=draft, user=acme.procurement, bid_deadline=later)

    assert refused.value.field == "delivery_date"


@pytest.mark.parametrize("field", ["status", "lab", "created_by", "published_at"])
def test_lifecycle_and_ownership_fields_cannot_be_set_by_editing(acme, rival, draft, field):
    value = {
        "status": JobStatus.OPEN,
        "lab": rival.lab,
        "created_by": rival.owner,
        "published_at": timezone.now(),
    }[field]

    with pytest.raises(RuleViolation):
        labs.job_update_draft(job=draft, user=acme.procurement, **{field: value})

    draft.refresh_from_db()
    assert draft.status == JobStatus.DRAFT and draft.lab == acme.lab
    assert draft.published_at is None


def test_a_published_job_cannot_be_edited(acme):
    job = make_open_job(acme)

    with pytest.raises(InvalidTransition) as refused:
        labs.job_update_draft(job=job, user=acme.procurement, budget_max=Decimal("99999"))

    assert refused.value.code == "invalid_transition"
    job.refresh_from_db()
    assert job.budget_max == Decimal("50000")


def test_a_job_in_evaluation_cannot_be_edited(acme):
    job = start_evaluation(make_open_job(acme))

    with pytest.raises(InvalidTransition):
        labs.job_update_draft(job=job, user=acme.owner, title="Changed after the bids")


def test_a_stale_draft_object_does_not_bypass_the_status_check(acme):
    # The caller's copy still says draft; the database says open.
    job = make_open_job(acme)
    stale = Job.objects.get(pk=job.pk)
    stale.status = JobStatus.DRAFT

    with pytest.raises(InvalidTransition):
        labs.job_update_draft(job=stale, user=acme.procurement, title="Changed")
