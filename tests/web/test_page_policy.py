"""Every browser page, called by every kind of caller, answers as the policy table says.
A page missing from the table fails the suite, so no page ships without a tenant check
(the browser twin of tests/api/test_route_policy.py).

Callers: anonymous; the owner of the organisation the page serves (Acme for lab pages,
Medix for vendor pages); the owner of an organisation of the other kind; and, for pages
about one object, the owner of ANOTHER organisation of the right kind (Rival for Acme's
objects, Mathly for Medix's). Object ids in the URLs are Acme's and Medix's, so the
others must get 404, and no call but the owner's may change a single row."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.core.files.base import ContentFile
from django.db import connection
from django.db.models import Model
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from labs.models import Competitor, Job, Visibility
from marketplace.accounts.models import Membership
from marketplace.core.web import FORM_TOKEN_FIELD
from marketplace.exchange import services as exchange
from marketplace.exchange.models import Bid, Contract, Invitation, Question, Screening
from marketplace.exchange.services.questions import question_ask
from marketplace.ownership.models import Provenance, Stake
from tests.exchange.helpers import screening_with_verdict, start_evaluation
from tests.factories import (
    AttestationFactory,
    CredentialFactory,
    EntityFactory,
    JobFactory,
    SeatRequirementFactory,
    StakeFactory,
)
from tests.plugins.personas import LabTeam, VendorTeam, make_open_job, submit_bid
from vendors.models import (
    Affiliation,
    AffiliationRole,
    Attestation,
    Credential,
    RosterImport,
    Specialist,
)

PUBLIC = "public"
MEMBER = "member"
LAB = "lab"
VENDOR = "vendor"

# What a response amounts to: a status code, or where a redirect goes.
LOGIN = "login"
REDIRECT = "redirect"
Status = int | str

# Prefixes with their own policy (the API table) or no page at all.
NOT_PAGES = ("api/", "admin/", "static", "media", "healthz")


@dataclass
class World:
    acme: LabTeam
    rival: LabTeam
    medix: VendorTeam
    mathly: VendorTeam


Factory = Callable[[World], Any]


@dataclass(frozen=True)
class Page:
    serves: str  # PUBLIC, MEMBER, LAB or VENDOR
    methods: str  # "GET", "POST" or "GET POST": what the route answers
    # What the right tenant's owner (anonymous, for public pages) gets from a GET.
    owner_get: Status = 200
    # Public pages only: what anonymous gets from an empty POST.
    empty_post: Status = 200
    # The object each path parameter names, when not the default of `serves`.
    objects: Mapping[str, Factory] = field(default_factory=dict)

    def answers(self, method: str) -> bool:
        return method in self.methods.split()


# --- The objects in the URLs --------------------------------------------------------------


def draft_job(w: World) -> Job:
    job = JobFactory(lab=w.acme.lab, created_by=w.acme.procurement)
    SeatRequirementFactory(job=job)
    return job


def open_job(w: World) -> Job:
    return make_open_job(w.acme)


def bid_in_evaluation(w: World) -> Bid:
    """Medix's bid on an Acme job whose bidding closed: every decision on it is live."""
    job = make_open_job(w.acme)
    bid = submit_bid(w.medix, job)
    start_evaluation(job)
    bid.refresh_from_db()
    return bid


def job_in_evaluation(w: World) -> Job:
    return bid_in_evaluation(w).job


def active_contract(w: World) -> Contract:
    bid = bid_in_evaluation(w)
    exchange.award_make(job=bid.job, user=w.acme.owner, shares={bid.pk: Decimal("100")})
    return Contract.objects.get(bid=bid)


def question_on_open_job(w: World) -> Question:
    return question_ask(
        job=make_open_job(w.acme), vendor=w.medix.vendor, user=w.medix.bid_manager, body="Which?"
    )


def screening_of_medix(w: World) -> Screening:
    return screening_with_verdict(w.acme.lab, w.medix.vendor)


