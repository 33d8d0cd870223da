"""Malformed files are refused with the row or statement at fault and write nothing:
roster CSVs (missing or extra columns, bad rows by the thousand, oversized cells) and BODS
files (truncated, wrong types, unknown statement types, non-JSON numbers, deep nesting,
NUL characters, integers too long to convert)."""

from __future__ import annotations

import copy
import io
import json
import subprocess
import sys
from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from marketplace.core.errors import RuleViolation
from marketplace.core.models import CredentialKind
from marketplace.ownership.bods import MAX_NESTING, BodsImportError, bods_import
from marketplace.ownership.models import Entity, Stake
from tests.api.conftest import key_client
from tests.core.test_settings import REPO_ROOT, environment
from tests.factories import CredentialFieldFactory, QualificationLevelFactory
from tests.ownership.test_bods_import import company, person, relationship, shareholding
from vendors import services
from vendors.models import Credential, RosterImport, RosterImportStatus, Specialist

pytestmark = pytest.mark.django_db

HEADER = ",".join(services.ROSTER_COLUMNS)
GOOD = "Dr Amara Okafor,amara@example.test,medicine,md,Board,A-{n},2020-07-01,2028-06-30"
BAD = "Dr Nobody,not-an-email,astrology,wizard,Board,B-{n},01/07/2020,someday"


@pytest.fixture(autouse=True)
def vocabulary() -> None:
    CredentialFieldFactory(code="medicine", name="Medicine")
    QualificationLevelFactory(code="md", name="MD", ladder="physician", rank=1)
    QualificationLevelFactory(
        code="phd", name="PhD", kind=CredentialKind.DEGREE, ladder="degree", rank=3
    )


def roster(lines: list[str], header: str = HEADER) -> SimpleUploadedFile:
    return SimpleUploadedFile("roster.csv", "\n".join([header, *lines]).encode(), "text/csv")


def run_import(medix: Any, upload: SimpleUploadedFile, capture: Any) -> RosterImport:
    with capture(execute=True):
        started = services.roster_import_start(
            vendor=medix.vendor, user=medix.owner, uploaded_file=upload
        )
    started.refresh_from_db()
    return started


def nothing_written(medix: Any) -> bool:
    return not Credential.objects.filter(specialist__vendor=medix.vendor).exists() and set(
        Specialist.objects.filter(vendor=medix.vendor)
    ) == set(medix.specialists)


# --- roster CSV -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "problem"),
    [
        (GOOD.format(n=0), "missing specialist_name"),
        (HEADER.replace(",issuer", ""), "missing issuer"),
        (HEADER + ",salary,notes", "unknown 'salary', 'notes'"),
        (HEADER.replace("level", "LEVEL "), ""),
    ],
    ids=["no header", "a column missing", "extra columns", "header case and spaces"],
)
def test_a_roster_whose_header_is_not_the_roster_header_is_refused_at_once(
    medix: Any, header: str, problem: str
) -> None:
    upload = roster([GOOD.format(n=1)], header=header)

    if not problem:  # the header is read without regard to case and spaces
        services.roster_import_start(vendor=medix.vendor, user=medix.owner, uploaded_file=upload)
        return
    with pytest.raises(RuleViolation) as refused:
        services.roster_import_start(vendor=medix.vendor, user=medix.owner, uploaded_file=upload)

    assert refused.value.field == "file"
    assert problem in refused.value.message
    assert not RosterImport.objects.exists()


def test_ten_thousand_bad_rows_fail_with_row_errors_and_write_nothing(
    medix: Any, django_capture_on_commit_callbacks: Any
) -> None:
    lines = [BAD.format(n=n) for n in range(10_000)]

    roster_import = run_import(medix, roster(lines), django_capture_on_commit_callbacks)

    assert roster_import.status == RosterImportStatus.FAILED
    assert roster_import.total_rows == roster_import.rows_done == 10_000
    kept = services.ROSTER_ERRORS_KEPT
    assert len(roster_import.errors) == kept + 1
    assert roster_import.errors[0]["row"] == 2
    assert {error["column"] for error in roster_import.errors[:kept]} >= {
        "specialist_email",
        "field",
        "level",
        "issued_on",
        "expires_on",
    }
    assert roster_import.errors[-1] == {
        "row": None,
        "column": None,
        "message": f"... and {5 * 10_000 - kept} more errors.",
    }
    assert nothing_written(medix)


def test_one_bad_row_among_thousands_of_good_ones_writes_nothing(
    medix: Any, django_capture_on_commit_callbacks: Any
) -> None:
    lines = [GOOD.format(n=n).replace("amara@", f"amara{n}@") for n in range(3_000)]
    lines.insert(1_500, BAD.format(n=0))

    roster_import = run_import(medix, roster(lines), django_capture_on_commit_callbacks)

    assert roster_import.status == RosterImportStatus.FAILED
    assert {error["row"] for error in roster_import.errors} == {1_502}
    assert nothing_written(medix)


