"""Signing in is throttled (django-axes): after LOGIN_FAILURE_LIMIT failed attempts for
one e-mail address from one client address, that pair is refused, whatever the password,
until the cool-off has passed. The browser's sign-in page and the admin's alike; the
lockout page says to try later and nothing more; every failure is logged."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.conf import settings
from django.http import HttpRequest
from django.test import Client
from django.urls import reverse
from time_machine import TimeMachineFixture

from marketplace.accounts.models import User
from marketplace.core.security import client_ip
from tests.factories import PASSWORD, UserFactory
from tests.security.conftest import Refusals

pytestmark = pytest.mark.django_db

LOGIN = reverse("login")
ADMIN_LOGIN = reverse("admin:login")
OFFICE = "203.0.113.10"
ELSEWHERE = "198.51.100.20"


@pytest.fixture
def alice() -> User:
    return UserFactory(email="alice@example.test")


def sign_in(client: Client, email: str, password: str, *, ip: str = OFFICE, url: str = LOGIN):
    return client.post(url, {"username": email, "password": password}, REMOTE_ADDR=ip)


def fail_until_locked(client: Client, email: str, *, ip: str = OFFICE, url: str = LOGIN) -> None:
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, email, "wrong password", ip=ip, url=url)


def signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def visible_text(page: str) -> str:
    return re.sub(r"<style.*?</style>|<[^>]+>", " ", page, flags=re.DOTALL).lower()


# --- the throttle --------------------------------------------------------------------------


def test_a_few_wrong_passwords_are_only_wrong_passwords(client: Client, alice: User) -> None:
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = sign_in(client, alice.email, "wrong password")
        assert response.status_code == 200

    response = sign_in(client, alice.email, PASSWORD)

    assert response.status_code == 302
    assert signed_in(client)


def test_repeated_failures_lock_the_address_for_that_client(client: Client, alice: User) -> None:
    fail_until_locked(client, alice.email)

    response = sign_in(client, alice.email, PASSWORD)

    assert response.status_code == 429
    assert not signed_in(client)


def test_the_lock_ignores_the_case_of_the_address(client: Client, alice: User) -> None:
    for n in range(settings.AXES_FAILURE_LIMIT):
        typed = alice.email.upper() if n % 2 else alice.email
        sign_in(client, typed, "wrong password")

    assert sign_in(client, alice.email, PASSWORD).status_code == 429


def test_the_owner_of_the_account_still_signs_in_from_elsewhere(alice: User) -> None:
    fail_until_locked(Client(), alice.email, ip=OFFICE)
    colleague_laptop = Client()

    response = sign_in(colleague_laptop, alice.email, PASSWORD, ip=ELSEWHERE)

    assert response.status_code == 302
    assert signed_in(colleague_laptop)


def test_other_people_at_the_same_address_still_sign_in(alice: User) -> None:
    bob = UserFactory(email="bob@example.test")
    fail_until_locked(Client(), alice.email, ip=OFFICE)
    bobs_client = Client()

    response = sign_in(bobs_client, bob.email, PASSWORD, ip=OFFICE)

    assert response.status_code == 302


def test_after_the_cool_off_the_right_password_works_again(
    client: Client, alice: User, time_machine: TimeMachineFixture
) -> None:
    time_machine.move_to(datetime(2026, 3, 2, 9, 0, tzinfo=UTC), tick=False)
    fail_until_locked(client, alice.email)
    time_machine.shift(settings.AXES_COOLOFF_TIME - timedelta(minutes=1))
    assert sign_in(client, alice.email, PASSWORD).status_code == 429

    # Every attempt during the lock starts the cool-off again.
    time_machine.shift(settings.AXES_COOLOFF_TIME + timedelta(seconds=1))
    response = sign_in(client, alice.email, PASSWORD)

    assert response.status_code == 302
    assert signed_in(client)


def test_a_successful_sign_in_forgets_the_earlier_failures(client: Client, alice: User) -> None:
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        sign_in(client, alice.email, "wrong password")
    assert sign_in(client, alice.email, PASSWORD).status_code == 302
    client.post(reverse("logout"), REMOTE_ADDR=OFFICE)

    sign_in(client, alice.email, "wrong password once more")
    response = sign_in(client, alice.email, PASSWORD)

    assert response.status_code == 302


def test_the_admin_login_is_throttled_too(client: Client) -> None:
    admin = UserFactory(email="admin@example.test", is_staff=True)
    fail_until_locked(client, admin.email, url=ADMIN_LOGIN)

    response = sign_in(client, admin.email, PASSWORD, url=ADMIN_LOGIN)

    assert response.status_code == 429
    assert not signed_in(client)
    assert client.get(reverse("admin:index"), REMOTE_ADDR=OFFICE).status_code == 302


def test_failures_on_either_login_page_count_together(client: Client) -> None:
    admin = UserFactory(email="admin@example.test", is_staff=True)
    for n in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, admin.email, "wrong password", url=ADMIN_LOGIN if n % 2 else LOGIN)

    assert sign_in(client, admin.email, PASSWORD, url=ADMIN_LOGIN).status_code == 429


# --- what the lockout says -------------------------------------------------------------------


def test_the_lockout_page_says_to_try_later_and_nothing_else(client: Client, alice: User) -> None:
    fail_until_locked(client, alice.email)

    page = visible_text(sign_in(client, alice.email, PASSWORD).content.decode())

    assert "try again later" in page
    for detail in (alice.email, "alice", str(settings.AXES_FAILURE_LIMIT), "minute", "locked"):
        assert detail not in page


def test_an_address_without_an_account_is_locked_the_same_way(client: Client, alice: User) -> None:
    fail_until_locked(client, alice.email)
    fail_until_locked(client, "nobody@example.test")

    real = sign_in(client, alice.email, PASSWORD)
    invented = sign_in(client, "nobody@example.test", PASSWORD)

    assert real.status_code == invented.status_code == 429
    assert real.content == invented.content


# --- the log -------------------------------------------------------------------------------


def test_failed_logins_are_logged_with_the_user_id_never_the_typed_secrets(
    client: Client, alice: User, refusals: Refusals
) -> None:
    sign_in(client, alice.email, "hunter2-typed-wrong")
    sign_in(client, "nobody@example.test", "hunter3-typed-wrong")

    logged = refusals()
    assert [(entry["code"], entry["user"]) for entry in logged] == [
        ("login_failed", alice.pk),
        ("login_failed", None),
    ]
    assert {entry["level"] for entry in logged} == {"WARNING"}
    assert {(entry["method"], entry["path"], entry["ip"]) for entry in logged} == {
        ("POST", LOGIN, OFFICE)
    }


def test_the_log_never_holds_a_password_or_an_address_typed(
    client: Client, alice: User, caplog: pytest.LogCaptureFixture
) -> None:
    fail_until_locked(client, "nobody@example.test")
    sign_in(client, "nobody@example.test", "hunter2-typed-wrong")

    assert "hunter2" not in caplog.text
    assert "nobody@example.test" not in caplog.text


def test_a_lockout_is_logged(client: Client, alice: User, refusals: Refusals) -> None:
    fail_until_locked(client, alice.email)
    sign_in(client, alice.email, PASSWORD)

    assert "login_locked_out" in [entry["code"] for entry in refusals()]
    assert {entry["user"] for entry in refusals()} == {alice.pk}


# --- the client's address ----------------------------------------------------------------


def request_from(remote: str, forwarded: str | None = None) -> HttpRequest:
    request = HttpRequest()
    request.META["REMOTE_ADDR"] = remote
    if forwarded is not None:
        request.META["HTTP_X_FORWARDED_FOR"] = forwarded
    return request


def test_a_forwarded_for_header_is_ignored_unless_proxies_are_declared() -> None:
    assert client_ip(request_from("192.0.2.1", "10.9.9.9")) == "192.0.2.1"


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (1, "203.0.113.10", "203.0.113.10"),
        # A client cannot choose its address by sending the header itself: only the
        # entries the trusted proxies appended count.
        (1, "10.9.9.9, 203.0.113.10", "203.0.113.10"),
        (2, "10.9.9.9, 203.0.113.10, 172.16.0.2", "203.0.113.10"),
        (2, "203.0.113.10", "192.0.2.1"),
        (1, "not-an-address", "192.0.2.1"),
    ],
)
def test_behind_declared_proxies_the_client_is_what_they_saw(
    settings: Any, proxies: int, forwarded: str, expected: str
) -> None:
    settings.TRUSTED_PROXY_COUNT = proxies

    assert client_ip(request_from("192.0.2.1", forwarded)) == expected


def test_behind_a_proxy_each_client_is_throttled_on_its_own(settings: Any, alice: User) -> None:
    settings.TRUSTED_PROXY_COUNT = 1
    attacker, colleague = Client(), Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        attacker.post(
            LOGIN,
            {"username": alice.email, "password": "wrong"},
            REMOTE_ADDR="10.0.0.1",
            HTTP_X_FORWARDED_FOR=OFFICE,
        )

    response = colleague.post(
        LOGIN,
        {"username": alice.email, "password": PASSWORD},
        REMOTE_ADDR="10.0.0.1",
        HTTP_X_FORWARDED_FOR=ELSEWHERE,
    )

    assert response.status_code == 302


# --- what keeps working --------------------------------------------------------------------


def test_tests_and_tools_that_sign_in_directly_are_not_throttled(alice: User) -> None:
    client = Client()
    client.force_login(alice)
    assert signed_in(client)
    # Client.login authenticates without a request, which the throttle refuses to judge;
    # it is given one.
    other = Client()
    assert other.login(request=HttpRequest(), username=alice.email, password=PASSWORD)


def test_api_keys_are_not_login_attempts(alice: User, medix: Any) -> None:
    from tests.api.conftest import key_client

    fail_until_locked(Client(), medix.owner.email, ip="127.0.0.1")

    response = key_client(medix.vendor.organisation).get("/api/v1/vendor/profile/")

    assert response.status_code == 200
