"""The browser suite: Chromium (Debian's package, driven by Playwright) against a real
gunicorn server, on the PostgreSQL test database, with the session's real Celery worker.

Every test here is a celery_worker test: it needs PostgreSQL, Redis and the worker, runs
on a transactional database (the server and the worker are other processes), and is
skipped without them, or fails with REQUIRE_SERVICES=1, as in CI.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.management import call_command

from marketplace.exchange.models import Screening
from tests.plugins.services import (
    REPO_ROOT,
    CeleryWorker,
    LiveServer,
    gunicorn_server,
    skip_or_fail,
)

CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
# The machine has no outside network: without these flags Chromium keeps trying to
# reach update and sync services at every start.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]
AXE_SCRIPT = REPO_ROOT / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = Path(os.environ.get("SCREENSHOT_DIR", REPO_ROOT / "docs" / "screenshots"))
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}

# Playwright's sync API runs an event loop in this thread; the test's own ORM calls are
# ordinary blocking calls between browser steps, not inside that loop.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def live_site(
    celery_worker_process: CeleryWorker, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """gunicorn with several workers, as deployed, serving the test database and sending
    tasks to the session's worker."""
    env = {
        "DJANGO_SETTINGS_MODULE": "tests.plugins.browser_settings",
        "TEST_CELERY_QUEUE": celery_worker_process.queue,
    }
    log_path = tmp_path_factory.mktemp("gunicorn") / "gunicorn.log"
    with gunicorn_server(log_path=log_path, env=env, workers=2, threads=2) as site:
        yield site


@pytest.fixture(scope="session")
def chromium() -> Iterator[object]:
    if not CHROMIUM.exists():
        skip_or_fail(f"needs Chromium at {CHROMIUM} (Debian package chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def new_page(chromium, live_site, transactional_db, tmp_path):
    """Opens a fresh browser context (its own cookies, a fresh profile) per call:
    `page = new_page()`, or `new_page(viewport=PHONE, java_script_enabled=False)`."""
    contexts = []

    def open_page(**options):
        options.setdefault("viewport", DESKTOP)
        context = chromium.new_context(base_url=live_site.url, **options)
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture(autouse=True)
def _server_log_on_failure(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed and "live_site" in request.fixturenames:
        site = request.getfixturevalue("live_site")
        print(site.log_path.read_text(errors="replace")[-6000:])


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.rep_call = report
    return report


NORTHWIND_PROCUREMENT = "procurement@northwind.demo"


@pytest.fixture
def demo(transactional_db, wait_for):
    """The demo data set, with the screenings it owes computed by the worker."""
    call_command("load_demo", verbosity=0)
    wait_for(
        lambda: not Screening.objects.exclude(state="done").exists(),
        timeout=90,
        message="the worker did not compute the demo's screenings",
    )


# --- Helpers the tests share ---------------------------------------------------------------


def sign_in(page, email: str, password: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


def check_accessible(page, what: str) -> None:
    """axe-core, from the npm registry, on the page as it stands: no serious or critical
    violation."""
    page.add_script_tag(path=str(AXE_SCRIPT))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    bad = [v for v in result["violations"] if v["impact"] in {"serious", "critical"}]
    lines = [
        f"{v['impact']}: {v['id']} ({v['help']}) at "
        + "; ".join(node["target"][0] if node["target"] else "?" for node in v["nodes"][:5])
        for v in bad
    ]
    assert not bad, f"axe found serious or critical violations on {what}:\n" + "\n".join(lines)


def screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def fits_width(page) -> bool:
    """No horizontal scrolling of the page itself (tables may scroll in their box)."""
    return bool(
        page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth + 1")
    )