def competitor(w: World) -> Competitor:
    return Competitor.objects.create(lab=w.acme.lab, entity=EntityFactory())


def job_medix_is_invited_to(w: World) -> Job:
    """Open to invited vendors only, so another vendor cannot see it at all (an Acme job
    open to all vendors is every vendor's to read)."""
    job = make_open_job(w.acme, visibility=Visibility.INVITED)
    Invitation.objects.create(
        job=job, vendor=w.medix.vendor, rank=1, score=Decimal("80"), reasons=["Fits."]
    )
    return job


def medix_bid(w: World) -> Bid:
    """Submitted on a job still open: revising and withdrawing it are live moves."""
    return submit_bid(w.medix, make_open_job(w.acme))


def attestation_with_document(w: World) -> Attestation:
    return AttestationFactory(
        vendor=w.medix.vendor, document=ContentFile(b"%PDF-1.7\n%%EOF\n", name="scan.pdf")
    )


def medix_specialist(w: World) -> Specialist:
    return w.medix.specialists[0]


def pending_credential(w: World) -> Credential:
    return CredentialFactory(specialist=w.medix.specialists[0])


def current_affiliation(w: World) -> Affiliation:
    return Affiliation.objects.create(
        specialist=w.medix.specialists[0],
        organisation=EntityFactory(),
        role=AffiliationRole.ADVISOR,
    )


def roster_import(w: World) -> RosterImport:
    return RosterImport.objects.create(
        vendor=w.medix.vendor, uploaded_by=w.medix.owner, total_rows=1
    )


def declared_stake(w: World) -> Stake:
    return StakeFactory(subject=w.medix.vendor.entity, provenance=Provenance.SELF_DECLARED)


def reviewer_membership(w: World) -> Membership:
    return Membership.objects.get(user=w.acme.reviewer, organisation=w.acme.lab.organisation)


def reset_uid(w: World) -> str:
    return urlsafe_base64_encode(force_bytes(w.acme.owner.pk))


def reset_token(w: World) -> str:
    return default_token_generator.make_token(w.acme.owner)


# Path parameter -> the object it names, by the kind of organisation the page serves.
OBJECTS: dict[str, dict[str, Factory]] = {
    LAB: {
        "job_id": draft_job,
        "bid_id": bid_in_evaluation,
        "question_id": question_on_open_job,
        "contract_id": active_contract,
        "screening_id": screening_of_medix,
        "competitor_id": competitor,
    },
    VENDOR: {
        "job_id": job_medix_is_invited_to,
        "bid_id": medix_bid,
        "attestation_id": attestation_with_document,
        "specialist_id": medix_specialist,
        "credential_id": pending_credential,
        "affiliation_id": current_affiliation,
        "import_id": roster_import,
        "stake_id": declared_stake,
    },
    MEMBER: {"membership_id": reviewer_membership},
    PUBLIC: {"uidb64": reset_uid, "token": reset_token},
}


# --- The policy table ---------------------------------------------------------------------


def public(methods: str, **kwargs: Any) -> Page:
    return Page(PUBLIC, methods, **kwargs)


def member(methods: str, **kwargs: Any) -> Page:
    return Page(MEMBER, methods, **kwargs)


def lab(methods: str, **kwargs: Any) -> Page:
    return Page(LAB, methods, **kwargs)


def vendor(methods: str, **kwargs: Any) -> Page:
    return Page(VENDOR, methods, **kwargs)


