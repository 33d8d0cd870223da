"""Who reaches the lab's job pages: signed-in members of the lab only. Anonymous people
are sent to sign in, vendors and other labs get the same 404 as a missing page, and
moves are POST only."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.shortcuts import resolve_url
from django.urls import reverse

from labs.models import JobStatus
from tests.factories import JobFactory
from tests.plugins.personas import make_open_job
from tests.web.lab_jobs.helpers import ask, job_post, token

pytestmark = pytest.mark.django_db

PAGES = ["lab:dashboard", "lab:jobs", "lab:job_create"]
JOB_PAGES = ["lab:job_detail", "lab:job_edit", "lab:job_invitations"]
JOB_MOVES = ["lab:job_publish", "lab:job_close", "lab:job_cancel", "lab:job_unsuccessful"]


@pytest.fixture
def acme_jobs(acme, medix):
    draft = JobFactory(lab=acme.lab, created_by=acme.procurement)
    job = make_open_job(acme)
    question = ask(job, medix)
    return draft, job, question


def all_urls(draft, job, question):
    urls = [reverse(name) for name in PAGES]
    urls += [reverse(name, args=[draft.pk]) for name in JOB_PAGES]
    urls += [reverse(name, args=[job.pk]) for name in JOB_MOVES]
    urls.append(reverse("lab:question_answer", args=[question.pk]))
    return urls


def test_anonymous_people_are_sent_to_sign_in(client, acme_jobs):
    for url in all_urls(*acme_jobs):
        response = client.get(url)

        assert response.status_code == 302, url
        assert response.url.startswith(resolve_url(settings.LOGIN_URL)), url


def test_a_vendor_finds_no_lab_pages(client, medix, acme_jobs):
    client.force_login(medix.owner)

    for url in all_urls(*acme_jobs):
        assert client.get(url).status_code == 404, url
        assert client.post(url, {"form_token": token()}).status_code == 404, url


def test_another_lab_finds_none_of_acmes_jobs_on_any_route(client, rival, acme_jobs):
    draft, job, question = acme_jobs
    client.force_login(rival.owner)
    pages = [reverse(name, args=[draft.pk]) for name in JOB_PAGES]
    posts = [reverse("lab:job_edit", args=[draft.pk])]
    posts += [reverse(name, args=[job.pk]) for name in JOB_MOVES]
    posts.append(reverse("lab:question_answer", args=[question.pk]))

    for url in pages:
        assert client.get(url, HTTP_HX_REQUEST="true").status_code == 404, url
    for url in posts:
        response = client.post(
            url,
            {
                **job_post(title="Taken over"),
                "cancel-reason": "Mine now",
                "unsuccessful-reason": "Mine",
                f"q{question.pk}-answer": "Leaked",
            },
        )
        assert response.status_code == 404, url

    draft.refresh_from_db()
    job.refresh_from_db()
    question.refresh_from_db()
    assert draft.status == JobStatus.DRAFT and draft.title != "Taken over"
    assert job.status == JobStatus.OPEN
    assert question.answered_at is None


def test_another_labs_pages_show_none_of_acmes_jobs(client, rival, acme_jobs):
    draft, job, _ = acme_jobs
    client.force_login(rival.owner)

    for url in (reverse("lab:dashboard"), reverse("lab:jobs")):
        content = client.get(url).content.decode()
        assert draft.title not in content and job.title not in content


def test_moves_are_post_only(client, acme, acme_jobs):
    _, job, question = acme_jobs
    client.force_login(acme.owner)

    for name in JOB_MOVES:
        assert client.get(reverse(name, args=[job.pk])).status_code == 405, name
    assert client.get(reverse("lab:question_answer", args=[question.pk])).status_code == 405
