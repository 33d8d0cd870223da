"""Storing and refreshing screenings. A Screening row is the state of its async work:
`requested_at` / `state` say what is owed, `computed_at` what was done, so a reconciler
can re-enqueue work whose message was lost."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from labs.models import JobStatus, Lab
from marketplace.accounts.models import Role, User
from marketplace.core.errors import InvalidTransition, NotPermitted, RuleViolation
from marketplace.exchange.models import (
    Bid,
    BidStatus,
    Contract,
    ContractStatus,
    Invitation,
    Screening,
    Verdict,
)
from marketplace.exchange.permissions import can_override_screening
from marketplace.exchange.screening import (
    ComputedScreening,
    LabScreener,
    compute_screening,
    is_worse,
)
from marketplace.exchange.services.notifications import notify_organisation
from marketplace.exchange.services.webhook_events import event_announce
from marketplace.ownership.engine import OwnershipGraph
from marketplace.ownership.models import OwnershipChange, Stake
from vendors.models import Vendor

LIVE_JOB_STATUSES = (JobStatus.OPEN, JobStatus.EVALUATION)
LIVE_BID_STATUSES = (BidStatus.SUBMITTED, BidStatus.SHORTLISTED, BidStatus.AWARDED)
# A screening still pending this long after it was requested lost its message.
STALE_AFTER = timedelta(minutes=2)


def _enqueue(screening_ids: Iterable[int]) -> None:
    from marketplace.exchange.tasks import screening_run_task

    for screening_id in screening_ids:
        screening_run_task.delay_on_commit(screening_id)


def _request(lab_id: int, vendor_id: int, bid_id: int | None, now) -> int:  # type: ignore[no-untyped-def]
    """Caller holds a transaction. Marks the screening as owed; returns its id."""
    lookup = (
        {"bid_id": bid_id}
        if bid_id
        else {"lab_id": lab_id, "vendor_id": vendor_id, "bid__isnull": True}
    )
    updated = Screening.objects.filter(**lookup).update(state="pending", requested_at=now)
    if updated:
        return Screening.objects.filter(**lookup).values_list("pk", flat=True).get()
    screening, _ = Screening.objects.get_or_create(
        **(
            {"bid_id": bid_id}
            if bid_id
            else {"lab_id": lab_id, "vendor_id": vendor_id, "bid": None}
        ),
        defaults={
            "lab_id": lab_id,
            "vendor_id": vendor_id,
            "requested_at": now,
            "state": "pending",
        },
    )
    return screening.pk


@transaction.atomic
def screening_request(*, lab: Lab, vendor: Vendor, bid: Bid | None = None) -> list[int]:
    """Asks for the lab x vendor screening (and the bid's, with a bid) to be computed in
    the background after commit."""
    now = timezone.now()
    ids = [_request(lab.pk, vendor.pk, None, now)]
    if bid is not None:
        ids.append(_request(lab.pk, vendor.pk, bid.pk, now))
    _enqueue(ids)
    return ids


def _store(
    screening: Screening, *, graph: OwnershipGraph | None = None, as_of: date | None = None
) -> tuple[str | None, str]:
    """Caller holds the screening row lock. Computes and stores; returns (old, new)."""
    result = compute_screening(
        lab=screening.lab, vendor=screening.vendor, bid=screening.bid, as_of=as_of, graph=graph
    )
    return _store_result(screening, result)


def _store_result(screening: Screening, result: ComputedScreening) -> tuple[str | None, str]:
    """Caller holds the screening row lock. Stores a computed result; returns (old, new)."""
    old = screening.verdict
    new = result.verdict
    if old == Verdict.CLEARED_BY_OVERRIDE and not is_worse(screening.computed_verdict, new):
        new = Verdict.CLEARED_BY_OVERRIDE  # the override stands while nothing got worse
    elif old == Verdict.CLEARED_BY_OVERRIDE:
        screening.override_reason = ""
        screening.overridden_by = None
        screening.overridden_at = None
    screening.verdict = new
    screening.computed_verdict = result.verdict
    screening.evidence = result.evidence
    screening.policy = result.policy
    screening.as_of = result.as_of
    screening.ownership_version = result.ownership_version
    screening.state = "done"
    screening.computed_at = timezone.now()
    screening.attempts += 1
    screening.last_error = ""
    screening.save()
    return old, new


def _notify_if_worse(screening: Screening, old: str | None, new: str) -> None:
    if not is_worse(old, new):
        return
    vendor_name = screening.vendor.organisation.name
    bid = screening.bid
    target = f"bid on {bid.job.title}" if bid is not None else vendor_name
    notify_organisation(
        organisation=screening.lab.organisation,
        kind="screening.changed",
        title=f"Screening of {target}: now {Verdict(new).label.lower()}",
        body="\n".join(screening.evidence.get("reasons", [])),
        roles=(Role.LAB_OWNER, Role.PROCUREMENT, Role.REVIEWER),
        dedupe_key=f"screening.changed:{screening.pk}:{screening.ownership_version}:{new}",
    )
    event_announce(
        organisations=[screening.lab.organisation_id],
        event_type="screening.changed",
        payload={
            "screening_id": screening.pk,
            "vendor": {"id": screening.vendor_id, "name": vendor_name},
            "bid_id": screening.bid_id,
            "job_id": bid.job_id if bid is not None else None,
            "previous_verdict": old,
            "verdict": new,
            "reasons": list(screening.evidence.get("reasons", [])),
        },
        key=f"{screening.pk}:{screening.ownership_version}:{new}",
    )


def screening_run(*, screening_id: int, graph: OwnershipGraph | None = None) -> Screening | None:
    """Computes one owed screening and stores it. Idempotent: the same inputs give the
    same stored result, and the lab hears of a worse verdict once."""
    with transaction.atomic():
        screening = (
            Screening.objects.select_for_update(of=("self",))
            .select_related(
                "lab__organisation", "vendor__organisation", "vendor__entity", "bid__job"
            )
            .filter(pk=screening_id)
            .first()
        )
        if screening is None:
            return None
        old, new = _store(screening, graph=graph)
        _notify_if_worse(screening, old, new)
    return screening


# Mass re-screening goes to the workers in batches of this many screenings of one lab.
SCREENING_BATCH_SIZE = 200


def screening_run_batch(*, screening_ids: list[int]) -> list[int]:
    """Computes many owed screenings, one lab at a time, reading what a lab's screenings
    share (its policy, competitors and the ownership below them) once per lab rather than
    once per screening. Idempotent like screening_run; rows another worker holds are
    skipped (that worker computes them). Returns the ids computed."""
    by_lab: dict[int, list[int]] = {}
    for lab_id, pk in Screening.objects.filter(pk__in=screening_ids).values_list("lab_id", "pk"):
        by_lab.setdefault(lab_id, []).append(pk)
    computed: list[int] = []
    for ids in by_lab.values():
        with transaction.atomic():
            screenings = list(
                Screening.objects.select_for_update(of=("self",), skip_locked=True)
                .select_related(
                    "lab__organisation", "vendor__organisation", "vendor__entity", "bid__job"
                )
                .filter(pk__in=ids)
                .order_by("pk")
            )
            if not screenings:
                continue
            vendors = list({s.vendor_id: s.vendor for s in screenings}.values())
            screener = LabScreener.prepare(lab=screenings[0].lab, vendors=vendors)
            for screening in screenings:
                old, new = _store_result(
                    screening, screener.screen(screening.vendor, bid=screening.bid)
                )
                _notify_if_worse(screening, old, new)
                computed.append(screening.pk)
    return computed


def screening_record_failures(*, screening_ids: list[int], error: str) -> None:
    Screening.objects.filter(pk__in=screening_ids).exclude(state="done").update(
        state="failed", last_error=error[:2000]
    )


def screening_record_failure(*, screening_id: int, error: str) -> None:
    Screening.objects.filter(pk=screening_id).update(state="failed", last_error=error[:2000])


@transaction.atomic
def screening_refresh_now(*, lab: Lab, vendor: Vendor, bid: Bid | None = None) -> Screening:
    """Computes the screening in the caller's transaction: used before an award, which
    must not rest on a stale verdict."""
    now = timezone.now()
    screening_id = _request(lab.pk, vendor.pk, bid.pk if bid else None, now)
    screening = (
        Screening.objects.select_for_update(of=("self",))
        .select_related("lab__organisation", "vendor__organisation", "vendor__entity", "bid__job")
        .get(pk=screening_id)
    )
    old, new = _store(screening)
    _notify_if_worse(screening, old, new)
    return screening


@transaction.atomic
def screening_override(*, screening: Screening, user: User, reason: str) -> Screening:
    """Turns a review or blocked verdict into cleared-by-override. Recorded with who, when
    and why in the screening's change history."""
    if not can_override_screening(user):
        raise NotPermitted("Only platform admins may override a screening.")
    if not reason.strip():
        raise RuleViolation("An override needs a reason.", field="reason")
    screening = Screening.objects.select_for_update().get(pk=screening.pk)
    if screening.verdict not in (Verdict.REVIEW, Verdict.BLOCKED):
        raise InvalidTransition(
            "Only a screening under review or blocked can be overridden; "
            f"this one is {screening.get_verdict_display() or 'not computed yet'}."
        )
    screening.verdict = Verdict.CLEARED_BY_OVERRIDE
    screening._history_user = user  # type: ignore[attr-defined]
    screening.override_reason = reason.strip()
    screening.overridden_by = user
    screening.overridden_at = timezone.now()
    screening.save(update_fields=["verdict", "override_reason", "overridden_by", "overridden_at"])
    return screening


# --- who must be re-screened ---------------------------------------------------------------


def _downstream_entity_ids(entity_ids: list[int]) -> set[int]:
    """Every entity reachable downwards from `entity_ids` through stakes of any date
    (an ended stake changes the verdicts below it too), within the depth bound."""
    found: set[int] = set()
    # Seeds go in chunks: SQLite allows at most 500 terms in one compound SELECT.
    for start in range(0, len(entity_ids), 400):
        seeds = entity_ids[start : start + 400]
        seed_rows = " UNION ALL ".join(["SELECT CAST(%s AS BIGINT), 0"] * len(seeds))
        sql = f"""
            WITH RECURSIVE down(id, depth) AS (
                {seed_rows}
                UNION
                SELECT s.subject_id, down.depth + 1
                FROM {Stake._meta.db_table} s JOIN down ON s.interested_party_id = down.id
                WHERE down.depth < %s
            )
            SELECT DISTINCT id FROM down
        """
        with connection.cursor() as cursor:
            cursor.execute(sql, [*seeds, settings.OWNERSHIP_MAX_DEPTH])
            found |= {row[0] for row in cursor.fetchall()}
    return found


def _involvements(
    vendor_ids: Iterable[int],
) -> tuple[set[tuple[int, int]], list[tuple[int, int, int]]]:
    """(lab, vendor) pairs with an open job, open bid or active contract between them, or
    a screening on record; and the live bids (lab, vendor, bid) among them."""
    vendor_ids = list(vendor_ids)
    pairs: set[tuple[int, int]] = set()
    pairs |= set(
        Screening.objects.filter(vendor_id__in=vendor_ids, bid__isnull=True).values_list(
            "lab_id", "vendor_id"
        )
    )
    pairs |= set(
        Invitation.objects.filter(
            vendor_id__in=vendor_ids, job__status__in=LIVE_JOB_STATUSES
        ).values_list("job__lab_id", "vendor_id")
    )
    pairs |= set(
        Contract.objects.filter(vendor_id__in=vendor_ids, status=ContractStatus.ACTIVE).values_list(
            "lab_id", "vendor_id"
        )
    )
    bids = list(
        Bid.objects.filter(
            vendor_id__in=vendor_ids,
            job__status__in=LIVE_JOB_STATUSES,
            status__in=LIVE_BID_STATUSES,
        ).values_list("job__lab_id", "vendor_id", "pk")
    )
    pairs |= {(lab_id, vendor_id) for lab_id, vendor_id, _ in bids}
    return pairs, bids


def _request_many(pairs: set[tuple[int, int]], bids: list[tuple[int, int, int]]) -> list[int]:
    """Caller holds a transaction. Enqueues the owed screenings in batches per lab."""
    now = timezone.now()
    by_lab: dict[int, list[int]] = {}
    for lab_id, vendor_id in sorted(pairs):
        by_lab.setdefault(lab_id, []).append(_request(lab_id, vendor_id, None, now))
    for lab_id, vendor_id, bid_id in bids:
        by_lab.setdefault(lab_id, []).append(_request(lab_id, vendor_id, bid_id, now))
    _enqueue_batches(by_lab)
    return [pk for ids in by_lab.values() for pk in ids]


def _enqueue_batches(by_lab: dict[int, list[int]]) -> None:
    from marketplace.exchange.tasks import screening_run_batch_task

    for ids in by_lab.values():
        for start in range(0, len(ids), SCREENING_BATCH_SIZE):
            screening_run_batch_task.delay_on_commit(ids[start : start + SCREENING_BATCH_SIZE])


def process_ownership_changes(*, limit: int = 500) -> list[int]:
    """Re-screens every vendor downstream of each unprocessed ownership change, for every
    lab involved with it. Idempotent: changes are claimed under a row lock and marked."""
    requested: list[int] = []
    with transaction.atomic():
        changes = list(
            OwnershipChange.objects.select_for_update(skip_locked=True)
            .filter(processed_at__isnull=True)
            .order_by("id")[:limit]
        )
        if not changes:
            return requested
        downstream = _downstream_entity_ids(sorted({c.subject_id for c in changes}))
        vendor_ids = list(
            Vendor.objects.filter(entity_id__in=downstream).values_list("pk", flat=True)
        )
        pairs, bids = _involvements(vendor_ids)
        requested = _request_many(pairs, bids)
        OwnershipChange.objects.filter(pk__in=[c.pk for c in changes]).update(
            processed_at=timezone.now()
        )
    return requested


@transaction.atomic
def lab_rescreen(*, lab_id: int) -> list[int]:
    """After a lab changed its competitors or policy: every vendor it deals with again."""
    lab = Lab.objects.select_for_update().filter(pk=lab_id).first()
    if lab is None:
        return []
    vendor_ids = set(Screening.objects.filter(lab=lab).values_list("vendor_id", flat=True))
    vendor_ids |= set(
        Bid.objects.filter(job__lab=lab, job__status__in=LIVE_JOB_STATUSES).values_list(
            "vendor_id", flat=True
        )
    )
    vendor_ids |= set(
        Invitation.objects.filter(job__lab=lab, job__status__in=LIVE_JOB_STATUSES).values_list(
            "vendor_id", flat=True
        )
    )
    vendor_ids |= set(
        Contract.objects.filter(lab=lab, status=ContractStatus.ACTIVE).values_list(
            "vendor_id", flat=True
        )
    )
    pairs, bids = _involvements(vendor_ids)
    pairs = {p for p in pairs if p[0] == lab.pk}
    bids = [b for b in bids if b[0] == lab.pk]
    return _request_many(pairs, bids)


def reconcile_screenings(*, now=None) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """Replays what a lost message left undone: ownership changes not processed, labs
    whose inputs changed after their screenings were requested, and screenings still
    pending (or failed) well after they were requested."""
    now = now or timezone.now()
    changes = process_ownership_changes()
    labs = 0
    for lab_id, changed_at in Lab.objects.filter(
        screening_inputs_changed_at__lt=now - STALE_AFTER
    ).values_list("pk", "screening_inputs_changed_at"):
        if Screening.objects.filter(lab_id=lab_id, requested_at__lt=changed_at).exists():
            lab_rescreen(lab_id=lab_id)
            labs += 1
    with transaction.atomic():
        stale = list(
            Screening.objects.select_for_update(skip_locked=True)
            .filter(
                Q(state="pending") | Q(state="running") | Q(state="failed"),
                requested_at__lt=now - STALE_AFTER,
            )
            .values_list("pk", flat=True)[:5000]
        )
        # The request time moves on, as for matching: the next rounds wait a whole window
        # again instead of sending the same screenings every period while a backlog drains.
        Screening.objects.filter(pk__in=stale).update(requested_at=now)
        _enqueue(stale)
    return {"ownership_changes": len(changes), "labs": labs, "screenings": len(stale)}
