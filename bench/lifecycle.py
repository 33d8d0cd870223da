"""Cost of the bid lifecycle's safety: submitting bids through `bid_submit` (permission
checks, the job row lock, deadline and roster checks, the revision record, the screening
request) against the floor of inserting the same bid rows with the bare ORM, in the same
run and database. Tasks go to an in-memory broker: this is the web process's share.

    python bench/lifecycle.py [--bids 300]

Runs on a throwaway test database created from DATABASE_URL (SQLite in memory when
unset). Prints both times, the ratio, and last a JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "marketplace.settings")

import django

django.setup()

from datetime import timedelta  # noqa: E402

from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402


def build(n_vendors: int):  # type: ignore[no-untyped-def]
    from labs.services import job_create, lab_create, seat_requirement_add
    from marketplace.accounts.services import membership_set, user_create
    from marketplace.core.models import CredentialField, Domain, QualificationLevel
    from marketplace.exchange.services import job_publish
    from vendors.services import (
        credential_add,
        credential_verify,
        specialist_create,
        vendor_create,
    )

    domain = Domain.objects.create(code="medical", name="Medical")
    field = CredentialField.objects.create(code="medicine", name="Medicine")
    level = QualificationLevel.objects.create(
        code="md", name="MD", kind="licence", ladder="physician", rank=1
    )
    lab = lab_create(name="Bench Lab")
    lab_user = user_create(email="procurement@bench.test", password=None)
    membership_set(organisation=lab.organisation, user=lab_user, role="procurement")
    jobs = []
    for label in ("service", "floor"):
        job = job_create(
            lab=lab,
            user=lab_user,
            title=f"Bench job ({label})",
            domain=domain,
            description="Benchmark",
            volume=100,
            volume_unit="items",
            budget_min=Decimal(1000),
            budget_max=Decimal(5000),
            currency="USD",
            question_deadline=timezone.now() + timedelta(days=1),
            bid_deadline=timezone.now() + timedelta(days=2),
            delivery_date=timezone.localdate() + timedelta(days=30),
        )
        seat_requirement_add(job=job, user=lab_user, count=1, field=field, min_level=level)
        jobs.append(job_publish(job=job, user=lab_user))
    admin = user_create(email="admin@bench.test", password=None)
    admin.is_staff = True
    admin.save(update_fields=["is_staff"])
    bidders = []
    for i in range(n_vendors):
        vendor = vendor_create(name=f"Bench Vendor {i}")
        user = user_create(email=f"bids{i}@bench.test", password=None)
        membership_set(organisation=vendor.organisation, user=user, role="bid_manager")
        specialist = specialist_create(vendor=vendor, user=user, full_name=f"Dr {i}")
        # A proposed specialist must be able to fill one of the job's seats.
        credential = credential_add(
            specialist=specialist, user=user, field=field, level=level, issuer="Board"
        )
        credential_verify(credential=credential, user=admin)
        bidders.append((vendor, user, specialist))
    return jobs, bidders


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bids", type=int, default=300)
    args = parser.parse_args()

    # The web process's cost: tasks the submission enqueues (the screening of the bid) go to
    # an in-memory broker here, as they would go to a worker in production.
    from marketplace.celery import app

    app.conf.task_always_eager = False
    app.conf.update(broker_url="memory://")

    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        from marketplace.exchange.models import Bid
        from marketplace.exchange.services import bid_submit

        (service_job, floor_job), bidders = build(args.bids)

        started = time.perf_counter()
        for i, (vendor, user, specialist) in enumerate(bidders):
            bid_submit(
                job=service_job,
                vendor=vendor,
                user=user,
                price=Decimal(2000 + i),
                currency="USD",
                timeline_days=20,
                specialists=[specialist],
            )
        service_s = time.perf_counter() - started

        started = time.perf_counter()
        for i, (vendor, user, specialist) in enumerate(bidders):
            bid = Bid.objects.create(
                job=floor_job,
                vendor=vendor,
                created_by=user,
                status="submitted",
                submitted_at=timezone.now(),
                price=Decimal(2000 + i),
                currency="USD",
                timeline_days=20,
            )
            bid.proposed_specialists.set([specialist])
        floor_s = time.perf_counter() - started
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)

    ratio = service_s / floor_s
    engine = connection.vendor
    print(f"{'bids':>6} {'database':>10} {'bid_submit s':>13} {'bare ORM s':>11} {'ratio':>6}")
    print(f"{args.bids:>6} {engine:>10} {service_s:>13.3f} {floor_s:>11.3f} {ratio:>6.2f}")
    print(
        json.dumps(
            {
                "bids": args.bids,
                "database": engine,
                "service_s": round(service_s, 4),
                "floor_s": round(floor_s, 4),
                "ratio": round(ratio, 2),
            }
        )
    )


if __name__ == "__main__":
    main()
