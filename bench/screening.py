"""Screening at scale: 100,000 entities and 250,000 stakes (chains, diamonds, cycles,
ranges, unknown shares, voting stakes), 5,000 vendors screened for one lab with 20
competitors, against a straightforward networkx implementation of the same rules in the
same run. Both start from the same database rows; the answers are compared.

    DATABASE_URL=postgres://... python bench/screening.py [--entities 100000]
        [--stakes 250000] [--vendors 5000] [--competitors 20] [--seed 7]

Runs on a throwaway test database created from DATABASE_URL. The last line printed is
one JSON object: {"ours_s", "networkx_s", "speedup", "single_ms", "agree", ...}.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import statistics
import sys
import time
from collections import Counter
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "marketplace.settings")

import django

django.setup()

import networkx as nx  # noqa: E402
from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402

LEVELS = 8  # vendors at level 0, competitors and funds at the top


def build(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from labs.models import Competitor, ConflictPolicy, Lab
    from marketplace.accounts.models import Organisation
    from marketplace.ownership.models import Entity, Stake
    from vendors.models import Vendor

    rng = random.Random(args.seed)
    n = args.entities
    top = max(args.competitors * 10, n // 50)
    per_level = (n - args.vendors - top) // (LEVELS - 2)
    level_sizes = [args.vendors] + [per_level] * (LEVELS - 2)
    level_sizes.append(n - sum(level_sizes))
    levels: list[list[int]] = []
    entities = []
    next_id = 1
    for depth, size in enumerate(level_sizes):
        ids = list(range(next_id, next_id + size))
        next_id += size
        levels.append(ids)
        kind = "knownPerson" if depth == LEVELS - 1 else "registeredEntity"
        for i in ids:
            entities.append(
                Entity(
                    pk=i,
                    record_id=f"bench-{i}",
                    name=f"Entity {i}",
                    record_type="person" if kind == "knownPerson" else "entity",
                    entity_type=kind,
                )
            )
    # Competitors are companies near the top, so they sit at the head of long chains.
    competitor_ids = rng.sample(levels[LEVELS - 2], args.competitors)
    Entity.objects.bulk_create(entities, batch_size=5000)

    stakes: list[Stake] = []
    pairs: set[tuple[int, int]] = set()
    today = date.today()

    def add(party: int, subject: int) -> None:
        if party == subject or (party, subject) in pairs:
            return
        pairs.add((party, subject))
        roll = rng.random()
        kind = "votingRights" if roll < 0.12 else "shareholding"
        exact = low = high = None
        shape = rng.random()
        if shape < 0.80:
            exact = Decimal(rng.randint(5, 60))
        elif shape < 0.97:
            low = Decimal(rng.randint(5, 40))
            high = low + Decimal(rng.randint(1, 20))
        # else: unknown share
        start = today - timedelta(days=rng.randint(30, 3000))
        end = today - timedelta(days=rng.randint(1, 29)) if rng.random() < 0.03 else None
        stakes.append(
            Stake(
                record_id=f"bench-rel-{len(stakes)}",
                interested_party_id=party,
                subject_id=subject,
                interest_type=kind,
                share_exact=exact,
                share_min=low,
                share_max=high,
                provenance="imported",
                start_date=start,
                end_date=end,
            )
        )

    # Every entity below the top gets owners one or two levels up: chains and diamonds.
    target = args.stakes
    below_top = [i for depth in range(LEVELS - 1) for i in levels[depth]]
    while len(stakes) < target * 0.97:
        subject = rng.choice(below_top)
        depth = next(d for d in range(LEVELS) if levels[d][0] <= subject <= levels[d][-1])
        up = min(LEVELS - 1, depth + (1 if rng.random() < 0.85 else 2))
        add(rng.choice(levels[up]), subject)
    # Competitors hold stakes in a few companies below them.
    for competitor in competitor_ids:
        for _ in range(5):
            add(competitor, rng.choice(levels[LEVELS - 3]))
    # Upward stakes close cycles (a subsidiary holding shares in a parent).
    while len(stakes) < target:
        depth = rng.randint(1, LEVELS - 3)
        add(rng.choice(levels[depth]), rng.choice(levels[depth + 1]))
    Stake.objects.bulk_create(stakes, batch_size=5000)
    with connection.cursor() as cursor:
        for table in ("ownership_entity", "ownership_stake"):
            if connection.vendor == "postgresql":
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT MAX(id) FROM {table}))"
                )
                cursor.execute(f"ANALYZE {table}")

    lab_org = Organisation.objects.create(kind="lab", name="Bench Lab", slug="bench-lab")
    lab_entity = Entity.objects.create(record_id="bench-lab", name="Bench Lab")
    lab = Lab.objects.create(organisation=lab_org, entity=lab_entity)
    ConflictPolicy.objects.create(lab=lab)
    Competitor.objects.bulk_create([Competitor(lab=lab, entity_id=c) for c in competitor_ids])
    orgs = Organisation.objects.bulk_create(
        [Organisation(kind="vendor", name=f"Vendor {i}", slug=f"vendor-{i}") for i in levels[0]],
        batch_size=5000,
    )
    Vendor.objects.bulk_create(
        [Vendor(organisation=o, entity_id=e) for o, e in zip(orgs, levels[0], strict=True)],
        batch_size=5000,
    )
    return lab, competitor_ids


# --- the straightforward networkx way ------------------------------------------------------


ECONOMIC = {"shareholding"}
VOTING = {"votingRights"}


def networkx_screening(lab, vendors, as_of, max_depth, floor):  # type: ignore[no-untyped-def]
    """Per vendor and competitor: every simple path in networkx, multiplied and summed."""
    from marketplace.ownership.models import Stake

    graph = nx.DiGraph()
    for party, subject, kind, exact, low, high in Stake.objects.active_on(as_of).values_list(
        "interested_party_id",
        "subject_id",
        "interest_type",
        "share_exact",
        "share_min",
        "share_max",
    ):
        lo = float(exact if exact is not None else (low if low is not None else 0)) / 100
        hi = float(exact if exact is not None else (high if high is not None else 100)) / 100
        if not graph.has_edge(party, subject):
            graph.add_edge(party, subject, eco=(0.0, 0.0), vote=(0.0, 0.0))
        data = graph.edges[party, subject]
        if kind in ECONOMIC:
            data["eco"] = (max(data["eco"][0], lo), max(data["eco"][1], hi))
        if kind in VOTING:
            data["vote"] = (max(data["vote"][0], lo), max(data["vote"][1], hi))
    competitors = set(lab.competitors.values_list("entity_id", flat=True))
    answers = {}
    for vendor in vendors:
        v = vendor.entity_id
        if v not in graph:
            continue
        for c in competitors & nx.ancestors(graph, v):
            eco = [0.0, 0.0]
            vote = [0.0, 0.0]
            for path in nx.all_simple_paths(graph, c, v, cutoff=max_depth):
                pe = [1.0, 1.0]
                pv = [1.0, 1.0]
                material = True
                for a, b in itertools.pairwise(path):
                    data = graph.edges[a, b]
                    pe = [pe[0] * data["eco"][0], pe[1] * data["eco"][1]]
                    pv = [pv[0] * data["vote"][0], pv[1] * data["vote"][1]]
                    if pe[1] < floor and pv[1] < floor:
                        material = False  # the same materiality floor, applied per prefix
                        break
                if material:
                    eco = [eco[0] + pe[0], eco[1] + pe[1]]
                    vote = [vote[0] + pv[0], vote[1] + pv[1]]
            if eco[1] > 0 or vote[1] > 0:
                answers[(vendor.pk, c)] = (
                    min(1, eco[0]),
                    min(1, eco[1]),
                    min(1, vote[0]),
                    min(1, vote[1]),
                )
    return answers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--entities", type=int, default=100_000)
    parser.add_argument("--stakes", type=int, default=250_000)
    parser.add_argument("--vendors", type=int, default=5_000)
    parser.add_argument("--competitors", type=int, default=20)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        print(
            "note: DATABASE_URL is not PostgreSQL; the targets are for PostgreSQL", file=sys.stderr
        )

    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        from marketplace.exchange.screening import compute_screening, screen_vendors
        from vendors.models import Vendor

        started = time.perf_counter()
        lab, _competitor_ids = build(args)
        build_s = time.perf_counter() - started
        vendors = list(Vendor.objects.select_related("entity", "organisation"))
        as_of = date.today()
        max_depth = settings.OWNERSHIP_MAX_DEPTH
        floor = float(settings.OWNERSHIP_MATERIALITY_FLOOR_PERCENT) / 100

        started = time.perf_counter()
        results = screen_vendors(lab=lab, vendors=vendors, as_of=as_of)
        ours_s = time.perf_counter() - started

        started = time.perf_counter()
        theirs = networkx_screening(lab, vendors, as_of, max_depth, floor)
        networkx_s = time.perf_counter() - started

        ours = {}
        for vendor_id, result in results.items():
            for entry in result.evidence["competitors"]:
                c = int(entry["record_id"].split("-")[1])
                e, v = entry["economic"], entry["voting"]
                if e["max"] > 0 or v["max"] > 0:
                    ours[(vendor_id, c)] = (
                        e["min"] / 100,
                        e["max"] / 100,
                        v["min"] / 100,
                        v["max"] / 100,
                    )
        agree = ours.keys() == theirs.keys() and all(
            abs(a - b) < 1e-9 for key in ours for a, b in zip(ours[key], theirs[key], strict=True)
        )

        # One lab x vendor screening as the service runs it: load upstream, compute.
        sample = random.Random(args.seed).sample(vendors, 50)
        timings = []
        for vendor in sample:
            started = time.perf_counter()
            compute_screening(lab=lab, vendor=vendor, as_of=as_of)
            timings.append((time.perf_counter() - started) * 1000)
        single_ms = statistics.median(timings)
        verdicts = Counter(r.verdict for r in results.values())
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)

    speedup = networkx_s / ours_s
    print(
        f"graph: {args.entities} entities, {args.stakes} stakes, {args.vendors} vendors, "
        f"{args.competitors} competitors; built in {build_s:.1f} s on {connection.vendor}"
    )
    print(f"verdicts: {dict(verdicts)}; exposed pairs: {len(ours)}")
    print(f"{'':>28} {'seconds':>9}")
    print(f"{'ours (load + screen all)':>28} {ours_s:>9.2f}")
    print(f"{'networkx (load + screen all)':>28} {networkx_s:>9.2f}")
    print(
        f"speedup {speedup:.1f}x; one screening (median of 50, from the database) "
        f"{single_ms:.1f} ms; answers agree: {agree}"
    )
    print(
        json.dumps(
            {
                "ours_s": round(ours_s, 3),
                "networkx_s": round(networkx_s, 3),
                "speedup": round(speedup, 1),
                "single_ms": round(single_ms, 2),
                "agree": agree,
                "pairs": len(ours),
                "database": connection.vendor,
            }
        )
    )


if __name__ == "__main__":
    main()
