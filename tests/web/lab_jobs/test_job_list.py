"""The lab's job list: its own jobs only, filtered by stage, a page at a time."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.exchange.helpers import start_evaluation
from tests.factories import JobFactory, SeatRequirementFactory
from tests.plugins.personas import make_open_job
from tests.web.lab_jobs.helpers import text

pytestmark = pytest.mark.django_db

URL = reverse("lab:jobs")
# Session, user, membership, lab, header, permission, page count, jobs and their
# prefetched seats (field, level) and attestations.
BUDGET = 13


@pytest.fixture
def jobs(acme):
    """One of Acme's jobs at each stage of the filter."""
    made = {
        "draft": JobFactory(lab=acme.lab, created_by=acme.procurement, title="Draft job"),
        "open": make_open_job(acme, title="Open job"),
        "evaluation": start_evaluation(make_open_job(acme, title="Evaluated job")),
        "awarded": JobFactory(
            lab=acme.lab, created_by=acme.procurement, title="Awarded job", status="awarded"
        ),
        "cancelled": JobFactory(
            lab=acme.lab, created_by=acme.procurement, title="Cancelled job", status="cancelled"
        ),
        "completed": JobFactory(
            lab=acme.lab, created_by=acme.procurement, title="Completed job", status="completed"
        ),
    }
    return made


def test_the_list_shows_the_labs_jobs_linked_to_their_pages(client, acme, rival, jobs):
    JobFactory(lab=rival.lab, created_by=rival.procurement, title="Rival secret job")
    client.force_login(acme.reviewer)

    response = client.get(URL)

    assert response.status_code == 200
    shown = text(response)
    for job in jobs.values():
        assert job.title in shown
        assert reverse("lab:job_detail", args=[job.pk]) in response.content.decode()
    assert "Rival secret job" not in shown


@pytest.mark.parametrize(
    ("stage", "expected"),
    [
        ("draft", {"Draft job"}),
        ("open", {"Open job"}),
        ("evaluation", {"Evaluated job"}),
        ("awarded", {"Awarded job"}),
        ("closed", {"Cancelled job", "Completed job"}),
        (
            "",
            {
                "Draft job",
                "Open job",
                "Evaluated job",
                "Awarded job",
                "Cancelled job",
                "Completed job",
            },
        ),
    ],
)
def test_the_status_filter_narrows_the_list(client, acme, jobs, stage, expected):
    client.force_login(acme.procurement)

    shown = text(client.get(URL, {"status": stage}))

    titles = {job.title for job in jobs.values()}
    assert {title for title in titles if title in shown} == expected


def test_a_filter_matching_nothing_says_so(client, acme):
    JobFactory(lab=acme.lab, created_by=acme.procurement)
    client.force_login(acme.procurement)

    shown = text(client.get(URL, {"status": "awarded"}))

    assert "No jobs match this filter." in shown


def test_a_lab_without_jobs_is_invited_to_post_one(client, acme):
    client.force_login(acme.procurement)

    response = client.get(URL)

    assert "You have not posted a job yet." in text(response)
    assert reverse("lab:job_create") in response.content.decode()


def test_the_post_a_job_button_is_for_those_who_may_post(client, acme):
    client.force_login(acme.procurement)
    assert "Post a job" in text(client.get(URL))

    client.force_login(acme.reviewer)
    assert "Post a job" not in text(client.get(URL))


def test_the_list_is_paginated_keeping_the_filter(client, acme):
    for n in range(25):
        JobFactory(lab=acme.lab, created_by=acme.procurement, title=f"Bulk job {n:02d}")
    client.force_login(acme.procurement)

    first = client.get(URL, {"status": "draft"})
    second = client.get(URL, {"status": "draft", "page": 2})

    assert "Page 1 of 2" in text(first)
    assert "?status=draft&amp;page=2" in first.content.decode()
    assert "Bulk job 24" in text(first) and "Bulk job 04" not in text(first)
    assert "Bulk job 04" in text(second) and "Bulk job 00" in text(second)


def _jobs_with_seats(acme, n):
    for _ in range(n):
        job = JobFactory(lab=acme.lab, created_by=acme.procurement)
        SeatRequirementFactory.create_batch(2, job=job)


def test_the_list_keeps_to_its_query_budget_however_many_rows(
    client, acme, django_assert_max_num_queries
):
    client.force_login(acme.procurement)
    _jobs_with_seats(acme, 2)
    with CaptureQueriesContext(connection) as few:
        client.get(URL)

    _jobs_with_seats(acme, 15)
    with django_assert_max_num_queries(BUDGET), CaptureQueriesContext(connection) as many:
        response = client.get(URL)

    assert len(response.context["jobs"]) == 17
    assert len(many) == len(few)
