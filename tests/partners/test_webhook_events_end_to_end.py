"""The vendor- and lab-side events no other test drives end to end, each caused the way it
happens in use (the hourly expiry task, a roster upload, a vendor's ownership
declaration, a lab publishing a job), delivered to real local receivers, signed as
docs/webhooks.md says, and never carrying another vendor's data to a vendor."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from marketplace.exchange.models import Invitation, Screening, Verdict
from marketplace.ownership.services import entity_create
from marketplace.partners.models import WebhookDelivery, WebhookDeliveryStatus, WebhookEvent
from tests.api.conftest import key_client
from tests.exchange.helpers import platform_admin
from tests.exchange.matching_builders import job_needing, staffed_vendor, vocabulary
from tests.factories import CredentialFactory, CredentialFieldFactory, QualificationLevelFactory
from tests.partners import webhook_receiver
from tests.partners.webhook_helpers import documented_verifier, subscribe
from tests.partners.webhook_receiver import Received, Receiver
from tests.plugins.personas import VendorTeam, make_open_job, submit_bid
from vendors import services as vendor_services
from vendors.models import CredentialStatus
from vendors.tasks import expire_credentials_task

pytestmark = pytest.mark.django_db

receiver = webhook_receiver.receiver
second_receiver = webhook_receiver.second_receiver

API = "/api/v1"


def only(got: Receiver, event_type: str) -> Received:
    """The one request of this type the receiver got, after checking it was signed."""
    [request] = got.events(event_type)
    return request


def assert_signed(request: Received, secret: str) -> dict[str, Any]:
    verify = documented_verifier()
    assert verify(secret, request.headers, request.body)
    assert not verify("whsec_someone_else", request.headers, request.body)
    event = request.json()
    assert event["id"] == request.headers["X-Webhook-Id"]
    assert event["type"] == request.headers["X-Webhook-Event"]
    return event


def leaves(value: Any, key: str | None = None) -> Iterator[tuple[str | None, Any]]:
    """Every (key, value) pair at the leaves of a JSON document."""
    if isinstance(value, dict):
        for name, item in value.items():
            yield from leaves(item, name)
    elif isinstance(value, list):
        for item in value:
            yield from leaves(item, key)
    else:
        yield key, value


def never_mentions(requests: list[Received], *texts: str, **fields: object) -> None:
    """None of these requests carries any of these texts, nor any of these fields with
    these values anywhere in its body (`vendor_id=3`: no "vendor_id": 3 at any depth)."""
    for request in requests:
        found = set(leaves(request.json()))
        for key, value in fields.items():
            assert (key, value) not in found, (key, value, request.body)
        for text in texts:
            assert text not in request.body.decode(), (text, request.body)


# --- credential.expired ---------------------------------------------------------------------


def verified_credential(team: VendorTeam, index: int, *, expires_in: int):  # type: ignore[no-untyped-def]
    today = timezone.localdate()
    return CredentialFactory(
        specialist=team.specialists[index],
        status=CredentialStatus.VERIFIED,
        verified_by=platform_admin(),
        verified_at=timezone.now(),
        issued_on=today - timedelta(days=2000),
        expires_on=today + timedelta(days=expires_in),
    )


def test_the_hourly_expiry_tells_each_vendor_of_its_own_expired_credentials_only(
    medix, mathly, receiver, second_receiver, django_capture_on_commit_callbacks
):
    _, medix_secret = subscribe(medix, receiver.url, ["credential.expired"])
    _, mathly_secret = subscribe(mathly, second_receiver.url, ["credential.expired"])
    medix_expired = verified_credential(medix, 0, expires_in=0)
    medix_kept = verified_credential(medix, 1, expires_in=400)
    mathly_expired = verified_credential(mathly, 0, expires_in=-1)

    # What Celery beat runs every hour; the exchange's part runs once its work commits.
    with django_capture_on_commit_callbacks(execute=True):
        assert expire_credentials_task.apply().successful()

    event = assert_signed(only(receiver, "credential.expired"), medix_secret)
    assert event["organisation_id"] == medix.vendor.organisation_id
    assert event["data"] == {
        "vendor_id": medix.vendor.pk,
        "credentials": [
            {
                "id": medix_expired.pk,
                "specialist_id": medix.specialists[0].pk,
                "specialist": medix.specialists[0].full_name,
                "field": str(medix_expired.field),
                "level": str(medix_expired.level),
                "expires_on": medix_expired.expires_on.isoformat(),
            }
        ],
    }
    theirs = assert_signed(only(second_receiver, "credential.expired"), mathly_secret)
    assert [c["id"] for c in theirs["data"]["credentials"]] == [mathly_expired.pk]
    never_mentions(
        receiver.requests,
        mathly.specialists[0].full_name,
        "Mathly",
        vendor_id=mathly.vendor.pk,
        id=mathly_expired.pk,
        specialist_id=mathly.specialists[0].pk,
    )
    never_mentions(
        second_receiver.requests,
        medix.specialists[0].full_name,
        "Medix",
        vendor_id=medix.vendor.pk,
        id=medix_expired.pk,
        specialist_id=medix.specialists[0].pk,
    )
    never_mentions(receiver.requests, id=medix_kept.pk)  # still valid: not announced

    # The next hourly run finds nothing new and announces nothing again.
    with django_capture_on_commit_callbacks(execute=True):
        assert expire_credentials_task.apply().successful()
    assert len(receiver.requests) == len(second_receiver.requests) == 1


# --- roster_import.finished -----------------------------------------------------------------


def roster_csv(*rows: dict[str, str]) -> SimpleUploadedFile:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(vendor_services.ROSTER_COLUMNS))
    writer.writeheader()
    writer.writerows(rows)
    return SimpleUploadedFile("roster.csv", buffer.getvalue().encode(), "text/csv")


def roster_row(name: str, email: str, identifier: str, **cells: str) -> dict[str, str]:
    return {
        "specialist_name": name,
        "specialist_email": email,
        "field": "medicine",
        "level": "md",
        "issuer": "Medical Board of California",
        "identifier": identifier,
        "issued_on": "2020-07-01",
        "expires_on": "2030-06-30",
        **cells,
    }


@pytest.fixture
def roster_vocabulary(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path
    CredentialFieldFactory(code="medicine", name="Medicine")
    QualificationLevelFactory(code="md", name="MD", ladder="physician", rank=1)


def test_a_finished_roster_import_reaches_only_the_vendor_that_uploaded_it(
    medix,
    mathly,
    roster_vocabulary,
    receiver,
    second_receiver,
    django_capture_on_commit_callbacks,
):
    _, medix_secret = subscribe(medix, receiver.url, ["roster_import.finished"])
    _, mathly_secret = subscribe(mathly, second_receiver.url, ["roster_import.finished"])
    medix_file = roster_csv(
        roster_row("Dr Amara Okafor", "amara@medix.test", "MED-1"),
        roster_row("Dr Lin Wei", "lin@medix.test", "MED-2"),
    )
    mathly_file = roster_csv(
        roster_row("Prof Ana Ruiz", "ana@mathly.test", "MATH-1"),
        roster_row("Prof Bad Row", "bad@mathly.test", "MATH-2", level="no-such-level"),
    )

    # Each vendor's system uploads its roster; the import runs once the upload commits.
    with django_capture_on_commit_callbacks(execute=True):
        medix_upload = key_client(medix.vendor.organisation).post(
            f"{API}/vendor/roster-imports/", {"file": medix_file}, format="multipart"
        )
    with django_capture_on_commit_callbacks(execute=True):
        mathly_upload = key_client(mathly.vendor.organisation).post(
            f"{API}/vendor/roster-imports/", {"file": mathly_file}, format="multipart"
        )
    assert medix_upload.status_code == mathly_upload.status_code == 202

    event = assert_signed(only(receiver, "roster_import.finished"), medix_secret)
    data = event["data"]
    assert data.pop("finished_at")
    assert data == {
        "roster_import_id": medix_upload.json()["id"],
        "vendor_id": medix.vendor.pk,
        "status": "done",
        "total_rows": 2,
        "rows_created": 2,
        "specialists_created": 2,
        "error_count": 0,
    }
    # All or nothing: one bad row, so Mathly's import failed and says so.
    failed = assert_signed(only(second_receiver, "roster_import.finished"), mathly_secret)
    assert failed["data"]["roster_import_id"] == mathly_upload.json()["id"]
    assert (failed["data"]["status"], failed["data"]["error_count"]) == ("failed", 1)
    assert failed["data"]["rows_created"] == 0
    never_mentions(
        receiver.requests,
        "Mathly",
        "mathly.test",
        vendor_id=mathly.vendor.pk,
        roster_import_id=mathly_upload.json()["id"],
    )
    never_mentions(
        second_receiver.requests,
        "Medix",
        "medix.test",
        vendor_id=medix.vendor.pk,
        roster_import_id=medix_upload.json()["id"],
    )
    assert len(receiver.requests) == len(second_receiver.requests) == 1


# --- screening.changed ----------------------------------------------------------------------


def test_a_declared_stake_that_worsens_a_verdict_tells_the_lab_and_no_vendor(
    acme, medix, mathly, receiver, second_receiver, django_capture_on_commit_callbacks
):
    from labs.services import competitor_add

    rival_corp = entity_create(name="Rival Corp")
    competitor_add(lab=acme.lab, user=acme.owner, entity=rival_corp)
    _, lab_secret = subscribe(acme, receiver.url, ["screening.changed"])
    subscribe(medix, second_receiver.url, ["screening.changed"])
    subscribe(mathly, second_receiver.url, ["screening.changed"])
    job = make_open_job(acme)
    with django_capture_on_commit_callbacks(execute=True):
        medix_bid = submit_bid(medix, job)
        submit_bid(mathly, job)
    assert set(Screening.objects.filter(lab=acme.lab).values_list("verdict", flat=True)) == {
        Verdict.CLEAR
    }
    assert receiver.requests == []  # nothing got worse yet

    # Medix's owner declares, through the API, that Rival Corp holds 30% of Medix.
    with django_capture_on_commit_callbacks(execute=True):
        declared = key_client(medix.vendor.organisation).post(
            f"{API}/vendor/stakes/",
            {
                "interested_party_record_id": rival_corp.record_id,
                "interest_type": "shareholding",
                "share_exact": "30",
            },
            format="json",
        )
    assert declared.status_code == 201, declared.json()

    events = [assert_signed(r, lab_secret) for r in receiver.events("screening.changed")]
    assert {(e["data"]["bid_id"], e["data"]["job_id"]) for e in events} == {
        (None, None),
        (medix_bid.pk, job.pk),
    }
    for event in events:
        data = event["data"]
        assert event["organisation_id"] == acme.lab.organisation_id
        assert data["vendor"] == {"id": medix.vendor.pk, "name": "Medix Annotations"}
        assert (data["previous_verdict"], data["verdict"]) == (Verdict.CLEAR, Verdict.BLOCKED)
        assert any("Rival Corp" in reason for reason in data["reasons"])
        screening = Screening.objects.get(pk=data["screening_id"])
        assert (screening.lab, screening.vendor) == (acme.lab, medix.vendor)
    # Mathly's verdict did not change; and verdicts are the lab's, never sent to vendors.
    never_mentions(receiver.requests, "Mathly")
    assert second_receiver.requests == []


# --- invitation.created ---------------------------------------------------------------------


def test_publishing_a_job_invites_the_matched_vendors_each_told_only_of_its_invitation(
    acme, receiver, second_receiver, settings, django_capture_on_commit_callbacks
):
    v = vocabulary()
    alpha = staffed_vendor("Alpha Annotations", v, md=2, rn=1)
    zeta = staffed_vendor("Zeta Annotations", v, md=3, rn=1)
    unfit = staffed_vendor("No Nurses Ltd", v, md=3)
    _, alpha_secret = subscribe(alpha, receiver.url, ["invitation.created"])
    _, zeta_secret = subscribe(zeta, second_receiver.url, ["invitation.created"])
    subscribe(unfit, second_receiver.url, ["invitation.created"])
    job = job_needing(acme, (2, v.medicine, v.md), (1, v.nursing, v.rn))

    # The lab publishes through the API; matching runs once the publication commits.
    with django_capture_on_commit_callbacks(execute=True):
        published = key_client(acme.lab.organisation).post(f"{API}/lab/jobs/{job.pk}/publish/")
    assert published.status_code == 200

    invitations = {i.vendor_id: i for i in Invitation.objects.filter(job=job)}
    assert set(invitations) == {alpha.vendor.pk, zeta.vendor.pk}
    for got, team, secret in (
        (receiver, alpha, alpha_secret),
        (second_receiver, zeta, zeta_secret),
    ):
        [request] = [
            r
            for r in got.events("invitation.created")
            if r.json()["organisation_id"] == team.vendor.organisation_id
        ]
        event = assert_signed(request, secret)
        invitation = invitations[team.vendor.pk]
        assert event["data"]["invitation_id"] == invitation.pk
        job_data = event["data"]["job"]
        assert (job_data["id"], job_data["title"], job_data["lab"]) == (
            job.pk,
            job.title,
            "Acme AI",
        )
        assert job_data["status"] == "open"
        # The lab's ranking is the lab's: no rank, score or reasons reach the vendor.
        assert set(event["data"]) == {"invitation_id", "job"}
        for secret_of_the_lab in invitation.reasons:
            assert json.dumps(secret_of_the_lab)[1:-1] not in request.body.decode()
    assert len(receiver.requests) == 1  # Alpha hears nothing of Zeta's invitation
    assert len(second_receiver.requests) == 1  # nor Zeta of Alpha's; No Nurses of anything
    never_mentions(receiver.requests, "Zeta", invitation_id=invitations[zeta.vendor.pk].pk)
    never_mentions(second_receiver.requests, "Alpha", invitation_id=invitations[alpha.vendor.pk].pk)
    assert not WebhookEvent.objects.filter(dispatched_at__isnull=True).exists()
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {
        WebhookDeliveryStatus.SUCCEEDED
    }
