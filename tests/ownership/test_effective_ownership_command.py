"""`manage.py effective_ownership`: who effectively owns an entity, for a person at a
terminal or a script."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from marketplace.ownership.models import Entity, InterestType
from marketplace.ownership.selectors import effective_ownership_report
from tests.factories import EntityFactory, StakeFactory

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command("effective_ownership", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def chain() -> dict[str, Entity]:
    # Alpha Holdings 60% of Beta Ltd (since 2025-01-01), Beta 50% of Vendor X (since 2024):
    # Alpha holds 0.6 x 0.5 = 30% of Vendor X, Beta its direct 50%.
    alpha = EntityFactory.create(name="Alpha Holdings", record_id="alpha")
    beta = EntityFactory.create(name="Beta Ltd", record_id="beta")
    vendor = EntityFactory.create(name="Vendor X", record_id="vendor-x")
    StakeFactory(
        interested_party=alpha,
        subject=beta,
        share_exact=Decimal("60"),
        start_date=date(2025, 1, 1),
    )
    StakeFactory(
        interested_party=beta,
        subject=vendor,
        share_exact=Decimal("50"),
        start_date=date(2024, 1, 1),
    )
    StakeFactory(
        interested_party=beta,
        subject=vendor,
        interest_type=InterestType.VOTING_RIGHTS,
        share_exact=Decimal("51"),
        start_date=date(2024, 1, 1),
    )
    return {"alpha": alpha, "beta": beta, "vendor": vendor}


def hop(
    party: str, subject: str, share: float, types: list[str], names: dict[str, str]
) -> dict[str, Any]:
    return {
        "from_record_id": party,
        "from_name": names[party],
        "to_record_id": subject,
        "to_name": names[subject],
        "interest_types": types,
        "share": {"min": share, "max": share},
        "direct_or_indirect": "direct",
    }


NAMES = {"alpha": "Alpha Holdings", "beta": "Beta Ltd", "vendor-x": "Vendor X"}
BETA_IN_VENDOR = hop("beta", "vendor-x", 50, ["shareholding", "votingRights"], NAMES)


def test_json_lists_each_effective_owner_largest_first_with_its_paths(chain):
    report = json.loads(run("vendor-x", "--as-of", "2025-06-30", "--json"))

    assert report == [
        {
            "record_id": "beta",
            "name": "Beta Ltd",
            "economic": {"min": 50, "max": 50},
            "voting": {"min": 51, "max": 51},
            "controls": True,
            "paths": [[BETA_IN_VENDOR]],
        },
        {
            "record_id": "alpha",
            "name": "Alpha Holdings",
            "economic": {"min": 30, "max": 30},
            "voting": {"min": 0, "max": 0},
            "controls": False,
            "paths": [[hop("alpha", "beta", 60, ["shareholding"], NAMES), BETA_IN_VENDOR]],
        },
    ]


def test_the_table_shows_the_figures_and_the_strongest_path(chain):
    lines = run("vendor-x", "--as-of", "2025-06-30").splitlines()

    assert lines[0] == "Effective ownership of Vendor X (vendor-x) on 2025-06-30"
    assert lines[2].split() == (
        ["Name", "Record", "id", "Economic", "Voting", "Controls", "Strongest", "path"]
    )
    beta, alpha = lines[3], lines[4]
    assert beta.split()[:6] == ["Beta", "Ltd", "beta", "50%", "51%", "yes"]
    assert beta.endswith("Beta Ltd -> 50% -> Vendor X")
    assert alpha.split()[:6] == ["Alpha", "Holdings", "alpha", "30%", "0%", "no"]
    assert alpha.endswith("Alpha Holdings -> 60% -> Beta Ltd -> 50% -> Vendor X")
    assert len(lines) == 5


def test_ranges_show_both_bounds(chain):
    StakeFactory(
        interested_party=EntityFactory(name="Gamma", record_id="gamma"),
        subject=chain["vendor"],
        share_exact=None,
        share_min=Decimal("5"),
        share_max=Decimal("12.5"),
    )

    report = json.loads(run("vendor-x", "--as-of", "2025-06-30", "--json"))
    table = run("vendor-x", "--as-of", "2025-06-30")

    gamma = next(row for row in report if row["record_id"] == "gamma")
    assert gamma["economic"] == {"min": 5, "max": 12.5}
    assert "5-12.5%" in table
    assert "Gamma -> 5-12.5% -> Vendor X" in table


def test_a_stake_not_yet_started_on_the_day_is_left_out(chain):
    # On 2024-06-30 Alpha's stake in Beta had not started.
    report = json.loads(run("vendor-x", "--as-of", "2024-06-30", "--json"))

    assert [row["record_id"] for row in report] == ["beta"]


def test_before_any_stake_nobody_holds_an_interest(chain):
    assert json.loads(run("vendor-x", "--as-of", "2023-06-30", "--json")) == []
    assert run("vendor-x", "--as-of", "2023-06-30").strip() == (
        "Effective ownership of Vendor X (vendor-x) on 2023-06-30: "
        "no entity or person holds an economic or voting interest."
    )


def test_a_role_without_shares_is_not_listed(chain):
    StakeFactory(
        interested_party=EntityFactory(name="Board Seat Co", record_id="seat"),
        subject=chain["vendor"],
        interest_type=InterestType.BOARD_MEMBER,
        share_exact=None,
    )

    report = json.loads(run("vendor-x", "--as-of", "2025-06-30", "--json"))

    assert "seat" not in [row["record_id"] for row in report]


def test_an_unknown_record_id_is_refused(chain):
    with pytest.raises(CommandError, match="No entity with record id 'no-such-entity'"):
        run("no-such-entity", "--json")


@pytest.mark.parametrize("day", ["30/06/2025", "2025-02-30", "yesterday"])
def test_a_malformed_day_is_refused(chain, day):
    with pytest.raises(CommandError, match="--as-of must be a date as YYYY-MM-DD"):
        run("vendor-x", "--as-of", day)


def test_the_report_takes_as_many_queries_for_many_owners_as_for_few(chain):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            effective_ownership_report(subject=chain["vendor"], as_of=date(2025, 6, 30))
        return len(captured)

    few = queries()
    for n in range(10):
        owner = EntityFactory.create(name=f"Owner {n}")
        StakeFactory(interested_party=owner, subject=chain["alpha"], share_exact=Decimal("1"))

    assert queries() == few