# Route name -> who it serves, what it answers, and the objects its parameters name.
POLICY: dict[str, Page] = {
    # Django's authentication pages.
    "login": public("GET POST"),
    # Signing out is a POST; it lands on the sign-in page.
    "logout": public("POST", empty_post=LOGIN),
    "password_reset": public("GET POST"),
    "password_reset_done": public("GET"),
    # A valid link moves its token into the session and redirects to the form.
    "password_reset_confirm": public("GET POST", owner_get=REDIRECT, empty_post=REDIRECT),
    "password_reset_complete": public("GET"),
    # Any signed-in member, whatever the kind of organisation.
    "home": member("GET", owner_get=REDIRECT),
    "password_change": member("GET POST"),
    "password_change_done": member("GET"),
    "notifications": member("GET"),
    "accounts:team": member("GET POST"),
    "accounts:member_role": member("POST"),
    "accounts:member_remove": member("GET POST"),
    "accounts:switch": member("POST"),
    # Lab pages: jobs.
    "lab:dashboard": lab("GET"),
    "lab:jobs": lab("GET"),
    "lab:job_create": lab("GET POST"),
    "lab:job_detail": lab("GET"),
    "lab:job_edit": lab("GET POST"),
    # Polled by htmx; a plain GET goes to the job page's invitations.
    "lab:job_invitations": lab("GET", owner_get=REDIRECT),
    "lab:job_publish": lab("POST"),
    "lab:job_close": lab("POST", objects={"job_id": open_job}),
    "lab:job_cancel": lab("POST", objects={"job_id": open_job}),
    "lab:job_unsuccessful": lab("POST", objects={"job_id": job_in_evaluation}),
    "lab:question_answer": lab("POST"),
    # Lab pages: evaluation.
    "lab:job_bids": lab("GET", objects={"job_id": job_in_evaluation}),
    "lab:job_award": lab("POST", objects={"job_id": job_in_evaluation}),
    "lab:bid_shortlist": lab("POST"),
    "lab:bid_reject": lab("POST"),
    "lab:contract_complete": lab("POST"),
    "lab:screenings": lab("GET"),
    "lab:screening_detail": lab("GET"),
    "lab:concentration": lab("GET"),
    # Lab pages: settings.
    "lab:competitors": lab("GET"),
    "lab:competitor_add": lab("POST"),
    "lab:competitor_remove": lab("POST"),
    "lab:policy": lab("GET POST"),
    # Vendor pages: jobs and bids.
    "vendor:dashboard": vendor("GET"),
    "vendor:jobs": vendor("GET"),
    "vendor:job_detail": vendor("GET"),
    "vendor:question_ask": vendor("POST"),
    "vendor:bid_create": vendor("GET POST"),
    "vendor:bids": vendor("GET"),
    "vendor:bid_detail": vendor("GET"),
    "vendor:bid_revise": vendor("GET POST"),
    "vendor:bid_withdraw": vendor("GET POST"),
    # Vendor pages: profile and roster.
    "vendor:profile": vendor("GET POST"),
    "vendor:attestations": vendor("GET POST"),
    "vendor:attestation_document": vendor("GET"),
    "vendor:roster": vendor("GET"),
    "vendor:specialist_create": vendor("GET POST"),
    "vendor:specialist_edit": vendor("GET POST"),
    "vendor:credential_create": vendor("GET POST"),
    "vendor:credential_edit": vendor("GET POST"),
    "vendor:affiliation_create": vendor("GET POST"),
    "vendor:affiliation_end": vendor("GET POST"),
    "vendor:roster_import": vendor("GET POST"),
    "vendor:roster_import_detail": vendor("GET"),
    "vendor:roster_import_example": vendor("GET"),
    "vendor:roster_import_format": vendor("GET"),
    # Vendor pages: ownership.
    "vendor:ownership": vendor("GET"),
    "vendor:stake_create": vendor("GET POST"),
    "vendor:stake_end": vendor("GET POST"),
    "vendor:bods_import": vendor("GET POST"),
}


# --- The routes ---------------------------------------------------------------------------


def _parameters(pattern: URLPattern | URLResolver) -> list[str]:
    converters = getattr(pattern.pattern, "converters", None)
    if converters is not None:
        return list(converters)
    return list(pattern.pattern.regex.groupindex)


