"""Bulk roster import: a vendor uploads a CSV with one row per specialist credential
(docs/roster-import.md); a worker checks every row, then imports all of them, or none,
or (if the uploader chose so) only the valid ones, and reports each problem by row and
column while a browser polls its progress."""

from __future__ import annotations

import contextlib
import csv
import io
import math
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from time_machine import TimeMachineFixture

from marketplace.accounts.models import User
from marketplace.core.errors import NotFound, NotPermitted, RuleViolation
from marketplace.core.models import CredentialKind
from tests.factories import CredentialFieldFactory, QualificationLevelFactory, SpecialistFactory
from tests.plugins.personas import VendorTeam
from tests.vendors.builders import NOW, platform_admin
from vendors import selectors, services
from vendors.models import (
    Credential,
    CredentialStatus,
    RosterImport,
    RosterImportStatus,
    Specialist,
)
from vendors.tasks import roster_import_task

pytestmark = pytest.mark.django_db

HEADER = list(services.ROSTER_COLUMNS)


@pytest.fixture(autouse=True)
def vocabulary(request: pytest.FixtureRequest) -> None:
    CredentialFieldFactory(code="medicine", name="Medicine")
    CredentialFieldFactory(code="nursing", name="Nursing")
    QualificationLevelFactory(code="md", name="MD", ladder="physician", rank=1)
    QualificationLevelFactory(code="rn", name="RN", ladder="nursing", rank=2)
    QualificationLevelFactory(
        code="doctorate", name="Doctorate", kind=CredentialKind.DEGREE, ladder="degree", rank=3
    )


@pytest.fixture(autouse=True)
def media_root(request: pytest.FixtureRequest, settings: Any, tmp_path: Path) -> None:
    # A worker process reads the project's own MEDIA_ROOT, so worker tests keep it.
    if request.node.get_closest_marker("celery_worker") is None:
        settings.MEDIA_ROOT = tmp_path


def roster_row(**cells: str) -> dict[str, str]:
    """One valid row unless overridden."""
    row = {
        "specialist_name": "Dr Amara Okafor",
        "specialist_email": "amara.okafor@example.test",
        "field": "medicine",
        "level": "md",
        "issuer": "Medical Board of California",
        "identifier": "A-100001",
        "issued_on": "2020-07-01",
        "expires_on": "2028-06-30",
    }
    row.update(cells)
    return row


HEADER_LINE = ",".join(HEADER)
GOOD_LINE = ",".join(roster_row().values())


def many_rows(count: int, *, start: int = 0) -> list[dict[str, str]]:
    """`count` valid rows: two credentials each for count/2 specialists."""
    return [
        roster_row(
            specialist_name=f"Specialist {n // 2}",
            specialist_email=f"specialist{n // 2}@example.test",
            level="md" if n % 2 else "rn",
            field="medicine" if n % 2 else "nursing",
            identifier=f"LIC-{n:07d}",
        )
        for n in range(start, start + count)
    ]


def roster_file(rows: list[dict[str, str]], header: list[str] = HEADER) -> SimpleUploadedFile:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=header, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return SimpleUploadedFile("my roster (final).csv", buffer.getvalue().encode(), "text/csv")


def import_roster(
    team: VendorTeam,
    rows: list[dict[str, str]],
    capture: Any,
    *,
    user: User | None = None,
    valid_rows_only: bool = False,
) -> RosterImport:
    """Uploads the rows; the import task runs when the upload commits."""
    with capture(execute=True):
        started = services.roster_import_start(
            vendor=team.vendor,
            user=user or team.bid_manager,
            uploaded_file=roster_file(rows),
            valid_rows_only=valid_rows_only,
        )
    started.refresh_from_db()
    return started


def errors_at(roster_import: RosterImport) -> set[tuple[int | None, str | None]]:
    return {(error["row"], error["column"]) for error in roster_import.errors}


# --- A good file --------------------------------------------------------------------------


