"""Runs every benchmark in bench/ one after another, each in its own process, and prints
one table of their headline figures, then one JSON line with every benchmark's own last
line. `make bench` runs this.

    DATABASE_URL=postgres://... python bench/run_all.py [--quick] [--only api,rescreen]

--quick passes smaller sizes to each benchmark (a smoke run of the harness; its figures
are not the documented ones).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent

# name: (script, full-size arguments, quick arguments, headline reader)
BENCHMARKS: dict[str, tuple[str, list[str], list[str]]] = {
    "screening": ("screening.py", [], ["--entities", "5000", "--stakes", "12000",
                                       "--vendors", "300", "--competitors", "5"]),
    "matching": ("matching.py", [], ["--vendors", "300", "--specialists", "3000",
                                     "--credentials", "9000"]),
    "roster_import": ("roster_import.py", [], ["--rows", "1000"]),
    "bid_submit": ("lifecycle.py", ["--bids", "200"], ["--bids", "30"]),
    "rescreen": ("rescreen.py", [], ["--sizes", "50,100"]),
    "api": ("api.py", [], ["--duration", "3", "--vendors", "20", "--jobs", "25"]),
}  # fmt: skip


def headline(name: str, result: dict) -> list[tuple[str, str, str, str]]:
    """(measure, ours, baseline or target, verdict) rows for the table."""
    if name == "screening":
        return [
            ("screening: every vendor x competitor", f"{result['ours_s']:.2f} s",
             f"networkx {result['networkx_s']:.1f} s", f"{result['speedup']:.0f}x (>= 20x)"),
            ("one screening", f"{result['single_ms']:.1f} ms", "", "< 50 ms"),
        ]  # fmt: skip
    if name == "matching":
        return [
            ("matching: full job_match", f"{result['ours_s']:.3f} s",
             f"SQL floor {result['sql_floor_s']:.3f} s", f"{result['ratio']:.2f}x (<= 3x)"),
        ]  # fmt: skip
    if name == "roster_import":
        return [
            (f"roster import: {result['rows']:,} rows", f"{result['run_s']:.2f} s", "",
             f"< {result['target_s']} s"),
        ]  # fmt: skip
    if name == "bid_submit":
        return [
            ("bid_submit vs bare ORM insert", f"{result['service_s']:.2f} s",
             f"ORM {result['floor_s']:.2f} s", f"{result['ratio']:.2f}x"),
        ]  # fmt: skip
    if name == "rescreen":
        return [
            (f"re-screen after one stake change: {size['vendors']:,} vendors",
             f"{size['seconds']:.1f} s", f"{size['screenings']:,} screenings",
             "< 60 s" if size["vendors"] == 1000 else "")
            for size in result["sizes"]
        ]  # fmt: skip
    if name == "api":
        rows = []
        floor = result["floor"]
        rows.append(("API floor (/healthz)", f"{floor['rps']:.0f} req/s",
                     f"p50 {floor['p50_ms']:.1f} / p99 {floor['p99_ms']:.1f} ms", ""))  # fmt: skip
        for target in ("job_list", "bid_detail", "bid_submit"):
            figures = result[target]
            ratio, tail = figures["ratio_to_floor"], figures["paced_p99_over_p50"]
            rows.append((
                f"API {target} (x floor; p99/p50 at 70%)",
                f"{figures['rps']:.0f} req/s",
                f"{ratio:.2f}x floor; p99/p50 {tail:.1f}",
                f">= {figures['target_ratio']}x; <= 4",
            ))  # fmt: skip
        return rows
    return [(name, json.dumps(result), "", "")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", default="")
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("make bench needs DATABASE_URL=postgres://... (the benchmarks use PostgreSQL)")
    chosen = [n for n in args.only.split(",") if n] or list(BENCHMARKS)
    results: dict[str, dict] = {}
    failed: list[str] = []
    for name in chosen:
        script, full, quick = BENCHMARKS[name]
        command = [sys.executable, str(BENCH / script), *(quick if args.quick else full)]
        print(f"== {name}: {' '.join(command[1:])}", flush=True)
        started = time.monotonic()
        run = subprocess.run(command, capture_output=True, text=True)
        print(run.stdout.rstrip()[-3000:], flush=True)
        last = run.stdout.strip().splitlines()[-1] if run.stdout.strip() else ""
        try:
            results[name] = json.loads(last)
        except json.JSONDecodeError:
            failed.append(name)
            print(run.stderr[-3000:], file=sys.stderr)
        print(f"   ({time.monotonic() - started:.0f} s)", flush=True)

    rows = [row for name, result in results.items() for row in headline(name, result)]
    widths = [max(len(row[i]) for row in [("measure", "ours", "baseline", "goal"), *rows])
              for i in range(4)]  # fmt: skip
    print()
    for row in [("measure", "ours", "baseline", "goal"), *rows]:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))
    print(json.dumps(results))
    if failed:
        sys.exit(f"failed: {', '.join(failed)}")


if __name__ == "__main__":
    main()