@cache
def page_routes() -> dict[str, tuple[str, ...]]:
    """Route name (with namespaces) -> its path parameters, for every browser route."""
    found: dict[str, tuple[str, ...]] = {}

    def walk(patterns: Iterable[Any], prefix: str, namespace: str, params: list[str]) -> None:
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if route.startswith(NOT_PAGES):
                continue
            here = params + _parameters(pattern)
            if isinstance(pattern, URLResolver):
                ns = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
                walk(pattern.url_patterns, route, ns, here)
            elif isinstance(pattern, URLPattern):
                assert pattern.name, f"page route {route} has no name"
                # The first of two routes with one name is the one reverse() finds.
                found.setdefault(namespace + pattern.name, tuple(here))

    walk(get_resolver().url_patterns, "", "", [])
    return found


def test_every_page_route_is_in_the_policy_table():
    routes = set(page_routes())
    assert sorted(routes - set(POLICY)) == [], "add these routes to POLICY"
    assert sorted(set(POLICY) - routes) == [], "these POLICY entries match no route"


def test_every_path_parameter_has_an_object_to_name():
    missing = [
        (name, param)
        for name, params in page_routes().items()
        if name in POLICY
        for param in params
        if param not in {**OBJECTS[POLICY[name].serves], **POLICY[name].objects}
    ]
    assert missing == [], "add a factory to OBJECTS or to the route's `objects`"


# --- Callers and what each should get -----------------------------------------------------

OWNER = "owner"
OTHER_KIND = "other kind"
OTHER_ORG = "other organisation"


@dataclass(frozen=True, order=True)
class Caller:
    role: str  # "anonymous", OWNER, OTHER_KIND or OTHER_ORG
    persona: str | None = None  # whose owner is signed in

    def __str__(self) -> str:
        return f"{self.persona} owner ({self.role})" if self.persona else self.role


ANONYMOUS = Caller("anonymous")

# The personas whose owner makes each call, by the kind of organisation a page serves.
OWNERS = {LAB: ("acme",), VENDOR: ("medix",), MEMBER: ("acme", "medix"), PUBLIC: ()}
OTHER_KINDS = {LAB: ("medix",), VENDOR: ("acme",), MEMBER: (), PUBLIC: ()}
# The objects of member pages are Acme's: any other organisation, lab or vendor, is wrong.
OTHER_ORGS = {LAB: ("rival",), VENDOR: ("mathly",), MEMBER: ("rival", "mathly"), PUBLIC: ()}


def refused(page: Page, method: str) -> frozenset[Status]:
    """A signed-in caller of the right kind asking for another organisation's object: 404.
    A method the route does not answer may say 405 instead, before any lookup: the same
    answer whatever the id, so it tells nothing either."""
    return frozenset({404}) if page.answers(method) else frozenset({404, 405})


def owner_gets(page: Page, method: str) -> frozenset[Status]:
    if not page.answers(method):
        return frozenset({405})
    return frozenset({page.owner_get if method == "GET" else page.empty_post})


def expected(page: Page, *, about_objects: bool) -> dict[tuple[Caller, str], frozenset[Status]]:
    """(caller, method) -> the statuses that caller may get. Owners only GET: their
    POSTs are each area's own tests, with valid forms."""
    want: dict[tuple[Caller, str], frozenset[Status]] = {}
    for method in ("GET", "POST"):
        want[ANONYMOUS, method] = (
            owner_gets(page, method) if page.serves == PUBLIC else frozenset({LOGIN})
        )
        for persona in OTHER_KINDS[page.serves]:
            want[Caller(OTHER_KIND, persona), method] = frozenset({404})
        if about_objects:
            for persona in OTHER_ORGS[page.serves]:
                want[Caller(OTHER_ORG, persona), method] = refused(page, method)
    # Member pages about an object: the object is Acme's, so only Acme's owner is its owner.
    owners = OWNERS[page.serves][:1] if about_objects else OWNERS[page.serves]
    for persona in owners:
        want[Caller(OWNER, persona), "GET"] = owner_gets(page, "GET")
    return want


