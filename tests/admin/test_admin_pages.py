"""The Django admin as platform admins use it: every page loads, searches work, and the
admin's writes (stakes, credential decisions, screening overrides) go through the
services, with the admin recorded in the change history."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.contrib import admin
from django.contrib.messages import get_messages
from django.db import connection, models
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from labs.models import Job, Lab
from labs.services import competitor_add, lab_create
from marketplace.accounts.models import Membership, Role, User
from marketplace.accounts.services import membership_set, user_create
from marketplace.core.models import (
    AttestationKind,
    CredentialField,
    CredentialKind,
    Domain,
    QualificationLevel,
)
from marketplace.exchange import services as exchange
from marketplace.exchange.admin import evidence_paths, path_text
from marketplace.exchange.models import (
    Award,
    Bid,
    BidRevision,
    Contract,
    Invitation,
    Notification,
    Question,
    Screening,
    Verdict,
)
from marketplace.ownership.models import Entity, EntityType, Provenance, Stake
from marketplace.ownership.services import (
    entity_create,
    ownership_version_current,
    stake_create,
)
from tests.plugins.personas import (
    LabTeam,
    VendorTeam,
    make_open_job,
    pass_bid_deadline,
    qualify,
)
from vendors.models import Credential, CredentialStatus, RosterImport, Specialist, Vendor
from vendors.services import (
    affiliation_add,
    attestation_add,
    credential_add,
    credential_verify,
    specialist_create,
    vendor_create,
)

pytestmark = pytest.mark.django_db

REGISTERED = sorted(admin.site._registry, key=lambda model: model._meta.label_lower)

# Rows the services compute or record, and organisations (created with their lab or
# vendor): the admin shows them but offers no "add" page.
WITHOUT_ADD_PAGE = {
    "accounts.organisation",
    "ownership.ownershipdataversion",
    "ownership.ownershipchange",
    "labs.competitor",
    "labs.conflictpolicy",
    "labs.job",
    "labs.seatrequirement",
    "vendors.attestation",
    "vendors.duplicatecredentialflag",
    "vendors.rosterimport",
    "exchange.invitation",
    "exchange.question",
    "exchange.bid",
    "exchange.bidrevision",
    "exchange.screening",
    "exchange.award",
    "exchange.contract",
    "exchange.notification",
    "partners.webhookdelivery",
    "core.taskfailure",
    "core.formsubmission",
    # The login throttle (django-axes) records these itself.
    "axes.accessattempt",
    "axes.accesslog",
    "axes.accessfailurelog",
}


def _url(model: type[models.Model], view: str, *args: object) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def _messages(response: Any) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


@pytest.fixture(autouse=True)
def fast_password_hashing(settings) -> None:  # type: ignore[no-untyped-def]
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@dataclass
class Marketplace:
    """What a platform admin finds on a working day, made through the services."""

    lab: Lab
    vendor: Vendor
    lab_owner: User
    vendor_owner: User
    rival: Entity
    stake: Stake
    specialist: Specialist
    credential: Credential
    screening: Screening


@pytest.fixture
def vocabulary() -> dict[str, Any]:
    return {
        "domain": Domain.objects.create(code="medical", name="Medical"),
        "attestation_kind": AttestationKind.objects.create(code="hipaa-baa", name="HIPAA BAA"),
        "field": CredentialField.objects.create(code="nursing", name="Nursing"),
        "level": QualificationLevel.objects.create(
            code="rn", name="RN", kind=CredentialKind.LICENCE, ladder="nursing", rank=1
        ),
    }


@pytest.fixture
def marketplace(vocabulary: dict[str, Any]) -> Marketplace:
    today = timezone.localdate()
    lab = lab_create(name="Northwind AI")
    vendor = vendor_create(name="Carebridge Annotations", jurisdiction="GB")
    lab_owner = user_create(email="owner@northwind.test", password=None)
    vendor_owner = user_create(email="owner@carebridge.test", password=None)
    membership_set(organisation=lab.organisation, user=lab_owner, role=Role.LAB_OWNER)
    membership_set(organisation=vendor.organisation, user=vendor_owner, role=Role.VENDOR_OWNER)
    rival = entity_create(
        name="Rival Corp", jurisdiction="US", identifiers=[{"scheme": "US-EIN", "id": "12-3456789"}]
    )
    competitor_add(lab=lab, user=lab_owner, entity=rival)
    stake = stake_create(
        interested_party=rival,
        subject=vendor.entity,
        interest_type="shareholding",
        provenance=Provenance.SELF_DECLARED,
        share_exact=Decimal("49"),
        start_date=today - timedelta(days=200),
    )
    attestation_add(
        vendor=vendor,
        user=vendor_owner,
        kind=vocabulary["attestation_kind"],
        issued_on=today - timedelta(days=30),
        expires_on=today + timedelta(days=335),
    )
    specialist = specialist_create(vendor=vendor, user=None, full_name="Grace Okafor, RN")
    credential = credential_add(
        specialist=specialist,
        user=None,
        field=vocabulary["field"],
        level=vocabulary["level"],
        issuer="Nursing and Midwifery Council",
        identifier="NMC-0001",
        expires_on=today + timedelta(days=400),
    )
    affiliation_add(specialist=specialist, user=None, organisation=rival, role="advisor")
    screening = Screening.objects.create(
        lab=lab,
        vendor=vendor,
        verdict=Verdict.BLOCKED,
        computed_verdict=Verdict.BLOCKED,
        evidence={
            "paths": [
                [{"name": "Rival Corp", "share": None}, {"name": vendor.entity.name, "share": "49"}]
            ],
            "economic": [49, 49],
        },
        policy={"block_percent": "20", "review_percent": "5"},
        as_of=today,
        ownership_version=ownership_version_current(),
        state="done",
        requested_at=timezone.now(),
        computed_at=timezone.now(),
    )
    return Marketplace(
        lab=lab,
        vendor=vendor,
        lab_owner=lab_owner,
        vendor_owner=vendor_owner,
        rival=rival,
        stake=stake,
        specialist=specialist,
        credential=credential,
        screening=screening,
    )


def award_a_job(lab: LabTeam, vendor: VendorTeam, capture_on_commit: Any) -> Award:
    """A job that went through questions, a revised bid and an award: bids, revisions,
    awards, contracts, questions, invitations and notifications all get rows."""
    job = make_open_job(lab)
    Invitation.objects.create(
        job=job, vendor=vendor.vendor, rank=1, score=Decimal("0.9"), reasons=["Covers every seat"]
    )
    exchange.question_ask(
        job=job, vendor=vendor.vendor, user=vendor.bid_manager, body="Is PHI involved?"
    )
    bid = exchange.bid_submit(
        job=job,
        vendor=vendor.vendor,
        user=vendor.bid_manager,
        price=Decimal("30000"),
        currency=job.currency,
        timeline_days=30,
        specialists=qualify(vendor.specialists[:1], job),
    )
    exchange.bid_revise(bid=bid, user=vendor.owner, price=Decimal("28000"))
    pass_bid_deadline(job)
    with capture_on_commit(execute=True):
        exchange.close_due_bidding()
    return exchange.award_make(job=job, user=lab.procurement, shares={bid.pk: Decimal("100")})


@pytest.fixture
def awarded_job(acme: LabTeam, medix: VendorTeam, django_capture_on_commit_callbacks: Any) -> Award:
    return award_a_job(acme, medix, django_capture_on_commit_callbacks)


# --- Every page loads ---------------------------------------------------------------------


@pytest.mark.parametrize("model", REGISTERED, ids=lambda model: model._meta.label_lower)
def test_every_changelist_loads_and_searches(
    admin_client: Client, marketplace: Marketplace, model: type[models.Model]
) -> None:
    assert admin_client.get(_url(model, "changelist")).status_code == 200
    if admin.site._registry[model].search_fields:
        assert admin_client.get(_url(model, "changelist"), {"q": "rival"}).status_code == 200


@pytest.mark.parametrize("model", REGISTERED, ids=lambda model: model._meta.label_lower)
def test_every_add_page_loads_unless_the_rows_are_made_by_services(
    admin_client: Client, model: type[models.Model]
) -> None:
    response = admin_client.get(_url(model, "add"))

    expected = 403 if model._meta.label_lower in WITHOUT_ADD_PAGE else 200
    assert response.status_code == expected


def test_the_list_of_models_without_an_add_page_is_current() -> None:
    assert WITHOUT_ADD_PAGE - {model._meta.label_lower for model in REGISTERED} == set()


def test_every_model_is_registered() -> None:
    from django.apps import apps

    ours = {"core", "accounts", "ownership", "labs", "vendors", "exchange"}
    models_of_ours = {
        model
        for model in apps.get_models()
        if model._meta.app_label in ours and not model.__name__.startswith("Historical")
    }
    assert models_of_ours - set(admin.site._registry) == set()


def test_change_and_history_pages_load_for_every_kind_of_row(
    admin_client: Client, marketplace: Marketplace, awarded_job: Award
) -> None:
    # A roster upload, and one licence number at two more vendors (a duplicate flag).
    RosterImport.objects.create(
        vendor=marketplace.vendor, uploaded_by=marketplace.vendor_owner, total_rows=1
    )
    for name in ("Second Opinion Ltd", "Third Opinion Ltd"):
        credential_add(
            specialist=specialist_create(
                vendor=vendor_create(name=name), user=None, full_name=f"Nurse at {name}"
            ),
            user=None,
            field=marketplace.credential.field,
            level=marketplace.credential.level,
            issuer="Nursing and Midwifery Council",
            identifier="NMC-0002",
        )
    # A webhook endpoint with one logged (failed) delivery attempt.
    from marketplace.partners.models import WebhookAttempt, WebhookDelivery
    from marketplace.partners.webhook_services import webhook_endpoint_create

    endpoint, _ = webhook_endpoint_create(
        organisation=awarded_job.job.lab.organisation,
        url="https://partner.example/hooks",
        event_types=["job.awarded"],
    )
    delivery = WebhookDelivery.objects.create(
        endpoint=endpoint, event_type="job.awarded", event_id=uuid.uuid4(), payload={"a": 1}
    )
    WebhookAttempt.objects.create(
        delivery=delivery, attempted_at=timezone.now(), status_code=500, error="HTTP 500: no"
    )
    from marketplace.partners.services import api_key_create

    api_key_create(organisation=awarded_job.job.lab.organisation, scope="read", name="admin test")
    seen = []
    for model in REGISTERED:
        obj = model._default_manager.first()
        if obj is None:
            continue
        seen.append(model._meta.label_lower)
        assert admin_client.get(_url(model, "change", obj.pk)).status_code == 200, model
        if hasattr(model, "history"):
            assert admin_client.get(_url(model, "history", obj.pk)).status_code == 200, model

    assert {"exchange.bid", "exchange.award", "exchange.screening", "ownership.stake"} <= set(seen)
    # No groups are used; the login throttle has no failures to show here.
    without_rows = {"auth.group", "axes.accessattempt", "axes.accessfailurelog"}
    without_rows.add("core.taskfailure")  # no task has failed for good here
    without_rows.add("core.formsubmission")  # no browser form was posted here
    assert {model._meta.label_lower for model in REGISTERED} - set(seen) <= without_rows


def test_links_between_pages_lead_to_filtered_lists(
    admin_client: Client, marketplace: Marketplace, awarded_job: Award
) -> None:
    job, vendor = awarded_job.job, marketplace.vendor
    pages = {
        _url(Job, "change", job.pk): (_url(Bid, "changelist"), f"job__id__exact={job.pk}"),
        _url(Lab, "change", job.lab_id): (_url(Job, "changelist"), f"lab__id__exact={job.lab_id}"),
        _url(Vendor, "change", vendor.pk): (
            _url(Credential, "changelist"),
            f"specialist__vendor__id__exact={vendor.pk}",
        ),
    }
    for page, (changelist, query) in pages.items():
        assert f"{changelist}?{query}" in admin_client.get(page).content.decode()
        filtered = admin_client.get(f"{changelist}?{query}")
        assert filtered.status_code == 200
        assert filtered.context["cl"].result_count == 1


def test_list_pages_do_not_query_per_row(admin_client: Client, marketplace: Marketplace) -> None:
    pages = [Stake, Credential, Entity, Screening, Specialist, Vendor, Lab, Membership, User]

    def queries_per_page() -> dict[str, int]:
        counts = {}
        for model in pages:
            with CaptureQueriesContext(connection) as captured:
                assert admin_client.get(_url(model, "changelist")).status_code == 200
            counts[model.__name__] = len(captured)
        return counts

    before = queries_per_page()
    for n in range(4):
        vendor = vendor_create(name=f"Extra Vendor {n}")
        lab = lab_create(name=f"Extra Lab {n}")
        member = user_create(email=f"member{n}@extra.test", password=None)
        membership_set(organisation=vendor.organisation, user=member, role=Role.BID_MANAGER)
        stake_create(
            interested_party=marketplace.rival,
            subject=vendor.entity,
            interest_type="votingRights",
            provenance=Provenance.IMPORTED,
            share_min=Decimal("5"),
            share_max=Decimal("10"),
        )
        specialist = specialist_create(vendor=vendor, user=None, full_name=f"Expert {n}")
        credential_add(
            specialist=specialist,
            user=None,
            field=marketplace.credential.field,
            level=marketplace.credential.level,
            issuer="Board",
        )
        Screening.objects.create(
            lab=lab, vendor=vendor, verdict=Verdict.CLEAR, requested_at=timezone.now()
        )

    assert queries_per_page() == before


def test_exchange_list_pages_do_not_query_per_row(
    admin_client: Client,
    awarded_job: Award,
    rival: LabTeam,
    mathly: VendorTeam,
    django_capture_on_commit_callbacks: Any,
) -> None:
    pages = [Bid, BidRevision, Award, Contract, Invitation, Question, Notification, Job]

    def queries_per_page() -> dict[str, int]:
        counts = {}
        for model in pages:
            with CaptureQueriesContext(connection) as captured:
                assert admin_client.get(_url(model, "changelist")).status_code == 200
            counts[model.__name__] = len(captured)
        return counts

    before = queries_per_page()
    award_a_job(rival, mathly, django_capture_on_commit_callbacks)

    assert queries_per_page() == before


def test_someone_who_is_not_staff_is_sent_to_the_login_page(
    client: Client, marketplace: Marketplace
) -> None:
    client.force_login(marketplace.vendor_owner)

    for url in (reverse("admin:index"), _url(Credential, "changelist")):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))


# --- Users --------------------------------------------------------------------------------


def test_an_admin_adds_a_user_with_an_email_address_and_a_password(admin_client: Client) -> None:
    response = admin_client.post(
        _url(User, "add"),
        {
            "email": "new.reviewer@northwind.test",
            "full_name": "New Reviewer",
            "usable_password": "true",
            "password1": "a-long-enough-passphrase-42",
            "password2": "a-long-enough-passphrase-42",
        },
    )

    assert response.status_code == 302
    user = User.objects.get(email="new.reviewer@northwind.test")
    assert user.check_password("a-long-enough-passphrase-42")
    assert admin_client.get(_url(User, "change", user.pk)).status_code == 200


def test_a_membership_with_a_role_of_the_wrong_kind_is_refused_on_the_form(
    admin_client: Client, marketplace: Marketplace
) -> None:
    response = admin_client.post(
        _url(User, "change", marketplace.lab_owner.pk),
        {
            **_form_data(admin_client.get(_url(User, "change", marketplace.lab_owner.pk))),
            **_extra_inline_row(
                admin_client.get(_url(User, "change", marketplace.lab_owner.pk)),
                "memberships",
                {"organisation": marketplace.vendor.organisation_id, "role": Role.LAB_OWNER},
            ),
        },
    )

    assert response.status_code == 200
    assert "is not a role in a vendor" in response.content.decode()
    assert not marketplace.lab_owner.memberships.filter(
        organisation=marketplace.vendor.organisation
    ).exists()


# --- Labs and vendors -------------------------------------------------------------------------


def test_adding_a_lab_creates_its_organisation_entity_and_policy(admin_client: Client) -> None:
    response = admin_client.post(
        _url(Lab, "add"),
        {"name": "Orbit Labs", "slug": "", "entity": "", "description": "", "website": ""},
    )

    assert response.status_code == 302
    lab = Lab.objects.get(organisation__slug="orbit-labs")
    assert lab.entity.name == "Orbit Labs"
    assert lab.conflict_policy.block_percent == Decimal("20")


def test_adding_a_vendor_on_an_existing_entity(
    admin_client: Client, marketplace: Marketplace
) -> None:
    entity = entity_create(name="Imported Vendor Ltd", jurisdiction="GB")

    response = admin_client.post(
        _url(Vendor, "add"),
        {
            "name": "Imported Vendor",
            "slug": "imported",
            "entity": entity.pk,
            "jurisdiction": "",
            "description": "",
            "website": "",
            "headquarters": "London",
        },
    )

    assert response.status_code == 302
    assert Vendor.objects.get(organisation__slug="imported").entity == entity


# --- Entities and stakes ----------------------------------------------------------------------


def test_entity_search_finds_by_name_and_by_identifier(
    admin_client: Client, marketplace: Marketplace
) -> None:
    by_name = admin_client.get(_url(Entity, "changelist"), {"q": "rival"})
    by_identifier = admin_client.get(_url(Entity, "changelist"), {"q": "12-3456789"})

    for response in (by_name, by_identifier):
        assert list(response.context["cl"].result_list) == [marketplace.rival]


def test_adding_a_stake_in_the_admin_goes_through_the_service(
    admin_client: Client, marketplace: Marketplace, admin_user: User
) -> None:
    holdco = entity_create(name="Holdco Partners")
    version_before = ownership_version_current()

    response = admin_client.post(
        _url(Stake, "add"),
        {
            "interested_party": holdco.pk,
            "subject": marketplace.vendor.entity_id,
            "interest_type": "votingRights",
            "direct_or_indirect": "direct",
            "share_min": "25",
            "share_max": "50",
            "provenance": Provenance.VERIFIED,
            "record_id": "xdx-relationship-admin-test",
            "interest_index": "0",
            "component_record_ids": "[]",
        },
    )

    assert response.status_code == 302, response.context and response.context["errors"]
    stake = Stake.objects.get(record_id="xdx-relationship-admin-test")
    assert (stake.interested_party, stake.share_min, stake.share_max) == (
        holdco,
        Decimal("25"),
        Decimal("50"),
    )
    assert ownership_version_current() > version_before
    assert stake.history.latest().history_user == admin_user


def test_changing_a_stake_in_the_admin_goes_through_the_service(
    admin_client: Client, marketplace: Marketplace
) -> None:
    url = _url(Stake, "change", marketplace.stake.pk)
    version_before = ownership_version_current()

    response = admin_client.post(
        url, {**_form_data(admin_client.get(url)), "share_exact": "51", "_save": "Save"}
    )

    assert response.status_code == 302
    marketplace.stake.refresh_from_db()
    assert marketplace.stake.share_exact == Decimal("51")
    assert ownership_version_current() == version_before + 1


def test_a_stake_added_on_the_entity_page_goes_through_the_service(
    admin_client: Client, marketplace: Marketplace
) -> None:
    fund = entity_create(name="Growth Fund LP", entity_type=EntityType.ARRANGEMENT)
    url = _url(Entity, "change", marketplace.vendor.entity_id)
    page = admin_client.get(url)
    version_before = ownership_version_current()

    response = admin_client.post(
        url,
        {
            **_form_data(page),
            **_extra_inline_row(
                page,
                "stakes_in",
                {
                    "interested_party": fund.pk,
                    "interest_type": "shareholding",
                    "share_exact": "12.5",
                    "direct_or_indirect": "direct",
                    "provenance": Provenance.VERIFIED,
                },
            ),
        },
    )

    assert response.status_code == 302
    assert Stake.objects.get(interested_party=fund).subject_id == marketplace.vendor.entity_id
    assert ownership_version_current() == version_before + 1


def test_a_stake_the_service_refuses_is_shown_as_an_error_on_the_entity_page(
    admin_client: Client, marketplace: Marketplace
) -> None:
    url = _url(Entity, "change", marketplace.rival.pk)
    page = admin_client.get(url)
    stakes_before = Stake.objects.count()
    version_before = ownership_version_current()

    response = admin_client.post(
        url,
        {
            **_form_data(page),
            "name": "Rival Corporation",
            **_extra_inline_row(
                page,
                "stakes_held",
                {
                    "subject": marketplace.rival.pk,
                    "interest_type": "shareholding",
                    "share_exact": "10",
                    "direct_or_indirect": "direct",
                    "provenance": Provenance.VERIFIED,
                },
            ),
        },
    )

    assert response.status_code == 200
    assert "An entity cannot hold a stake in itself." in response.content.decode()
    assert Stake.objects.count() == stakes_before
    assert ownership_version_current() == version_before
    marketplace.rival.refresh_from_db()
    assert marketplace.rival.name == "Rival Corp"  # the whole save rolled back


def test_ending_stakes_today_from_the_list(admin_client: Client, marketplace: Marketplace) -> None:
    version_before = ownership_version_current()

    response = admin_client.post(
        _url(Stake, "changelist"),
        {"action": "end_today", "_selected_action": [marketplace.stake.pk], "index": "0"},
    )

    assert response.status_code == 302
    marketplace.stake.refresh_from_db()
    assert marketplace.stake.end_date == timezone.localdate()
    assert ownership_version_current() == version_before + 1
    assert any("Ended" in message for message in _messages(response))


def test_ending_a_stake_that_already_ended_reports_why(
    admin_client: Client, marketplace: Marketplace
) -> None:
    marketplace.stake.end_date = timezone.localdate() - timedelta(days=1)
    marketplace.stake.save()

    response = admin_client.post(
        _url(Stake, "changelist"),
        {"action": "end_today", "_selected_action": [marketplace.stake.pk], "index": "0"},
    )

    assert response.status_code == 302
    assert any("already ended" in message for message in _messages(response))


# --- The credential queue ---------------------------------------------------------------------


def test_pending_credentials_come_first_in_the_queue(
    admin_client: Client, marketplace: Marketplace, admin_user: User
) -> None:
    verified = credential_add(
        specialist=marketplace.specialist,
        user=None,
        field=marketplace.credential.field,
        level=marketplace.credential.level,
        issuer="Board",
    )
    credential_verify(credential=verified, user=admin_user)
    later_pending = credential_add(
        specialist=marketplace.specialist,
        user=None,
        field=marketplace.credential.field,
        level=marketplace.credential.level,
        issuer="Board",
    )

    response = admin_client.get(_url(Credential, "changelist"))

    assert list(response.context["cl"].result_list) == [
        marketplace.credential,
        later_pending,
        verified,
    ]


def test_verifying_a_pending_credential_records_the_admin(
    admin_client: Client, marketplace: Marketplace, admin_user: User
) -> None:
    response = admin_client.post(
        _url(Credential, "changelist"),
        {
            "action": "verify_selected",
            "_selected_action": [marketplace.credential.pk],
            "index": "0",
        },
    )

    assert response.status_code == 302
    credential = Credential.objects.get(pk=marketplace.credential.pk)
    assert credential.status == CredentialStatus.VERIFIED
    assert credential.verified_by == admin_user
    latest = credential.history.latest()
    assert (latest.status, latest.history_user) == (CredentialStatus.VERIFIED, admin_user)
    assert any(message.startswith("Verified") for message in _messages(response))


def test_verifying_a_credential_that_is_not_pending_reports_why(
    admin_client: Client, marketplace: Marketplace, admin_user: User
) -> None:
    credential_verify(credential=marketplace.credential, user=admin_user)

    response = admin_client.post(
        _url(Credential, "changelist"),
        {
            "action": "verify_selected",
            "_selected_action": [marketplace.credential.pk],
            "index": "0",
        },
    )

    assert any("Only a pending credential" in message for message in _messages(response))


def test_rejecting_credentials_asks_for_a_reason_first(
    admin_client: Client, marketplace: Marketplace, admin_user: User
) -> None:
    url = _url(Credential, "changelist")
    selected = {"action": "reject_selected", "_selected_action": [marketplace.credential.pk]}

    asked = admin_client.post(url, {**selected, "index": "0"})
    without_reason = admin_client.post(url, {**selected, "apply": "yes", "reason": "  "})

    assert asked.status_code == 200
    assert 'name="reason"' in asked.content.decode()
    assert without_reason.status_code == 200
    assert "This field is required." in without_reason.content.decode()
    marketplace.credential.refresh_from_db()
    assert marketplace.credential.status == CredentialStatus.PENDING

    rejected = admin_client.post(
        url, {**selected, "apply": "yes", "reason": "Licence number not on the NMC register."}
    )

    assert rejected.status_code == 302
    marketplace.credential.refresh_from_db()
    assert marketplace.credential.status == CredentialStatus.REJECTED
    assert marketplace.credential.rejection_reason == "Licence number not on the NMC register."
    assert marketplace.credential.history.latest().history_user == admin_user


def test_the_decision_fields_of_a_credential_cannot_be_edited(
    admin_client: Client, marketplace: Marketplace
) -> None:
    form = (
        admin_client.get(_url(Credential, "change", marketplace.credential.pk))
        .context["adminform"]
        .form
    )

    assert not {"status", "verified_by", "verified_at", "rejection_reason"} & set(form.fields)


def test_a_credential_added_on_the_specialist_page_is_pending(
    admin_client: Client, marketplace: Marketplace
) -> None:
    url = _url(Specialist, "change", marketplace.specialist.pk)
    page = admin_client.get(url)

    response = admin_client.post(
        url,
        {
            **_form_data(page),
            **_extra_inline_row(
                page,
                "credentials",
                {
                    "field": marketplace.credential.field_id,
                    "level": marketplace.credential.level_id,
                    "issuer": "NMC",
                    "identifier": "NMC-0002",
                },
            ),
        },
    )

    assert response.status_code == 302
    assert Credential.objects.get(identifier="NMC-0002").status == CredentialStatus.PENDING


# --- Screenings -------------------------------------------------------------------------------


def test_a_screening_shows_the_ownership_path_behind_it(
    admin_client: Client, marketplace: Marketplace
) -> None:
    response = admin_client.get(_url(Screening, "change", marketplace.screening.pk))

    page = response.content.decode()
    assert "Rival Corp → 49% → Carebridge Annotations" in page
    assert "&quot;block_percent&quot;: &quot;20&quot;" in page
    assert response.context["adminform"].form.fields == {}  # nothing is editable


def test_overriding_a_blocked_screening_needs_a_reason(
    admin_client: Client, marketplace: Marketplace, admin_user: User
) -> None:
    url = _url(Screening, "changelist")
    selected = {"action": "override_selected", "_selected_action": [marketplace.screening.pk]}

    without_reason = admin_client.post(url, {**selected, "apply": "yes", "reason": ""})
    marketplace.screening.refresh_from_db()
    assert without_reason.status_code == 200
    assert marketplace.screening.verdict == Verdict.BLOCKED

    response = admin_client.post(
        url, {**selected, "apply": "yes", "reason": "The 49% is non-voting; reviewed the SHA."}
    )

    assert response.status_code == 302
    marketplace.screening.refresh_from_db()
    assert marketplace.screening.verdict == Verdict.CLEARED_BY_OVERRIDE
    assert marketplace.screening.overridden_by == admin_user
    assert marketplace.screening.computed_verdict == Verdict.BLOCKED
    assert marketplace.screening.history.latest().history_user == admin_user


def test_overriding_a_clear_screening_reports_why(
    admin_client: Client, marketplace: Marketplace
) -> None:
    Screening.objects.filter(pk=marketplace.screening.pk).update(verdict=Verdict.CLEAR)

    response = admin_client.post(
        _url(Screening, "changelist"),
        {
            "action": "override_selected",
            "_selected_action": [marketplace.screening.pk],
            "apply": "yes",
            "reason": "Checked.",
        },
    )

    assert response.status_code == 302
    assert any("Only a screening under review or blocked" in m for m in _messages(response))


@pytest.mark.parametrize(
    ("evidence", "expected"),
    [
        (
            {"paths": [[{"name": "A"}, {"name": "B", "share": 49}, {"name": "C", "share": "60"}]]},
            ["A → 49% → B → 60% → C"],
        ),
        (
            {"paths": [[{"name": "A", "share": [20, 49]}, {"name": "B"}]]},
            ["A → 20-49% → B"],
        ),
        (
            {"paths": [{"hops": [{"name": "A"}, {"name": "B", "share": {"min": 5, "max": 5}}]}]},
            ["A → 5% → B"],
        ),
        ({}, []),
        ({"paths": "not a list"}, []),
        (None, []),
    ],
)
def test_evidence_paths_read_like_sentences(evidence: object, expected: list[str]) -> None:
    assert evidence_paths(evidence) == expected


def test_a_path_of_unexpected_shape_is_still_shown() -> None:
    assert path_text("Rival -> Vendor") == "Rival -> Vendor"


# --- Helpers ----------------------------------------------------------------------------------


def _form_data(page: Any) -> dict[str, Any]:
    """The POST data a browser would send back for an admin change page, unchanged."""
    forms = [page.context["adminform"].form]
    for inline in page.context["inline_admin_formsets"]:
        forms += [inline.formset.management_form, *inline.formset.initial_forms]
    data: dict[str, Any] = {}
    for form in forms:
        for bound in form:
            value = bound.value()
            if bound.field.show_hidden_initial and value is not None:
                data[bound.html_initial_name] = str(value)
            if value is None or value is False:
                continue
            if value is True:
                data[bound.html_name] = "on"
            elif isinstance(value, list | tuple):
                data[bound.html_name] = [str(v) for v in value]
            else:
                data[bound.html_name] = str(value)
    return data


def _extra_inline_row(page: Any, prefix: str, row: dict[str, Any]) -> dict[str, Any]:
    """POST data adding one row to the inline with this prefix."""
    formset = next(
        inline.formset
        for inline in page.context["inline_admin_formsets"]
        if inline.formset.prefix == prefix
    )
    index = formset.total_form_count()
    return {
        f"{prefix}-TOTAL_FORMS": str(index + 1),
        **{f"{prefix}-{index}-{name}": str(value) for name, value in row.items()},
    }