def test_a_valid_roster_becomes_pending_credentials(
    medix, roster_editor, django_capture_on_commit_callbacks
):
    already_there = SpecialistFactory(
        vendor=medix.vendor, full_name="Jonah Whitfield", email="Jonah.Whitfield@example.test"
    )
    rows = [
        roster_row(),
        roster_row(level="doctorate", issuer="University of Lagos", identifier="", expires_on=""),
        roster_row(
            specialist_name="Jonah W.",
            specialist_email="jonah.whitfield@example.test",
            field="nursing",
            level="RN",
            issuer="Nursing and Midwifery Council",
            identifier=" 19i\u20130457 en ",  # with an en dash
        ),
    ]

    roster_import = import_roster(
        medix, rows, django_capture_on_commit_callbacks, user=roster_editor
    )

    assert roster_import.status == RosterImportStatus.DONE
    assert (roster_import.total_rows, roster_import.rows_done) == (3, 3)
    assert (roster_import.rows_created, roster_import.specialists_created) == (3, 1)
    assert roster_import.errors == []
    assert roster_import.percent_done == 100
    okafor = Specialist.objects.get(vendor=medix.vendor, email="amara.okafor@example.test")
    assert okafor.full_name == "Dr Amara Okafor"
    assert sorted(c.level.code for c in okafor.credentials.all()) == ["doctorate", "md"]
    [nursing] = Credential.objects.filter(specialist_id=already_there.pk)
    assert already_there.full_name == "Jonah Whitfield"  # an import never renames anyone
    assert (nursing.identifier, nursing.identifier_normalised) == ("19i\u20130457 en", "19I0457EN")
    credentials = Credential.objects.filter(specialist__vendor=medix.vendor)
    assert {c.status for c in credentials} == {CredentialStatus.PENDING}
    # The change history records each credential as added by the uploader.
    history = Credential.history.filter(specialist__vendor=medix.vendor)
    assert history.count() == 3
    assert {(h.history_type, h.history_user, h.history_change_reason) for h in history} == {
        ("+", roster_editor, f"Roster import {roster_import.pk}")
    }


def test_the_stored_file_is_named_after_ids_not_the_upload(
    medix, django_capture_on_commit_callbacks, tmp_path
):
    roster_import = import_roster(medix, [roster_row()], django_capture_on_commit_callbacks)

    assert roster_import.file.name == f"roster-imports/{medix.vendor.pk}/{roster_import.pk}.csv"
    assert (tmp_path / roster_import.file.name).read_text().startswith(",".join(HEADER))


def test_the_example_file_in_the_docs_imports(medix, django_capture_on_commit_callbacks):
    CredentialFieldFactory(code="mathematics", name="Mathematics")
    QualificationLevelFactory(code="np", name="NP", ladder="nursing", rank=3)
    QualificationLevelFactory(
        code="master", name="Master's", kind=CredentialKind.DEGREE, ladder="degree", rank=2
    )
    example = Path(django_settings.BASE_DIR) / "docs" / "examples" / "roster.csv"
    upload = SimpleUploadedFile("roster.csv", example.read_bytes(), "text/csv")

    with django_capture_on_commit_callbacks(execute=True):
        roster_import = services.roster_import_start(
            vendor=medix.vendor, user=medix.owner, uploaded_file=upload
        )
    roster_import.refresh_from_db()

    assert roster_import.errors == []
    assert (roster_import.status, roster_import.rows_created) == (RosterImportStatus.DONE, 7)
    assert roster_import.specialists_created == 5


# --- Problems, by row and column -----------------------------------------------------------


