"""Roster CSV import in the browser: upload (vendors.services.roster_import_start), then
the import's page with its progress bar, polled by htmx until the import has finished,
and the per-row problems at the end. Tasks run in-process once the upload commits."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from tests.web.vendors.conftest import queries_for, signed_in, text_of
from vendors import services
from vendors.models import Credential, RosterImport, RosterImportStatus, Specialist

UPLOAD = reverse("vendor:roster_import")
HEADER = ",".join(services.ROSTER_COLUMNS)
ROW = (
    "Dr Amara Okafor,amara.okafor@example.test,medicine,md,Medical Board,A-100001,"
    "2020-07-01,2028-06-30"
)
BAD_ROW = "Jonah Whitfield,jonah@example.test,nursing,rn,NMC,19I-0457,2020-01-01,2019-01-01"
TOKEN = "3e0f4c2a-9b1d-4d5e-8f6a-7b8c9d0e1f2a"


def detail_url(roster_import: RosterImport | int) -> str:
    pk = roster_import if isinstance(roster_import, int) else roster_import.pk
    return reverse("vendor:roster_import_detail", args=[pk])


def roster_file(*rows: str, header: str = HEADER) -> SimpleUploadedFile:
    return SimpleUploadedFile("my roster.csv", "\n".join([header, *rows]).encode(), "text/csv")


def upload(client, capture, *rows: str, mode: str = "all", token: str | None = None, **kw):  # type: ignore[no-untyped-def]
    data = {"file": roster_file(*rows, **kw), "mode": mode}
    if token:
        data["form_token"] = token
    with capture(execute=True):
        return client.post(UPLOAD, data)


def running_import(vendor, user, *, done: int, total: int) -> RosterImport:  # type: ignore[no-untyped-def]
    return RosterImport.objects.create(
        vendor=vendor,
        uploaded_by=user,
        file="roster-imports/running.csv",
        status=RosterImportStatus.RUNNING,
        started_at=timezone.now(),
        total_rows=total,
        rows_done=done,
    )


def test_the_upload_page_shows_the_format_and_the_choice(db, medix):
    page = text_of(signed_in(medix.bid_manager).get(UPLOAD))

    assert HEADER in page
    assert reverse("vendor:roster_import_example") in page
    assert reverse("vendor:roster_import_format") in page
    assert "All or nothing" in page and "Import valid rows only" in page
    assert "Upload and import" in page


@pytest.mark.parametrize("role", ["owner", "bid_manager"])
def test_an_upload_is_imported_and_its_page_shows_the_result(
    db, medix, vocabulary, role, django_capture_on_commit_callbacks
):
    client = signed_in(getattr(medix, role))

    response = upload(client, django_capture_on_commit_callbacks, ROW)

    roster_import = RosterImport.objects.get(vendor=medix.vendor)
    assert response.status_code == 302 and response.url == detail_url(roster_import)
    page = text_of(client.get(response.url))
    assert "File received: 1 row to check." in page
    assert "1 of 1 rows" in page
    assert '<progress aria-label="Rows checked" value="1" max="1">' in page
    assert "Imported:</strong> 1 credential, 1 new specialist." in page
    assert 'hx-trigger="every 1s"' not in page
    assert Credential.objects.filter(specialist__vendor=medix.vendor).count() == 1


def test_a_bad_row_in_all_or_nothing_mode_writes_nothing_and_is_listed(
    db, medix, vocabulary, django_capture_on_commit_callbacks
):
    client = signed_in(medix.owner)

    response = upload(client, django_capture_on_commit_callbacks, ROW, BAD_ROW)

    page = text_of(client.get(response.url))
    assert "Nothing was imported." in page
    assert '<td class="num">3</td><td>expires_on</td>' in page
    assert "The expiry date must be after the issue date (2020-01-01)." in page
    assert not Credential.objects.exists()
    assert not Specialist.objects.filter(email="amara.okafor@example.test").exists()
    assert RosterImport.objects.get().status == RosterImportStatus.FAILED


def test_valid_rows_only_imports_the_good_rows_and_lists_the_bad_one(
    db, medix, vocabulary, django_capture_on_commit_callbacks
):
    client = signed_in(medix.owner)

    response = upload(client, django_capture_on_commit_callbacks, ROW, BAD_ROW, mode="valid")

    page = text_of(client.get(response.url))
    assert "Imported:</strong> 1 credential" in page
    assert "The rows listed below were not imported." in page
    assert '<td class="num">3</td><td>expires_on</td>' in page
    assert Credential.objects.count() == 1


def test_a_file_with_a_wrong_header_is_refused_next_to_the_field(
    db, medix, vocabulary, django_capture_on_commit_callbacks
):
    response = upload(
        signed_in(medix.owner),
        django_capture_on_commit_callbacks,
        ROW,
        header="name,email",
    )

    assert response.status_code == 200
    page = text_of(response)
    assert (
        '<ul class="errorlist" id="id_file_error"><li>The first row must name the roster columns'
        in page
    )
    assert not RosterImport.objects.exists()


def test_a_missing_file_is_shown_next_to_the_field(db, medix):
    response = signed_in(medix.owner).post(UPLOAD, {"mode": "all"})

    assert 'id="id_file_error"' in text_of(response)
    assert not RosterImport.objects.exists()


def test_a_double_submitted_upload_makes_one_import(
    db, medix, vocabulary, django_capture_on_commit_callbacks
):
    client = signed_in(medix.owner)

    first = upload(client, django_capture_on_commit_callbacks, ROW, token=TOKEN)
    second = upload(client, django_capture_on_commit_callbacks, ROW, token=TOKEN)

    assert RosterImport.objects.count() == 1
    assert second.status_code == 302 and second.url == first.url
    assert Credential.objects.count() == 1


def test_the_progress_fragment_polls_while_running_and_stops_when_finished(db, medix):
    roster_import = running_import(medix.vendor, medix.owner, done=500, total=1200)
    client = signed_in(medix.owner)

    running = text_of(client.get(detail_url(roster_import), headers={"HX-Request": "true"}))
    RosterImport.objects.filter(pk=roster_import.pk).update(
        status=RosterImportStatus.DONE,
        rows_done=1200,
        rows_created=1200,
        finished_at=timezone.now(),
    )
    finished = text_of(client.get(detail_url(roster_import), headers={"HX-Request": "true"}))

    assert "<html" not in running
    assert "500 of 1200 rows" in running
    assert 'hx-trigger="every 1s"' in running
    assert f'hx-get="{detail_url(roster_import)}"' in running
    assert "1200 of 1200 rows" in finished
    assert "hx-trigger" not in finished and "hx-get" not in finished
    assert "Imported:</strong> 1200 credentials" in finished


def test_without_javascript_a_running_import_offers_a_refresh_link(db, medix):
    roster_import = running_import(medix.vendor, medix.owner, done=0, total=3)

    page = text_of(signed_in(medix.bid_manager).get(detail_url(roster_import)))

    assert "<h1>Roster import" in page
    assert "0 of 3 rows" in page
    assert f'<a href="{detail_url(roster_import)}">Refresh</a>' in page


def test_another_vendors_import_is_404(db, medix, mathly):
    theirs = running_import(mathly.vendor, mathly.owner, done=0, total=3)
    client = signed_in(medix.owner)

    assert client.get(detail_url(theirs)).status_code == 404
    assert client.get(detail_url(theirs), headers={"HX-Request": "true"}).status_code == 404
    assert f"Import {theirs.pk}<" not in text_of(client.get(UPLOAD))


def test_past_imports_are_listed_with_the_same_queries_however_many(db, medix):
    client = signed_in(medix.owner)
    for _ in range(2):
        running_import(medix.vendor, medix.owner, done=1, total=3)
    two = queries_for(client, UPLOAD)
    for _ in range(8):
        running_import(medix.vendor, medix.bid_manager, done=1, total=3)

    assert queries_for(client, UPLOAD) == two
    assert text_of(client.get(UPLOAD)).count("1 of 3") == 10


def test_the_example_file_downloads_as_csv(db, medix):
    response = signed_in(medix.owner).get(reverse("vendor:roster_import_example"))

    expected = (Path(settings.BASE_DIR) / "docs" / "examples" / "roster.csv").read_bytes()
    assert b"".join(response.streaming_content) == expected
    assert response["Content-Disposition"] == 'attachment; filename="roster-example.csv"'
    assert response["Content-Type"].startswith("text/csv")


def test_the_format_description_is_served_as_plain_text(db, medix):
    response = signed_in(medix.owner).get(reverse("vendor:roster_import_format"))

    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert "# Bulk roster import" in text_of(response)
