"""Mass re-screening through a real worker: one stake change upstream of many vendors
with open bids across 50 labs, timed from the commit of the change until every owed
screening (each vendor against each involved lab, and each open bid) is computed.

The ownership web: holding companies H100, H1000 and H5000 own 70% of the first 100,
1,000 and 5,000 vendors. Each lab counts rivals R100, R1000 and R5000 as competitors.
Each vendor has a submitted bid on an open job of one of the 50 labs. The change for a
size N is "R<N> acquires 30% of H<N>": every vendor under H<N> becomes 21% owned by a
competitor of its lab, so its verdict turns to blocked and the lab is told.

    DATABASE_URL=postgres://... python bench/rescreen.py [--sizes 100,1000,5000]
        [--labs 50] [--concurrency 2]

The run builds a database of its own (DATABASE_URL's server, name bench_rescreen),
starts `celery worker` on Redis database 13, and drops both afterwards. The goal is
under 60 s for 1,000 vendors. The last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BENCH_DB = "bench_rescreen"
BENCH_REDIS = "redis://127.0.0.1:6379/13"
GOAL_SECONDS: dict[int, float] = {1000: 60.0}
TIMEOUT_SECONDS = 900
NODENAME = f"rescreen-bench-{os.getpid()}@{socket.gethostname()}"


def database_url() -> str:
    base = os.environ.get("DATABASE_URL", "")
    if not base.startswith("postgres"):
        sys.exit("bench/rescreen.py needs DATABASE_URL=postgres://... (PostgreSQL)")
    return urlunsplit(urlsplit(base)._replace(path=f"/{BENCH_DB}"))


def admin(command: str) -> None:
    parts = urlsplit(os.environ["DATABASE_URL"])
    subprocess.run(
        [command, "-h", parts.hostname or "127.0.0.1", "-U", parts.username or "postgres",
         *(["--if-exists", "--force"] if command == "dropdb" else []), BENCH_DB],
        check=False, capture_output=True,
    )  # fmt: skip


def bench_env() -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": database_url(),
        "REDIS_URL": BENCH_REDIS,
        "DJANGO_DEBUG": "false",
        "DJANGO_EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
        "PYTHONPATH": str(ROOT),
    }


def build(sizes: list[int], n_labs: int) -> dict[int, dict[str, int]]:
    """Returns, per size, the rival's and the holding company's entity ids."""
    from django.core.management import call_command
    from django.utils import timezone

    call_command("migrate", verbosity=0)

    from labs.services import competitor_add, job_create, lab_create, seat_requirement_add
    from marketplace.accounts.services import membership_set, user_create
    from marketplace.core.models import CredentialField, Domain, QualificationLevel
    from marketplace.exchange.models import Bid, BidStatus
    from marketplace.exchange.services import job_publish
    from marketplace.ownership.models import OwnershipChange, Stake
    from marketplace.ownership.services import entity_create
    from vendors.services import vendor_create

    domain = Domain.objects.create(code="medical", name="Medical")
    field = CredentialField.objects.create(code="medicine", name="Medicine")
    level = QualificationLevel.objects.create(
        code="md", name="MD", kind="licence", ladder="physician", rank=1
    )
    webs = {
        size: {
            "rival": entity_create(name=f"Rival {size}", entity_type="registeredEntity").pk,
            "holding": entity_create(name=f"Holding {size}", entity_type="registeredEntity").pk,
        }
        for size in sizes
    }
    from marketplace.ownership.models import Entity

    jobs = []
    for index in range(n_labs):
        lab = lab_create(name=f"Rescreen Lab {index}")
        user = user_create(email=f"owner{index}@rescreen.test", password=None)
        membership_set(organisation=lab.organisation, user=user, role="lab_owner")
        for web in webs.values():
            competitor_add(lab=lab, user=user, entity=Entity.objects.get(pk=web["rival"]))
        job = job_create(
            lab=lab,
            user=user,
            title=f"Triage notes review {index}",
            domain=domain,
            description="Review triage notes.",
            volume=500,
            volume_unit="items",
            budget_min=Decimal(10000),
            budget_max=Decimal(40000),
            currency="USD",
            question_deadline=timezone.now() + timedelta(days=5),
            bid_deadline=timezone.now() + timedelta(days=10),
            delivery_date=timezone.localdate() + timedelta(days=60),
        )
        seat_requirement_add(job=job, user=user, count=1, field=field, min_level=level)
        jobs.append(job_publish(job=job, user=user))

    largest = max(sizes)
    bidder = user_create(email="bids@rescreen.test", password=None)
    vendors = [vendor_create(name=f"Rescreen Vendor {index}") for index in range(largest)]
    # The bids' own lifecycle is not what is measured: bulk rows, as submitted bids.
    now = timezone.now()
    Bid.objects.bulk_create(
        Bid(
            job=jobs[index % n_labs],
            vendor=vendor,
            status=BidStatus.SUBMITTED,
            price=Decimal(20000),
            currency="USD",
            timeline_days=30,
            created_by=bidder,
            submitted_at=now,
            revision_number=1,
        )
        for index, vendor in enumerate(vendors)
    )
    # The web below the holdings is the starting point, not the change: bulk rows.
    Stake.objects.bulk_create(
        Stake(
            record_id=f"bench-{size}-{vendor.pk}",
            interested_party_id=web["holding"],
            subject_id=vendor.entity_id,
            interest_type="shareholding",
            provenance="self_declared",
            share_exact=Decimal(70),
        )
        for size, web in webs.items()
        for vendor in vendors[:size]
    )
    # The web as built is the starting point: only the measured change is news.
    OwnershipChange.objects.update(processed_at=timezone.now())
    return webs


def start_worker(concurrency: int, log: Path) -> subprocess.Popen[bytes]:
    command = [
        sys.executable, "-m", "celery", "-A", "marketplace", "worker", "-l", "info",
        "--concurrency", str(concurrency), "--without-gossip", "--without-mingle",
        "-n", NODENAME,
    ]  # fmt: skip
    with log.open("wb") as handle:
        return subprocess.Popen(
            command, cwd=ROOT, env=bench_env(), stdout=handle, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip


def wait_for_worker(worker: subprocess.Popen[bytes]) -> None:
    """The worker's start-up is not part of a re-screening."""
    from marketplace.celery import app

    for _ in range(120):
        if worker.poll() is not None:
            sys.exit("the worker exited: see /tmp/bench-rescreen-worker.log")
        if app.control.ping(destination=[NODENAME], timeout=1):
            return
    sys.exit("the worker did not answer a ping within two minutes")