def test_every_problem_is_reported_with_its_row_and_column(
    medix, django_capture_on_commit_callbacks
):
    rows = [
        roster_row(identifier="OK-1"),  # row 2: fine
        roster_row(field="astrology", identifier="E-3"),  # row 3
        roster_row(level="shaman", identifier="E-4"),  # row 4
        roster_row(issued_on="01/07/2020", identifier="E-5"),  # row 5
        roster_row(expires_on="2028-02-30", identifier="E-6"),  # row 6
        roster_row(issued_on="2024-01-01", expires_on="2024-01-01", identifier="E-7"),  # row 7
        roster_row(specialist_name="", issuer=" ", identifier="E-8"),  # row 8
        roster_row(specialist_email="not-an-address", identifier="E-9"),  # row 9
        roster_row(identifier="X" * 101),  # row 10
        roster_row(issued_on="", identifier="E-11"),  # row 11
    ]

    roster_import = import_roster(medix, rows, django_capture_on_commit_callbacks)

    assert roster_import.status == RosterImportStatus.FAILED
    assert errors_at(roster_import) == {
        (3, "field"),
        (4, "level"),
        (5, "issued_on"),
        (6, "expires_on"),
        (7, "expires_on"),
        (8, "specialist_name"),
        (8, "issuer"),
        (9, "specialist_email"),
        (10, "identifier"),
        (11, "issued_on"),
    }
    messages = {(e["row"], e["column"]): e["message"] for e in roster_import.errors}
    assert messages[(3, "field")] == (
        "Unknown field code 'astrology'. Known codes: medicine, nursing."
    )
    assert messages[(5, "issued_on")] == "'01/07/2020' is not a date in the form YYYY-MM-DD."
    assert messages[(7, "expires_on")] == (
        "The expiry date must be after the issue date (2024-01-01)."
    )
    assert messages[(8, "issuer")] == "Required; this cell is empty."
    assert [e["row"] for e in roster_import.errors] == sorted(
        e["row"] for e in roster_import.errors
    )
    assert roster_import.rows_done == roster_import.total_rows == 10


def test_a_row_with_more_cells_than_the_header_is_reported(
    medix, django_capture_on_commit_callbacks
):
    text = ",".join(HEADER) + "\n" + ",".join(roster_row().values()) + ",surplus\n"
    upload = SimpleUploadedFile("roster.csv", text.encode(), "text/csv")

    with django_capture_on_commit_callbacks(execute=True):
        roster_import = services.roster_import_start(
            vendor=medix.vendor, user=medix.owner, uploaded_file=upload
        )
    roster_import.refresh_from_db()

    assert roster_import.errors == [
        {"row": 2, "column": None, "message": "This row has 9 cells; the header has 8."}
    ]


def test_columns_may_come_in_any_order_and_blank_lines_are_skipped(
    medix, django_capture_on_commit_callbacks
):
    header = list(reversed(HEADER))
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=header)
    writer.writeheader()
    writer.writerow(roster_row(identifier="A-1"))
    buffer.write(",,,,,,,\n\n")
    writer.writerow(roster_row(identifier="A-2", issued_on="bad"))
    upload = SimpleUploadedFile("roster.csv", buffer.getvalue().encode(), "text/csv")

    with django_capture_on_commit_callbacks(execute=True):
        roster_import = services.roster_import_start(
            vendor=medix.vendor, user=medix.owner, uploaded_file=upload
        )
    roster_import.refresh_from_db()

    assert roster_import.total_rows == 2
    # Row numbers are the spreadsheet's: the blank lines still count.
    assert errors_at(roster_import) == {(5, "issued_on")}


def test_empty_cells_after_the_last_column_are_ignored(medix, django_capture_on_commit_callbacks):
    text = f"{HEADER_LINE},,\n{GOOD_LINE},,\n{GOOD_LINE.replace('A-100001', 'A-2')},,x\n"
    upload = SimpleUploadedFile("roster.csv", text.encode(), "text/csv")

    with django_capture_on_commit_callbacks(execute=True):
        roster_import = services.roster_import_start(
            vendor=medix.vendor, user=medix.owner, uploaded_file=upload
        )
    roster_import.refresh_from_db()

    assert roster_import.errors == [
        {"row": 3, "column": None, "message": "This row has 10 cells; the header has 8."}
    ]


