"""The marketplace's main flows as people use them: in Chromium, against gunicorn, the
PostgreSQL test database and a real Celery worker, on the demo data set.

Between browser steps the tests do only what the clock or Celery beat would do (move a
deadline into the past and run the closing service); everything a person does, they do
in the browser.
"""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from labs.models import Job, JobStatus
from marketplace.accounts.models import Membership, Role
from marketplace.demo.services import DEMO_PASSWORD
from marketplace.exchange import services as exchange
from marketplace.exchange.models import Bid, Contract, Invitation, Screening, Verdict
from tests.browser.conftest import NORTHWIND_PROCUREMENT, screenshot, sign_in
from tests.plugins.personas import pass_bid_deadline
from vendors.models import RosterImport, Vendor

pytestmark = [pytest.mark.browser, pytest.mark.celery_worker]


def owner_email(vendor: Vendor) -> str:
    return (
        Membership.objects.filter(organisation=vendor.organisation, role=Role.VENDOR_OWNER)
        .select_related("user")
        .first()
        .user.email
    )


def local(moment) -> str:  # type: ignore[no-untyped-def]
    """A datetime-local input's value."""
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def press(page, name: str) -> None:  # type: ignore[no-untyped-def]
    """Clicks a control by its text, whether it is a button or a link styled as one
    (a link with role="button")."""
    control = page.get_by_role("button", name=name, exact=True).or_(
        page.get_by_role("link", name=name, exact=True)
    )
    control.first.click()


def expect_text(page, text: str, timeout: float = 15_000) -> None:  # type: ignore[no-untyped-def]
    page.get_by_text(text, exact=False).filter(visible=True).first.wait_for(timeout=timeout)


