"""The partner API under load: gunicorn (DEBUG off, persistent database connections,
2 x cores + 1 workers) on PostgreSQL, driven by wrk (Debian's package) in the same run
against four targets:

- floor: /healthz, a bare Django view returning a small JSON body through the whole
  middleware stack: what the framework costs on this machine;
- job list: a vendor's view of open jobs, a page of 50 (GET /api/v1/vendor/jobs/);
- bid detail: one of the vendor's bids (GET /api/v1/vendor/bids/ID/);
- bid submission: a new bid by a vendor on a job (POST /api/v1/vendor/bids/), each
  request a different vendor x job pair, so every one is a real submission.

Each target runs twice: at its maximum rate (closed loop, wrk's connections always
busy), then paced at 70% of that rate (wrk's delay hook), where the p99/p50 latency
ratio is read. Prints a table and, last, one JSON line.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres python bench/api.py
        [--duration 10] [--connections 16] [--vendors 150] [--jobs 300]

The data lives in a database of its own (DATABASE_URL's server, name bench_api),
created and dropped by the run. Tasks the submissions enqueue (the bid screening) go
to Redis database 12, which nothing consumes during the run and which is emptied after.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BENCH_DB = "bench_api"
BENCH_REDIS = "redis://127.0.0.1:6379/12"
PACED_SHARE = 0.7
TARGETS = {  # name: minimum share of the floor's rate
    "job_list": 0.3,
    "bid_detail": 0.5,
    "bid_submit": 0.25,
}
P99_OVER_P50_MAX = 4.0

RESULT_LUA = r"""
done = function(summary, latency, requests)
  io.write(string.format(
    'WRK_RESULT {"requests": %d, "duration_us": %d, "non2xx": %d, "socket_errors": %d, ' ..
    '"p50_us": %d, "p99_us": %d}\n',
    summary.requests, summary.duration, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50), latency:percentile(99)))