def test_nothing_is_written_when_any_row_is_wrong(medix, django_capture_on_commit_callbacks):
    rows = [*many_rows(6), roster_row(level="unknown", identifier="Z-1")]

    roster_import = import_roster(medix, rows, django_capture_on_commit_callbacks)

    assert roster_import.status == RosterImportStatus.FAILED
    assert (roster_import.rows_created, roster_import.specialists_created) == (0, 0)
    assert errors_at(roster_import) == {(8, "level")}
    assert not Credential.objects.filter(specialist__vendor=medix.vendor).exists()
    assert Specialist.objects.filter(vendor=medix.vendor).count() == 3  # the persona's own


def test_valid_rows_only_imports_the_good_rows_and_reports_the_others(
    medix, django_capture_on_commit_callbacks
):
    rows = [*many_rows(4), roster_row(level="unknown", identifier="Z-1"), *many_rows(2, start=4)]

    roster_import = import_roster(
        medix, rows, django_capture_on_commit_callbacks, valid_rows_only=True
    )

    assert roster_import.status == RosterImportStatus.DONE
    assert (roster_import.total_rows, roster_import.rows_created) == (7, 6)
    assert roster_import.specialists_created == 3
    assert errors_at(roster_import) == {(6, "level")}
    identifiers = set(
        Credential.objects.filter(specialist__vendor=medix.vendor).values_list(
            "identifier", flat=True
        )
    )
    assert identifiers == {f"LIC-{n:07d}" for n in range(6)}


def test_valid_rows_only_with_no_valid_row_fails(medix, django_capture_on_commit_callbacks):
    roster_import = import_roster(
        medix,
        [roster_row(level="unknown")],
        django_capture_on_commit_callbacks,
        valid_rows_only=True,
    )

    assert roster_import.status == RosterImportStatus.FAILED
    assert roster_import.rows_created == 0


# --- Duplicate licence numbers within the vendor ---------------------------------------------


def test_a_licence_number_twice_in_the_file_refuses_every_row_that_has_it(
    medix, django_capture_on_commit_callbacks
):
    rows = [
        roster_row(identifier="RN-123 456", level="rn", field="nursing"),
        roster_row(identifier="A-1"),
        roster_row(
            specialist_name="Someone Else",
            specialist_email="someone@example.test",
            identifier="rn123456",
            level="rn",
            field="nursing",
        ),
        # The same number for another level is another licence.
        roster_row(identifier="RN-123456", level="md"),
    ]

    roster_import = import_roster(
        medix, rows, django_capture_on_commit_callbacks, valid_rows_only=True
    )

    assert errors_at(roster_import) == {(2, "identifier"), (4, "identifier")}
    messages = [e["message"] for e in roster_import.errors]
    assert messages == ["The same RN number is on row 4.", "The same RN number is on row 2."]
    assert roster_import.rows_created == 2


def test_a_licence_number_already_on_the_roster_is_refused(
    medix, django_capture_on_commit_callbacks
):
    first = import_roster(
        medix, [roster_row(identifier="A 100001")], django_capture_on_commit_callbacks
    )
    assert first.status == RosterImportStatus.DONE

    again = import_roster(
        medix, [roster_row(identifier="a-100001")], django_capture_on_commit_callbacks
    )

    assert again.status == RosterImportStatus.FAILED
    assert again.errors == [
        {
            "row": 2,
            "column": "identifier",
            "message": "a-100001 (MD) is already on the roster, held by Dr Amara Okafor.",
        }
    ]


def test_a_renewal_of_an_expired_credential_is_welcome(medix, django_capture_on_commit_callbacks):
    first = import_roster(medix, [roster_row()], django_capture_on_commit_callbacks)
    Credential.objects.filter(specialist__vendor=medix.vendor).update(
        status=CredentialStatus.EXPIRED
    )

    renewal = import_roster(
        medix,
        [roster_row(issued_on="2026-01-01", expires_on="2030-01-01")],
        django_capture_on_commit_callbacks,
    )

    assert first.rows_created == renewal.rows_created == 1
    assert renewal.status == RosterImportStatus.DONE


# --- Progress, idempotence, recovery ----------------------------------------------------------


