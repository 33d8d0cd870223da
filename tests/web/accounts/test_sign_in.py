"""Signing in with an e-mail address, signing out, and resetting a forgotten password,
all through Django's own authentication views."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import SESSION_KEY
from django.urls import reverse

from marketplace.accounts.services import user_create
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-brand-new-passphrase-42"


def sign_in(client, email: str, password: str = PASSWORD):
    return client.post(reverse("login"), {"username": email, "password": password})


def link_in(message) -> str:
    match = re.search(r"https?://testserver(/\S+)", message.body)
    assert match, message.body
    return match.group(1)


def without_csrf_token(html: str) -> str:
    """A page as a person reads it: the CSRF token is masked afresh on every response."""
    return re.sub(r'"X-CSRFToken": "[^"]*"', "", html)


def choose_password(client, link: str, password: str = NEW_PASSWORD):
    """Opens a set-password link (Django moves the token into the session and redirects
    to a token-free URL) and sends the new password twice."""
    response = client.get(link)
    assert response.status_code == 302
    form_url = response.url
    page = client.get(form_url)
    assert "Choose a password" in page.text
    return client.post(form_url, {"new_password1": password, "new_password2": password})


# --- the sign-in page -----------------------------------------------------------------------


def test_the_sign_in_page_asks_for_e_mail_and_password(client):
    response = client.get(reverse("login"))

    assert response.status_code == 200
    html = response.text
    assert ">E-mail</label>" in html
    assert ">Password</label>" in html
    assert "Sign in</button>" in html
    assert "Forgot your password?" in html


def test_a_lab_member_who_signs_in_lands_on_the_lab_dashboard(client, acme):
    response = sign_in(client, acme.procurement.email)

    assert response.status_code == 302
    assert response.url == reverse("home")
    assert client.session[SESSION_KEY] == str(acme.procurement.pk)
    assert client.get(response.url).url == reverse("lab:dashboard")


def test_a_vendor_member_who_signs_in_lands_on_the_vendor_dashboard(client, medix):
    response = sign_in(client, medix.bid_manager.email.upper())

    assert client.get(response.url).url == reverse("vendor:dashboard")


def test_signing_in_returns_to_the_page_asked_for(client, acme):
    team = reverse("accounts:team")

    response = client.post(
        f"{reverse('login')}?next={team}",
        {"username": acme.owner.email, "password": PASSWORD, "next": team},
    )

    assert response.url == team


def test_a_wrong_password_is_refused_with_a_message_and_keeps_the_e_mail(client, acme):
    response = sign_in(client, acme.owner.email, "not-my-password")

    assert response.status_code == 200
    assert "Please enter a correct e-mail address and password" in response.text
    assert f'value="{acme.owner.email}"' in response.text
    assert SESSION_KEY not in client.session


def test_an_unknown_address_gets_the_same_message_as_a_wrong_password(client):
    response = sign_in(client, "nobody@nowhere.test")

    assert response.status_code == 200
    assert "Please enter a correct e-mail address and password" in response.text


def test_a_signed_in_user_opening_the_sign_in_page_goes_home(client, acme):
    client.force_login(acme.owner)

    response = client.get(reverse("login"))

    assert response.status_code == 302
    assert response.url == reverse("home")


# --- signing out ------------------------------------------------------------------------------


def test_signing_out_ends_the_session_and_shows_the_sign_in_page(client, acme):
    client.force_login(acme.owner)

    response = client.post(reverse("logout"), follow=True)

    assert response.redirect_chain[-1][0] == reverse("login")
    assert "You have signed out." in response.text
    assert SESSION_KEY not in client.session
    assert client.get(reverse("accounts:team")).status_code == 302


def test_signing_out_is_a_post_never_a_link(client, acme):
    client.force_login(acme.owner)

    response = client.get(reverse("logout"))

    assert response.status_code == 405
    assert client.session[SESSION_KEY] == str(acme.owner.pk)


def test_every_page_has_the_sign_out_button(client, acme):
    client.force_login(acme.owner)

    html = client.get(reverse("accounts:team")).text

    assert f'action="{reverse("logout")}"' in html
    assert "Sign out</button>" in html


# --- resetting a forgotten password ------------------------------------------------------------


def test_a_forgotten_password_is_reset_through_a_link_sent_by_e_mail(client, mailoutbox):
    user = user_create(email="ada@medix.test", password=PASSWORD)

    response = client.post(reverse("password_reset"), {"email": "Ada@medix.test"})

    assert response.url == reverse("password_reset_done")
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == ["ada@medix.test"]
    assert message.subject == "Reset your Expert Data Exchange password"
    done = choose_password(client, link_in(message))
    assert done.url == reverse("password_reset_complete")
    assert "Your password is set" in client.get(done.url).text
    assert sign_in(client, user.email, PASSWORD).status_code == 200  # the old one is gone
    assert sign_in(client, user.email, NEW_PASSWORD).url == reverse("home")


def test_a_reset_link_works_once(client, mailoutbox):
    user_create(email="ada@medix.test", password=PASSWORD)
    client.post(reverse("password_reset"), {"email": "ada@medix.test"})
    link = link_in(mailoutbox[0])
    choose_password(client, link)

    response = client.get(link, follow=True)

    assert "This link no longer works" in response.text


def test_an_unknown_address_gets_the_same_page_and_no_e_mail(client, mailoutbox):
    known = client.post(reverse("password_reset"), {"email": UserFactory().email}, follow=True)
    mailoutbox.clear()

    unknown = client.post(reverse("password_reset"), {"email": "who@nowhere.test"}, follow=True)

    assert unknown.redirect_chain == known.redirect_chain
    assert without_csrf_token(unknown.text) == without_csrf_token(known.text)
    assert "Check your e-mail" in unknown.text
    assert mailoutbox == []


def test_a_deactivated_account_gets_no_reset_e_mail(client, mailoutbox):
    user = UserFactory(is_active=False)

    response = client.post(reverse("password_reset"), {"email": user.email})

    assert response.url == reverse("password_reset_done")
    assert mailoutbox == []


def test_a_reset_with_mismatched_passwords_is_refused_next_to_the_field(client, mailoutbox):
    user_create(email="ada@medix.test", password=PASSWORD)
    client.post(reverse("password_reset"), {"email": "ada@medix.test"})
    form_url = client.get(link_in(mailoutbox[0])).url

    response = client.post(
        form_url, {"new_password1": NEW_PASSWORD, "new_password2": "something-else-42"}
    )

    assert response.status_code == 200
    assert "The two password fields didn\u2019t match." in response.text
    assert 'aria-invalid="true"' in response.text


def test_a_signed_in_user_changes_their_password(client, acme):
    client.force_login(acme.reviewer)
    page = client.get(reverse("password_change"))
    assert "<h1>Change your password</h1>" in page.text

    response = client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert response.url == reverse("password_change_done")
    acme.reviewer.refresh_from_db()
    assert acme.reviewer.check_password(NEW_PASSWORD)
