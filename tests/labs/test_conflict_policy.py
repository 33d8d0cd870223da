"""A lab's conflict policy: the thresholds its vendors are screened with."""

from decimal import Decimal

import pytest

from labs import services as labs
from labs.models import ConflictPolicy
from marketplace.core.errors import NotPermitted, RuleViolation

pytestmark = pytest.mark.django_db


def test_a_new_lab_starts_with_the_design_defaults():
    lab = labs.lab_create(name="Fresh Lab")

    policy = lab.conflict_policy
    assert (policy.block_percent, policy.review_percent, policy.lookback_months) == (
        Decimal("20"),
        Decimal("5"),
        12,
    )
    assert lab.organisation.kind == "lab" and lab.entity.name == "Fresh Lab"


def test_the_owner_tightens_the_thresholds(acme):
    labs.conflict_policy_update(
        lab=acme.lab,
        user=acme.owner,
        block_percent=Decimal("10"),
        review_percent=Decimal("2.5"),
        lookback_months=24,
    )

    policy = ConflictPolicy.objects.get(lab=acme.lab)
    assert policy.block_percent == Decimal("10")
    assert policy.review_percent == Decimal("2.5")
    assert policy.lookback_months == 24


def test_review_may_equal_block(acme):
    labs.conflict_policy_update(
        lab=acme.lab, user=acme.owner, block_percent=Decimal("15"), review_percent=Decimal("15")
    )

    assert ConflictPolicy.objects.get(lab=acme.lab).review_percent == Decimal("15")


@pytest.mark.parametrize(
    "who",
    [
        pytest.param(lambda acme, rival, medix: acme.procurement, id="lab procurement"),
        pytest.param(lambda acme, rival, medix: acme.reviewer, id="lab reviewer"),
        pytest.param(lambda acme, rival, medix: rival.owner, id="owner of another lab"),
        pytest.param(lambda acme, rival, medix: medix.owner, id="vendor owner"),
    ],
)
def test_only_the_owner_changes_the_policy(acme, rival, medix, who):
    with pytest.raises(NotPermitted):
        labs.conflict_policy_update(
            lab=acme.lab, user=who(acme, rival, medix), block_percent=Decimal("50")
        )

    assert ConflictPolicy.objects.get(lab=acme.lab).block_percent == Decimal("20")


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({"review_percent": Decimal("25")}, id="review above the default block"),
        pytest.param({"block_percent": Decimal("3")}, id="block below the default review"),
        pytest.param({"block_percent": Decimal("101")}, id="block above 100"),
        pytest.param({"review_percent": Decimal("-1")}, id="negative review"),
    ],
)
def test_thresholds_out_of_order_are_refused_and_nothing_changes(acme, changes):
    with pytest.raises(RuleViolation) as refused:
        labs.conflict_policy_update(lab=acme.lab, user=acme.owner, **changes)

    assert refused.value.code == "rule_violation"
    policy = ConflictPolicy.objects.get(lab=acme.lab)
    assert (policy.block_percent, policy.review_percent) == (Decimal("20"), Decimal("5"))


def test_a_negative_lookback_is_refused_as_a_rule(acme):
    with pytest.raises(RuleViolation) as refused:
        labs.conflict_policy_update(lab=acme.lab, user=acme.owner, lookback_months=-1)

    assert refused.value.field == "lookback_months"
    assert ConflictPolicy.objects.get(lab=acme.lab).lookback_months == 12


def test_an_absurdly_long_lookback_is_refused_as_a_rule(acme):
    # 40 000 months does not fit the column: PostgreSQL would answer with a DataError.
    with pytest.raises(RuleViolation) as refused:
        labs.conflict_policy_update(lab=acme.lab, user=acme.owner, lookback_months=40_000)

    assert refused.value.field == "lookback_months"
    assert ConflictPolicy.objects.get(lab=acme.lab).lookback_months == 12