@pytest.fixture
def progress_seen(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """rows_done as committed in the database each time a row is about to be checked."""
    seen: list[int] = []
    check = services._RosterChecker.check

    def spying(self, number, header, cells):  # type: ignore[no-untyped-def]
        seen.append(RosterImport.objects.values_list("rows_done", flat=True).get())
        return check(self, number, header, cells)

    monkeypatch.setattr(services, "ROSTER_PROGRESS_EVERY", 2)
    monkeypatch.setattr(services._RosterChecker, "check", spying)
    yield seen


def test_progress_moves_while_rows_are_checked(
    medix, django_capture_on_commit_callbacks, progress_seen
):
    roster_import = import_roster(medix, many_rows(7), django_capture_on_commit_callbacks)

    assert progress_seen == [0, 0, 2, 2, 4, 4, 6]
    assert (roster_import.rows_done, roster_import.percent_done) == (7, 100)


def test_running_an_import_again_does_nothing(medix, django_capture_on_commit_callbacks):
    done = import_roster(medix, many_rows(4), django_capture_on_commit_callbacks)
    failed = import_roster(medix, [roster_row(level="?")], django_capture_on_commit_callbacks)

    assert services.roster_import_run(import_id=done.pk) is None
    assert roster_import_task.apply(args=(failed.pk,)).get() is None

    assert Credential.objects.filter(specialist__vendor=medix.vendor).count() == 4
    for before in (done, failed):
        after = RosterImport.objects.get(pk=before.pk)
        assert (after.status, after.finished_at, after.errors) == (
            before.status,
            before.finished_at,
            before.errors,
        )


def queued_import(team: VendorTeam, rows: list[dict[str, str]]) -> RosterImport:
    """An upload whose task message has not (yet) been delivered."""
    return services.roster_import_start(
        vendor=team.vendor, user=team.owner, uploaded_file=roster_file(rows)
    )


def test_an_import_another_run_is_working_on_is_left_alone(medix):
    roster_import = queued_import(medix, many_rows(2))
    RosterImport.objects.filter(pk=roster_import.pk).update(
        status=RosterImportStatus.RUNNING, started_at=NOW
    )

    assert services.roster_import_run(import_id=roster_import.pk) is None
    assert not Credential.objects.filter(specialist__vendor=medix.vendor).exists()


def test_an_import_whose_worker_died_is_sent_again_and_completes(
    medix, time_machine: TimeMachineFixture, django_capture_on_commit_callbacks
):
    lost = queued_import(medix, many_rows(2))
    dead = queued_import(medix, many_rows(2, start=2))
    RosterImport.objects.filter(pk=dead.pk).update(
        status=RosterImportStatus.RUNNING, started_at=NOW
    )
    fresh_later = timedelta(minutes=4)
    time_machine.move_to(NOW + fresh_later, tick=False)
    assert services.roster_import_reconcile() == []

    time_machine.move_to(NOW + timedelta(seconds=django_settings.CELERY_TASK_TIME_LIMIT + 61))
    with django_capture_on_commit_callbacks(execute=True):
        resent = services.roster_import_reconcile()

    assert sorted(resent) == sorted([lost.pk, dead.pk])
    for roster_import in (lost, dead):
        roster_import.refresh_from_db()
        assert (roster_import.status, roster_import.rows_created) == (RosterImportStatus.DONE, 2)


def test_a_lost_import_is_sent_again_once_a_window_not_every_round(
    medix, time_machine: TimeMachineFixture, django_capture_on_commit_callbacks
):
    """Workers down for a while: each round of the reconciler would otherwise queue the
    same import again, and the queue would fill with copies."""
    lost = queued_import(medix, many_rows(2))
    time_machine.move_to(
        NOW + services.ROSTER_IMPORT_RESEND_AFTER + timedelta(seconds=1), tick=False
    )
    with django_capture_on_commit_callbacks() as sent:
        assert services.roster_import_reconcile() == [lost.pk]
        assert services.roster_import_reconcile() == []  # the next round, a minute on
        time_machine.move_to(
            NOW + services.ROSTER_IMPORT_RESEND_AFTER + timedelta(minutes=1), tick=False
        )
        assert services.roster_import_reconcile() == []
    assert len(sent) == 1

    time_machine.move_to(
        NOW + 2 * services.ROSTER_IMPORT_RESEND_AFTER + timedelta(seconds=2), tick=False
    )
    assert services.roster_import_reconcile() == [lost.pk]  # still lost: sent again


def test_an_import_that_fails_for_good_is_marked_failed(medix):
    roster_import = queued_import(medix, many_rows(2))

    services.roster_import_record_failure(import_id=roster_import.pk)

    roster_import.refresh_from_db()
    assert roster_import.status == RosterImportStatus.FAILED
    assert roster_import.finished_at is not None
    assert "nothing was imported" in roster_import.errors[0]["message"]


def test_an_error_during_the_run_hands_the_import_back_for_a_retry(
    medix, monkeypatch: pytest.MonkeyPatch
):
    roster_import = queued_import(medix, many_rows(2))

    def broken(*args: object, **kwargs: object) -> None:
        raise ConnectionError("the database went away")

    monkeypatch.setattr(services, "_roster_write", broken)
    with pytest.raises(ConnectionError):
        services.roster_import_run(import_id=roster_import.pk)

    roster_import.refresh_from_db()
    assert (roster_import.status, roster_import.rows_done) == (RosterImportStatus.PENDING, 0)
    monkeypatch.undo()
    retried = services.roster_import_run(import_id=roster_import.pk)
    assert retried is not None and retried.status == RosterImportStatus.DONE


# --- Who may upload, and what --------------------------------------------------------------


def test_nobody_outside_the_vendor_uploads_its_roster(medix, outsider):
    with pytest.raises(NotPermitted):
        services.roster_import_start(
            vendor=medix.vendor, user=outsider, uploaded_file=roster_file([roster_row()])
        )

    assert not RosterImport.objects.exists()


def test_a_platform_admin_is_not_a_roster_editor(medix):
    with pytest.raises(NotPermitted):
        services.roster_import_start(
            vendor=medix.vendor, user=platform_admin(), uploaded_file=roster_file([roster_row()])
        )


def test_an_uploader_who_lost_the_role_imports_nothing(medix, django_capture_on_commit_callbacks):
    roster_import = queued_import(medix, many_rows(2))
    medix.owner.memberships.all().delete()

    services.roster_import_run(import_id=roster_import.pk)

    roster_import.refresh_from_db()
    assert roster_import.status == RosterImportStatus.FAILED
    assert not Credential.objects.filter(specialist__vendor=medix.vendor).exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not UTF-8 text"),
        (f"{HEADER_LINE}\n{GOOD_LINE}\n".encode("utf-16"), "not UTF-8 text"),
        (f"{HEADER_LINE}\n{GOOD_LINE}\x00\n".encode(), "not CSV text"),
        (b"", "empty"),
        (f"{HEADER_LINE}\n".encode(), "no rows"),
        (b"name,email\nAmara,amara@example.test\n", "missing specialist_name"),
        (f"{HEADER_LINE},notes\n{GOOD_LINE},x\n".encode(), "unknown 'notes'"),
        (f"{HEADER_LINE},level\n{GOOD_LINE},md\n".encode(), "a column named twice"),
        (b'{"specialists": []}', "must name the roster columns"),
    ],
    ids=[
        "binary",
        "utf-16",
        "nul byte",
        "empty",
        "header only",
        "other columns",
        "extra column",
        "column twice",
        "json",
    ],
)
def test_a_file_that_is_not_a_roster_csv_is_refused(medix, content, message):
    upload = SimpleUploadedFile("roster.csv", content, "text/csv")

    with pytest.raises(RuleViolation) as refused:
        services.roster_import_start(vendor=medix.vendor, user=medix.owner, uploaded_file=upload)

    assert message in refused.value.message
    assert refused.value.field == "file"
    assert not RosterImport.objects.exists()