end
"""


def database_url(name: str) -> str:
    base = os.environ.get("DATABASE_URL", "")
    if not base.startswith("postgres"):
        sys.exit("bench/api.py needs DATABASE_URL=postgres://... (PostgreSQL)")
    return urlunsplit(urlsplit(base)._replace(path=f"/{name}"))


def psql_admin(*args: str) -> None:
    parts = urlsplit(os.environ["DATABASE_URL"])
    host, user = parts.hostname or "127.0.0.1", parts.username or "postgres"
    subprocess.run([*args, "-h", host, "-U", user, BENCH_DB], check=False, capture_output=True)


def server_env() -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": database_url(BENCH_DB),
        "REDIS_URL": BENCH_REDIS,
        "DJANGO_DEBUG": "false",
        "DATABASE_CONN_MAX_AGE": "600",
        # The throttles would turn a load test into a test of the throttles.
        "API_THROTTLE_WRITE_KEY": "10000000/min",
        "API_THROTTLE_READ_KEY": "10000000/min",
        "API_THROTTLE_USER": "10000000/min",
        "PYTHONPATH": str(ROOT),
    }


def build(n_vendors: int, n_jobs: int) -> dict[str, object]:
    """A realistic marketplace: five labs with open jobs, vendors with a roster, a write
    API key each, and one submitted bid each (for the detail target)."""
    os.environ.update(server_env())
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "marketplace.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.utils import timezone

    call_command("migrate", verbosity=0)

    from labs.services import job_create, lab_create, seat_requirement_add
    from marketplace.accounts.services import membership_set, user_create
    from marketplace.celery import app
    from marketplace.core.models import CredentialField, Domain, QualificationLevel
    from marketplace.exchange.services import bid_submit, job_publish
    from marketplace.partners.services import api_key_create
    from vendors.services import (
        credential_add,
        credential_verify,
        specialist_create,
        vendor_create,
    )

    # Building the data enqueues matching and screening: nothing needs to run them here.
    app.conf.task_always_eager = False
    app.conf.update(broker_url="memory://")

    domain = Domain.objects.create(code="medical", name="Medical")
    field = CredentialField.objects.create(code="medicine", name="Medicine")
    level = QualificationLevel.objects.create(
        code="md", name="MD", kind="licence", ladder="physician", rank=1
    )
    jobs = []
    for lab_index in range(5):
        lab = lab_create(name=f"Bench Lab {lab_index}")
        lab_user = user_create(email=f"procurement{lab_index}@bench.test", password=None)
        membership_set(organisation=lab.organisation, user=lab_user, role="procurement")
        for job_index in range(n_jobs // 5):
            job = job_create(
                lab=lab,
                user=lab_user,
                title=f"Clinical answer grading, batch {lab_index}-{job_index}",
                domain=domain,
                description="Grade model answers to clinical questions against guidelines.",
                volume=1000 + job_index,
                volume_unit="items",
                budget_min=Decimal(10000),
                budget_max=Decimal(50000),
                currency="USD",
                question_deadline=timezone.now() + timedelta(days=5),
                bid_deadline=timezone.now() + timedelta(days=10),
                delivery_date=timezone.localdate() + timedelta(days=60),
            )
            seat_requirement_add(job=job, user=lab_user, count=1, field=field, min_level=level)
            jobs.append(job_publish(job=job, user=lab_user))

    admin = user_create(email="admin@bench.test", password=None)
    admin.is_staff = True
    admin.save(update_fields=["is_staff"])
    vendors = []
    for index in range(n_vendors):
        vendor = vendor_create(name=f"Bench Vendor {index}")
        user = user_create(email=f"bids{index}@bench.test", password=None)
        membership_set(organisation=vendor.organisation, user=user, role="bid_manager")
        specialists = [
            specialist_create(vendor=vendor, user=user, full_name=f"Dr Bench {index}-{n}")
            for n in range(3)
        ]
        # A proposed specialist must be able to fill one of the job's seats.
        credential = credential_add(
            specialist=specialists[0], user=user, field=field, level=level, issuer="Board"
        )
        credential_verify(credential=credential, user=admin)
        _, raw_key = api_key_create(organisation=vendor.organisation, scope="write", name="bench")
        bid = bid_submit(
            job=jobs[0],
            vendor=vendor,
            user=user,
            price=Decimal(20000 + index),
            currency="USD",
            timeline_days=30,
            specialists=specialists[:1],
        )
        vendors.append({"key": raw_key, "bid": bid.pk, "specialist": specialists[0].pk})
    return {"jobs": [job.pk for job in jobs[1:]], "vendors": vendors}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_gunicorn(port: int, workers: int, log: Path) -> subprocess.Popen[bytes]:
    command = [
        sys.executable, "-m", "gunicorn", "marketplace.wsgi:application",
        "--workers", str(workers), "--bind", f"127.0.0.1:{port}",
        "--keep-alive", "30", "--access-logfile", "/dev/null", "--error-logfile", str(log),
    ]  # fmt: skip
    process = subprocess.Popen(
        command, cwd=ROOT, env=server_env(), start_new_session=True, stdin=subprocess.DEVNULL
    )
    import requests

    for _ in range(150):
        try:
            if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1).ok:
                return process
        except requests.RequestException:
            pass
        time.sleep(0.2)
    process.kill()
    sys.exit(f"gunicorn did not start: see {log}")


def lua_string(value: str) -> str:
    return json.dumps(value)  # A JSON string literal is a valid Lua string literal here.


def get_script(path: str, key: str | None) -> str:
    lines = [f"wrk.path = {lua_string(path)}"]
    if key:
        lines.append(f'wrk.headers["Authorization"] = {lua_string("Bearer " + key)}')
    return "\n".join(lines) + "\n"


def submit_script(pairs: list[tuple[str, str]], threads: int) -> str:
    """Each request a different (key, body) pair; threads take interleaved slices."""
    keys = ",\n".join(lua_string("Bearer " + key) for key, _ in pairs)
    bodies = ",\n".join(lua_string(body) for _, body in pairs)
    return f"""
local keys = {{ {keys} }}
local bodies = {{ {bodies} }}
local next_thread = 0
function setup(thread)
  thread:set("offset", next_thread)
  next_thread = next_thread + 1
end
local counter = -1
function request()
  counter = counter + 1
  local i = (offset + counter * {threads}) % #bodies + 1
  return wrk.format("POST", "/api/v1/vendor/bids/", {{
    ["Authorization"] = keys[i], ["Content-Type"] = "application/json"}}, bodies[i])
