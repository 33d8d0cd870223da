"""Lab extras over the API: seats of a draft, questions, invitations, competitors and the
conflict policy. Tenancy (another lab gets 404), roles, happy paths, query budgets."""

from __future__ import annotations

from decimal import Decimal

from labs.models import Competitor, ConflictPolicy
from marketplace.exchange.models import Invitation
from marketplace.exchange.services.questions import question_ask
from marketplace.ownership.models import Entity
from tests.api.conftest import session_client
from tests.api.query_budget import queries_for
from tests.factories import (
    CredentialFieldFactory,
    EntityFactory,
    JobFactory,
    QualificationLevelFactory,
    SeatRequirementFactory,
    VendorFactory,
)


def seat_body() -> dict:
    return {
        "count": 3,
        "field": CredentialFieldFactory().code,
        "min_level": QualificationLevelFactory().code,
    }


# --- Seats --------------------------------------------------------------------------------


def test_seats_are_added_to_and_removed_from_a_draft(db, acme, acme_key):
    draft = JobFactory(lab=acme.lab, created_by=acme.procurement)
    url = f"/api/v1/lab/jobs/{draft.pk}/seats/"
    body = seat_body()
    response = acme_key.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="seat-1")
    assert response.status_code == 201, response.json()
    seat_id = response.json()["id"]
    assert response.json()["count"] == 3
    replay = acme_key.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="seat-1")
    assert (replay.status_code, replay["Idempotent-Replayed"]) == (201, "true")
    assert draft.seat_requirements.count() == 1
    assert [s["id"] for s in acme_key.get(url).json()["results"]] == [seat_id]
    assert acme_key.delete(f"{url}{seat_id}/").status_code == 204
    assert not draft.seat_requirements.exists()


def test_seats_of_an_open_job_are_fixed(db, acme, acme_key, open_job):
    seat = open_job.seat_requirements.first()
    url = f"/api/v1/lab/jobs/{open_job.pk}/seats/"
    assert acme_key.post(url, seat_body(), format="json").status_code == 409
    assert acme_key.delete(f"{url}{seat.pk}/").status_code == 409


def test_a_reviewer_reads_seats_but_may_not_change_them(db, acme):
    draft = JobFactory(lab=acme.lab, created_by=acme.procurement)
    seat = SeatRequirementFactory(job=draft)
    client = session_client(acme.reviewer)
    url = f"/api/v1/lab/jobs/{draft.pk}/seats/"
    assert client.get(url).status_code == 200
    assert client.post(url, seat_body(), format="json").status_code == 403
    assert client.delete(f"{url}{seat.pk}/").status_code == 403


def test_another_labs_key_gets_404_for_seats(db, acme, rival, rival_key):
    draft = JobFactory(lab=acme.lab, created_by=acme.procurement)
    seat = SeatRequirementFactory(job=draft)
    url = f"/api/v1/lab/jobs/{draft.pk}/seats/"
    assert rival_key.get(url).status_code == 404
    assert rival_key.post(url, seat_body(), format="json").status_code == 404
    assert rival_key.delete(f"{url}{seat.pk}/").status_code == 404
    # A seat id under a job of the caller's own lab is still not found.
    own = JobFactory(lab=rival.lab, created_by=rival.procurement)
    assert rival_key.delete(f"/api/v1/lab/jobs/{own.pk}/seats/{seat.pk}/").status_code == 404
    assert draft.seat_requirements.count() == 1


def test_seat_list_queries_do_not_grow(db, acme, acme_key):
    draft = JobFactory(lab=acme.lab, created_by=acme.procurement)
    SeatRequirementFactory.create_batch(3, job=draft)
    three = queries_for(acme_key, f"/api/v1/lab/jobs/{draft.pk}/seats/")
    SeatRequirementFactory.create_batch(7, job=draft)
    assert queries_for(acme_key, f"/api/v1/lab/jobs/{draft.pk}/seats/") == three <= 10


# --- Questions ----------------------------------------------------------------------------


