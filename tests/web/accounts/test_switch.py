"""A person who works for several organisations switches between them in the header."""

from __future__ import annotations

import pytest
from django.urls import reverse

from marketplace.accounts.models import Role
from marketplace.core.web import SESSION_ORGANISATION
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def consultant(acme, medix):
    """Procurement at Acme (first by name) and bid manager at Medix."""
    user = acme.procurement
    MembershipFactory(user=user, organisation=medix.vendor.organisation, role=Role.BID_MANAGER)
    return user


def switch(client, organisation_id):
    return client.post(reverse("accounts:switch"), {"organisation": organisation_id})


def test_the_header_offers_every_organisation_of_the_user(client, consultant, acme, medix):
    client.force_login(consultant)

    html = client.get(reverse("accounts:team")).text

    assert 'name="organisation"' in html
    assert "Acme AI (Lab)</option>" in html
    assert "Medix Annotations (Vendor)</option>" in html


def test_switching_makes_the_other_organisation_current(client, consultant, medix):
    client.force_login(consultant)
    assert client.get(reverse("home")).url == reverse("lab:dashboard")

    response = switch(client, medix.vendor.organisation_id)

    assert response.status_code == 302
    assert response.url == reverse("home")
    assert client.get(reverse("home")).url == reverse("vendor:dashboard")
    team = client.get(reverse("accounts:team")).text
    assert "You are now working in Medix Annotations." in team
    assert "Members of Medix Annotations" in team


def test_switching_to_an_organisation_the_user_is_not_in_is_404_and_changes_nothing(
    client, consultant, medix, rival
):
    client.force_login(consultant)
    switch(client, medix.vendor.organisation_id)

    response = switch(client, rival.lab.organisation_id)

    assert response.status_code == 404
    assert client.session[SESSION_ORGANISATION] == medix.vendor.organisation_id
    assert client.get(reverse("home")).url == reverse("vendor:dashboard")


@pytest.mark.parametrize("value", ["", "medix", "-1", "99999999"])
def test_a_malformed_or_unknown_organisation_is_404(client, consultant, value):
    client.force_login(consultant)

    assert switch(client, value).status_code == 404
    assert SESSION_ORGANISATION not in client.session


def test_switching_is_a_post(client, consultant, medix):
    client.force_login(consultant)

    response = client.get(
        reverse("accounts:switch"), {"organisation": medix.vendor.organisation_id}
    )

    assert response.status_code == 405


def test_an_anonymous_visitor_is_sent_to_sign_in(client, medix):
    response = switch(client, medix.vendor.organisation_id)

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))
