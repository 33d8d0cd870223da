"""Matching jobs to vendors (DESIGN section 5): who is eligible, and in what order the
eligible are invited. Computation only, no writes: services/matching.py stores invitations.

Written by hand because it is the product's own logic (see docs/matching.md):

- **Eligibility.** A vendor is eligible for a job when (a) it holds every attestation the
  job requires, valid through the delivery date; (b) it can staff every seat requirement
  with *distinct* specialists whose matching credentials are verified and unexpired on
  the delivery date; and (c) its screening against the lab is not blocked.
- **Staffing** is a maximum bipartite assignment of specialists to seats, not a count per
  requirement: one person fills one seat, so an MD who is also an RN cannot take an MD
  seat and an RN seat at once. It is solved as a maximum flow over classes of
  interchangeable specialists (those qualifying for the same set of requirements),
  with capacities: source -> class (its size) -> requirement -> sink (its seats).
- **Ranking** is a documented weighted score (the WEIGHT_ constants below).

Every read is a fixed number of queries whatever the number of vendors: the rosters are
reduced in SQL to (vendor, qualification pattern, how many specialists) rows, and track
record, price history and spend are aggregated in SQL.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Collection, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import lru_cache
from itertools import groupby
from operator import itemgetter
from typing import Any, TypeVar, cast

from django.db import connection
from django.db.models import Count, F, FloatField, Q, Sum
from django.db.models.functions import Cast
from django.utils import timezone

from labs.models import Job, JobStatus, SeatRequirement
from marketplace.core.models import QualificationLevel
from marketplace.exchange.models import (
    Bid,
    BidStatus,
    Contract,
    ContractStatus,
    Screening,
    Verdict,
)
from marketplace.exchange.screening import is_worse, screen_vendors
from marketplace.ownership.engine import MAJORITY, OwnershipGraph
from vendors.models import (
    Attestation,
    AttestationStatus,
    Credential,
    CredentialStatus,
    Specialist,
    Vendor,
)

K = TypeVar("K", bound=Hashable)


# --- the score's weights --------------------------------------------------------------------
# Each component is a number from 0 to 1; the score is the weighted sum, 0 to 100.
# docs/matching.md explains each choice.

WEIGHT_COVERAGE = 30  # spare qualified specialists beyond the seats: depth if someone drops out
WEIGHT_RATING = 20  # labs' ratings (1-5) of the vendor's completed contracts
WEIGHT_ON_TIME = 10  # share of completed contracts delivered by their delivery date
WEIGHT_SCREENING = 15  # clear (or cleared by an admin's override) scores it; review does not
WEIGHT_PRICE = 10  # past bids' prices against their jobs' budget midpoints
WEIGHT_DIVERSIFICATION = 15  # 1 - the share of this lab's spend already with the vendor's group

# A vendor with no history is counted as average: every history-based component starts
# from this many pseudo-observations at the neutral value 0.5, so one 5-star contract
# does not outrank a long record of 4.8s.
PRIOR_OBSERVATIONS = 2
NEUTRAL = 0.5
# A price at the budget midpoint scores 0.5; half the midpoint or less scores 1; one and
# a half times the midpoint or more scores 0.
PRICE_SPAN = 1.0

# Bids whose prices count as history: only on jobs whose bidding has closed, so a sealed
# bid still being competed never moves a ranking.
PRICED_BID_STATUSES = (
    BidStatus.SUBMITTED,
    BidStatus.SHORTLISTED,
    BidStatus.REJECTED,
    BidStatus.DISQUALIFIED,
    BidStatus.AWARDED,
)
PRICED_JOB_STATUSES = (
    JobStatus.EVALUATION,
    JobStatus.AWARDED,
    JobStatus.COMPLETED,
    JobStatus.UNSUCCESSFUL,
)


# --- seat requirements and staffing ----------------------------------------------------------


@dataclass(frozen=True)
class SeatNeed:
    """A seat requirement as matching sees it, with the levels that satisfy it."""

    requirement_id: int
    count: int
    field_id: int
    field_name: str
    level_name: str
    level_ids: frozenset[int]

    @property
    def label(self) -> str:
        return f"{self.level_name} in {self.field_name}"


def satisfying_level_ids(
    required: QualificationLevel, levels: Iterable[QualificationLevel]
) -> frozenset[int]:
    """Levels at or above `required` on its ladder (QualificationLevel.satisfies)."""
    return frozenset(level.pk for level in levels if level.satisfies(required))


def seat_needs(
    requirements: Iterable[SeatRequirement], levels: Iterable[QualificationLevel]
) -> list[SeatNeed]:
    levels = list(levels)
    return [
        SeatNeed(
            requirement_id=r.pk,
            count=r.count,
            field_id=r.field_id,
            field_name=r.field.name,
            level_name=r.min_level.name,
            level_ids=satisfying_level_ids(r.min_level, levels),
        )
        for r in requirements
    ]


def credential_valid_on(status: str, expires_on: date | None, day: date) -> bool:
    """Verified, and not expired on `day`: a credential expiring on the delivery date is
    no longer valid that day (Credential.is_valid_on). The loader's SQL applies the same
    rule."""
    return status == CredentialStatus.VERIFIED and (expires_on is None or expires_on > day)


def seat_qualifications(
    needs: Sequence[SeatNeed], credentials: Iterable[Credential], day: date
) -> dict[int, set[int]]:
    """Per specialist id, the requirements (indexes into `needs`) they qualify for on `day`:
    one of their credentials is in the requirement's field, at a level satisfying its
    minimum, and valid that day (credential_valid_on). The input to assign_seats."""
    qualifications: dict[int, set[int]] = defaultdict(set)
    for credential in credentials:
        if credential_valid_on(credential.status, credential.expires_on, day):
            for index, need in enumerate(needs):
                if credential.field_id == need.field_id and credential.level_id in need.level_ids:
                    qualifications[credential.specialist_id].add(index)
    return qualifications


@dataclass(frozen=True, slots=True)
class Staffing:
    """The best assignment of a vendor's specialists to a job's seats."""

    seats: tuple[int, ...]  # per requirement
    filled: tuple[int, ...]  # per requirement, in one maximum assignment
    qualified: tuple[int, ...]  # per requirement: specialists qualifying for it
    distinct_qualified: int  # specialists qualifying for at least one requirement
    assignment: Mapping[int, tuple[Hashable, ...]] = field(default_factory=dict)
    total_seats: int = field(init=False)
    total_filled: int = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "total_seats", sum(self.seats))
        object.__setattr__(self, "total_filled", sum(self.filled))

    @property
    def complete(self) -> bool:
        return self.total_filled == self.total_seats

    @property
    def spare(self) -> int:
        """Coverage depth: qualified specialists the assignment leaves unused. Each could
        step into a seat of a requirement they qualify for if someone dropped out. The
        same for every maximum assignment, since all fill the same number of seats."""
        return self.distinct_qualified - self.total_filled


Options = frozenset[int] | tuple[int, ...]


@lru_cache(maxsize=4096)
def _ordered(options: Options) -> tuple[int, ...]:
    return tuple(sorted(options))


def _max_flow(classes: Sequence[tuple[tuple[int, ...], int]], seats: Sequence[int]) -> list[int]:
    """Maximum flow source -> class (capacity: its size) -> requirement (unbounded, where
    the class qualifies) -> sink (capacity: the requirement's seats). Returns the flow on
    each class -> requirement edge, flattened as class * R + requirement.

    A greedy start (classes with fewer options first) is feasible, then shortest
    augmenting paths (Edmonds-Karp) on the residual network make it maximum: from any
    feasible flow, no augmenting path left means maximum (Ford-Fulkerson). A flow that
    fills every seat, or uses every specialist, is maximum already."""
    r_count = len(seats)
    c_count = len(classes)
    flow = [0] * (c_count * r_count)
    used = [0] * c_count  # flow source -> class
    load = [0] * r_count  # flow requirement -> sink
    for c in sorted(range(c_count), key=lambda i: len(classes[i][0])):
        options, size = classes[c]
        for r in options:
            take = min(size - used[c], seats[r] - load[r])
            if take > 0:
                flow[c * r_count + r] += take
                used[c] += take
                load[r] += take
    # Nodes: classes 0..C-1, requirements C..C+R-1. Source and sink are implicit.
    wanted, available = sum(seats), sum(size for _, size in classes)
    while sum(load) < wanted and sum(used) < available:
        # BFS from every class with spare capacity from the source.
        parent: dict[int, int] = {}
        queue: deque[int] = deque()
        for c in range(c_count):
            if used[c] < classes[c][1]:
                parent[c] = -1
                queue.append(c)
        end = -1
        while queue and end < 0:
            node = queue.popleft()
            if node < c_count:  # class -> requirement, forward edges always have room
                for r in classes[node][0]:
                    target = c_count + r
                    if target not in parent:
                        parent[target] = node
                        if load[r] < seats[r]:
                            end = target
                            break
                        queue.append(target)
            else:  # requirement -> class, backwards along flow already sent
                r = node - c_count
                for c in range(c_count):
                    if c not in parent and flow[c * r_count + r] > 0:
                        parent[c] = node
                        queue.append(c)
        if end < 0:
            break
        # Bottleneck along the path sink <- end <- ... <- a class fed by the source.
        path = []
        node = end
        while parent[node] != -1:
            path.append((parent[node], node))
            node = parent[node]
        start, last = node, end - c_count
        bottleneck = min(classes[start][1] - used[start], seats[last] - load[last])
        for a, b in path:
            if a < c_count:  # forward class a -> requirement b: unbounded
                continue
            bottleneck = min(bottleneck, flow[b * r_count + (a - c_count)])
        for a, b in path:
            if a < c_count:
                flow[a * r_count + (b - c_count)] += bottleneck
            else:
                flow[b * r_count + (a - c_count)] -= bottleneck
        used[start] += bottleneck
        load[last] += bottleneck
    return flow


@lru_cache(maxsize=64)
def _unstaffed(seats: tuple[int, ...]) -> Staffing:
    zeros = (0,) * len(seats)
    return Staffing(seats=seats, filled=zeros, qualified=zeros, distinct_qualified=0)


def staff_classes(
    seats: Sequence[int],
    classes: Mapping[frozenset[int], int] | Mapping[tuple[int, ...], int],
) -> Staffing:
    """The maximum staffing when `classes` says how many specialists qualify for exactly
    each set of requirements (indexes into `seats`, as a frozenset or a sorted tuple)."""
    return _staff(
        tuple(seats),
        [(_ordered(options), size) for options, size in classes.items() if options and size],
    )


def _staff(seats: tuple[int, ...], items: list[tuple[tuple[int, ...], int]]) -> Staffing:
    """`items`: (sorted requirement indexes, how many specialists), none empty."""
    if not items:
        return _unstaffed(seats)
    r_count = len(seats)
    filled = [0] * r_count
    qualified = [0] * r_count
    distinct = 0
    if all(len(options) == 1 for options, _ in items):
        # Nobody qualifies for two requirements: each fills on its own.
        for (r,), size in items:
            qualified[r] += size
            distinct += size
        filled = [min(have, need) for have, need in zip(qualified, seats, strict=True)]
    else:
        flow = _max_flow(items, seats)
        for c, (options, size) in enumerate(items):
            distinct += size
            for r in options:
                qualified[r] += size
                filled[r] += flow[c * r_count + r]
    return Staffing(
        seats=seats, filled=tuple(filled), qualified=tuple(qualified), distinct_qualified=distinct
    )


def assign_seats(seats: Sequence[int], qualifications: Mapping[K, Collection[int]]) -> Staffing:
    """The maximum assignment of distinct specialists to seats. `qualifications` maps each
    specialist to the requirements (indexes into `seats`) they qualify for; the result
    names who fills which requirement's seats."""
    members: dict[frozenset[int], list[K]] = defaultdict(list)
    for key in sorted(qualifications, key=repr):
        options = frozenset(qualifications[key])
        if options:
            members[options].append(key)
    groups = [(_ordered(options), keys) for options, keys in members.items()]
    items = [(ordered, len(keys)) for ordered, keys in groups]
    flow = _max_flow(items, seats)
    r_count = len(seats)
    assignment: dict[int, list[K]] = defaultdict(list)
    for c, (ordered, keys) in enumerate(groups):
        queue = iter(keys)
        for r in ordered:
            for _ in range(flow[c * r_count + r]):
                assignment[r].append(next(queue))
    return Staffing(
        seats=tuple(seats),
        filled=tuple(len(assignment.get(r, ())) for r in range(r_count)),
        qualified=tuple(sum(size for o, size in items if r in o) for r in range(r_count)),
        distinct_qualified=sum(size for _, size in items),
        assignment={r: tuple(keys) for r, keys in assignment.items()},
    )


# --- vendor groups ---------------------------------------------------------------------------


def group_roots(graph: OwnershipGraph, entity_ids: Iterable[int]) -> dict[int, int]:
    """The ultimate parent of each entity: follow control upwards until nobody controls.

    x controls y when x holds a controlling interest type in y, or more than half of y's
    votes or shares (lower bounds), directly or together with the entities x controls:
    the engine's notion of control, with a majority of shares counting as well as a
    majority of votes, since a lab's concentration is about who profits as much as who
    decides. Where several parties each control outright (two holders of appointment
    rights), the strongest holding wins, then the lowest id. A control cycle (A controls
    B controls A) is one group, rooted at its lowest id. An entity nobody controls is
    its own root."""
    controller: dict[int, int] = {}
    seen: set[int] = set()
    frontier = list(dict.fromkeys(entity_ids))
    while frontier:  # every entity upstream of the requested ones
        node = frontier.pop()
        if node in seen:
            continue
        seen.add(node)
        frontier.extend(e.party for e in graph.parents.get(node, ()) if not e.indirect)

    for node in seen:  # outright control by one party
        best = None
        for edge in graph.parents.get(node, ()):
            if edge.indirect or edge.party == node:
                continue
            if edge.controlling or edge.voting[0] > MAJORITY or edge.economic[0] > MAJORITY:
                strength = (edge.controlling, edge.voting[0], edge.economic[0], -edge.party)
                if best is None or strength > best[0]:
                    best = (strength, edge.party)
        if best is not None:
            controller[node] = best[1]

    def root(node: int) -> int:
        path: list[int] = []
        position: dict[int, int] = {}
        while node in controller and node not in position:
            position[node] = len(path)
            path.append(node)
            node = controller[node]
        if node in position:  # a control cycle: its lowest id is the root
            return min(path[position[node] :])
        return node

    # Control together with controlled entities: 30% held directly plus 30% through a
    # subsidiary is a majority. Repeat until nothing changes (each change joins groups).
    changed = True
    while changed:
        changed = False
        for node in seen:
            if node in controller:
                continue
            votes: dict[int, float] = defaultdict(float)
            shares: dict[int, float] = defaultdict(float)
            for edge in graph.parents.get(node, ()):
                if edge.indirect or edge.party == node:
                    continue
                top = root(edge.party)
                votes[top] += edge.voting[0]
                shares[top] += edge.economic[0]
            winners = [
                (max(votes[top], shares[top]), -top, top)
                for top in votes
                if top != node and (votes[top] > MAJORITY or shares[top] > MAJORITY)
            ]
            if winners:
                controller[node] = max(winners)[2]
                changed = True
    return {node: root(node) for node in seen}


# --- loading what matching needs -------------------------------------------------------------


def _staffing_classes(
    needs: list[SeatNeed], delivery_date: date
) -> dict[int, dict[tuple[int, ...], int]]:
    """Per vendor, how many active specialists qualify for exactly each set of
    requirements: one query, reduced in the database to at most 2^R rows a vendor.

    A specialist qualifies for a requirement when one of their credentials is in its
    field, at a level that satisfies its minimum level (the ids computed with
    QualificationLevel.satisfies), verified, and unexpired on the delivery date
    (credential_valid_on)."""
    usable = [(i, n) for i, n in enumerate(needs) if n.level_ids]
    if not usable:
        return {}
    flags = []
    matches = []
    flag_params: list[Any] = []
    match_params: list[Any] = []
    for i, need in usable:
        ids = sorted(need.level_ids)
        test = f"(c.field_id = %s AND c.level_id IN ({', '.join(['%s'] * len(ids))}))"
        flags.append(f"MAX(CASE WHEN {test} THEN 1 ELSE 0 END) AS q{i}")
        flag_params += [need.field_id, *ids]
        matches.append(test)
        match_params += [need.field_id, *ids]
    columns = ", ".join(f"q{i}" for i, _ in usable)
    sql = f"""
        SELECT vendor_id, {columns}, COUNT(*) FROM (
            SELECT s.vendor_id AS vendor_id, {", ".join(flags)}
            FROM {Credential._meta.db_table} c
            JOIN {Specialist._meta.db_table} s ON s.id = c.specialist_id
            WHERE s.is_active = %s AND c.status = %s
              AND (c.expires_on IS NULL OR c.expires_on > %s)
              AND ({" OR ".join(matches)})
            GROUP BY s.vendor_id, s.id
        ) qualified
        GROUP BY vendor_id, {columns}
    """
    params = [*flag_params, True, CredentialStatus.VERIFIED, delivery_date, *match_params]
    indexes = [i for i, _ in usable]
    patterns: dict[tuple[int, ...], tuple[int, ...]] = {}
    found: dict[int, dict[tuple[int, ...], int]] = defaultdict(dict)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    for row in rows:
        flags = row[1:-1]
        options = patterns.get(flags)
        if options is None:
            options = patterns[flags] = tuple(
                i for i, flag in zip(indexes, flags, strict=True) if flag
            )
        found[row[0]][options] = row[-1]
    return found


def attestation_valid_through(issued_on: date, expires_on: date, delivery_date: date) -> bool:
    """Valid through the delivery date, as Attestation.is_valid_through (for one with
    status valid): issued_on <= delivery_date < expires_on. expires_on is the first day
    it no longer holds, so one expiring on the delivery date does not cover the job; one
    expiring the day after does."""
    return issued_on <= delivery_date < expires_on


# (kind id, issued on, expires on) of an attestation with status valid.
HeldAttestation = tuple[int, date, date]


def _attestations(kind_ids: Collection[int]) -> dict[int, tuple[HeldAttestation, ...]]:
    """The attestations of these kinds with status valid, by vendor: one query."""
    if not kind_ids:
        return {}
    rows = (
        Attestation.objects.filter(kind_id__in=list(kind_ids), status=AttestationStatus.VALID)
        .order_by("vendor_id")
        .values_list("vendor_id", "kind_id", "issued_on", "expires_on")
    )
    return {
        vendor_id: tuple(row[1:] for row in held)
        for vendor_id, held in groupby(rows, key=itemgetter(0))
    }


def _attestation_gaps(
    held: Sequence[HeldAttestation], required: Mapping[int, str], delivery_date: date
) -> tuple[str, ...]:
    covered = {
        kind
        for kind, issued, expires in held
        if attestation_valid_through(issued, expires, delivery_date)
    }
    if covered.issuperset(required):
        return ()
    gaps = []
    for kind_id, name in sorted(required.items(), key=lambda item: item[1]):
        if kind_id in covered:
            continue
        of_kind = [a for a in held if a[0] == kind_id]
        latest = max(of_kind, key=lambda a: a[2], default=None)
        if latest is None:
            gaps.append(f"No valid {name} attestation.")
        elif latest[1] > delivery_date:
            gaps.append(
                f"{name} attestation is not in force until {latest[1].isoformat()}, "
                f"after the delivery date {delivery_date.isoformat()}."
            )
        else:
            gaps.append(
                f"{name} attestation expires on {latest[2].isoformat()}, not after "
                f"the delivery date {delivery_date.isoformat()}."
            )
    return tuple(gaps)


# --- the result ------------------------------------------------------------------------------


@dataclass(slots=True)
class Evaluation:
    """One vendor's standing for one job. The reasons, in words a lab can read, are
    written when first read: a ranking of 5,000 vendors invites ten."""

    vendor_id: int
    vendor_name: str
    entity_id: int
    entity_name: str
    entity_record_id: str
    staffing: Staffing
    missing_attestations: Sequence[str] = ()
    verdict: str | None = None  # effective screening verdict; None if not screened
    computed_verdict: str | None = None  # what the rules gave, before an override
    screening_reasons: Sequence[str] = ()
    history: History | None = None
    components: Mapping[str, float] | None = None
    score: Decimal | None = None
    rank: int | None = None
    context: ReasonContext | None = field(default=None, repr=False)
    written: list[str] | None = field(default=None, repr=False)

    @property
    def eligible(self) -> bool:
        return (
            not self.missing_attestations
            and self.staffing.complete
            and self.verdict is not None
            and self.verdict != Verdict.BLOCKED
        )

    @property
    def reasons(self) -> list[str]:
        if self.written is None:
            self.written = _reasons(self)
        return self.written


@dataclass
class Ranking:
    job: Job
    as_of: date
    needs: list[SeatNeed]
    ranked: list[Evaluation]  # eligible, best first
    ineligible: list[Evaluation]  # by vendor name


@dataclass
class History:
    completed: int = 0
    rating_sum: int = 0
    timed: int = 0
    on_time: int = 0
    bids: int = 0
    price_ratio: float | None = None


def _histories(job: Job) -> dict[int, History]:
    """Track record (completed contracts, with every lab) and price history (bids on other
    jobs whose bidding has closed, in the job's own currency), aggregated in SQL."""
    histories: dict[int, History] = defaultdict(History)
    for row in (
        Contract.objects.filter(status=ContractStatus.COMPLETED)
        .values("vendor_id")
        .annotate(
            n=Count("id"),
            rating_sum=Sum("rating"),
            timed=Count("id", filter=Q(on_time__isnull=False)),
            on_time_n=Count("id", filter=Q(on_time=True)),
        )
        .order_by()
    ):
        h = histories[row["vendor_id"]]
        h.completed, h.rating_sum = row["n"], row["rating_sum"] or 0
        h.timed, h.on_time = row["timed"], row["on_time_n"]
    midpoint_ratio = (
        Cast(F("price"), FloatField())
        * 2.0
        / Cast(F("job__budget_min") + F("job__budget_max"), FloatField())
    )
    for priced in (
        Bid.objects.filter(
            status__in=PRICED_BID_STATUSES,
            job__status__in=PRICED_JOB_STATUSES,
            job__budget_max__gt=0,
            currency=F("job__currency"),
        )
        .exclude(job_id=job.pk)
        .values("vendor_id")
        .annotate(n=Count("id"), ratio_sum=Sum(midpoint_ratio))
        .order_by()
    ):
        h = histories[priced["vendor_id"]]
        h.bids = priced["n"]
        h.price_ratio = priced["ratio_sum"] / priced["n"]
    return histories


@dataclass
class Spend:
    total: Decimal
    by_group: dict[int, Decimal]  # root entity -> spend
    roots: dict[int, int]  # entity -> root entity, for entities with a root above them
    root_names: dict[int, str]
    known: bool = True  # False: no spend yet, groups were not worked out

    def root(self, entity_id: int) -> int:
        return self.roots.get(entity_id, entity_id)

    def share(self, entity_id: int) -> float:
        if not self.total:
            return 0.0
        return float(self.by_group.get(self.root(entity_id), Decimal(0)) / self.total)


def _spend(job: Job, vendor_entities: Iterable[int], as_of: date) -> Spend:
    """The lab's spend (contract values, active and completed) by vendor group. Amounts
    in different currencies are added at face value. With no spend yet, no group can
    hold a share of it and the ownership graph is not read."""
    rows = list(
        Contract.objects.filter(lab_id=job.lab_id)
        .values("vendor__entity_id")
        .annotate(total=Sum("value"))
        .order_by()
    )
    if not any(row["total"] for row in rows):
        return Spend(total=Decimal(0), by_group={}, roots={}, root_names={}, known=False)
    entities = set(vendor_entities) | {row["vendor__entity_id"] for row in rows}
    roots, root_names = vendor_groups(entities, as_of=as_of)
    by_group: dict[int, Decimal] = defaultdict(Decimal)
    for row in rows:
        entity = row["vendor__entity_id"]
        by_group[roots.get(entity, entity)] += row["total"] or Decimal(0)
    return Spend(
        total=sum(by_group.values(), Decimal(0)),
        by_group=dict(by_group),
        roots=roots,
        root_names=root_names,
    )


def vendor_groups(
    entity_ids: Iterable[int], *, as_of: date
) -> tuple[dict[int, int], dict[int, str]]:
    """The vendor group of each entity on `as_of`: its ultimate parent (group_roots), for
    the entities with one above them (entity -> root), and the names of those roots. An
    entity missing from the first mapping is its own group. The diversification score
    and the lab's concentration page group vendors this one way."""
    entities = set(entity_ids)
    graph = OwnershipGraph.load(as_of=as_of, upstream_of=entities)
    roots = {e: r for e, r in group_roots(graph, entities).items() if e != r}
    tops = set(roots.values())
    graph.ensure_names(tops)
    return roots, {top: graph.name(top) for top in tops}


@dataclass
class ReasonContext:
    """What writing any vendor's reasons needs, shared by one ranking."""

    needs: list[SeatNeed]
    delivery_date: date
    spend: Spend


# --- reasons ---------------------------------------------------------------------------------


def _plural(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"


def staffing_reason(staffing: Staffing, needs: list[SeatNeed], day: date) -> str:
    total = staffing.total_seats
    if staffing.complete:
        text = f"{staffing.total_filled} of {total} seats filled by distinct verified specialists"
        if not needs:
            return f"{text}."
        depth = "; ".join(
            f"{need.label}: {staffing.qualified[i]} qualified for {_plural(need.count, 'seat')}"
            for i, need in enumerate(needs)
        )
        return f"{text}; {_plural(staffing.spare, 'spare qualified specialist')} ({depth})."
    short = []
    for i, need in enumerate(needs):
        qualified = staffing.qualified[i]
        if qualified == 0:
            short.append(f"no verified {need.label} valid on {day.isoformat()}")
        elif qualified < need.count:
            short.append(
                f"{need.label} needs {need.count}, only {_plural(qualified, 'verified specialist')}"
            )
        elif staffing.filled[i] < need.count:
            short.append(
                f"{need.label} needs {need.count}; its {qualified} qualified "
                "specialists are also needed for other seats"
            )
    return f"{staffing.total_filled} of {total} seats: {'; '.join(short)}."


def _screening_reason(evaluation: Evaluation) -> str:
    first = evaluation.screening_reasons[0] if evaluation.screening_reasons else ""
    if evaluation.verdict == Verdict.CLEARED_BY_OVERRIDE:
        computed = evaluation.computed_verdict
        return (
            "Screening cleared by a platform admin's override (the rules give "
            f"{Verdict(computed).label.lower() if computed else 'a flag'})."
        )
    if evaluation.verdict == Verdict.REVIEW:
        return f"Screening needs review, which ranks lower: {first}"
    if evaluation.verdict == Verdict.BLOCKED:
        return f"Screening blocked: {first}"
    if first == "This lab has named no competitors.":
        return "Screening clear: you have named no competitors."
    return "Screening clear: no competitor ownership, control or influence found."


def _history_reasons(history: History) -> list[str]:
    reasons = []
    if history.completed:
        reasons.append(
            f"Rated {history.rating_sum / history.completed:.1f}/5 on average over "
            f"{_plural(history.completed, 'completed contract')}; "
            f"{history.on_time} of {history.timed} delivered on time."
        )
    else:
        reasons.append("No completed contracts yet: track record counted as average.")
    if history.price_ratio is not None:
        reasons.append(
            f"Past bids averaged {history.price_ratio * 100:.0f}% of their jobs' budget "
            f"midpoint ({_plural(history.bids, 'bid')})."
        )
    else:
        reasons.append("No past bids to compare prices: price counted as average.")
    return reasons


def _spend_reason(entity_id: int, spend: Spend) -> str:
    root = spend.root(entity_id)
    if not spend.known:
        who = "this vendor or its group"
    elif root == entity_id:
        who = "this vendor"
    else:
        who = f"this vendor's group under {spend.root_names[root]}"
    share = spend.share(entity_id)
    if share == 0:
        return f"None of your spend is with {who} yet."
    return f"{share * 100:.0f}% of your spend already with {who}."


def _reasons(evaluation: Evaluation) -> list[str]:
    context = evaluation.context
    assert context is not None, "reasons are written for evaluations of a ranking"
    staffing = staffing_reason(evaluation.staffing, context.needs, context.delivery_date)
    if not evaluation.eligible:
        why = [*evaluation.missing_attestations]
        if not evaluation.staffing.complete:
            why.append(staffing)
        if evaluation.verdict == Verdict.BLOCKED:
            why.append(_screening_reason(evaluation))
        return why
    assert evaluation.score is not None and evaluation.components is not None
    return [
        staffing,
        _screening_reason(evaluation),
        *_history_reasons(evaluation.history or History()),
        _spend_reason(evaluation.entity_id, context.spend),
        _score_reason(evaluation.score, evaluation.components),
    ]


# --- the score -------------------------------------------------------------------------------


def _shrunk(total: float, observations: int) -> float:
    return (total + PRIOR_OBSERVATIONS * NEUTRAL) / (observations + PRIOR_OBSERVATIONS)


def score_components(
    *, staffing: Staffing, verdict: str, history: History, spend_share: float
) -> dict[str, float]:
    """Each component from 0 to 1 (docs/matching.md)."""
    depth = staffing.spare + staffing.total_seats
    price = NEUTRAL
    if history.price_ratio is not None:
        at_ratio = min(1.0, max(0.0, 0.5 + (1.0 - history.price_ratio) / PRICE_SPAN))
        price = _shrunk(at_ratio * history.bids, history.bids)
    return {
        "coverage": staffing.spare / depth if depth else 0.0,
        "rating": _shrunk((history.rating_sum - history.completed) / 4, history.completed),
        "on_time": _shrunk(history.on_time, history.timed),
        "screening": 0.0 if verdict == Verdict.REVIEW else 1.0,
        "price": price,
        "diversification": 1.0 - min(1.0, max(0.0, spend_share)),
    }


WEIGHTS = {
    "coverage": WEIGHT_COVERAGE,
    "rating": WEIGHT_RATING,
    "on_time": WEIGHT_ON_TIME,
    "screening": WEIGHT_SCREENING,
    "price": WEIGHT_PRICE,
    "diversification": WEIGHT_DIVERSIFICATION,
}
COMPONENT_WORDS = {
    "coverage": "seat depth",
    "rating": "ratings",
    "on_time": "on time",
    "screening": "screening",
    "price": "price",
    "diversification": "diversification",
}


def weighted_score(components: Mapping[str, float]) -> Decimal:
    total = sum(WEIGHTS[name] * value for name, value in components.items())
    return Decimal(f"{total:.3f}")


def _score_reason(score: Decimal, components: Mapping[str, float]) -> str:
    parts = ", ".join(
        f"{COMPONENT_WORDS[name]} {WEIGHTS[name] * value:.1f}/{WEIGHTS[name]}"
        for name, value in components.items()
    )
    return f"Score {score:.1f} of 100: {parts}."


# --- ranking ---------------------------------------------------------------------------------


class _ScreeningSubject:
    """What screen_vendors reads of a vendor (pk, entity_id, entity.name and
    entity.record_id), from the candidates' row: building 5,000 vendor and entity model
    instances would cost more than the SQL floor of the whole matching."""

    __slots__ = ("entity_id", "name", "pk", "record_id")

    def __init__(self, pk: int, entity_id: int, name: str, record_id: str):
        self.pk, self.entity_id, self.name, self.record_id = pk, entity_id, name, record_id

    @property
    def entity(self) -> _ScreeningSubject:
        return self  # the entity's name and record id, on the same object


def _screen(job: Job, evaluations: list[Evaluation], today: date) -> None:
    """Sets the effective verdict of each evaluation. A lab-level Screening row cleared by
    an admin's override lets the override stand while the rules give nothing worse than
    what was overridden, as when a screening is stored."""
    if not evaluations:
        return
    subjects = [
        _ScreeningSubject(e.vendor_id, e.entity_id, e.entity_name, e.entity_record_id)
        for e in evaluations
    ]
    screened = screen_vendors(lab=job.lab, vendors=cast(list[Vendor], subjects), as_of=today)
    overrides = dict(
        Screening.objects.filter(
            lab_id=job.lab_id, bid__isnull=True, verdict=Verdict.CLEARED_BY_OVERRIDE
        ).values_list("vendor_id", "computed_verdict")
    )
    for evaluation in evaluations:
        result = screened[evaluation.vendor_id]
        evaluation.computed_verdict = evaluation.verdict = result.verdict
        evaluation.screening_reasons = tuple(result.reasons)
        if evaluation.vendor_id in overrides and not is_worse(
            overrides[evaluation.vendor_id], result.verdict
        ):
            evaluation.verdict = Verdict.CLEARED_BY_OVERRIDE


def rank_vendors(*, job: Job, vendor_ids: Collection[int] | None = None) -> Ranking:
    """Every candidate vendor's eligibility for `job`, and the eligible ranked by score,
    best first (ties by name).

    Candidates are the vendors of active organisations (or only `vendor_ids`). Screening,
    the one check that costs more than reading rows, runs only for vendors that pass the
    other two; the others are listed with what they lack."""
    today = timezone.localdate()
    delivery = job.delivery_date
    requirements = SeatRequirement.objects.filter(job=job).select_related("field", "min_level")
    needs = seat_needs(requirements, QualificationLevel.objects.all())
    seats = tuple(need.count for need in needs)
    required_kinds = dict(job.required_attestations.values_list("pk", "name"))

    candidates = Vendor.objects.filter(organisation__is_active=True)
    if vendor_ids is not None:
        candidates = candidates.filter(pk__in=list(vendor_ids))
    attestations = _attestations(required_kinds)
    classes = _staffing_classes(needs, delivery)
    evaluations = [
        Evaluation(
            vendor_id=vendor_id,
            vendor_name=name,
            entity_id=entity_id,
            entity_name=entity_name,
            entity_record_id=record_id,
            # The loader's patterns are sorted, non-empty and counted: straight to the flow.
            staffing=_staff(seats, list(classes[vendor_id].items()))
            if vendor_id in classes
            else _unstaffed(seats),
            missing_attestations=_attestation_gaps(
                attestations.get(vendor_id, ()), required_kinds, delivery
            )
            if required_kinds
            else (),
        )
        for vendor_id, name, entity_id, entity_name, record_id in candidates.values_list(
            "pk", "organisation__name", "entity_id", "entity__name", "entity__record_id"
        )
    ]
    del attestations, classes  # freed before screening allocates its own
    _screen(
        job, [e for e in evaluations if not e.missing_attestations and e.staffing.complete], today
    )

    eligible = [e for e in evaluations if e.eligible]
    ineligible = [e for e in evaluations if not e.eligible]
    histories = _histories(job)
    spend = _spend(job, [e.entity_id for e in eligible], today)
    context = ReasonContext(needs=needs, delivery_date=delivery, spend=spend)
    for evaluation in ineligible:
        evaluation.context = context
    for evaluation in eligible:
        assert evaluation.verdict is not None
        evaluation.context = context
        evaluation.history = histories.get(evaluation.vendor_id)
        evaluation.components = score_components(
            staffing=evaluation.staffing,
            verdict=evaluation.verdict,
            history=evaluation.history or History(),
            spend_share=spend.share(evaluation.entity_id),
        )
        evaluation.score = weighted_score(evaluation.components)
    eligible.sort(key=lambda e: (-(e.score or 0), e.vendor_name, e.vendor_id))
    for position, evaluation in enumerate(eligible, start=1):
        evaluation.rank = position
    ineligible.sort(key=lambda e: (e.vendor_name, e.vendor_id))
    return Ranking(job=job, as_of=today, needs=needs, ranked=eligible, ineligible=ineligible)
