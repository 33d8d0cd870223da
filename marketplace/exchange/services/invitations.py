"""What follows when a vendor's credentials or attestations expire: the vendor is told
which ones, and each of its invitations to a job still open is checked again. An
invitation whose vendor can no longer staff the job keeps a warning among its reasons,
and the vendor and the lab are told.

The vendors app finds the expiries and asks for this work by task name after its
transaction commits (vendors must not import exchange)."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Sequence

from django.db import transaction
from django.db.models import Prefetch

from labs.models import Job, JobStatus, SeatRequirement
from marketplace.core.models import QualificationLevel
from marketplace.exchange.matching import (
    assign_seats,
    seat_needs,
    seat_qualifications,
    staffing_reason,
)
from marketplace.exchange.models import Invitation, Notification
from marketplace.exchange.services.jobs import LAB_DECIDERS
from marketplace.exchange.services.notifications import notify_organisation
from vendors.models import Attestation, AttestationStatus, Credential, CredentialStatus, Vendor

# Reasons starting with this were written by the re-evaluation, and are replaced by it.
WARNING_PREFIX = "No longer eligible: "


def _digest(parts: Iterable[object]) -> str:
    return hashlib.sha256("\n".join(map(str, parts)).encode()).hexdigest()[:16]


# --- Telling vendors what expired -------------------------------------------------------------


@transaction.atomic
def vendor_expiries_notify(
    *, credential_ids: Sequence[int] = (), attestation_ids: Sequence[int] = ()
) -> list[Notification]:
    """One notification per vendor for the credentials, and one for the attestations, that
    have just expired. Retried with the same ids, it notifies nobody twice. (The
    credential.expired webhook event is recorded by the expiry itself, in its transaction.)"""
    sent: list[Notification] = []
    credentials = (
        Credential.objects.filter(pk__in=list(credential_ids), status=CredentialStatus.EXPIRED)
        .select_related("specialist__vendor__organisation", "field", "level")
        .order_by("specialist__full_name", "pk")
    )
    by_vendor: dict[Vendor, list[Credential]] = defaultdict(list)
    for credential in credentials:
        by_vendor[credential.specialist.vendor].append(credential)
    for vendor, expired in by_vendor.items():
        sent += notify_organisation(
            organisation=vendor.organisation,
            kind="credential.expired",
            title=f"{len(expired)} credential(s) of your specialists expired",
            body="\n".join(
                f"{c.specialist.full_name}: {c.level} in {c.field} (expired {c.expires_on})"
                for c in expired
            )
            + "\n\nAdd the renewed credentials to keep these specialists eligible for jobs.",
            dedupe_key=f"credential.expired:{vendor.pk}:{_digest(c.pk for c in expired)}",
        )
    attestations = (
        Attestation.objects.filter(pk__in=list(attestation_ids), status=AttestationStatus.EXPIRED)
        .select_related("vendor__organisation", "kind")
        .order_by("kind__name", "pk")
    )
    attestations_by_vendor: dict[Vendor, list[Attestation]] = defaultdict(list)
    for attestation in attestations:
        attestations_by_vendor[attestation.vendor].append(attestation)
    for vendor, lapsed in attestations_by_vendor.items():
        sent += notify_organisation(
            organisation=vendor.organisation,
            kind="attestation.expired",
            title=f"{len(lapsed)} compliance attestation(s) expired",
            body="\n".join(f"{a.kind} (expired {a.expires_on})" for a in lapsed)
            + "\n\nUpload the renewed attestations to stay eligible for jobs that require them.",
            dedupe_key=f"attestation.expired:{vendor.pk}:{_digest(a.pk for a in lapsed)}",
        )
    return sent


# --- Checking open invitations again ---------------------------------------------------------


def staffing_problems(
    job: Job,
    credentials: Iterable[Credential],
    attestations: Iterable[Attestation],
    *,
    levels: Iterable[QualificationLevel] | None = None,
) -> list[str]:
    """Why a vendor holding these credentials (of its active specialists) and these
    attestations cannot staff the job on its delivery date; empty if it can. The rules
    are matching's (marketplace.exchange.matching): required attestations valid through
    the delivery date, and every seat filled by a distinct specialist with a verified
    credential unexpired that day."""
    day = job.delivery_date
    problems = []
    attestations = list(attestations)
    for kind in job.required_attestations.all():
        if not any(a.kind_id == kind.pk and a.is_valid_through(day) for a in attestations):
            problems.append(f"no {kind} attestation valid through the delivery date ({day})")
    needs = seat_needs(
        job.seat_requirements.all(),
        QualificationLevel.objects.all() if levels is None else levels,
    )
    qualifications = seat_qualifications(needs, credentials, day)
    staffing = assign_seats([need.count for need in needs], qualifications)
    if not staffing.complete:
        problems.append(staffing_reason(staffing, needs, day).rstrip("."))
    return problems


@transaction.atomic
def invitations_reevaluate(*, vendor_ids: Iterable[int]) -> list[int]:
    """Checks again every invitation of these vendors to a job that is still open. An
    invitation whose vendor can no longer staff the job gets a warning among its reasons
    (one that can again is cleared of it); the vendor and the lab are told of each newly
    warned invitation. Returns the ids of the newly warned invitations. Idempotent."""
    vendor_ids = sorted(set(vendor_ids))
    invitations = list(
        Invitation.objects.select_for_update(of=("self",))
        .filter(vendor_id__in=vendor_ids, job__status=JobStatus.OPEN)
        .select_related("job__lab__organisation", "vendor__organisation")
        .prefetch_related(
            Prefetch(
                "job__seat_requirements",
                queryset=SeatRequirement.objects.select_related("field", "min_level"),
            ),
            "job__required_attestations",
        )
        .order_by("pk")
    )
    if not invitations:
        return []
    credentials: dict[int, list[Credential]] = defaultdict(list)
    for credential in Credential.objects.filter(
        specialist__vendor_id__in=vendor_ids,
        specialist__is_active=True,
        status=CredentialStatus.VERIFIED,
    ).select_related("specialist"):
        credentials[credential.specialist.vendor_id].append(credential)
    attestations: dict[int, list[Attestation]] = defaultdict(list)
    for attestation in Attestation.objects.filter(
        vendor_id__in=vendor_ids, status=AttestationStatus.VALID
    ):
        attestations[attestation.vendor_id].append(attestation)

    levels = list(QualificationLevel.objects.all())
    newly_warned = []
    for invitation in invitations:
        job, vendor = invitation.job, invitation.vendor
        problems = staffing_problems(
            job,
            credentials[invitation.vendor_id],
            attestations[invitation.vendor_id],
            levels=levels,
        )
        reasons = invitation.reasons if isinstance(invitation.reasons, list) else []
        kept = [r for r in reasons if not str(r).startswith(WARNING_PREFIX)]
        warning = f"{WARNING_PREFIX}{'; '.join(problems)}." if problems else None
        updated = kept + ([warning] if warning else [])
        if updated == reasons:
            continue
        was_warned = len(kept) < len(reasons)
        invitation.reasons = updated
        invitation.save(update_fields=["reasons"])
        if warning is None or was_warned:
            continue
        newly_warned.append(invitation.pk)
        digest = _digest(problems)
        explained = "; ".join(problems)
        notify_organisation(
            organisation=vendor.organisation,
            kind="invitation.cannot_staff",
            title=f"Your invitation to {job.title}: an expired credential or attestation "
            "means you can no longer fill the seats",
            body=f"{explained[0].upper()}{explained[1:]}. Add renewed credentials or "
            "attestations to become eligible again.",
            dedupe_key=f"invitation.cannot_staff:{invitation.pk}:{digest}",
        )
        notify_organisation(
            organisation=job.lab.organisation,
            kind="invitation.cannot_staff",
            title=f"{vendor} can no longer staff {job.title}",
            body=f"After an expired credential or attestation: {explained}.",
            roles=LAB_DECIDERS,
            dedupe_key=f"invitation.cannot_staff:{invitation.pk}:{digest}",
        )
    return newly_warned