def test_a_lab_posts_a_job_vendors_bid_and_the_lab_awards_a_split(demo, new_page, wait_for):
    # --- A lab user posts a job with two seats and publishes it --------------------------
    lab = new_page()
    sign_in(lab, NORTHWIND_PROCUREMENT, DEMO_PASSWORD)
    expect_text(lab, "Dashboard")
    screenshot(lab, "lab-dashboard")
    press(lab, "Post a job")
    lab.get_by_label("Title").fill("Cardiology answer grading")
    lab.get_by_label("Domain").select_option(label="Medical")
    lab.get_by_label("Description").fill(
        "Grade model answers to cardiology questions against current guidelines."
    )
    lab.get_by_label("Volume", exact=True).fill("2000")
    lab.get_by_label("Budget from").fill("30000")
    lab.get_by_label("Budget up to").fill("60000")
    now = timezone.now()
    lab.get_by_label("Question period ends").fill(local(now + timedelta(days=3)))
    lab.get_by_label("Bid deadline").fill(local(now + timedelta(days=7)))
    lab.get_by_label("Delivery date").fill((now + timedelta(days=60)).strftime("%Y-%m-%d"))
    lab.get_by_label("Allow a split award").check()
    lab.get_by_label("Maximum share per vendor (%)").fill("70")
    seat = lab.get_by_role("group", name="Seat 1")
    seat.get_by_label("Credential kind").select_option(label="Licence")
    seat.get_by_label("Field").select_option(label="Medicine")
    seat.get_by_label("Minimum level").select_option(label="Physician licence (MD)")
    seat.get_by_label("Number of specialists").fill("1")
    lab.get_by_role("button", name="Add another seat").click()
    seat = lab.get_by_role("group", name="Seat 2")
    seat.wait_for()
    # What was typed survives adding a row.
    assert lab.get_by_label("Title").input_value() == "Cardiology answer grading"
    seat.get_by_label("Credential kind").select_option(label="Licence")
    seat.get_by_label("Field").select_option(label="Nursing")
    seat.get_by_label("Minimum level").select_option(label="Registered nurse (RN)")
    seat.get_by_label("Number of specialists").fill("1")
    screenshot(lab, "lab-job-form")
    lab.get_by_role("button", name="Save draft").last.click()
    expect_text(lab, "saved")
    lab.get_by_role("button", name="Publish job").click()
    expect_text(lab, "is open for questions and bids")
    job = Job.objects.get(title="Cardiology answer grading")
    assert job.status == JobStatus.OPEN

    # The worker matches vendors; the page shows who was invited and why.
    wait_for(
        lambda: Job.objects.filter(pk=job.pk, matching_state="done").exists(),
        timeout=60,
        message="the worker did not match the job",
    )
    invited = list(
        Invitation.objects.filter(job=job).select_related("vendor__organisation").order_by("-score")
    )
    assert len(invited) >= 2, "the demo should have at least two vendors able to staff the job"
    lab.reload()
    expect_text(lab, invited[0].vendor.organisation.name)
    screenshot(lab, "lab-job-invitations")

    # --- An invited vendor asks a question, bids, and revises its bid --------------------
    first, second = invited[0].vendor, invited[1].vendor
    vendor = new_page()
    sign_in(vendor, owner_email(first), DEMO_PASSWORD)
    expect_text(vendor, "Cardiology answer grading")
    screenshot(vendor, "vendor-dashboard")
    vendor.get_by_role("link", name="Cardiology answer grading").first.click()
    vendor.get_by_label("Your question").fill("Which guideline edition should graders use?")
    vendor.get_by_role("button", name="Send question").click()
    expect_text(vendor, "Your question was sent to the lab")
    press(vendor, "Bid on this job")
    vendor.get_by_label("Price").fill("42000")
    vendor.get_by_label("Timeline (days)").fill("30")
    vendor.get_by_label("Note to the lab").fill("Board-certified cardiologists and cardiac nurses.")
    boxes = vendor.locator("input[type=checkbox][name=specialists]")
    for index in range(min(2, boxes.count())):
        boxes.nth(index).check()
    screenshot(vendor, "vendor-bid-form")
    vendor.get_by_role("button", name="Submit bid").click()
    expect_text(vendor, "was submitted")
    press(vendor, "Revise bid")
    vendor.get_by_label("Price").fill("39500")
    vendor.get_by_role("button", name="Save revision").click()
    expect_text(vendor, "revision 2 is now current")
    screenshot(vendor, "vendor-bid-detail")
    bid = Bid.objects.get(job=job, vendor=first)
    assert bid.price == Decimal("39500") and bid.revisions.count() == 2

    # A second invited vendor bids through its own systems.
    bidder = Membership.objects.filter(organisation=second.organisation).first().user
    exchange.bid_submit(
        job=job,
        vendor=second,
        user=bidder,
        price=Decimal("45000"),
        currency=job.currency,
        timeline_days=40,
    )

    # --- The lab answers, then compares the bids after the deadline and splits the award -
    lab.reload()
    lab.get_by_label("Answer to question 1").fill("The 2025 ACC/AHA guidelines.")
    lab.get_by_role("button", name=re.compile("^Publish answer")).click()
    expect_text(lab, "2025 ACC/AHA")
    pass_bid_deadline(job)
    exchange.close_due_bidding()  # what Celery beat runs every minute
    lab.reload()
    press(lab, "Compare bids")
    expect_text(lab, first.organisation.name)
    assert lab.locator(".chart svg").count() >= 1
    screenshot(lab, "lab-bid-comparison")
    lab.get_by_label(f"Share for {first.organisation.name}").fill("60")
    lab.get_by_label(f"Share for {second.organisation.name}").fill("50")
    expect_text(lab, "110")  # the live total warns before the server does
    lab.get_by_label(f"Share for {second.organisation.name}").fill("40")
    lab.get_by_role("button", name="Award", exact=True).click()
    wait_for(lambda: Contract.objects.filter(bid__job=job).count() == 2, timeout=20)
    expect_text(lab, "Contracts")
    screenshot(lab, "lab-award")
    shares = dict(Contract.objects.filter(bid__job=job).values_list("vendor_id", "share_percent"))
    assert shares == {first.pk: Decimal("60"), second.pk: Decimal("40")}


def test_a_stake_change_blocks_a_vendor_and_the_lab_sees_why(demo, new_page, wait_for):
    cardia = Vendor.objects.get(organisation__name="Cardia Clinical Annotation")
    lab_screening = Screening.objects.get(
        lab__organisation__name="Northwind AI", vendor=cardia, bid=None
    )
    assert lab_screening.verdict == Verdict.CLEAR

    # The vendor declares that a rival lab of Northwind's bought 30% of it.
    vendor = new_page()
    sign_in(vendor, owner_email(cardia), DEMO_PASSWORD)
    vendor.get_by_role("link", name="Ownership", exact=True).click()
    press(vendor, "Declare a stake")
    parties = vendor.get_by_label("Existing interested party")
    apex = parties.locator("option", has_text="Apex Intelligence").first.get_attribute("value")
    parties.select_option(value=apex)
    vendor.get_by_label("Interest type").select_option(label="Shareholding")
    vendor.get_by_label("Exact share (%)").fill("30")
    vendor.get_by_role("button", name="Declare stake").click()
    expect_text(vendor, "Apex Intelligence")
    screenshot(vendor, "vendor-ownership")

    # The worker re-screens every lab dealing with the vendor; Northwind's verdict worsens.
    wait_for(
        lambda: Screening.objects.filter(pk=lab_screening.pk, verdict=Verdict.BLOCKED).exists(),
        timeout=60,
        message="the worker did not re-screen the vendor after the stake change",
    )
    lab = new_page()
    sign_in(lab, NORTHWIND_PROCUREMENT, DEMO_PASSWORD)
    alerts = lab.locator("section", has=lab.get_by_role("heading", name="Screening alerts"))
    alerts.get_by_role("link", name=re.compile("Cardia Clinical Annotation")).first.click()
    expect_text(lab, "Apex Intelligence")
    chain = lab.locator(".chain").filter(has_text="Cardia Clinical Annotation").first
    assert re.search(r"Apex Intelligence\s*→?\s*30%", chain.inner_text())
    expect_text(lab, "20% block threshold")
    screenshot(lab, "lab-screening-detail")
    lab.get_by_role("link", name="Notifications").click()
    expect_text(lab, "Cardia Clinical Annotation")