end
"""


def run_wrk(
    url: str, script: str, *, duration: int, connections: int, threads: int, delay_ms: float
) -> dict[str, float]:
    body = script + RESULT_LUA
    if delay_ms > 0:
        body += f"\nfunction delay() return {delay_ms:.3f} end\n"
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(body)
        path = handle.name
    try:
        result = subprocess.run(
            ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{duration}s",
             "--timeout", "10s", "-s", path, url],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
    finally:
        os.unlink(path)
    match = re.search(r"WRK_RESULT (\{.*\})", result.stdout)
    if not match:
        sys.exit(f"wrk printed no result:\n{result.stdout}\n{result.stderr}")
    raw = json.loads(match.group(1))
    seconds = raw["duration_us"] / 1e6
    return {
        "rps": raw["requests"] / seconds,
        "requests": raw["requests"],
        "p50_ms": raw["p50_us"] / 1000,
        "p99_ms": raw["p99_us"] / 1000,
        "errors": raw["non2xx"] + raw["socket_errors"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--vendors", type=int, default=150)
    parser.add_argument("--jobs", type=int, default=300)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("bench/api.py needs wrk (Debian package wrk)")

    psql_admin("dropdb", "--if-exists", "--force")
    psql_admin("createdb")
    subprocess.run(["redis-cli", "-n", BENCH_REDIS.rsplit("/", 1)[1], "flushdb"], check=False)
    workers = 2 * (os.cpu_count() or 1) + 1
    port = free_port()
    server = None
    try:
        data = build(args.vendors, args.jobs)
        vendors, jobs = data["vendors"], data["jobs"]
        pairs = [
            (
                vendor["key"],
                json.dumps(
                    {
                        "job": job,
                        "price": "25000.00",
                        "currency": "USD",
                        "timeline_days": 30,
                        "specialists": [vendor["specialist"]],
                    }
                ),
            )
            for job in jobs  # type: ignore[attr-defined]
            for vendor in vendors  # type: ignore[attr-defined]
        ]
        log = Path(tempfile.gettempdir()) / "bench-api-gunicorn.log"
        server = start_gunicorn(port, workers, log)
        url = f"http://127.0.0.1:{port}"
        first = vendors[0]  # type: ignore[index]
        scripts = {
            "floor": lambda: get_script("/healthz", None),
            "job_list": lambda: get_script("/api/v1/vendor/jobs/?limit=50", first["key"]),
            "bid_detail": lambda: get_script(f"/api/v1/vendor/bids/{first['bid']}/", first["key"]),
        }
        used = 0

        def next_submit_script(requests_expected: int) -> str:
            nonlocal used
            # Each run gets pairs no earlier run used: a repeat would be a refused duplicate.
            chunk = pairs[used : used + requests_expected]
            used += len(chunk)
            return submit_script(chunk, args.threads)

        results: dict[str, dict[str, dict[str, float]]] = {}
        # Warm every worker's connections and caches first.
        run_wrk(url, scripts["floor"](), duration=2, connections=args.connections,
                threads=args.threads, delay_ms=0)  # fmt: skip
        for name in ("floor", "job_list", "bid_detail", "bid_submit"):
            budget = len(pairs) - used
            script = scripts[name]() if name != "bid_submit" else next_submit_script(budget // 2)
            peak = run_wrk(url, script, duration=args.duration, connections=args.connections,
                           threads=args.threads, delay_ms=0)  # fmt: skip
            # Closed loop: each connection waits c/rate per request; pace to 70% of the rate.
            per_request_ms = 1000 * args.connections / peak["rps"]
            delay_ms = per_request_ms * (1 / PACED_SHARE - 1)
            script = scripts[name]() if name != "bid_submit" else next_submit_script(budget // 2)
            paced = run_wrk(url, script, duration=args.duration, connections=args.connections,
                            threads=args.threads, delay_ms=delay_ms)  # fmt: skip
            results[name] = {"peak": peak, "paced": paced}
    finally:
        if server is not None:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)
        from django.db import connections

        connections.close_all()
        psql_admin("dropdb", "--if-exists", "--force")
        subprocess.run(["redis-cli", "-n", BENCH_REDIS.rsplit("/", 1)[1], "flushdb"], check=False)

    floor_rps = results["floor"]["peak"]["rps"]
    print(f"gunicorn {workers} workers, wrk {args.threads} threads x {args.connections} "
          f"connections, {args.duration} s per run, PostgreSQL")  # fmt: skip
    header = (
        f"{'target':<11} {'req/s':>8} {'p50 ms':>7} {'p99 ms':>7} {'x floor':>8} {'goal':>6}"
        f" {'70% req/s':>9} {'p50 ms':>7} {'p99 ms':>7} {'p99/p50':>7} {'errors':>6}"
    )
    print(header)
    summary: dict[str, object] = {"workers": workers, "connections": args.connections}
    for name, runs in results.items():
        peak, paced = runs["peak"], runs["paced"]
        ratio = peak["rps"] / floor_rps
        tail = paced["p99_ms"] / paced["p50_ms"] if paced["p50_ms"] else float("inf")
        goal = TARGETS.get(name)
        print(
            f"{name:<11} {peak['rps']:>8.0f} {peak['p50_ms']:>7.1f} {peak['p99_ms']:>7.1f} "
            f"{ratio:>8.2f} {('>=' + str(goal)) if goal else '':>6} {paced['rps']:>9.0f} "
            f"{paced['p50_ms']:>7.1f} {paced['p99_ms']:>7.1f} {tail:>7.2f} "
            f"{int(peak['errors'] + paced['errors']):>6}"
        )
        summary[name] = {
            "rps": round(peak["rps"], 1),
            "p50_ms": round(peak["p50_ms"], 2),
            "p99_ms": round(peak["p99_ms"], 2),
            "ratio_to_floor": round(ratio, 3),
            "target_ratio": goal,
            "meets_ratio": goal is None or ratio >= goal,
            "paced_rps": round(paced["rps"], 1),
            "paced_p50_ms": round(paced["p50_ms"], 2),
            "paced_p99_ms": round(paced["p99_ms"], 2),
            "paced_p99_over_p50": round(tail, 2),
            "meets_tail": tail <= P99_OVER_P50_MAX,
            "errors": int(peak["errors"] + paced["errors"]),
        }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