@pytest.mark.parametrize(
    ("line", "refused_at"),
    [
        (GOOD.format(n=1) + ",surplus,cells", "row"),
        ("Dr Short,short@example.test,medicine", "row"),
        ('"Dr Unclosed quote,amara@example.test,medicine,md,Board,A-1,2020-07-01,', "row"),
        ("Dr Nul,nul@example.test,medicine,md,Board\u0000,A-1,2020-07-01,2028-06-30", "file"),
    ],
    ids=["extra cells", "too few cells", "unclosed quote", "nul"],
)
def test_a_malformed_row_is_reported_by_row_and_nothing_is_written(
    medix: Any, django_capture_on_commit_callbacks: Any, line: str, refused_at: str
) -> None:
    upload = roster([GOOD.format(n=2), line])

    if refused_at == "file":
        with pytest.raises(RuleViolation) as refused:
            run_import(medix, upload, django_capture_on_commit_callbacks)
        assert refused.value.field == "file"
        assert not RosterImport.objects.exists()
        return
    roster_import = run_import(medix, upload, django_capture_on_commit_callbacks)

    assert roster_import.status == RosterImportStatus.FAILED
    assert roster_import.errors
    assert {error["row"] for error in roster_import.errors} == {3}
    assert nothing_written(medix)


def test_a_cell_larger_than_any_csv_field_is_refused_not_crashed(medix: Any) -> None:
    huge_cell = "x" * 200_000
    upload = roster([GOOD.format(n=1).replace("Board", huge_cell)])

    with pytest.raises(RuleViolation) as refused:
        services.roster_import_start(vendor=medix.vendor, user=medix.owner, uploaded_file=upload)

    assert "not valid CSV" in refused.value.message


# --- BODS -------------------------------------------------------------------------------


def valid_statements() -> list[dict[str, Any]]:
    return [
        company("fund-1", "Fund One"),
        person("ann-1", "Ann Example"),
        company("target-1", "Target One"),
        relationship("rel-1", "target-1", "fund-1", [shareholding(30)]),
    ]


def ownership_rows() -> tuple[int, int]:
    return Entity.objects.count(), Stake.objects.count()


def refused(data: bytes) -> str:
    before = ownership_rows()
    with pytest.raises(BodsImportError) as error:
        bods_import(stream=io.BytesIO(data), source="test")
    assert ownership_rows() == before
    return str(error.value)


def as_array(statements: list[Any]) -> bytes:
    return json.dumps(statements).encode()


def as_lines(statements: list[Any]) -> bytes:
    return "".join(json.dumps(s) + "\n" for s in statements).encode()


def changed(index: int, change: Callable[[dict[str, Any]], Any]) -> list[dict[str, Any]]:
    statements = copy.deepcopy(valid_statements())
    change(statements[index])
    return statements


def details(statement: dict[str, Any]) -> dict[str, Any]:
    return statement["recordDetails"]  # type: ignore[no-any-return]


WRONG_TYPES = {
    "entity type a list": (0, lambda s: details(s)["entityType"].update(type=["registeredEntity"])),
    "entity type an object": (0, lambda s: details(s).update(entityType={"type": {}})),
    "person type a list": (1, lambda s: details(s).update(personType=["knownPerson"])),
    "details a list": (1, lambda s: s.update(recordDetails=[1, 2])),
    "is component a string": (0, lambda s: details(s).update(isComponent="no")),
    "statement date a number": (0, lambda s: s.update(statementDate=20240101)),
    "record id an object": (0, lambda s: s.update(recordId={"id": 1})),
    "interests an object": (3, lambda s: details(s).update(interests={"type": "shareholding"})),
    "interest a string": (3, lambda s: details(s).update(interests=["shareholding"])),
    "share a string": (3, lambda s: details(s)["interests"][0].update(share={"exact": "30%"})),
    "share a list": (3, lambda s: details(s)["interests"][0].update(share=[30])),
    "share over 100": (3, lambda s: details(s)["interests"][0].update(share={"exact": 130})),
    "share negative": (3, lambda s: details(s)["interests"][0].update(share={"minimum": -1})),
    "interest type unknown": (3, lambda s: details(s)["interests"][0].update(type=["x"])),
    "subject a number": (3, lambda s: details(s).update(subject=7)),
    "components not ids": (3, lambda s: details(s).update(componentRecords=[{"id": 1}])),
    "unknown statement type": (2, lambda s: s.update(recordType="trust")),
    "statement type a list": (2, lambda s: s.update(recordType=["entity"])),
    "a NUL in a name": (0, lambda s: details(s).update(name="Fund\u0000One")),
    "a NUL in an identifier": (
        0,
        lambda s: details(s).update(identifiers=[{"id": "1\u00002", "scheme": "GB-COH"}]),
    ),
}


