"""A lab drafts a job: who may, and which terms are refused."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from labs import services as labs
from labs.models import Job, JobStatus
from marketplace.core.errors import NotPermitted, RuleViolation
from tests.exchange.helpers import job_terms
from tests.factories import AttestationKindFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("role", ["owner", "procurement"])
def test_owner_and_procurement_draft_a_job(acme, role):
    hipaa = AttestationKindFactory(code="hipaa-baa")
    user = getattr(acme, role)

    job = labs.job_create(
        lab=acme.lab,
        user=user,
        required_attestations=[hipaa],
        **job_terms(title="  Grade clinical answers  "),
    )

    job.refresh_from_db()
    assert job.status == JobStatus.DRAFT
    assert job.lab == acme.lab and job.created_by == user
    assert job.title == "Grade clinical answers"
    assert job.budget_min == Decimal("20000") and job.currency == "USD"
    assert list(job.required_attestations.all()) == [hipaa]
    assert job.published_at is None


def test_a_split_job_may_cap_each_vendors_share(acme):
    job = labs.job_create(
        lab=acme.lab,
        user=acme.owner,
        **job_terms(split_allowed=True, max_share_per_vendor=Decimal("60")),
    )

    assert job.split_allowed and job.max_share_per_vendor == Decimal("60")


@pytest.mark.parametrize(
    "who",
    [
        pytest.param(lambda acme, rival, medix: acme.reviewer, id="lab reviewer"),
        pytest.param(lambda acme, rival, medix: rival.owner, id="owner of another lab"),
        pytest.param(lambda acme, rival, medix: medix.owner, id="vendor owner"),
        pytest.param(lambda acme, rival, medix: UserFactory(), id="user of no organisation"),
    ],
)
def test_others_may_not_post_jobs_for_the_lab(acme, rival, medix, who):
    with pytest.raises(NotPermitted) as refused:
        labs.job_create(lab=acme.lab, user=who(acme, rival, medix), **job_terms())

    assert refused.value.code == "not_permitted"
    assert not Job.objects.exists()


def test_a_former_member_may_not_post_jobs(acme):
    acme.procurement.is_active = False
    acme.procurement.save()

    with pytest.raises(NotPermitted):
        labs.job_create(lab=acme.lab, user=acme.procurement, **job_terms())


def _in(days: float):
    return timezone.now() + timedelta(days=days)


INVALID_TERMS = [
    pytest.param({"title": "   "}, "title", id="blank title"),
    pytest.param({"budget_min": Decimal("70000")}, "budget_min", id="budget min above max"),
    pytest.param({"budget_min": Decimal("-1")}, "budget_min", id="negative budget"),
    pytest.param(
        {"question_deadline": _in(11)},
        "question_deadline",
        id="question deadline after bid deadline",
    ),
    pytest.param(
        {"delivery_date": timezone.localdate() + timedelta(days=3)},
        "delivery_date",
        id="delivery before bid deadline",
    ),
    pytest.param(
        {"bid_deadline": (day := _in(10)), "delivery_date": day.date()},
        "delivery_date",
        id="delivery on the bid deadline day",
    ),
    pytest.param({"currency": "usd"}, "currency", id="lower-case currency"),
    pytest.param({"currency": "US"}, "currency", id="two-letter currency"),
    pytest.param({"currency": "USDT"}, "currency", id="four-letter currency"),
    pytest.param({"currency": "U$D"}, "currency", id="currency with a symbol"),
    pytest.param({"currency": "ÉUR"}, "currency", id="currency with a non-ASCII letter"),
    pytest.param({"volume": 0}, "volume", id="zero volume"),
    pytest.param(
        {"max_share_per_vendor": Decimal("50")},
        "max_share_per_vendor",
        id="max share without split",
    ),
    pytest.param(
        {"split_allowed": True, "max_share_per_vendor": Decimal("0")},
        "max_share_per_vendor",
        id="zero max share",
    ),
    pytest.param(
        {"split_allowed": True, "max_share_per_vendor": Decimal("100.5")},
        "max_share_per_vendor",
        id="max share above 100",
    ),
]


@pytest.mark.parametrize(("terms", "field"), INVALID_TERMS)
def test_invalid_terms_are_refused_with_the_field_named(acme, terms, field):
    # Deadlines are computed at collection time; question and bid deadlines stay in order.
    with pytest.raises(RuleViolation) as refused:
        labs.job_create(lab=acme.lab, user=acme.procurement, **job_terms(**terms))

    assert refused.value.code == "rule_violation"
    assert refused.value.field == field
    assert not Job.objects.exists()


@pytest.mark.parametrize(
    "terms",
    [
        pytest.param({"bidding": "secret"}, id="unknown bidding"),
        pytest.param({"visibility": "friends"}, id="unknown visibility"),
        pytest.param({"sensitivity": "top-secret"}, id="unknown sensitivity"),
        pytest.param({"volume_unit": "barrels"}, id="unknown volume unit"),
    ],
)
def test_values_outside_the_vocabulary_are_refused(acme, terms):
    # An unknown bidding value would make is_sealed false and unseal bids while open.
    with pytest.raises(RuleViolation) as refused:
        labs.job_create(lab=acme.lab, user=acme.procurement, **job_terms(**terms))

    assert refused.value.field == next(iter(terms))
    assert not Job.objects.exists()


def test_deadlines_in_the_past_are_allowed_in_a_draft(acme):
    # A draft is not yet public: only publishing insists on future deadlines.
    job = labs.job_create(
        lab=acme.lab,
        user=acme.procurement,
        **job_terms(question_deadline=_in(-2), bid_deadline=_in(-1)),
    )

    assert job.status == JobStatus.DRAFT
