"""A newcomer signs up, verifies their email, creates a merchant organisation and reads the
site in Simplified Chinese."""

from __future__ import annotations

import re
import time

import pytest
from django.core import mail
from playwright.sync_api import expect

from network.models import Membership, Organization, Role, User

pytestmark = pytest.mark.browser

PASSWORD = "maple-syrup-harbour-42"
CONFIRM_LINK = re.compile(r"https?://\S+/accounts/confirm-email/\S+/")


def test_landing_page_shows_the_hero_to_a_visitor(page, snapshot):
    page.goto("/")

    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator(".hero h1")).to_have_text(
        "Wholesale from vetted US merchants, straight to your Taobao Global store."
    )
    expect(page.get_by_role("link", name="Join the network")).to_be_visible()
    snapshot("landing")


def test_newcomer_signs_up_verifies_email_and_creates_a_merchant_organisation(page, snapshot):
    page.goto("/")
    page.locator(".header-tools").get_by_role("link", name="Sign up").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign Up")
    page.locator("input[name=email]").fill("dana@greatlakesmaple.com")
    page.locator("input[name=password1]").fill(PASSWORD)
    page.locator("input[name=password2]").fill(PASSWORD)
    snapshot("1-signup")
    page.locator("main").get_by_role("button", name="Sign Up").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Verify Your Email Address")
    snapshot("2-verification-sent")

    page.goto(_confirmation_link_mailed_to("dana@greatlakesmaple.com"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirm Email Address")
    snapshot("3-confirm-email")
    page.get_by_role("button", name="Confirm").click()

    expect(page).to_have_url(re.compile(r"/organizations/new/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Create your organisation")
    page.get_by_label("Organisation name").fill("Great Lakes Maple Co.")
    page.get_by_label("A US merchant that sells wholesale").check()
    page.get_by_label("Country").select_option(label="United States")
    snapshot("4-create-organisation")
    page.get_by_role("button", name="Create organisation").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Great Lakes Maple Co.")
    expect(page.locator(".messages")).to_contain_text("Great Lakes Maple Co. is ready.")
    snapshot("5-home")
    membership = Membership.objects.select_related("organization", "user").get()
    assert membership.user.email == "dana@greatlakesmaple.com"
    assert membership.role == Role.OWNER
    assert membership.organization.kind == Organization.Kind.MERCHANT
    assert membership.organization.country == "US"

    page.locator(".language-switcher").get_by_role("button", name="中文").click()

    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page.locator(".language-switcher button[value=zh-hans]")).to_have_attribute(
        "aria-pressed", "true"
    )
    expect(page.locator(".language-switcher button[value=en]")).to_have_attribute(
        "aria-pressed", "false"
    )
    expect(page.get_by_role("heading", level=1)).to_have_text("Great Lakes Maple Co.")
    snapshot("6-home-zh-hans")
    expect(page.locator(".main-nav a[href='/organization/members/']")).to_have_text("成员")


def test_sign_up_with_a_short_password_is_refused(page):
    page.goto("/accounts/signup/")
    page.locator("input[name=email]").fill("short@example.com")
    page.locator("input[name=password1]").fill("short")
    page.locator("input[name=password2]").fill("short")
    page.locator("main").get_by_role("button", name="Sign Up").click()

    expect(page.locator("main")).to_contain_text(
        "This password is too short. It must contain at least 12 characters."
    )
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign Up")
    assert not User.objects.filter(email__iexact="short@example.com").exists()
    assert not mail.outbox


def _confirmation_link_mailed_to(email: str, timeout: float = 5.0) -> str:
    """The confirmation link of the first mail to ``email``; the mail is sent by a task run
    on commit in the live server's thread, so it may land a moment after the page."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for message in list(mail.outbox):
            if email in message.to:
                found = CONFIRM_LINK.search(message.body)
                assert found, f"no confirmation link in:\n{message.body}"
                return found.group(0)
        time.sleep(0.05)
    raise AssertionError(f"no mail to {email} within {timeout}s; outbox: {mail.outbox!r}")