def test_a_vendor_imports_a_roster_and_watches_it_finish(demo, new_page, tmp_path):
    cardia = Vendor.objects.get(organisation__name="Cardia Clinical Annotation")
    rows = ["specialist_name,specialist_email,field,level,issuer,identifier,issued_on,expires_on"]
    for n in range(400):
        rows.append(
            f"Dr Import {n},import{n}@cardia.test,medicine,md,Medical Board,"
            f"IMP-{n:05d},2018-01-01,2030-01-01"
        )
    rows.append("Broken Row,broken@cardia.test,medicine,no-such-level,Board,X-1,2018-01-01,")
    roster = tmp_path / "roster.csv"
    roster.write_text("\n".join(rows) + "\n")

    vendor = new_page()
    sign_in(vendor, owner_email(cardia), DEMO_PASSWORD)
    vendor.get_by_role("link", name="Roster", exact=True).click()
    press(vendor, "Import a roster file")
    vendor.get_by_label("Roster file (CSV)").set_input_files(str(roster))
    vendor.get_by_label(re.compile("Import valid rows only")).check()
    vendor.get_by_role("button", name="Upload and import").click()

    progress = vendor.locator("progress")
    progress.wait_for()
    # The bar moves on its own (htmx polls) until every row is checked.
    vendor.get_by_text("401 of 401 rows").wait_for(timeout=90_000)
    expect_text(vendor, "no-such-level")
    screenshot(vendor, "vendor-roster-import")
    assert progress.get_attribute("value") == "401"
    finished = RosterImport.objects.get(vendor=cardia)
    assert finished.status == "done"


def fill_job_terms(page, title: str, *, questions_close, bids_close) -> None:  # type: ignore[no-untyped-def]
    page.get_by_label("Title").fill(title)
    page.get_by_label("Domain").select_option(label="Medical")
    page.get_by_label("Description").fill("Check drug interaction answers against the label.")
    page.get_by_label("Volume", exact=True).fill("500")
    page.get_by_label("Budget from").fill("10000")
    page.get_by_label("Budget up to").fill("20000")
    page.get_by_label("Question period ends").fill(local(questions_close))
    page.get_by_label("Bid deadline").fill(local(bids_close))
    page.get_by_label("Delivery date").fill(
        (timezone.now() + timedelta(days=45)).strftime("%Y-%m-%d")
    )


def test_a_lab_user_can_post_a_job_with_javascript_off(demo, new_page):
    lab = new_page(java_script_enabled=False)
    sign_in(lab, NORTHWIND_PROCUREMENT, DEMO_PASSWORD)
    lab.goto("/lab/jobs/new/")
    now = timezone.now()
    # Questions closing after bidding: only the server knows that rule.
    fill_job_terms(
        lab,
        "Pharmacology QA",
        questions_close=now + timedelta(days=9),
        bids_close=now + timedelta(days=5),
    )
    seat = lab.get_by_role("group", name="Seat 1")
    seat.get_by_label("Credential kind").select_option(label="Licence")
    seat.get_by_label("Field").select_option(label="Medicine")
    seat.get_by_label("Minimum level").select_option(label="Physician licence (MD)")
    seat.get_by_label("Number of specialists").fill("2")
    lab.get_by_role("button", name="Add another seat").click()
    lab.get_by_role("group", name="Seat 2").wait_for()
    assert lab.get_by_label("Title").input_value() == "Pharmacology QA"
    lab.get_by_role("button", name="Save draft").last.click()

    # The server's message sits next to the field; everything typed is still there.
    assert lab.locator(".errorlist").count() >= 1
    assert lab.get_by_label("Title").input_value() == "Pharmacology QA"
    assert (
        lab.get_by_role("group", name="Seat 1").get_by_label("Number of specialists").input_value()
        == "2"
    )
    assert not Job.objects.filter(title="Pharmacology QA").exists()

    lab.get_by_label("Question period ends").fill(local(now + timedelta(days=2)))
    lab.get_by_role("button", name="Save draft").last.click()
    expect_text(lab, "saved")
    job = Job.objects.get(title="Pharmacology QA")
    assert job.status == JobStatus.DRAFT and job.seat_requirements.count() == 1
