"""Every route under /api/, called as every kind of caller, answers as the policy table
says. A route missing from the table fails the test, so no endpoint ships untested.

Callers: anonymous; each Acme lab role and each Medix vendor role by session; and a read
and a write key of ANOTHER lab (Rival) and ANOTHER vendor (Mathly). Object ids in the
URLs are Acme's and Medix's, so the other organisations' keys must get 404 (object
routes), an empty list of their own (list routes), 403 for the wrong kind of
organisation, and 403 read_only_key for a write with a read key."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from rest_framework.test import APIClient

from marketplace.exchange import services as exchange
from marketplace.exchange.models import Contract, Screening
from marketplace.partners.models import WebhookEndpoint
from marketplace.partners.services import api_key_create
from marketplace.partners.webhook_services import webhook_endpoint_create
from tests.api.conftest import key_client, session_client
from tests.api.extras_world import extras_world
from tests.api.payloads import job_payload
from tests.api.profile_world import profile_world
from tests.exchange.helpers import start_evaluation
from tests.factories import AttestationFactory, JobFactory, SeatRequirementFactory
from tests.plugins.personas import make_open_job, submit_bid

LAB_ROLES = ("lab_owner", "procurement", "reviewer")
VENDOR_ROLES = ("vendor_owner", "bid_manager")
OTHER_KEYS = ("other_lab_read", "other_lab_write", "other_vendor_read", "other_vendor_write")
CALLERS = ("anonymous", *LAB_ROLES, *VENDOR_ROLES, *OTHER_KEYS)


def api_routes() -> dict[str, str]:
    """Route name (with namespaces) -> pattern, for every route under /api/."""
    found: dict[str, str] = {}

    def walk(patterns: list, prefix: str, namespace: str) -> None:
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                ns = namespace
                if pattern.namespace:
                    ns = f"{namespace}{pattern.namespace}:"
                walk(pattern.url_patterns, route, ns)
            elif isinstance(pattern, URLPattern) and route.startswith("api/"):
                assert pattern.name, f"API route {route} has no name"
                found[namespace + pattern.name] = route

    walk(get_resolver().url_patterns, "", "")
    return found


def lab_policy(*, lab: dict[str, int], other_lab_write: int, other_lab_read: int) -> dict:
    """A lab route: vendors get 403 (wrong kind), anonymous 401."""
    return {
        "anonymous": 401,
        **lab,
        "vendor_owner": 403,
        "bid_manager": 403,
        "other_lab_read": other_lab_read,
        "other_lab_write": other_lab_write,
        "other_vendor_read": 403,
        "other_vendor_write": 403,
    }


def vendor_policy(*, vendor: int, other_vendor_write: int, other_vendor_read: int) -> dict:
    return {
        "anonymous": 401,
        "lab_owner": 403,
        "procurement": 403,
        "reviewer": 403,
        "vendor_owner": vendor,
        "bid_manager": vendor,
        "other_lab_read": 403,
        "other_lab_write": 403,
        "other_vendor_read": other_vendor_read,
        "other_vendor_write": other_vendor_write,
    }


def everyone(status: int, anonymous: int = 401) -> dict:
    return {caller: status for caller in CALLERS} | {"anonymous": anonymous}


def managers(ok: int, reviewer: int = 403) -> dict[str, int]:
    return {"lab_owner": ok, "procurement": ok, "reviewer": reviewer}


def all_lab_roles(ok: int) -> dict[str, int]:
    return dict.fromkeys(LAB_ROLES, ok)


# Route name -> expected status per caller.
POLICY: dict[str, dict[str, int]] = {
    "api:schema": everyone(200, anonymous=200),
    "api:docs": everyone(200, anonymous=200),
    "api:redoc": everyone(200, anonymous=200),
    # The catch-all after every route: unknown URLs answer 404 in the error shape.
    "api:not-found": everyone(404, anonymous=404),
    # Lab side. Read keys are refused any write before the object is looked up.
    "api:v1:lab-jobs": lab_policy(lab=all_lab_roles(200), other_lab_write=200, other_lab_read=200),
    "api:v1:lab-jobs-create": lab_policy(
        lab=managers(201), other_lab_write=201, other_lab_read=403
    ),
    "api:v1:lab-job": lab_policy(lab=all_lab_roles(200), other_lab_write=404, other_lab_read=404),
    "api:v1:lab-job-update": lab_policy(lab=managers(200), other_lab_write=404, other_lab_read=403),
    "api:v1:lab-job-publish": lab_policy(
        lab=managers(200), other_lab_write=404, other_lab_read=403
    ),
    "api:v1:lab-job-close": lab_policy(lab=managers(200), other_lab_write=404, other_lab_read=403),
    "api:v1:lab-job-cancel": lab_policy(lab=managers(200), other_lab_write=404, other_lab_read=403),
    "api:v1:lab-job-mark-unsuccessful": lab_policy(
        lab=managers(200), other_lab_write=404, other_lab_read=403
    ),
    "api:v1:lab-job-bids": lab_policy(
        lab=all_lab_roles(200), other_lab_write=404, other_lab_read=404
    ),
    "api:v1:lab-job-award": lab_policy(lab=managers(201), other_lab_write=404, other_lab_read=403),
    "api:v1:lab-bid-shortlist": lab_policy(
        lab=all_lab_roles(200), other_lab_write=404, other_lab_read=403
    ),
    "api:v1:lab-bid-reject": lab_policy(
        lab=all_lab_roles(200), other_lab_write=404, other_lab_read=403
    ),
    "api:v1:lab-contract-complete": lab_policy(
        lab=all_lab_roles(200), other_lab_write=404, other_lab_read=403
    ),
    "api:v1:lab-screenings": lab_policy(
        lab=all_lab_roles(200), other_lab_write=200, other_lab_read=200
    ),
    "api:v1:lab-screening": lab_policy(
        lab=all_lab_roles(200), other_lab_write=404, other_lab_read=404
    ),
    # Vendor side.
    "api:v1:vendor-jobs": vendor_policy(vendor=200, other_vendor_write=200, other_vendor_read=200),
    # Mathly may see Acme's open job too: it is open to all vendors.
    "api:v1:vendor-job": vendor_policy(vendor=200, other_vendor_write=200, other_vendor_read=200),
    "api:v1:vendor-bids": vendor_policy(vendor=200, other_vendor_write=200, other_vendor_read=200),
    "api:v1:vendor-bids-create": vendor_policy(
        vendor=201, other_vendor_write=201, other_vendor_read=403
    ),
    "api:v1:vendor-bid": vendor_policy(vendor=200, other_vendor_write=404, other_vendor_read=404),
    "api:v1:vendor-bid-revise": vendor_policy(
        vendor=200, other_vendor_write=404, other_vendor_read=403
    ),
    "api:v1:vendor-bid-withdraw": vendor_policy(
        vendor=200, other_vendor_write=404, other_vendor_read=403
    ),
    # Both.
    "api:v1:notifications": everyone(200),
    "api:v1:api-keys": everyone(200),
    "api:v1:api-keys-create": {
        "anonymous": 401,
        "lab_owner": 201,
        "procurement": 403,
        "reviewer": 403,
        "vendor_owner": 201,
        "bid_manager": 403,
        "other_lab_read": 403,
        "other_lab_write": 403,  # a key never makes keys
        "other_vendor_read": 403,
        "other_vendor_write": 403,
    },
    "api:v1:api-key-revoke": {
        "anonymous": 401,
        "lab_owner": 200,
        "procurement": 403,
        "reviewer": 403,
        "vendor_owner": 404,  # Acme's key is not Medix's
        "bid_manager": 404,
        "other_lab_read": 403,
        "other_lab_write": 404,
        "other_vendor_read": 403,
        "other_vendor_write": 404,
    },
    # --- lab and vendor extras
    "api:v1:lab-job-seats": lab_policy(
        lab=all_lab_roles(200), other_lab_write=404, other_lab_read=404
    ),
    "api:v1:lab-job-seats-create": lab_policy(
        lab=managers(201), other_lab_write=404, other_lab_read=403
    ),
    "api:v1:lab-job-seat": lab_policy(lab=managers(204), other_lab_write=404, other_lab_read=403),
    "api:v1:lab-job-questions": lab_policy(
        lab=all_lab_roles(200), other_lab_write=404, other_lab_read=404
    ),
    "api:v1:lab-question-answer": lab_policy(
        lab=all_lab_roles(200), other_lab_write=404, other_lab_read=403
    ),
    "api:v1:lab-job-invitations": lab_policy(
        lab=all_lab_roles(200), other_lab_write=404, other_lab_read=404
    ),
    "api:v1:lab-competitors": lab_policy(
        lab=all_lab_roles(200), other_lab_write=200, other_lab_read=200
    ),
    "api:v1:lab-competitors-create": lab_policy(
        lab=managers(201), other_lab_write=201, other_lab_read=403
    ),
    "api:v1:lab-competitor": lab_policy(lab=managers(204), other_lab_write=404, other_lab_read=403),
    # Every lab reads and (its owner, or a write key) edits its own policy.
    "api:v1:lab-conflict-policy": lab_policy(
        lab=all_lab_roles(200), other_lab_write=200, other_lab_read=200
    ),
    "api:v1:lab-conflict-policy-update": lab_policy(
        lab={"lab_owner": 200, "procurement": 403, "reviewer": 403},
        other_lab_write=200,
        other_lab_read=403,
    ),
    # Acme's open job is open to all vendors, so Mathly sees its questions too.
    "api:v1:vendor-job-questions": vendor_policy(
        vendor=200, other_vendor_write=200, other_vendor_read=200
    ),
    "api:v1:vendor-job-questions-create": vendor_policy(
        vendor=201, other_vendor_write=201, other_vendor_read=403
    ),
    "api:v1:vendor-invitations": vendor_policy(
        vendor=200, other_vendor_write=200, other_vendor_read=200
    ),
    "api:v1:vendor-stakes": vendor_policy(
        vendor=200, other_vendor_write=200, other_vendor_read=200
    ),
    # Only the vendor's owner changes the ownership declaration.
    "api:v1:vendor-stakes-create": vendor_policy(
        vendor=201, other_vendor_write=201, other_vendor_read=403
    )
    | {"bid_manager": 403},
    "api:v1:vendor-stake-end": vendor_policy(
        vendor=200, other_vendor_write=404, other_vendor_read=403
    )
    | {"bid_manager": 403},
    # The table sends JSON; the upload takes multipart only (uploads: test_vendor_extras_api).
    "api:v1:vendor-bods": vendor_policy(vendor=415, other_vendor_write=415, other_vendor_read=403),
    # --- end of lab and vendor extras
    # --- profile, roster and webhooks
    "api:v1:vendor-profile": vendor_policy(
        vendor=200, other_vendor_write=200, other_vendor_read=200
    ),
    # Each vendor edits its own profile; only its owner (or a write key) may.
    "api:v1:vendor-profile-update": vendor_policy(
        vendor=200, other_vendor_write=200, other_vendor_read=403
    )
    | {"bid_manager": 403},
    "api:v1:vendor-attestations": vendor_policy(
        vendor=200, other_vendor_write=200, other_vendor_read=200
    ),
    "api:v1:vendor-attestations-create": vendor_policy(
        vendor=201, other_vendor_write=201, other_vendor_read=403
    )
    | {"bid_manager": 403},
    "api:v1:vendor-specialists": vendor_policy(
        vendor=200, other_vendor_write=200, other_vendor_read=200
    ),
    "api:v1:vendor-specialists-create": vendor_policy(
        vendor=201, other_vendor_write=201, other_vendor_read=403
    ),
    "api:v1:vendor-specialist": vendor_policy(
        vendor=200, other_vendor_write=404, other_vendor_read=404
    ),
    "api:v1:vendor-specialist-credentials": vendor_policy(
        vendor=201, other_vendor_write=404, other_vendor_read=403
    ),
    "api:v1:vendor-specialist-affiliations": vendor_policy(
        vendor=201, other_vendor_write=404, other_vendor_read=403
    ),
    "api:v1:vendor-credential-update": vendor_policy(
        vendor=200, other_vendor_write=404, other_vendor_read=403
    ),
    "api:v1:vendor-roster-imports": vendor_policy(
        vendor=200, other_vendor_write=200, other_vendor_read=200
    ),
    # The table sends JSON; the upload takes multipart only (uploads: test_roster_import_api).
    "api:v1:vendor-roster-imports-create": vendor_policy(
        vendor=415, other_vendor_write=415, other_vendor_read=403
    ),
    "api:v1:vendor-roster-import": vendor_policy(
        vendor=200, other_vendor_write=404, other_vendor_read=404
    ),
    # Another person's notification id is ignored, not refused.
    "api:v1:notifications-mark-read": everyone(200)
    | {"other_lab_read": 403, "other_vendor_read": 403},
    "api:v1:webhook-endpoints": everyone(200),
    # The organisation's owner, or a write key (it acts as an owner).
    "api:v1:webhook-endpoints-create": {
        "anonymous": 401,
        "lab_owner": 201,
        "procurement": 403,
        "reviewer": 403,
        "vendor_owner": 201,
        "bid_manager": 403,
        "other_lab_read": 403,
        "other_lab_write": 201,
        "other_vendor_read": 403,
        "other_vendor_write": 201,
    },
    # The endpoint and the delivery are Acme's.
    "api:v1:webhook-endpoint": {
        **dict.fromkeys(CALLERS, 404),
        "anonymous": 401,
        **all_lab_roles(200),
    },
    "api:v1:webhook-endpoint-update": {
        **dict.fromkeys(CALLERS, 404),
        "anonymous": 401,
        "lab_owner": 200,
        "procurement": 403,
        "reviewer": 403,
        "other_lab_read": 403,
        "other_vendor_read": 403,
    },
    "api:v1:webhook-endpoint-delete": {
        **dict.fromkeys(CALLERS, 404),
        "anonymous": 401,
        "lab_owner": 204,
        "procurement": 403,
        "reviewer": 403,
        "other_lab_read": 403,
        "other_vendor_read": 403,
    },
    "api:v1:webhook-deliveries": everyone(200),
    "api:v1:webhook-delivery-redeliver": {
        **dict.fromkeys(CALLERS, 404),
        "anonymous": 401,
        "lab_owner": 200,
        "procurement": 403,
        "reviewer": 403,
        "other_lab_read": 403,
        "other_vendor_read": 403,
    },
    # --- end of profile, roster and webhooks
    # --- attestation documents and webhook endpoint actions
    "api:v1:vendor-attestation-document": vendor_policy(
        vendor=200, other_vendor_write=404, other_vendor_read=404
    ),
    # The endpoint is Acme's (disabled, so that re-enabling it is a valid move).
    "api:v1:webhook-endpoint-enable": {
        **dict.fromkeys(CALLERS, 404),
        "anonymous": 401,
        "lab_owner": 200,
        "procurement": 403,
        "reviewer": 403,
        "other_lab_read": 403,
        "other_vendor_read": 403,
    },
    "api:v1:webhook-endpoint-ping": {
        **dict.fromkeys(CALLERS, 404),
        "anonymous": 401,
        "lab_owner": 202,
        "procurement": 403,
        "reviewer": 403,
        "other_lab_read": 403,
        "other_vendor_read": 403,
    },
    # --- end of attestation documents and webhook endpoint actions
}

# Routes with several methods appear once per method: route name -> policy entries.
METHODS: dict[str, list[tuple[str, str]]] = {
    "api:v1:lab-jobs": [("api:v1:lab-jobs", "get"), ("api:v1:lab-jobs-create", "post")],
    "api:v1:lab-job": [("api:v1:lab-job", "get"), ("api:v1:lab-job-update", "patch")],
    "api:v1:vendor-bids": [
        ("api:v1:vendor-bids", "get"),
        ("api:v1:vendor-bids-create", "post"),
    ],
    "api:v1:api-keys": [("api:v1:api-keys", "get"), ("api:v1:api-keys-create", "post")],
    # --- lab and vendor extras
    "api:v1:lab-job-seats": [
        ("api:v1:lab-job-seats", "get"),
        ("api:v1:lab-job-seats-create", "post"),
    ],
    "api:v1:lab-job-seat": [("api:v1:lab-job-seat", "delete")],
    "api:v1:lab-competitors": [
        ("api:v1:lab-competitors", "get"),
        ("api:v1:lab-competitors-create", "post"),
    ],
    "api:v1:lab-competitor": [("api:v1:lab-competitor", "delete")],
    "api:v1:lab-conflict-policy": [
        ("api:v1:lab-conflict-policy", "get"),
        ("api:v1:lab-conflict-policy-update", "patch"),
    ],
    "api:v1:vendor-job-questions": [
        ("api:v1:vendor-job-questions", "get"),
        ("api:v1:vendor-job-questions-create", "post"),
    ],
    "api:v1:vendor-stakes": [
        ("api:v1:vendor-stakes", "get"),
        ("api:v1:vendor-stakes-create", "post"),
    ],
    # --- end of lab and vendor extras
    # --- profile, roster and webhooks
    "api:v1:vendor-profile": [
        ("api:v1:vendor-profile", "get"),
        ("api:v1:vendor-profile-update", "patch"),
    ],
    "api:v1:vendor-attestations": [
        ("api:v1:vendor-attestations", "get"),
        ("api:v1:vendor-attestations-create", "post"),
    ],
    "api:v1:vendor-specialists": [
        ("api:v1:vendor-specialists", "get"),
        ("api:v1:vendor-specialists-create", "post"),
    ],
    "api:v1:vendor-credential": [("api:v1:vendor-credential-update", "patch")],
    "api:v1:vendor-roster-imports": [
        ("api:v1:vendor-roster-imports", "get"),
        ("api:v1:vendor-roster-imports-create", "post"),
    ],
    "api:v1:webhook-endpoints": [
        ("api:v1:webhook-endpoints", "get"),
        ("api:v1:webhook-endpoints-create", "post"),
    ],
    "api:v1:webhook-endpoint": [
        ("api:v1:webhook-endpoint", "get"),
        ("api:v1:webhook-endpoint-update", "patch"),
        ("api:v1:webhook-endpoint-delete", "delete"),
    ],
    # --- end of profile, roster and webhooks
}


@dataclass
class World:
    ids: dict[str, Any]
    bodies: dict[str, dict]
    clients: dict[str, APIClient]


@pytest.fixture
def world(db, acme, rival, medix, mathly, settings, tmp_path) -> World:  # type: ignore[no-untyped-def]
    draft = JobFactory(lab=acme.lab, created_by=acme.procurement)
    SeatRequirementFactory(job=draft)
    open_job = make_open_job(acme)
    evaluated = make_open_job(acme)
    bid = submit_bid(medix, evaluated)
    start_evaluation(evaluated)
    awarded = make_open_job(acme)
    awarded_bid = submit_bid(medix, awarded)
    open_bid = submit_bid(medix, open_job)
    start_evaluation(awarded)
    exchange.award_make(job=awarded, user=acme.owner, shares={awarded_bid.pk: 100})
    contract = Contract.objects.get(bid=awarded_bid)
    screening = Screening.objects.filter(lab=acme.lab).first()
    assert screening is not None
    acme_api_key, _ = api_key_create(organisation=acme.lab.organisation, scope="read", name="k")
    lab_users = {
        "lab_owner": acme.owner,
        "procurement": acme.procurement,
        "reviewer": acme.reviewer,
    }
    vendor_users = {"vendor_owner": medix.owner, "bid_manager": medix.bid_manager}
    clients = {"anonymous": APIClient()}
    clients |= {name: session_client(user) for name, user in (lab_users | vendor_users).items()}
    clients |= {
        "other_lab_read": key_client(rival.lab.organisation, "read"),
        "other_lab_write": key_client(rival.lab.organisation, "write"),
        "other_vendor_read": key_client(mathly.vendor.organisation, "read"),
        "other_vendor_write": key_client(mathly.vendor.organisation, "write"),
    }
    # Each route gets the object its move applies to, in the state the move needs.
    ids = {
        "api:v1:lab-job": {"job_id": draft.pk},
        "api:v1:lab-job-publish": {"job_id": draft.pk},
        "api:v1:lab-job-close": {"job_id": open_job.pk},
        "api:v1:lab-job-cancel": {"job_id": open_job.pk},
        "api:v1:lab-job-mark-unsuccessful": {"job_id": evaluated.pk},
        "api:v1:lab-job-bids": {"job_id": evaluated.pk},
        "api:v1:lab-job-award": {"job_id": evaluated.pk},
        "api:v1:lab-bid-shortlist": {"bid_id": bid.pk},
        "api:v1:lab-bid-reject": {"bid_id": bid.pk},
        "api:v1:lab-contract-complete": {"contract_id": contract.pk},
        "api:v1:lab-screening": {"screening_id": screening.pk},
        "api:v1:vendor-job": {"job_id": open_job.pk},
        "api:v1:vendor-bid": {"bid_id": open_bid.pk},
        "api:v1:vendor-bid-revise": {"bid_id": open_bid.pk},
        "api:v1:vendor-bid-withdraw": {"bid_id": open_bid.pk},
        "api:v1:api-key-revoke": {"key_id": acme_api_key.prefix},
    }
    bodies = {
        "api:v1:lab-jobs-create": job_payload(),
        "api:v1:lab-job-update": {"title": "Renamed"},
        "api:v1:lab-job-cancel": {"reason": "Budget cut"},
        "api:v1:lab-job-mark-unsuccessful": {"reason": "Nothing fits"},
        "api:v1:lab-job-award": {"shares": [{"bid": bid.pk, "percent": "100"}]},
        "api:v1:lab-bid-reject": {"reason": "Too dear"},
        "api:v1:lab-contract-complete": {
            "delivered_on": str(timezone.localdate()),
            "rating": 4,
            "comment": "Fine",
        },
        # A job every vendor can bid on but none has yet.
        "api:v1:vendor-bids-create": {
            "job": make_open_job(acme).pk,
            "price": "1000",
            "currency": "USD",
            "timeline_days": 10,
        },
        "api:v1:vendor-bid-revise": {"price": "900"},
        "api:v1:api-keys-create": {"name": "new", "scope": "read"},
    }
    # --- lab and vendor extras
    extras_ids, extras_bodies = extras_world(acme, medix, draft=draft, open_job=open_job)
    ids |= extras_ids
    bodies |= extras_bodies
    # --- profile, roster and webhooks
    profile_ids, profile_bodies = profile_world(acme, medix)
    ids |= profile_ids
    bodies |= profile_bodies
    # --- attestation documents and webhook endpoint actions
    settings.MEDIA_ROOT = tmp_path
    ids |= documents_and_endpoint_actions_ids(acme, medix)
    return World(ids=ids, bodies=bodies, clients=clients)


def documents_and_endpoint_actions_ids(acme, medix) -> dict[str, dict[str, int]]:  # type: ignore[no-untyped-def]
    """A Medix attestation with a document; a disabled Acme webhook endpoint."""
    attestation = AttestationFactory(
        vendor=medix.vendor, document=ContentFile(b"%PDF-1.7\n%%EOF\n", name="scan.pdf")
    )
    endpoint, _ = webhook_endpoint_create(
        organisation=acme.lab.organisation,
        url="https://hooks.example.test/acme-disabled",
        event_types=["job.published"],
    )
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        is_active=False, disabled_reason="Failing", consecutive_failures=20
    )
    return {
        "api:v1:vendor-attestation-document": {"attestation_id": attestation.pk},
        "api:v1:webhook-endpoint-enable": {"endpoint_id": endpoint.pk},
        "api:v1:webhook-endpoint-ping": {"endpoint_id": endpoint.pk},
    }


def test_every_api_route_is_in_the_policy_table():
    entries = {entry for name in api_routes() for entry, _ in METHODS.get(name, [(name, "")])}
    assert sorted(entries - set(POLICY)) == [], "add these routes to POLICY"
    assert sorted(set(POLICY) - entries) == [], "these POLICY entries match no route"


def _calls() -> list[tuple[str, str, str]]:
    calls = []
    for name in api_routes():
        for entry, method in METHODS.get(name, [(name, "")]):
            calls.append((name, entry, method))
    return calls


@pytest.mark.parametrize(("route", "entry", "method"), _calls())
def test_route_answers_each_caller_as_the_policy_says(world, route, entry, method):
    from django.urls import reverse

    url = reverse(route, kwargs=world.ids.get(route, {}))
    method = method or ("get" if entry in READ_ROUTES else "post")
    got = {}
    for caller in CALLERS:
        # Each caller meets the same world: its writes are rolled back afterwards.
        with transaction.atomic():
            response = getattr(world.clients[caller], method)(
                url, world.bodies.get(entry, {}), format="json"
            )
            transaction.set_rollback(True)
        got[caller] = response.status_code
        if response.status_code >= 400 and response.get("Content-Type", "").startswith(
            "application/json"
        ):
            assert set(response.json()) == {"error"}, (caller, response.json())
    assert got == POLICY[entry]


READ_ROUTES = {
    "api:schema",
    "api:docs",
    "api:redoc",
    "api:not-found",
    "api:v1:lab-job-bids",
    "api:v1:lab-screenings",
    "api:v1:lab-screening",
    "api:v1:vendor-jobs",
    "api:v1:vendor-job",
    "api:v1:vendor-bid",
    "api:v1:notifications",
    # --- lab and vendor extras
    "api:v1:lab-job-questions",
    "api:v1:lab-job-invitations",
    "api:v1:vendor-invitations",
    # --- profile, roster and webhooks
    "api:v1:vendor-specialist",
    "api:v1:vendor-roster-import",
    "api:v1:webhook-deliveries",
    # --- attestation documents and webhook endpoint actions
    "api:v1:vendor-attestation-document",
}