def test_an_excel_style_file_with_a_byte_order_mark_is_accepted(medix):
    content = "\ufeff" + HEADER_LINE.upper() + "\r\n" + GOOD_LINE + "\r\n"
    upload = SimpleUploadedFile("roster.csv", content.encode(), "text/csv")

    roster_import = services.roster_import_start(
        vendor=medix.vendor, user=medix.owner, uploaded_file=upload
    )

    assert roster_import.total_rows == 1


def test_an_oversize_file_is_refused(medix, monkeypatch: pytest.MonkeyPatch):
    upload = roster_file(many_rows(40))
    assert upload.size is not None
    monkeypatch.setattr(services, "ROSTER_IMPORT_MAX_BYTES", upload.size - 1)

    with pytest.raises(RuleViolation, match="larger than"):
        services.roster_import_start(vendor=medix.vendor, user=medix.owner, uploaded_file=upload)

    upload.size = None  # type: ignore[assignment]  # a stream of unknown length is read up to the limit
    with pytest.raises(RuleViolation, match="larger than"):
        services.roster_import_start(vendor=medix.vendor, user=medix.owner, uploaded_file=upload)
    assert not RosterImport.objects.exists()


def test_the_default_size_limit_is_five_megabytes():
    assert services.ROSTER_IMPORT_MAX_BYTES == 5 * 1024 * 1024


