"""Vendor extras over the API: questions on a job, invitations, and the ownership
declaration (stakes, ending them, BODS upload). Tenancy, roles, happy paths, budgets."""

from __future__ import annotations

import json
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile

from labs.models import Visibility
from marketplace.exchange.models import Invitation, Question
from marketplace.exchange.services.questions import question_ask
from marketplace.ownership.models import Entity, Provenance, Stake
from tests.api.conftest import session_client
from tests.api.query_budget import queries_for
from tests.factories import EntityFactory, StakeFactory
from tests.ownership.test_bods_import import company, relationship, shareholding
from tests.plugins.personas import make_open_job

# --- Questions ----------------------------------------------------------------------------


def test_vendors_see_all_questions_and_answers_but_never_the_asker(
    db, medix, mathly, medix_key, mathly_key, open_job
):
    question_ask(job=open_job, vendor=mathly.vendor, user=mathly.owner, body="Mathly asks")
    url = f"/api/v1/vendor/jobs/{open_job.pk}/questions/"
    response = medix_key.post(url, {"body": "Medix asks"}, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["asked_by_you"] is True
    results = medix_key.get(url).json()["results"]
    assert [(q["body"], q["asked_by_you"]) for q in results] == [
        ("Mathly asks", False),
        ("Medix asks", True),
    ]
    assert not {"asked_by", "asked_by_vendor", "vendor"} & set(results[0])
    assert mathly.vendor.organisation.name not in str(results)
    theirs = mathly_key.get(url).json()["results"]
    assert [q["asked_by_you"] for q in theirs] == [True, False]


def test_a_vendor_gets_404_for_a_job_it_cannot_see(db, acme, medix, mathly_key):
    private = make_open_job(acme, visibility=Visibility.INVITED)
    Invitation.objects.create(job=private, vendor=medix.vendor, rank=1, score=Decimal("1"))
    question_ask(job=private, vendor=medix.vendor, user=medix.owner, body="Secret?")
    url = f"/api/v1/vendor/jobs/{private.pk}/questions/"
    assert mathly_key.get(url).status_code == 404
    assert mathly_key.post(url, {"body": "Me too?"}, format="json").status_code == 404
    assert Question.objects.filter(job=private).count() == 1


def test_a_lab_may_not_ask(db, acme, open_job):
    client = session_client(acme.owner)
    response = client.post(
        f"/api/v1/vendor/jobs/{open_job.pk}/questions/", {"body": "x"}, format="json"
    )
    assert response.status_code == 403


def test_vendor_question_list_queries_do_not_grow(db, medix, medix_key, open_job):
    def ask(n: int) -> None:
        for _ in range(n):
            Question.objects.create(
                job=open_job, asked_by_vendor=medix.vendor, asked_by=medix.owner, body="Q"
            )

    ask(3)
    three = queries_for(medix_key, f"/api/v1/vendor/jobs/{open_job.pk}/questions/")
    ask(7)
    assert queries_for(medix_key, f"/api/v1/vendor/jobs/{open_job.pk}/questions/") == three <= 10


# --- Invitations --------------------------------------------------------------------------


def test_a_vendor_sees_only_its_own_invitations(db, acme, medix, mathly, medix_key, mathly_key):
    job = make_open_job(acme)
    Invitation.objects.create(job=job, vendor=medix.vendor, rank=1, score=Decimal("0.9"))
    results = medix_key.get("/api/v1/vendor/invitations/").json()["results"]
    assert [r["job"] for r in results] == [job.pk]
    assert "rank" not in results[0] and "score" not in results[0]
    assert mathly_key.get("/api/v1/vendor/invitations/").json()["results"] == []


def test_vendor_invitation_list_queries_do_not_grow(db, acme, medix, medix_key):
    def invite(n: int) -> None:
        for _ in range(n):
            job = make_open_job(acme)
            Invitation.objects.create(job=job, vendor=medix.vendor, rank=1, score=Decimal("1"))

    invite(3)
    three = queries_for(medix_key, "/api/v1/vendor/invitations/")
    invite(7)
    assert queries_for(medix_key, "/api/v1/vendor/invitations/") == three <= 10


# --- Stakes -------------------------------------------------------------------------------


def declare(client, **overrides):  # type: ignore[no-untyped-def]
    body = {"interested_party_name": "Seed Fund LP", "interest_type": "shareholding"}
    body |= {"share_exact": "12.5"} | overrides
    return client.post("/api/v1/vendor/stakes/", body, format="json")


def test_the_owner_declares_and_ends_a_stake(db, medix, medix_key):
    response = declare(medix_key, provenance="verified", declared_at="2000-01-01")
    assert response.status_code == 201, response.json()
    stake = Stake.objects.get(pk=response.json()["id"])
    assert stake.subject == medix.vendor.entity
    assert stake.provenance == Provenance.SELF_DECLARED  # not settable by the caller
    assert stake.interested_party.source == f"vendor:{medix.vendor.organisation.slug}"
    existing = EntityFactory()
    by_id = declare(
        medix_key, interested_party_name=None, interested_party_record_id=existing.record_id
    )
    # A null name is "given": both given is refused.
    assert by_id.status_code == 400
    body = {
        "interested_party_record_id": existing.record_id,
        "interest_type": "votingRights",
    }
    assert medix_key.post("/api/v1/vendor/stakes/", body, format="json").status_code == 201
    # Upstream: a stake in the entity the vendor declared.
    upstream = declare(medix_key, subject_record_id=stake.interested_party.record_id)
    assert upstream.status_code == 201, upstream.json()
    assert len(medix_key.get("/api/v1/vendor/stakes/").json()["results"]) == 3
    ended = medix_key.post(
        f"/api/v1/vendor/stakes/{stake.pk}/end/", {"end_date": "2030-01-01"}, format="json"
    )
    assert ended.status_code == 200, ended.json()
    assert ended.json()["end_date"] == "2030-01-01"


def test_a_bid_manager_reads_but_may_not_change_the_declaration(db, medix):
    client = session_client(medix.bid_manager)
    stake = StakeFactory(subject=medix.vendor.entity)
    assert client.get("/api/v1/vendor/stakes/").status_code == 200
    assert declare(client).status_code == 403
    assert not Entity.objects.filter(name="Seed Fund LP").exists()
    url = f"/api/v1/vendor/stakes/{stake.pk}/end/"
    assert client.post(url, {"end_date": "2030-01-01"}, format="json").status_code == 403
    upload = SimpleUploadedFile("o.json", b"[]", content_type="application/json")
    assert client.post("/api/v1/vendor/bods/", {"file": upload}).status_code == 403


def test_another_vendor_gets_404_for_a_stake_and_cannot_declare_into_it(db, medix, mathly_key):
    stake = StakeFactory(subject=medix.vendor.entity)
    url = f"/api/v1/vendor/stakes/{stake.pk}/end/"
    assert mathly_key.post(url, {"end_date": "2030-01-01"}, format="json").status_code == 404
    assert mathly_key.get("/api/v1/vendor/stakes/").json()["results"] == []
    into_medix = declare(mathly_key, subject_record_id=medix.vendor.entity.record_id)
    assert into_medix.status_code == 404
    stake.refresh_from_db()
    assert stake.end_date is None


def test_imported_stakes_are_not_ended_by_the_vendor(db, medix, medix_key):
    stake = StakeFactory(subject=medix.vendor.entity, provenance=Provenance.IMPORTED)
    url = f"/api/v1/vendor/stakes/{stake.pk}/end/"
    assert medix_key.post(url, {"end_date": "2030-01-01"}, format="json").status_code == 403


def test_stake_list_queries_do_not_grow(db, medix, medix_key):
    StakeFactory.create_batch(3, subject=medix.vendor.entity)
    three = queries_for(medix_key, "/api/v1/vendor/stakes/")
    StakeFactory.create_batch(7, subject=medix.vendor.entity)
    assert queries_for(medix_key, "/api/v1/vendor/stakes/") == three <= 10


# --- BODS upload --------------------------------------------------------------------------


def bods_file(statements: list[dict], name: str = "ownership.json") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, json.dumps(statements).encode(), "application/json")


