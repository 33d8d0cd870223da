"""Bulk roster import at size: a 10,000-row roster CSV (5,000 specialists with two
credentials each, some already on the roster, some licence numbers also held at another
vendor) is uploaded and imported; the import must finish in under 30 seconds.

    [DATABASE_URL=postgres://...] python bench/roster_import.py [--rows 10000]

Runs on a throwaway test database created from DATABASE_URL (a temporary SQLite file
when DATABASE_URL is unset) with uploads in a temporary directory. Times
`roster_import_start` (upload checks) and `roster_import_run` (every row checked, then
written in one transaction), and a second run of the same file with one bad row at the
end (every row checked, nothing written). The last line printed is one JSON object:
{"database", "rows", "start_s", "run_s", "rows_per_s", "failed_run_s", "created",
"specialists_created", "flags", "target_s", "ok"}.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "marketplace.settings")

import django

django.setup()

from django.core.files.uploadedfile import SimpleUploadedFile  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import override_settings  # noqa: E402

TARGET_S = 30.0
OTHER_VENDOR_CREDENTIALS = 500


def roster_csv(rows: int, *, bad_last_row: bool = False, prefix: str = "LIC") -> bytes:
    from vendors.services import ROSTER_COLUMNS

    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(ROSTER_COLUMNS)
    for n in range(rows):
        person = n // 2
        licence = n % 2 == 0
        writer.writerow(
            [
                f"Specialist {person}",
                f"specialist{person}@example.test",
                "nursing" if licence else "medicine",
                "rn" if licence else "doctorate",
                "Nursing and Midwifery Council" if licence else "University of Somewhere",
                f"{prefix}-{n:07d}" if licence else "",
                "2019-09-01",
                "2029-08-31" if licence else "",
            ]
        )
    if bad_last_row:
        writer.writerow(["Late Row", "late@example.test", "nursing", "rn", "NMC", "X-1", "bad", ""])
    return buffer.getvalue().encode()


def build() -> dict[str, object]:
    from marketplace.accounts.models import Role
    from marketplace.accounts.services import membership_set, user_create
    from marketplace.core.models import CredentialField, CredentialKind, QualificationLevel
    from vendors.models import Credential, Specialist
    from vendors.services import specialist_create, vendor_create

    nursing = CredentialField.objects.create(code="nursing", name="Nursing")
    CredentialField.objects.create(code="medicine", name="Medicine")
    rn = QualificationLevel.objects.create(
        code="rn", name="RN", kind=CredentialKind.LICENCE, ladder="nursing", rank=2
    )
    QualificationLevel.objects.create(
        code="doctorate", name="Doctorate", kind=CredentialKind.DEGREE, ladder="degree", rank=3
    )
    vendor = vendor_create(name="Bench Vendor")
    owner = user_create(email="owner@bench.test", password=None)
    membership_set(organisation=vendor.organisation, user=owner, role=Role.VENDOR_OWNER)
    # A tenth of the people are already on the roster (matched by e-mail, not duplicated).
    for person in range(0, 5000, 10):
        specialist_create(
            vendor=vendor,
            user=None,
            full_name=f"Specialist {person}",
            email=f"Specialist{person}@example.test",
        )
    # Another vendor already holds some of the licence numbers: each becomes a flag.
    other = vendor_create(name="Other Vendor")
    nurse = Specialist.objects.create(vendor=other, full_name="Elsewhere", email="e@x.test")
    Credential.objects.bulk_create(
        Credential(
            specialist=nurse,
            field=nursing,
            level=rn,
            issuer="NMC",
            identifier=f"LIC-{n:07d}",
            identifier_normalised=f"LIC{n:07d}",
        )
        for n in range(0, 2 * OTHER_VENDOR_CREDENTIALS * 10, 20)
    )
    second = vendor_create(name="Second Bench Vendor")
    membership_set(organisation=second.organisation, user=owner, role=Role.VENDOR_OWNER)
    return {"vendor": vendor, "second": second, "owner": owner}


def timed_import(vendor, owner, content: bytes) -> tuple[float, float, Any]:  # type: ignore[no-untyped-def]
    from unittest import mock

    from vendors import services

    upload = SimpleUploadedFile("roster.csv", content, "text/csv")
    # Timed on their own: the task is run below, not by the upload's on-commit hook.
    with mock.patch.object(services, "_send_roster_import"):
        started = time.perf_counter()
        roster_import = services.roster_import_start(
            vendor=vendor, user=owner, uploaded_file=upload
        )
        start_s = time.perf_counter() - started
    started = time.perf_counter()
    done = services.roster_import_run(import_id=roster_import.pk)
    run_s = time.perf_counter() - started
    return start_s, run_s, done


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=10_000)
    args = parser.parse_args()

    vendor_engine = connection.vendor
    scratch = tempfile.TemporaryDirectory(prefix="roster-bench-")
    if vendor_engine == "sqlite":
        # A file, as in the embedded mode, rather than the test settings' in-memory database.
        connection.settings_dict["TEST"]["NAME"] = str(Path(scratch.name) / "bench.sqlite3")
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        from vendors.models import DuplicateCredentialFlag

        with override_settings(MEDIA_ROOT=scratch.name):
            made = build()
            start_s, run_s, done = timed_import(
                made["vendor"], made["owner"], roster_csv(args.rows)
            )
            _, failed_run_s, failed = timed_import(
                made["second"],
                made["owner"],
                roster_csv(args.rows, bad_last_row=True, prefix="OTHER"),
            )
        assert done is not None and failed is not None
        result = {
            "database": vendor_engine,
            "rows": args.rows,
            "start_s": round(start_s, 3),
            "run_s": round(run_s, 3),
            "rows_per_s": round(args.rows / run_s),
            "failed_run_s": round(failed_run_s, 3),
            "status": done.status,
            "failed_status": failed.status,
            "created": done.rows_created,
            "specialists_created": done.specialists_created,
            "flags": DuplicateCredentialFlag.objects.count(),
            "target_s": TARGET_S,
            "ok": done.status == "done"
            and done.rows_created == args.rows
            and failed.status == "failed"
            and run_s < TARGET_S,
        }
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
        scratch.cleanup()
    print(
        f"{args.rows} rows on {vendor_engine}: upload checked in {start_s:.2f} s, "
        f"imported in {run_s:.2f} s ({result['rows_per_s']} rows/s); "
        f"a file with one bad row refused in {failed_run_s:.2f} s"
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
