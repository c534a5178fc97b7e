"""Browser journeys: real Chromium driven by Playwright against pytest-django's live server.

The live server runs in a thread of this process, so:

- ``transaction.on_commit`` callbacks fire there (``live_server`` implies a transactional
  database), and Celery tasks enqueued with ``delay_on_commit`` run eagerly in that thread;
- the overrides made by the ``settings`` fixture (locmem mail and cache, eager Celery) reach it:
  ``override_settings`` swaps the process-wide settings object, not a per-thread copy, and the
  live server reads settings on every request;
- mail sent while serving a page lands in the same ``django.core.mail.outbox`` list the test
  reads.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest
from playwright.sync_api import expect

# Playwright's sync API keeps an asyncio event loop running in the test thread, which makes
# Django refuse ORM calls from the test unless told the loop is not ours to protect.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

BROWSER_TESTS = Path(__file__).resolve().parent
ARTIFACTS = BROWSER_TESTS.parent.parent / "test-artifacts" / "browser"
CHROMIUM_PATH = os.environ.get("CHROMIUM_PATH") or "/usr/bin/chromium"
# Assertions wait as long as actions (the context's default timeout below), not Playwright's
# 5 s: with the suite on several processes, a heavy page such as the API reference can take
# longer than that to render on a busy machine.
ACTION_TIMEOUT_MS = 10_000
expect.set_options(timeout=ACTION_TIMEOUT_MS)
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def _unavailable_reason() -> str | None:
    if not (Path(CHROMIUM_PATH).is_file() or shutil.which(CHROMIUM_PATH)):
        return f"no Chromium at {CHROMIUM_PATH} (set CHROMIUM_PATH to run the browser tests)"
    return None


def pytest_collection_modifyitems(config, items):
    reason = _unavailable_reason()
    if reason is None:
        return
    skip = pytest.mark.skip(reason=reason)
    for item in items:
        if BROWSER_TESTS in Path(str(item.path)).resolve().parents:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    chromium = playwright.chromium.launch(
        executable_path=CHROMIUM_PATH, headless=True, args=CHROMIUM_ARGS
    )
    yield chromium
    chromium.close()
    playwright.stop()


@pytest.fixture
def expected_console_errors() -> list[str]:
    """Texts of console errors a test expects: Chromium logs a form answered with its errors
    (a 400) as "Failed to load resource", and a journey through a refused form appends
    "status of 400" here. Any other console error still fails the test."""
    return []


@pytest.fixture
def page(browser, live_server, request, expected_console_errors):
    """A fresh browser context on the live server; any console error or uncaught page error
    fails the test (unless listed in ``expected_console_errors``), and the last screen is kept
    in test-artifacts/browser/."""
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 1280, "height": 900}, locale="en-US"
    )
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    browser_page = context.new_page()
    problems: list[str] = []

    def on_console(message):
        if message.type == "error" and not any(
            text in message.text for text in expected_console_errors
        ):
            problems.append(f"console error at {message.location.get('url', '?')}: {message.text}")

    browser_page.on("console", on_console)
    browser_page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    yield browser_page
    try:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        browser_page.screenshot(
            path=ARTIFACTS / f"{_file_name(request.node.name)}-final.png", full_page=True
        )
    finally:
        context.close()
    if problems:
        pytest.fail(
            "The browser reported errors:\n" + "\n".join(f"  - {p}" for p in problems),
            pytrace=False,
        )


@pytest.fixture
def snapshot(page, request):
    """``snapshot("step")`` saves a full-page screenshot of the current step for review."""

    def take(step: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{_file_name(request.node.name)}-{_file_name(step)}.png"
        page.screenshot(path=path, full_page=True)
        return path

    return take


def _file_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-")


@pytest.fixture
def login(page, settings):
    """``login(email, password, totp_secret=None)`` signs in through the real login form (and
    the second-factor step for operators)."""
    # The code is worked out here and checked by the live server a moment later; on a busy
    # machine (the suite runs on several processes) that moment can fall in the next 30-second
    # period, where a code of the previous one is refused unless the server allows one period.
    settings.MFA_TOTP_TOLERANCE = 1

    def sign_in(email: str, password: str, totp_secret: str | None = None) -> None:
        page.context.clear_cookies()
        page.goto("/accounts/login/")
        page.locator("input[name=login]").fill(email)
        page.locator("input[name=password]").fill(password)
        page.locator("main form button[type=submit]").first.click()
        if totp_secret:
            from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
            from allauth.mfa.totp.internal.auth import yield_hotp_counters_from_time as counters

            now = sorted(counters())[1]  # the period of now, between the tolerated neighbours
            page.locator("input[name=code]").fill(format_hotp_value(hotp_value(totp_secret, now)))
            page.locator("main form button[type=submit]").first.click()
        page.wait_for_load_state()

    return sign_in


@pytest.fixture(autouse=True)
def carriers_answering(carrier_server):
    """Bookings made in a journey (or by the demo data) reach the carrier process, which
    answers at once, accepts everything and never fails unless the test says otherwise."""
    return carrier_server