# --- Reading progress ----------------------------------------------------------------------


def test_a_vendor_reads_its_own_imports_only(medix, mathly):
    roster_import = queued_import(medix, many_rows(2))

    assert (
        selectors.roster_import_get_for_vendor(vendor=medix.vendor, import_id=roster_import.pk)
        == roster_import
    )
    assert list(selectors.roster_import_list(vendor=medix.vendor)) == [roster_import]
    with pytest.raises(NotFound):
        selectors.roster_import_get_for_vendor(vendor=mathly.vendor, import_id=roster_import.pk)
    assert not selectors.roster_import_list(vendor=mathly.vendor).exists()


# --- Query budget --------------------------------------------------------------------------


def test_the_import_does_not_query_per_row(medix, mathly, monkeypatch: pytest.MonkeyPatch):
    """Only two things grow with the file: the progress updates (one per
    ROSTER_PROGRESS_EVERY rows) and the bulk INSERT statements, which SQLite splits at
    999 parameters (PostgreSQL writes 1,000 rows per statement)."""
    monkeypatch.setattr(services, "ROSTER_PROGRESS_EVERY", 100)

    def queries(team: VendorTeam, rows: list[dict[str, str]]) -> tuple[int, int]:
        roster_import = queued_import(team, rows)
        with CaptureQueriesContext(connection) as captured:
            done = services.roster_import_run(import_id=roster_import.pk)
        assert done is not None and done.rows_created == len(rows)
        inserts = sum(1 for q in captured.captured_queries if q["sql"].startswith("INSERT"))
        return len(captured) - inserts, inserts

    small_other, _ = queries(medix, many_rows(50))
    large_other, large_inserts = queries(mathly, many_rows(500, start=1000))

    assert large_other == small_other + math.ceil(500 / 100) - 1
    assert large_inserts <= 500 / 20


# --- Delivery --------------------------------------------------------------------------------


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_imports_an_uploaded_roster(medix, celery_worker_process, wait_for):
    """The upload commits, the task goes through the broker, and the worker (another
    process, reading the same database and media storage) imports the file."""
    roster_import = services.roster_import_start(
        vendor=medix.vendor, user=medix.bid_manager, uploaded_file=roster_file(many_rows(40))
    )
    try:
        finished = wait_for(
            lambda: RosterImport.objects.filter(
                pk=roster_import.pk, status=RosterImportStatus.DONE
            ).first(),
            timeout=30,
            message="the worker did not import the roster within 30 s",
        )
        assert (finished.rows_done, finished.rows_created) == (40, 40)
        assert Credential.objects.filter(specialist__vendor=medix.vendor).count() == 40
    finally:
        stored = Path(django_settings.MEDIA_ROOT) / roster_import.file.name
        roster_import.file.delete(save=False)
        for folder in (stored.parent, stored.parent.parent):  # only if empty
            with contextlib.suppress(OSError):
                folder.rmdir()
