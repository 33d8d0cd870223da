"""Every vendor page of this area: signed out -> the sign-in page; a lab member -> 404,
as for a page that does not exist."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.web.vendors.conftest import signed_in

PAGES = [
    "vendor:profile",
    "vendor:attestations",
    "vendor:roster",
    "vendor:specialist_create",
    "vendor:roster_import",
    "vendor:roster_import_example",
    "vendor:roster_import_format",
    "vendor:ownership",
    "vendor:stake_create",
    "vendor:bods_import",
]


@pytest.mark.parametrize("name", PAGES)
def test_signed_out_visitors_are_sent_to_sign_in(db, client, name):
    url = reverse(name)

    response = client.get(url)

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


@pytest.mark.parametrize("name", PAGES)
def test_a_lab_member_gets_404(db, acme, name):
    assert signed_in(acme.owner).get(reverse(name)).status_code == 404


@pytest.mark.parametrize("name", PAGES)
def test_the_vendor_owner_sees_each_page(db, medix, vocabulary, name):
    response = signed_in(medix.owner).get(reverse(name))

    assert response.status_code == 200
