"""The signed-in home page of a merchant, as shown in the README.

Every run saves it to test-artifacts/browser/readme-home.png; with
``UPDATE_README_SCREENSHOT=1`` it also replaces docs/screenshot.png."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from playwright.sync_api import expect

from network.models import Role
from tests.browser.conftest import ARTIFACTS
from tests.factories import PASSWORD, OrganizationFactory, member

pytestmark = pytest.mark.browser

DOCS_SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "screenshot.png"


def test_merchant_home_page_as_in_the_readme(page):
    maple = OrganizationFactory(name="Great Lakes Maple Co.")
    owner = member(maple, email="dana@greatlakesmaple.com", full_name="Dana Whitfield")
    member(maple, role=Role.ADMIN, full_name="Marcus Lee")
    member(maple, role=Role.STAFF, full_name="Priya Natarajan")
    page.set_viewport_size({"width": 1280, "height": 800})

    page.goto("/accounts/login/")
    page.locator("input[name=login]").fill(owner.email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("main").get_by_role("button", name="Sign In").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Great Lakes Maple Co.")
    page.goto("/")  # once more, without the "signed in" message

    expect(page.locator(".account-menu summary")).to_have_text("Dana Whitfield")
    expect(page.locator(".stat")).to_have_text("3 people")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    screenshot = page.screenshot(path=ARTIFACTS / "readme-home.png")
    assert screenshot
    if os.environ.get("UPDATE_README_SCREENSHOT") == "1":
        shutil.copyfile(ARTIFACTS / "readme-home.png", DOCS_SCREENSHOT)