def test_the_lab_reads_and_answers_questions_without_the_asker(db, acme, medix, acme_key, open_job):
    question = question_ask(
        job=open_job, vendor=medix.vendor, user=medix.bid_manager, body="Which guideline?"
    )
    listed = acme_key.get(f"/api/v1/lab/jobs/{open_job.pk}/questions/").json()["results"]
    assert [q["body"] for q in listed] == ["Which guideline?"]
    assert not {"asked_by", "asked_by_vendor", "vendor"} & set(listed[0])
    assert medix.vendor.organisation.name not in str(listed)
    response = acme_key.post(
        f"/api/v1/lab/questions/{question.pk}/answer/", {"answer": "2024"}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert response.json()["answer"] == "2024"
    unanswered = acme_key.get(f"/api/v1/lab/jobs/{open_job.pk}/questions/?answered=false")
    assert unanswered.json()["results"] == []


def test_another_labs_key_gets_404_for_questions(db, medix, rival_key, open_job):
    question = question_ask(job=open_job, vendor=medix.vendor, user=medix.owner, body="Q?")
    assert rival_key.get(f"/api/v1/lab/jobs/{open_job.pk}/questions/").status_code == 404
    response = rival_key.post(
        f"/api/v1/lab/questions/{question.pk}/answer/", {"answer": "x"}, format="json"
    )
    assert response.status_code == 404
    question.refresh_from_db()
    assert question.answer == ""


def test_a_vendor_may_not_answer(db, medix, open_job):
    question = question_ask(job=open_job, vendor=medix.vendor, user=medix.owner, body="Q?")
    client = session_client(medix.owner)
    response = client.post(
        f"/api/v1/lab/questions/{question.pk}/answer/", {"answer": "x"}, format="json"
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "wrong_organisation_kind"


def test_question_list_queries_do_not_grow(db, acme, acme_key, open_job):
    def ask(n: int) -> None:
        for _ in range(n):
            team_vendor = VendorFactory()
            from marketplace.exchange.models import Question

            Question.objects.create(
                job=open_job, asked_by_vendor=team_vendor, asked_by=acme.owner, body="Q"
            )

    ask(3)
    three = queries_for(acme_key, f"/api/v1/lab/jobs/{open_job.pk}/questions/")
    ask(7)
    assert queries_for(acme_key, f"/api/v1/lab/jobs/{open_job.pk}/questions/") == three <= 10


# --- Invitations --------------------------------------------------------------------------


def invite(job, n: int, start: int = 1) -> None:  # type: ignore[no-untyped-def]
    for i in range(n):
        Invitation.objects.create(
            job=job, vendor=VendorFactory(), rank=start + i, score=Decimal("0.5"), reasons=["Fit"]
        )


def test_the_lab_reads_invitations_best_first(db, acme_key, open_job):
    invite(open_job, 3)
    results = acme_key.get(f"/api/v1/lab/jobs/{open_job.pk}/invitations/").json()["results"]
    assert [r["rank"] for r in results] == [1, 2, 3]
    assert set(results[0]) >= {"vendor_name", "score", "reasons", "rank"}


def test_another_labs_key_gets_404_for_invitations(db, rival_key, open_job):
    invite(open_job, 1)
    assert rival_key.get(f"/api/v1/lab/jobs/{open_job.pk}/invitations/").status_code == 404


def test_invitation_list_queries_do_not_grow(db, acme_key, open_job):
    invite(open_job, 3)
    three = queries_for(acme_key, f"/api/v1/lab/jobs/{open_job.pk}/invitations/")
    invite(open_job, 7, start=4)
    assert queries_for(acme_key, f"/api/v1/lab/jobs/{open_job.pk}/invitations/") == three <= 10


# --- Competitors --------------------------------------------------------------------------


def test_competitors_by_record_id_or_new_name(db, acme, acme_key):
    existing = EntityFactory(name="Rival Holdings")
    by_id = acme_key.post(
        "/api/v1/lab/competitors/", {"record_id": existing.record_id}, format="json"
    )
    assert by_id.status_code == 201, by_id.json()
    by_name = acme_key.post("/api/v1/lab/competitors/", {"name": "Brand New AI"}, format="json")
    assert by_name.status_code == 201, by_name.json()
    assert Entity.objects.filter(name="Brand New AI").count() == 1
    names = [
        c["entity"]["name"] for c in acme_key.get("/api/v1/lab/competitors/").json()["results"]
    ]
    assert names == ["Brand New AI", "Rival Holdings"]
    both = acme_key.post(
        "/api/v1/lab/competitors/", {"record_id": existing.record_id, "name": "x"}, format="json"
    )
    assert both.status_code == 400
    unknown = acme_key.post("/api/v1/lab/competitors/", {"record_id": "nope"}, format="json")
    assert unknown.status_code == 400
    assert acme_key.delete(f"/api/v1/lab/competitors/{by_id.json()['id']}/").status_code == 204
    assert Competitor.objects.filter(lab=acme.lab).count() == 1


def test_a_reviewer_may_not_name_competitors_and_leaves_no_entity(db, acme):
    client = session_client(acme.reviewer)
    response = client.post("/api/v1/lab/competitors/", {"name": "Ghost Corp"}, format="json")
    assert response.status_code == 403
    assert not Entity.objects.filter(name="Ghost Corp").exists()
    competitor = Competitor.objects.create(lab=acme.lab, entity=EntityFactory())
    assert client.delete(f"/api/v1/lab/competitors/{competitor.pk}/").status_code == 403
    assert client.get("/api/v1/lab/competitors/").status_code == 200


def test_another_labs_key_gets_404_for_a_competitor(db, acme, rival_key):
    competitor = Competitor.objects.create(lab=acme.lab, entity=EntityFactory())
    assert rival_key.delete(f"/api/v1/lab/competitors/{competitor.pk}/").status_code == 404
    assert rival_key.get("/api/v1/lab/competitors/").json()["results"] == []
    assert Competitor.objects.filter(pk=competitor.pk).exists()


def test_competitor_list_queries_do_not_grow(db, acme, acme_key):
    def add(n: int) -> None:
        for _ in range(n):
            Competitor.objects.create(lab=acme.lab, entity=EntityFactory())

    add(3)
    three = queries_for(acme_key, "/api/v1/lab/competitors/")
    add(7)
    assert queries_for(acme_key, "/api/v1/lab/competitors/") == three <= 10


# --- Conflict policy ----------------------------------------------------------------------


def test_the_owner_edits_the_conflict_policy(db, acme):
    client = session_client(acme.owner)
    response = client.patch(
        "/api/v1/lab/conflict-policy/",
        {"block_percent": "25", "review_percent": "10", "lookback_months": 24},
        format="json",
    )
    assert response.status_code == 200, response.json()
    policy = ConflictPolicy.objects.get(lab=acme.lab)
    assert (policy.block_percent, policy.lookback_months) == (Decimal("25"), 24)
    assert client.get("/api/v1/lab/conflict-policy/").json()["lookback_months"] == 24
    bad = client.patch("/api/v1/lab/conflict-policy/", {"review_percent": "30"}, format="json")
    assert bad.status_code == 400


def test_procurement_reads_but_may_not_edit_the_policy(db, acme):
    client = session_client(acme.procurement)
    assert client.get("/api/v1/lab/conflict-policy/").status_code == 200
    response = client.patch("/api/v1/lab/conflict-policy/", {"lookback_months": 1}, format="json")
    assert response.status_code == 403


def test_each_lab_sees_only_its_own_policy(db, acme, rival, rival_key):
    ConflictPolicy.objects.filter(lab=acme.lab).update(lookback_months=99)
    ConflictPolicy.objects.get_or_create(lab=rival.lab)
    rival_key.patch("/api/v1/lab/conflict-policy/", {"lookback_months": 3}, format="json")
    assert rival_key.get("/api/v1/lab/conflict-policy/").json()["lookback_months"] == 3
    assert ConflictPolicy.objects.get(lab=acme.lab).lookback_months == 99