def outcome(response: Any) -> Status:
    if 300 <= response.status_code < 400:
        target = urlsplit(response["Location"]).path
        return LOGIN if target == reverse("login") else REDIRECT
    if response.status_code >= 500 and getattr(response, "exc_info", None):
        error = response.exc_info[1]
        return f"{response.status_code} {type(error).__name__}: {error}"
    return int(response.status_code)


# --- Nothing changes ----------------------------------------------------------------------

# Sessions (signing in, flash messages) and the sign-in throttle's records (axes_*) are no
# organisation's data; the others are written only at migrate time. Leaving them out keeps
# each snapshot small.
UNWATCHED = {"django_session", "django_migrations", "django_content_type", "auth_permission"}


@cache
def watched_tables() -> tuple[str, ...]:
    return tuple(
        table
        for table in sorted(connection.introspection.table_names())
        if table not in UNWATCHED and not table.startswith("axes_")
    )


def database_rows() -> dict[str, list[str]]:
    """Every row of every table a page could write: a caller that must change nothing
    leaves this identical, whichever row it would have touched."""
    rows = {}
    with connection.cursor() as cursor:
        for table in watched_tables():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            rows[table] = sorted(map(repr, cursor.fetchall()))
    return rows


def changes(before: dict[str, list[str]], after: dict[str, list[str]]) -> dict[str, Any]:
    diff = {}
    for table, rows in after.items():
        if rows != before[table]:
            old, new = set(before[table]), set(rows)
            diff[table] = {"added": sorted(new - old)[:3], "removed": sorted(old - new)[:3]}
    return diff


# --- The check ----------------------------------------------------------------------------


@pytest.fixture
def world(db, acme, rival, medix, mathly, settings, tmp_path) -> World:  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path
    return World(acme=acme, rival=rival, medix=medix, mathly=mathly)


def path_kwargs(world: World, name: str, page: Page) -> dict[str, Any]:
    factories = {**OBJECTS[page.serves], **page.objects}
    kwargs = {}
    for param in page_routes()[name]:
        made = factories[param](world)
        kwargs[param] = made.pk if isinstance(made, Model) else made
    return kwargs


def client_for(world: World, caller: Caller) -> Client:
    # A view that raises answers 500 here, with its error in the report, like in production.
    client = Client(raise_request_exception=False)
    if caller.persona is not None:
        client.force_login(getattr(world, caller.persona).owner)
    return client


@pytest.mark.parametrize("name", sorted(POLICY))
def test_page_answers_each_caller_as_the_policy_says(world, name):
    page = POLICY[name]
    if name not in page_routes():
        pytest.skip("no such route (see the table test)")
    url = reverse(name, kwargs=path_kwargs(world, name, page))
    want = expected(page, about_objects=bool(page_routes()[name]) and page.serves != PUBLIC)
    clients = {caller: client_for(world, caller) for caller, _ in want}
    # Public pages write what signing in writes (throttling records): not a tenant matter.
    watch = page.serves != PUBLIC
    before = database_rows() if watch else {}
    got: dict[tuple[Caller, str], Status] = {}
    changed: dict[tuple[Caller, str], Any] = {}
    # Owners last: a page may record that its owner saw it (notifications are read).
    for caller, method in sorted(want, key=lambda key: key[0].role == OWNER):
        data = {FORM_TOKEN_FIELD: str(uuid.uuid4())} if method == "POST" else {}
        response = getattr(clients[caller], method.lower())(url, data)
        got[caller, method] = outcome(response)
        if watch and caller.role != OWNER:
            after = database_rows()
            if after != before:
                changed[caller, method] = changes(before, after)
                before = after
    problems = [
        f"{caller} {method}: got {got[caller, method]!r}, expected one of "
        f"{sorted(map(repr, want[caller, method]))}"
        for caller, method in want
        if got[caller, method] not in want[caller, method]
    ] + [f"{caller} {method} changed {diff}" for (caller, method), diff in changed.items()]
    if problems:
        pytest.fail(f"{name} {url}\n" + "\n".join(problems), pytrace=False)