def wait_until_idle() -> None:
    """Each measurement starts with nothing queued or running."""
    from marketplace.celery import app

    quiet = 0
    for _ in range(600):
        with app.connection_for_write() as connection:
            queued = connection.default_channel.client.llen("celery")  # type: ignore[attr-defined]  # Redis channel
        inspector = app.control.inspect(destination=[NODENAME], timeout=1)
        busy = sum(len(v) for v in (inspector.active() or {}).values())
        quiet = quiet + 1 if queued == 0 and busy == 0 else 0
        if quiet >= 2:
            return
        time.sleep(0.5)
    sys.exit("the worker did not go idle")


def measure(size: int, web: dict[str, int]) -> dict[str, float]:
    from django.db import transaction
    from django.utils import timezone

    from marketplace.exchange.models import Screening
    from marketplace.ownership.models import Entity
    from marketplace.ownership.services import stake_create
    from vendors.models import Vendor

    vendor_ids = list(
        Vendor.objects.filter(entity_id__in=_vendors_under(web["holding"])).values_list(
            "pk", flat=True
        )
    )
    started_at = timezone.now()
    started = time.monotonic()
    with transaction.atomic():
        stake_create(
            interested_party=Entity.objects.get(pk=web["rival"]),
            subject=Entity.objects.get(pk=web["holding"]),
            interest_type="shareholding",
            provenance="self_declared",
            share_exact=Decimal(30),
        )
    # Every vendor under the holding: one screening for its lab, one for its bid.
    expected = 2 * len(vendor_ids)
    while True:
        done = Screening.objects.filter(
            vendor_id__in=vendor_ids, computed_at__gte=started_at, state="done"
        ).count()
        if done >= expected:
            break
        if time.monotonic() - started > TIMEOUT_SECONDS:
            sys.exit(f"size {size}: only {done} of {expected} screenings after {TIMEOUT_SECONDS} s")
        time.sleep(0.2)
    seconds = time.monotonic() - started
    blocked = Screening.objects.filter(vendor_id__in=vendor_ids, verdict="blocked").count()
    return {"vendors": len(vendor_ids), "screenings": expected, "seconds": round(seconds, 2),
            "blocked": blocked}  # fmt: skip