@pytest.mark.parametrize("layout", [as_array, as_lines], ids=["array", "json lines"])
@pytest.mark.parametrize("case", WRONG_TYPES, ids=list(WRONG_TYPES))
def test_a_statement_of_the_wrong_shape_is_named_and_nothing_is_written(
    case: str, layout: Callable[[list[Any]], bytes]
) -> None:
    index, change = WRONG_TYPES[case]
    statements = changed(index, change)

    message = refused(layout(statements))

    place = f"statement {index + 1}" if layout is as_array else f"line {index + 1}"
    assert message.startswith(place), message


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (as_array(valid_statements())[:-30], "statement 4: the file is not valid JSON"),
        (as_lines(valid_statements())[:-30], "line 4: not a JSON object on one line"),
        (as_array(valid_statements()) + b"]", "the file is not valid JSON"),
        (as_lines(valid_statements()).replace(b"30", b"NaN"), "NaN is not a JSON value"),
        (as_lines(valid_statements()).replace(b"30", b"Infinity"), "Infinity"),
        (as_array(valid_statements()).replace(b"30", b"1e999999"), "not valid JSON"),
        (as_array(valid_statements()).replace(b"30", b"9" * 30), "not valid JSON"),
        (b'[{"a": "\xff\xfe"}]', "not valid JSON"),
        (b"[" * 100_000 + b"]" * 100_000, f"more than {MAX_NESTING} deep"),
        (b'[{"a":' * 40 + b"1" + b"}" * 40 + b"]", f"more than {MAX_NESTING} deep"),
        ('{"a": ' * 5000 + "1" + "}" * 5000 + "\n", f"more than {MAX_NESTING} deep"),
        (b"42", "The file is not JSON"),
        (b"", "The file is empty"),
        (b"[]", ""),
    ],
    ids=[
        "truncated array",
        "truncated json lines",
        "trailing bracket",
        "NaN",
        "Infinity",
        "overflowing float",
        "integer too long for a machine",
        "invalid UTF-8",
        "nested 100,000 deep",
        "objects nested 40 deep",
        "json line nested 5,000 deep",
        "a number",
        "empty",
        "an empty array",
    ],
)
def test_a_file_that_is_not_valid_bods_json_is_refused_whole(data: Any, expected: str) -> None:
    data = data.encode() if isinstance(data, str) else data
    if not expected:
        assert bods_import(stream=io.BytesIO(data), source="test").statements == 0
        return

    assert expected in refused(data)


def test_brackets_and_escapes_inside_strings_do_not_count_as_nesting() -> None:
    statements = valid_statements()
    details(statements[0])["name"] = "[[[[" * 20 + '\\"{{{{' * 20 + "\\\\"
    data = as_array(statements)

    summary = bods_import(stream=io.BytesIO(data), source="test")

    assert summary.statements == 4


def test_an_integer_of_thousands_of_digits_does_not_crash_the_process(tmp_path: Any) -> None:
    # ijson's C parser used to take the whole process down on this (a segfault), so it
    # is tried in a process of its own.
    path = tmp_path / "digits.json"
    path.write_bytes(as_array(valid_statements()).replace(b"30", b"9" * 5000))
    script = (
        "import django; django.setup()\n"
        "from marketplace.ownership.bods import _statements, BodsImportError\n"
        f"fp = open({str(path)!r}, 'rb')\n"
        "try:\n    list(_statements(fp))\nexcept BodsImportError as e:\n    print('refused', e)\n"
    )

    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=REPO_ROOT,
        env=environment(DJANGO_SETTINGS_MODULE="marketplace.settings"),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 0, result.stderr[-2000:]
    assert "refused" in result.stdout and "not valid JSON" in result.stdout


def test_the_api_names_the_statement_at_fault_and_writes_nothing(medix: Any) -> None:
    statements = [
        company("fund-9", "Fund Nine"),
        relationship("rel-9", medix.vendor.entity.record_id, "fund-9", [shareholding(30)]),
        person("ann-9", "Ann", personType={"bad": True}),
    ]
    details(statements[2])["personType"] = {"bad": True}
    before = ownership_rows()

    response = key_client(medix.vendor.organisation).post(
        "/api/v1/vendor/bods/",
        {"file": SimpleUploadedFile("o.json", as_array(statements), "application/json")},
        format="multipart",
    )

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "bods_invalid"
    assert error["message"].startswith("statement 3")
    assert ownership_rows() == before
