"""Roster import over the API: upload a CSV (202 with a progress URL), then poll the
import until it is done. Tasks run eagerly in tests, once the upload commits."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.api.conftest import key_client, session_client
from tests.api.query_budget import queries_for
from tests.factories import CredentialFieldFactory, QualificationLevelFactory
from vendors import services
from vendors.models import RosterImport

pytestmark = pytest.mark.django_db
API = "/api/v1"
HEADER = ",".join(services.ROSTER_COLUMNS)
ROW = (
    "Dr Amara Okafor,amara.okafor@example.test,medicine,md,Medical Board,A-100001,"
    "2020-07-01,2028-06-30"
)
BAD_ROW = "Jonah Whitfield,jonah@example.test,nursing,rn,NMC,19I-0457,2020-01-01,2019-01-01"


@pytest.fixture(autouse=True)
def setup(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path
    CredentialFieldFactory(code="medicine")
    CredentialFieldFactory(code="nursing")
    QualificationLevelFactory(code="md", ladder="physician", rank=1)
    QualificationLevelFactory(code="rn", ladder="nursing", rank=2)


def roster_file(*rows: str, name: str = "my roster.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, "\n".join([HEADER, *rows]).encode(), "text/csv")


def upload(client, capture, *rows: str, **form: Any):  # type: ignore[no-untyped-def]
    with capture(execute=True):
        return client.post(
            f"{API}/vendor/roster-imports/",
            {"file": roster_file(*rows), **form},
            format="multipart",
        )


def test_upload_then_poll_until_done(medix, medix_key, django_capture_on_commit_callbacks):
    response = upload(medix_key, django_capture_on_commit_callbacks, ROW)

    assert response.status_code == 202, response.json()
    body = response.json()
    assert body["total_rows"] == 1
    assert body["progress"].endswith(f"/api/v1/vendor/roster-imports/{body['id']}/")
    assert response["Location"] == body["progress"]
    progress = medix_key.get(body["progress"]).json()
    assert progress["status"] == "done"
    assert (progress["total_rows"], progress["rows_done"], progress["rows_created"]) == (1, 1, 1)
    assert progress["percent_done"] == 100
    assert progress["errors"] == []
    stored = RosterImport.objects.get(pk=body["id"]).file.name
    assert stored == f"roster-imports/{medix.vendor.pk}/{body['id']}.csv"


def test_a_wrong_row_fails_the_import_with_its_errors(
    medix_key, django_capture_on_commit_callbacks
):
    body = upload(medix_key, django_capture_on_commit_callbacks, ROW, BAD_ROW).json()

    progress = medix_key.get(f"{API}/vendor/roster-imports/{body['id']}/").json()
    assert progress["status"] == "failed"
    assert progress["rows_created"] == 0
    assert [(e["row"], e["column"]) for e in progress["errors"]] == [(3, "expires_on")]


def test_valid_rows_only_imports_the_good_rows(medix_key, django_capture_on_commit_callbacks):
    body = upload(
        medix_key, django_capture_on_commit_callbacks, ROW, BAD_ROW, valid_rows_only="true"
    ).json()

    progress = medix_key.get(f"{API}/vendor/roster-imports/{body['id']}/").json()
    assert (progress["status"], progress["rows_created"], progress["valid_rows_only"]) == (
        "done",
        1,
        True,
    )


def test_a_bid_manager_may_import(medix, django_capture_on_commit_callbacks):
    response = upload(session_client(medix.bid_manager), django_capture_on_commit_callbacks, ROW)
    assert response.status_code == 202


def test_a_file_without_the_roster_header_is_refused_at_once(medix, medix_key):
    bad = SimpleUploadedFile("r.csv", b"name,email\nA,a@example.test\n", "text/csv")
    response = medix_key.post(f"{API}/vendor/roster-imports/", {"file": bad}, format="multipart")

    assert response.status_code == 400
    assert "file" in response.json()["error"]["fields"]
    assert not RosterImport.objects.exists()


def test_a_read_key_cannot_upload(medix):
    client = key_client(medix.vendor.organisation, "read")
    response = client.post(
        f"{API}/vendor/roster-imports/", {"file": roster_file(ROW)}, format="multipart"
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "read_only_key"


def test_another_vendors_import_answers_404(
    medix, mathly, medix_key, django_capture_on_commit_callbacks
):
    body = upload(medix_key, django_capture_on_commit_callbacks, ROW).json()
    other = key_client(mathly.vendor.organisation)

    assert other.get(f"{API}/vendor/roster-imports/{body['id']}/").status_code == 404
    assert other.get(f"{API}/vendor/roster-imports/").json()["count"] == 0
    assert medix_key.get(f"{API}/vendor/roster-imports/").json()["count"] == 1


def test_roster_import_list_query_budget(medix, medix_key):
    def add(n: int) -> None:
        for _ in range(n):
            RosterImport.objects.create(vendor=medix.vendor, uploaded_by=medix.owner, total_rows=1)

    add(3)
    three = queries_for(medix_key, f"{API}/vendor/roster-imports/")
    add(7)
    assert queries_for(medix_key, f"{API}/vendor/roster-imports/?status=pending") == three <= 10
