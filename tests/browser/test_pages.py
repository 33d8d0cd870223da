"""Every main page, as each kind of user sees it on the demo data: no serious or critical
accessibility violation (axe-core), no sideways scrolling at phone width, usable with
the keyboard alone. The screenshots taken here illustrate docs/user-guide.md."""

from __future__ import annotations

import pytest

from labs.models import Job
from marketplace.demo.services import DEMO_PASSWORD
from marketplace.exchange import services as exchange
from marketplace.exchange.models import Screening, Verdict
from tests.browser.conftest import (
    NORTHWIND_PROCUREMENT,
    PHONE,
    check_accessible,
    fits_width,
    screenshot,
    sign_in,
)
from tests.plugins.personas import pass_bid_deadline

pytestmark = [pytest.mark.browser, pytest.mark.celery_worker]

CARDIA_OWNER = "owner@cardia.demo"


def lab_pages() -> list[tuple[str, str]]:
    """(screenshot name or "", path) for the pages a lab user works in."""
    in_evaluation = Job.objects.get(title="Clinical answer grading")
    pass_bid_deadline(in_evaluation)
    exchange.close_due_bidding()
    open_job = Job.objects.get(title="Olympiad proof verification")
    blocked = Screening.objects.filter(
        lab__organisation__name="Northwind AI", verdict=Verdict.BLOCKED, bid=None
    ).first()
    return [
        ("", "/lab/"),
        ("lab-jobs", "/lab/jobs/"),
        ("", "/lab/jobs/new/"),
        ("lab-job-detail", f"/lab/jobs/{open_job.pk}/"),
        ("lab-bid-comparison-demo", f"/lab/jobs/{in_evaluation.pk}/bids/"),
        ("lab-screenings", "/lab/screenings/"),
        ("lab-screening-blocked", f"/lab/screenings/{blocked.pk}/"),
        ("lab-concentration", "/lab/concentration/"),
        ("lab-competitors", "/lab/competitors/"),
        ("lab-policy", "/lab/policy/"),
        ("team", "/accounts/team/"),
        ("", "/notifications/"),
    ]


def vendor_pages() -> list[tuple[str, str]]:
    open_job = Job.objects.get(title="Clinical answer grading")
    return [
        ("", "/vendor/"),
        ("vendor-jobs", "/vendor/jobs/"),
        ("vendor-job-detail", f"/vendor/jobs/{open_job.pk}/"),
        ("", "/vendor/bids/"),
        ("vendor-roster", "/vendor/roster/"),
        ("", "/vendor/roster/imports/"),
        ("vendor-profile", "/vendor/profile/"),
        ("vendor-attestations", "/vendor/attestations/"),
        ("", "/vendor/ownership/"),
        ("", "/vendor/ownership/stakes/new/"),
    ]


def test_the_main_pages_have_no_serious_accessibility_violations(demo, new_page):
    visitor = new_page()
    for path in ("/accounts/login/", "/accounts/password_reset/"):
        visitor.goto(path)
        check_accessible(visitor, path)
    screenshot(visitor, "sign-in")

    lab = new_page()
    sign_in(lab, NORTHWIND_PROCUREMENT, DEMO_PASSWORD)
    for name, path in lab_pages():
        response = lab.goto(path)
        assert response is not None and response.status == 200, path
        check_accessible(lab, path)
        if name:
            screenshot(lab, name)

    vendor = new_page()
    sign_in(vendor, CARDIA_OWNER, DEMO_PASSWORD)
    for name, path in vendor_pages():
        response = vendor.goto(path)
        assert response is not None and response.status == 200, path
        check_accessible(vendor, path)
        if name:
            screenshot(vendor, name)


def test_the_main_pages_fit_a_phone_screen(demo, new_page):
    lab = new_page(viewport=PHONE)
    sign_in(lab, NORTHWIND_PROCUREMENT, DEMO_PASSWORD)
    too_wide = []
    for _, path in lab_pages():
        lab.goto(path)
        if not fits_width(lab):
            too_wide.append(path)
    lab.goto("/lab/")
    screenshot(lab, "phone-lab-dashboard")

    vendor = new_page(viewport=PHONE)
    sign_in(vendor, CARDIA_OWNER, DEMO_PASSWORD)
    for _, path in vendor_pages():
        vendor.goto(path)
        if not fits_width(vendor):
            too_wide.append(path)
    assert not too_wide, f"these pages scroll sideways at {PHONE['width']} px: {too_wide}"


def test_a_user_signs_in_and_moves_around_with_the_keyboard_alone(demo, new_page):
    page = new_page()
    page.goto("/accounts/login/")
    # The e-mail field has the focus on arrival; Tab, typing and Enter do the rest.
    assert page.evaluate("document.activeElement.name") == "username"
    page.keyboard.type(NORTHWIND_PROCUREMENT)
    page.keyboard.press("Tab")
    page.keyboard.type(DEMO_PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url("**/lab/")

    # The first Tab reaches the skip link, which takes the focus past the header.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent.trim()") == "Skip to content"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"

    # Every header link is reachable with Tab, in order, and visibly focused. (A fresh
    # visit: reloading would keep the #main the skip link added, and start from there.)
    page.goto("/lab/")
    names = []
    for _ in range(20):
        page.keyboard.press("Tab")
        focused = page.evaluate(
            "() => ({text: document.activeElement.textContent.trim(),"
            " outline: getComputedStyle(document.activeElement).outlineStyle,"
            " shadow: getComputedStyle(document.activeElement).boxShadow})"
        )
        names.append(focused["text"])
        if focused["text"] == "Jobs":
            assert focused["outline"] != "none" or focused["shadow"] != "none"
            page.keyboard.press("Enter")
            break
    else:
        pytest.fail(f"Tab never reached the Jobs link; it went through {names}")
    page.wait_for_url("**/lab/jobs/")
    assert "Dashboard" in names