def _vendors_under(holding_id: int):  # type: ignore[no-untyped-def]
    from marketplace.ownership.models import Stake

    return Stake.objects.filter(interested_party_id=holding_id).values("subject_id")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="100,1000,5000")
    parser.add_argument("--labs", type=int, default=50)
    parser.add_argument("--concurrency", type=int, default=2)
    args = parser.parse_args()
    sizes = sorted(int(size) for size in args.sizes.split(","))

    admin("dropdb")
    admin("createdb")
    subprocess.run(["redis-cli", "-n", BENCH_REDIS.rsplit("/", 1)[1], "flushdb"], check=False)
    os.environ.update(bench_env())
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "marketplace.settings")
    import django

    django.setup()
    worker = None
    results: list[dict[str, Any]] = []
    try:
        started = time.monotonic()
        webs = build(sizes, args.labs)
        print(
            f"built {max(sizes):,} vendors, {args.labs} labs in {time.monotonic() - started:.0f} s"
        )
        # Building enqueued matching and re-screenings nobody needs: the run starts empty.
        subprocess.run(["redis-cli", "-n", BENCH_REDIS.rsplit("/", 1)[1], "flushdb"], check=False)
        log = Path("/tmp/bench-rescreen-worker.log")
        worker = start_worker(args.concurrency, log)
        wait_for_worker(worker)
        for size in sizes:
            wait_until_idle()
            row = measure(size, webs[size])
            results.append(row)
            print(f"{size:>6} vendors: {row['seconds']:7.2f} s "
                  f"({row['screenings']:,} screenings, {row['blocked']:,} blocked)")  # fmt: skip
    finally:
        if worker is not None:
            worker.send_signal(signal.SIGTERM)
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(worker.pid, signal.SIGKILL)
        from django.db import connections

        connections.close_all()
        admin("dropdb")
        subprocess.run(["redis-cli", "-n", BENCH_REDIS.rsplit("/", 1)[1], "flushdb"], check=False)

    base = results[0]
    print(f"{'vendors':>8} {'seconds':>8} {'per vendor ms':>14} {'x smallest':>10}")
    for row in results:
        print(f"{row['vendors']:>8} {row['seconds']:>8.2f} "
              f"{1000 * row['seconds'] / row['vendors']:>14.2f} "
              f"{row['seconds'] / base['seconds']:>10.2f}")  # fmt: skip
    goal = next((r for r in results if r["vendors"] in GOAL_SECONDS), None)
    print(json.dumps({
        "sizes": results,
        "labs": args.labs,
        "concurrency": args.concurrency,
        "goal_s": GOAL_SECONDS,
        "meets_goal": goal is None or goal["seconds"] < GOAL_SECONDS[goal["vendors"]],
    }))  # fmt: skip


if __name__ == "__main__":
    main()
