"""The vendor's dashboard: invitations, open bids, and what needs renewing."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from marketplace.exchange import services as exchange
from tests.factories import AttestationFactory, AttestationKindFactory, SpecialistFactory
from tests.plugins.personas import make_open_job, submit_bid
from tests.web.vendor_jobs.conftest import in_days, invite, md_credential, signed_in, text
from vendors.models import AttestationStatus, CredentialStatus

pytestmark = pytest.mark.django_db

URL = reverse("vendor:dashboard")


def test_anonymous_is_sent_to_sign_in(client):
    response = client.get(URL)

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_a_lab_member_gets_not_found(client, acme):
    assert signed_in(client, acme.owner).get(URL).status_code == 404


def test_a_new_vendor_sees_an_empty_state_for_each_part(client, medix):
    page = text(signed_in(client, medix.bid_manager).get(URL))

    assert "<h1>Medix Annotations</h1>" in page
    assert "No invitations to open jobs." in page
    assert "No bids awaiting a decision." in page
    assert "No credentials expire in the next 60 days." in page
    assert "No attestations expire in the next 60 days." in page


def test_invitations_show_the_job_the_lab_the_deadline_and_only_the_warning(
    client, acme, medix, open_job
):
    invite(
        open_job,
        medix,
        "2 of 2 seats filled by distinct verified specialists; 1 spare.",
        "Screening clear: no competitor ownership, control or influence found.",
        "No longer eligible: 1 of 2 seats: MD in Medicine needs 2, only 1 verified specialist.",
    )

    page = text(signed_in(client, medix.owner).get(URL))

    assert open_job.title in page
    assert reverse("vendor:job_detail", args=[open_job.pk]) in page
    assert "Acme AI" in page
    assert timezone.localtime(open_job.bid_deadline).strftime("%-d %b %Y") in page
    assert "MD in Medicine needs 2, only 1 verified specialist." in page
    # The lab's own reasons (screening, score) are the lab's to read.
    assert "Screening clear" not in page
    assert "spare" not in page


def test_a_warning_from_a_new_match_is_summarised_without_the_labs_screening(
    client, acme, medix, open_job
):
    invite(
        open_job,
        medix,
        "No longer eligible: Screening blocked: Rival Corp holds 40% of Medix Annotations. "
        "(re-matched on 2030-01-01; the invitation stands)",
    )

    page = text(signed_in(client, medix.owner).get(URL))

    assert "a new match found you can no longer meet this job&#x27;s requirements" in page
    assert "Rival Corp" not in page


def test_invitations_to_jobs_no_longer_open_are_not_listed(client, acme, medix, open_job):
    invite(open_job, medix)
    exchange.job_cancel(job=open_job, user=acme.procurement, reason="Budget withdrawn")

    page = text(signed_in(client, medix.owner).get(URL))

    assert "No invitations to open jobs." in page


def test_open_bids_show_price_status_and_deadline_but_not_withdrawn_ones(
    client, acme, medix, open_job
):
    submit_bid(medix, open_job, "31500")
    other = make_open_job(acme, title="Withdrawn one")
    exchange.bid_withdraw(bid=submit_bid(medix, other, "99999"), user=medix.bid_manager)

    page = text(signed_in(client, medix.owner).get(URL))

    assert "USD 31,500.00" in page
    assert "Submitted" in page
    assert "Withdrawn one" not in page
    assert "99,999" not in page


def test_another_vendors_invitations_and_bids_are_not_shown(client, acme, medix, mathly, open_job):
    invite(open_job, mathly)
    submit_bid(mathly, open_job, "12345")

    page = text(signed_in(client, medix.owner).get(URL))

    assert open_job.title not in page
    assert "12,345" not in page


def test_expiring_and_expired_credentials_and_attestations_link_to_where_they_are_renewed(
    client, medix
):
    soon, lapsed, later = SpecialistFactory.create_batch(3, vendor=medix.vendor)
    soon.full_name, lapsed.full_name, later.full_name = "Dr Soon", "Dr Lapsed", "Dr Later"
    for s in (soon, lapsed, later):
        s.save()
    md_credential(soon, expires_on=in_days(20))
    old = md_credential(lapsed, expires_on=in_days(200))
    type(old).objects.filter(pk=old.pk).update(
        status=CredentialStatus.EXPIRED, issued_on=in_days(-900), expires_on=in_days(-3)
    )
    md_credential(later, expires_on=in_days(200))
    AttestationFactory(
        vendor=medix.vendor,
        kind=AttestationKindFactory(code="soc2", name="SOC 2"),
        expires_on=in_days(30),
    )
    AttestationFactory(
        vendor=medix.vendor,
        kind=AttestationKindFactory(code="iso27001", name="ISO 27001"),
        issued_on=in_days(-400),
        expires_on=in_days(-1),
        status=AttestationStatus.EXPIRED,
    )
    AttestationFactory(vendor=medix.vendor, kind=AttestationKindFactory(code="hipaa-baa"))

    page = text(signed_in(client, medix.owner).get(URL))

    assert "Dr Soon" in page
    assert "Dr Lapsed" in page
    assert "Dr Later" not in page
    assert "SOC 2" in page
    assert "ISO 27001" in page
    assert "HIPAA-BAA" not in page
    assert page.count("<strong>Expired</strong>") == 2
    assert reverse("vendor:roster") in page
    assert reverse("vendor:attestations") in page


def test_a_renewed_credential_no_longer_asks_for_renewal(client, medix):
    specialist = medix.specialists[0]
    md_credential(specialist, expires_on=in_days(10))
    md_credential(specialist, expires_on=in_days(800))

    page = text(signed_in(client, medix.owner).get(URL))

    assert "No credentials expire in the next 60 days." in page


def _fill(acme, medix, mathly, n: int) -> None:
    for i in range(n):
        job = make_open_job(acme, title=f"Job {n}-{i}")
        invite(job, medix, "No longer eligible: short of MDs.")
        submit_bid(medix, job, "20000")
        specialist = SpecialistFactory(vendor=medix.vendor)
        md_credential(specialist, expires_on=in_days(10 + i))
        AttestationFactory(
            vendor=medix.vendor,
            kind=AttestationKindFactory(code=f"kind-{n}-{i}"),
            expires_on=in_days(15 + i),
        )
        # Another vendor's rows never count towards Medix's page.
        submit_bid(mathly, job, "21000")


def test_the_dashboard_reads_a_fixed_number_of_queries(
    client, acme, medix, mathly, django_assert_max_num_queries
):
    signed_in(client, medix.owner)
    _fill(acme, medix, mathly, 1)
    with django_assert_max_num_queries(14):
        assert client.get(URL).status_code == 200

    _fill(acme, medix, mathly, 8)
    with django_assert_max_num_queries(14):
        page = text(client.get(URL))
    assert page.count("short of MDs") == 9
