"""`manage.py match_job JOB_ID [--json]`: matching in the foreground, with the ranking and
the reasons printed, ineligible vendors included with why."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from labs.models import Job, WorkState
from marketplace.exchange.models import Invitation, Notification
from tests.exchange.helpers import rival_stake
from tests.exchange.matching_builders import job_needing, staffed_vendor, vocabulary
from tests.plugins.personas import LabTeam

pytestmark = pytest.mark.django_db


@pytest.fixture
def open_medical_job(acme: LabTeam) -> Job:
    """Two MD seats and an RN seat; HIPAA BAA required; open for bids. Five vendors: two
    eligible, one short of an RN, one without the attestation, one blocked by screening."""
    v = vocabulary()
    job = job_needing(acme, (2, v.medicine, v.md), (1, v.nursing, v.rn), attestations=(v.hipaa,))
    Job.objects.filter(pk=job.pk).update(status="open")
    staffed_vendor("Deep Bench Medical", v, md=6, rn=2, attestations=(v.hipaa,))
    staffed_vendor("Just Enough Care", v, md=2, rn=1, attestations=(v.hipaa,))
    staffed_vendor("No Nurses Ltd", v, md=3, attestations=(v.hipaa,))
    staffed_vendor("Unattested Health", v, md=2, rn=1)
    blocked = staffed_vendor("Rival-Owned Annotations", v, md=2, rn=1, attestations=(v.hipaa,))
    rival_stake(acme, blocked, "49")
    return Job.objects.get(pk=job.pk)


def run(*args: object) -> str:
    out = StringIO()
    call_command("match_job", *[str(a) for a in args], stdout=out)
    return out.getvalue()


def test_json_lists_the_ranking_then_the_ineligible_with_why(open_medical_job):
    rows = json.loads(run(open_medical_job.pk, "--json"))

    assert [(r["vendor"], r["eligible"], r["rank"], r["invited"]) for r in rows] == [
        ("Deep Bench Medical", True, 1, True),
        ("Just Enough Care", True, 2, True),
        ("No Nurses Ltd", False, None, False),
        ("Rival-Owned Annotations", False, None, False),
        ("Unattested Health", False, None, False),
    ]
    assert set(rows[0]) == {
        "vendor",
        "vendor_id",
        "eligible",
        "rank",
        "score",
        "reasons",
        "invited",
    }
    assert rows[0]["score"] > rows[1]["score"]
    assert rows[0]["reasons"][0] == (
        "3 of 3 seats filled by distinct verified specialists; 5 spare qualified specialists "
        "(MD in Medicine: 6 qualified for 2 seats; RN in Nursing: 2 qualified for 1 seat)."
    )
    why = {r["vendor"]: r["reasons"] for r in rows if not r["eligible"]}
    assert why["No Nurses Ltd"] == [
        f"2 of 3 seats: no verified RN in Nursing valid on {open_medical_job.delivery_date}."
    ]
    assert why["Unattested Health"] == ["No valid HIPAA BAA attestation."]
    assert why["Rival-Owned Annotations"][0].startswith(
        "Screening blocked: Rival Corp holds an effective economic interest of 49%"
    )
    assert Invitation.objects.filter(job=open_medical_job).count() == 2
    open_medical_job.refresh_from_db()
    assert open_medical_job.matching_state == WorkState.DONE


def test_the_table_shows_ranks_scores_reasons_and_who_is_not_eligible(open_medical_job):
    text = run(open_medical_job.pk)

    assert "2 eligible, 3 not eligible; 2 invited (2 new)." in text
    assert "  1. Deep Bench Medical: " in text and "[invited]" in text
    assert "Not eligible:" in text
    assert text.index("Just Enough Care") < text.index("Not eligible:")
    assert text.index("Not eligible:") < text.index("No Nurses Ltd")
    assert "       No valid HIPAA BAA attestation." in text


def test_running_it_again_invites_nobody_twice(open_medical_job):
    run(open_medical_job.pk, "--json")
    notified = Notification.objects.filter(kind="invitation.created").count()

    again = json.loads(run(open_medical_job.pk, "--json"))

    assert [r["rank"] for r in again if r["invited"]] == [1, 2]
    assert Invitation.objects.filter(job=open_medical_job).count() == 2
    assert Notification.objects.filter(kind="invitation.created").count() == notified > 0
    assert "2 invited (0 new)." in run(open_medical_job.pk)


def test_an_unknown_job_is_a_clear_error():
    with pytest.raises(CommandError, match="No job with id 424242"):
        run(424242)
