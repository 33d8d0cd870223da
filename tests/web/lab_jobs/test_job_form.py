"""Posting and editing a draft job with its seats: every term a lab sets, seat rows added
and removed without JavaScript, errors next to their fields with what was typed kept, and
one job however often the form is sent."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from labs.models import Job, JobStatus, SeatRequirement
from marketplace.core.models import CredentialKind
from tests.factories import (
    AttestationKindFactory,
    CredentialFieldFactory,
    JobFactory,
    QualificationLevelFactory,
    SeatRequirementFactory,
)
from tests.plugins.personas import make_open_job
from tests.web.lab_jobs.helpers import (
    LOCAL,
    degree_level,
    error_for,
    job_post,
    management,
    seat_row,
    text,
    token,
    values,
)

pytestmark = pytest.mark.django_db

CREATE = reverse("lab:job_create")


def edit_url(job: Job) -> str:
    return reverse("lab:job_edit", args=[job.pk])


# --- Create ---------------------------------------------------------------------------------


def test_the_form_asks_for_every_term_and_one_seat(client, acme):
    AttestationKindFactory(code="soc-2")
    client.force_login(acme.procurement)

    response = client.get(CREATE)

    assert response.status_code == 200
    shown = text(response)
    for label in (
        "Title", "Domain", "Description", "Volume", "Volume unit", "Budget from",
        "Budget up to", "Currency", "Question period ends", "Bid deadline", "Delivery date",
        "Data sensitivity", "Required attestations", "Bidding", "Who can see the job",
        "Allow a split award", "Maximum share per vendor (%)", "Credential kind", "Field",
        "Minimum level", "Number of specialists", "Remove this seat", "Add another seat",
        "Save draft",
    ):  # fmt: skip
        assert label in shown, label
    content = response.content.decode()
    assert 'type="datetime-local" name="bid_deadline"' in content
    assert 'type="date" name="delivery_date"' in content
    assert values(response)["seats-TOTAL_FORMS"] == "1"


def test_a_draft_is_created_with_its_terms_and_seats(client, acme):
    client.force_login(acme.procurement)
    data = job_post(seats=2, split_allowed="on", max_share_per_vendor="60")
    data.update(seat_row(1, count="4", note="Board certified"))

    response = client.post(CREATE, data)

    job = Job.objects.get()
    assert response.status_code == 302 and response.url == reverse("lab:job_detail", args=[job.pk])
    assert (job.lab, job.status, job.created_by) == (acme.lab, JobStatus.DRAFT, acme.procurement)
    assert (job.title, job.volume, job.volume_unit, job.currency) == (
        "Radiology report grading",
        500,
        "items",
        "USD",
    )
    assert (job.budget_min, job.budget_max) == (Decimal("10000"), Decimal("20000"))
    assert (job.sensitivity, job.bidding, job.split_allowed) == ("phi", "sealed", True)
    assert job.max_share_per_vendor == Decimal("60")
    assert job.bid_deadline.strftime(LOCAL) == data["bid_deadline"]
    assert [kind.pk for kind in job.required_attestations.all()] == data["required_attestations"]
    seats = list(job.seat_requirements.order_by("count"))
    assert [(s.count, s.note) for s in seats] == [(3, ""), (4, "Board certified")]
    shown = text(client.get(response.url))
    assert "Draft “Radiology report grading” saved." in shown


def test_posting_the_same_form_twice_creates_one_job(client, acme):
    client.force_login(acme.procurement)
    data = job_post()

    first = client.post(CREATE, data)
    second = client.post(CREATE, data)

    assert Job.objects.count() == 1
    assert SeatRequirement.objects.count() == 1
    assert first.status_code == second.status_code == 302
    assert second.url == first.url


def test_a_reviewer_may_not_post_jobs(client, acme):
    client.force_login(acme.reviewer)

    assert client.get(CREATE).status_code == 403
    assert client.post(CREATE, job_post()).status_code == 403
    assert not Job.objects.exists()


def test_a_deadline_out_of_order_is_shown_next_to_its_field_keeping_what_was_typed(client, acme):
    client.force_login(acme.procurement)
    now = timezone.now()
    data = job_post(
        seats=2,
        question_deadline=(now + timedelta(days=12)).strftime(LOCAL),
        title="Kept title",
    )
    data.update(seat_row(1, count="7", note="Kept note"))

    response = client.post(CREATE, data)

    assert response.status_code == 200
    assert not Job.objects.exists()
    assert (
        error_for(response, "id_question_deadline") == "Questions must close no later than bidding."
    )
    shown = values(response)
    assert shown["title"] == "Kept title"
    assert shown["question_deadline"] == data["question_deadline"]
    assert shown["required_attestations"] == [str(pk) for pk in data["required_attestations"]]
    assert (shown["seats-1-count"], shown["seats-1-note"]) == ("7", "Kept note")
    assert shown["seats-1-min_level"] == str(data["seats-1-min_level"])
    assert shown["seats-TOTAL_FORMS"] == "2"


def test_a_budget_below_its_minimum_is_refused_next_to_the_budget(client, acme):
    client.force_login(acme.procurement)

    response = client.post(CREATE, job_post(budget_min="30000", budget_max="20000"))

    assert not Job.objects.exists()
    assert "between 0 and the maximum" in error_for(response, "id_budget_min")


def test_missing_terms_are_reported_on_their_fields(client, acme):
    client.force_login(acme.procurement)

    response = client.post(CREATE, job_post(title="", bid_deadline="", seats=1))

    assert response.status_code == 200
    assert error_for(response, "id_title") == "This field is required."
    assert error_for(response, "id_bid_deadline") == "This field is required."
    assert not Job.objects.exists()


# --- The seat rows --------------------------------------------------------------------------


def test_add_another_seat_keeps_everything_typed_and_complains_of_nothing(client, acme):
    client.force_login(acme.procurement)
    data = job_post(title="Half-typed job", budget_max="")
    data["add_seat"] = "1"

    response = client.post(CREATE, data)

    assert response.status_code == 200
    assert not Job.objects.exists()
    shown = values(response)
    assert shown["seats-TOTAL_FORMS"] == "2"
    assert shown["title"] == "Half-typed job"
    assert shown["seats-0-count"] == "3"
    assert shown["seats-0-min_level"] == str(data["seats-0-min_level"])
    assert shown["seats-1-count"] == "" and shown["seats-1-kind"] == ""
    assert "This field is required." not in text(response)
    assert 'name="seats-1-kind" autofocus' in response.content.decode()


def test_htmx_adds_a_seat_row_in_place(client, acme):
    client.force_login(acme.procurement)
    data = job_post()
    data["add_seat"] = "1"

    response = client.post(CREATE, data, HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    assert 'id="seat-rows"' in response.content.decode()
    assert values(response)["seats-TOTAL_FORMS"] == "2"


def test_a_new_row_left_blank_is_skipped(client, acme):
    client.force_login(acme.procurement)
    data = job_post(seats=1, **management(2))
    data.update({"seats-1-kind": "", "seats-1-field": "", "seats-1-min_level": ""})

    response = client.post(CREATE, data)

    assert response.status_code == 302
    assert SeatRequirement.objects.count() == 1


def test_a_row_marked_for_removal_is_not_saved(client, acme):
    client.force_login(acme.procurement)
    data = job_post(seats=2)
    data.update(seat_row(1, count="9"))
    data["seats-1-DELETE"] = "on"

    client.post(CREATE, data)

    assert [seat.count for seat in SeatRequirement.objects.all()] == [3]


def test_a_half_filled_row_is_reported_on_its_fields(client, acme):
    client.force_login(acme.procurement)
    data = job_post(seats=1, **management(2))
    data.update({"seats-1-kind": "degree", "seats-1-count": "2"})

    response = client.post(CREATE, data)

    assert response.status_code == 200
    assert error_for(response, "id_seats-1-field") == "This field is required."
    assert values(response)["seats-1-kind"] == "degree"
    assert not Job.objects.exists()


def test_a_level_of_another_kind_is_refused_on_its_row(client, acme):
    client.force_login(acme.procurement)
    phd = degree_level()
    data = job_post()
    data.update(seat_row(0, min_level=phd, kind=CredentialKind.LICENCE))

    response = client.post(CREATE, data)

    assert response.status_code == 200
    assert "PHD is a degree level" in error_for(response, "id_seats-0-min_level")
    assert not Job.objects.exists()


def test_levels_are_offered_grouped_by_credential_kind(client, acme):
    degree_level()
    QualificationLevelFactory(code="rn", name="RN", kind="licence", ladder="nursing", rank=1)
    client.force_login(acme.procurement)

    content = client.get(CREATE).content.decode()

    assert '<optgroup label="Degree">' in content and '<optgroup label="Licence">' in content


# --- Edit -----------------------------------------------------------------------------------


@pytest.fixture
def draft(acme):
    job = JobFactory(lab=acme.lab, created_by=acme.procurement, title="Old title")
    SeatRequirementFactory(job=job, count=2, note="First")
    SeatRequirementFactory(job=job, count=5, field=CredentialFieldFactory(code="nursing"))
    return job


def test_the_edit_form_shows_the_draft_as_it_is(client, acme, draft):
    client.force_login(acme.owner)

    response = client.get(edit_url(draft))

    shown = values(response)
    assert shown["title"] == "Old title"
    assert shown["bid_deadline"] == timezone.localtime(draft.bid_deadline).strftime(LOCAL)
    assert shown["seats-TOTAL_FORMS"] == "2"
    assert (shown["seats-0-count"], shown["seats-0-note"], shown["seats-0-kind"]) == (
        "2",
        "First",
        "licence",
    )
    assert shown["seats-1-count"] == "5"
    assert "Save changes" in text(response)


def test_saving_an_edit_changes_the_terms_and_replaces_the_seats(client, acme, draft):
    client.force_login(acme.procurement)
    data = job_post(seats=2, title="New title", **{"seats-0-count": "6"})
    data["seats-1-DELETE"] = "on"

    response = client.post(edit_url(draft), data)

    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.title == "New title" and draft.status == JobStatus.DRAFT
    assert [seat.count for seat in draft.seat_requirements.all()] == [6]
    assert "Changes to “New title” saved." in text(client.get(response.url))


def test_an_edit_refused_by_the_rules_changes_nothing(client, acme, draft):
    client.force_login(acme.procurement)
    data = job_post(title="New title", budget_min="90000")

    response = client.post(edit_url(draft), data)

    assert response.status_code == 200
    draft.refresh_from_db()
    assert draft.title == "Old title" and draft.seat_requirements.count() == 2
    assert values(response)["title"] == "New title"


def test_only_a_draft_can_be_edited(client, acme):
    job = make_open_job(acme)
    client.force_login(acme.procurement)

    response = client.get(edit_url(job), follow=True)

    assert "Only a draft job can be edited." in text(response)
    assert client.post(edit_url(job), job_post(title="Changed")).status_code == 302
    job.refresh_from_db()
    assert job.title != "Changed"


def test_a_reviewer_may_not_edit(client, acme, draft):
    client.force_login(acme.reviewer)

    assert client.get(edit_url(draft)).status_code == 403
    assert client.post(edit_url(draft), job_post(title="Changed")).status_code == 403


def test_an_edit_sent_twice_saves_once(client, acme, draft):
    client.force_login(acme.procurement)
    data = job_post(title="Twice", form_token=token())

    first = client.post(edit_url(draft), data)
    second = client.post(edit_url(draft), data)

    assert first.status_code == second.status_code == 302
    assert draft.seat_requirements.count() == 1