def test_the_owner_uploads_a_bods_file(db, medix, medix_key):
    record = medix.vendor.entity.record_id
    statements = [
        company("fund-1", "Upload Fund"),
        relationship("rel-1", record, "fund-1", [shareholding(30)]),
    ]
    response = medix_key.post("/api/v1/vendor/bods/", {"file": bods_file(statements)})
    assert response.status_code == 200, response.json()
    assert response.json()["stakes_created"] == 1
    fund = Entity.objects.get(record_id="fund-1")
    assert fund.source == f"vendor:{medix.vendor.organisation.slug}"
    results = medix_key.get("/api/v1/vendor/stakes/").json()["results"]
    assert [r["interested_party"]["name"] for r in results] == ["Upload Fund"]


def test_a_bods_file_cannot_declare_stakes_in_another_vendor(db, medix, mathly, medix_key):
    other = mathly.vendor.entity
    statements = [
        company("fund-2", "Sneaky Fund"),
        relationship("rel-2", other.record_id, "fund-2", [shareholding(60)]),
    ]
    response = medix_key.post("/api/v1/vendor/bods/", {"file": bods_file(statements)})

    assert response.status_code == 400
    assert "not yours to declare" in response.json()["error"]["message"]
    assert not Entity.objects.filter(record_id="fund-2").exists()
    assert not other.stakes_in.exists()


def test_a_bods_file_cannot_rename_another_vendors_entity(db, mathly, medix_key):
    other = mathly.vendor.entity
    response = medix_key.post(
        "/api/v1/vendor/bods/", {"file": bods_file([company(other.record_id, "Renamed")])}
    )

    assert response.status_code == 400
    assert "not yours to change" in response.json()["error"]["message"]
    other.refresh_from_db()
    assert other.name == mathly.vendor.organisation.name


def test_a_bad_bods_file_is_a_400_naming_the_statement(db, medix_key):
    bad = company("x-1", "X")
    del bad["recordDetails"]
    response = medix_key.post("/api/v1/vendor/bods/", {"file": bods_file([bad])})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "bods_invalid"
    assert "recordDetails" in error["message"] and "statementId" in error["message"]
    assert not Entity.objects.filter(record_id="x-1").exists()


def test_a_bods_file_over_the_limit_is_refused(db, medix_key, settings):
    from vendors import services

    settings.DEBUG = False
    big = SimpleUploadedFile("big.json", b" " * 2048, "application/json")
    original = services.BODS_UPLOAD_MAX_BYTES
    services.BODS_UPLOAD_MAX_BYTES = 1024
    try:
        response = medix_key.post("/api/v1/vendor/bods/", {"file": big})
    finally:
        services.BODS_UPLOAD_MAX_BYTES = original
    assert response.status_code == 400
    assert "larger than" in response.json()["error"]["message"]
