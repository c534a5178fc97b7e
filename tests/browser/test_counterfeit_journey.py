"""A Taobao Global buyer reports a fake in two clicks from the product page; an operator takes
it down from the moderation queue, and the listing disappears from search at once. The buyer
follows the outcome on their reports page; another buyer cannot open the report."""

from __future__ import annotations

import pytest
from django_scopes import scopes_disabled
from playwright.sync_api import expect

from merchants.models import Strike
from network.models import Organization, Role
from tests.catalog.factories import merchant
from tests.factories import PASSWORD, TOTP_SECRET, OrganizationFactory, member, operator
from tests.moderation.test_brands import listing

pytestmark = pytest.mark.browser


def test_buyer_reports_operator_takes_down_listing_vanishes(page, login, snapshot):
    shop, shop_owner = merchant("Copycat Trading", slug="copycat", email="seller@copycat.example")
    listing(shop, shop_owner, title_en="Lakeshore Amber Maple Syrup", brand="Lakeshore", seed=3)
    store = OrganizationFactory(name="Hangzhou Westlake Global Store", kind=Organization.Kind.BUYER)
    member(store, Role.BUYER, email="wang@westlake.example")
    member(
        OrganizationFactory(name="Ningbo Store", kind=Organization.Kind.BUYER),
        Role.BUYER,
        email="li@ningbo.example",
    )
    operator(email="olivia@network.example")

    # The buyer finds the listing and reports it: two clicks from the product page.
    login("wang@westlake.example", PASSWORD)
    page.goto("/catalog/?q=maple")
    page.locator(".product-card").filter(has_text="Lakeshore Amber Maple Syrup").get_by_role(
        "link"
    ).first.click()
    page.get_by_role("link", name="Report this listing").click()
    expect(page.get_by_label("Counterfeit product")).to_be_checked()
    snapshot("1-report-form")
    page.get_by_role("button", name="Send the report").click()
    expect(page.locator(".messages")).to_contain_text("Thank you")
    expect(page.locator("h1")).to_contain_text("Waiting for a decision")
    report_url = page.url
    snapshot("2-reported")

    # Another buyer cannot open the report.
    login("li@ningbo.example", PASSWORD)
    assert page.request.get(report_url).status == 404

    # The operator takes the listing down from the queue.
    login("olivia@network.example", PASSWORD, TOTP_SECRET)
    page.get_by_role("link", name="Moderation").first.click()
    expect(page.locator(".moderation-queue")).to_contain_text("Copycat Trading")
    snapshot("3-queue")
    page.get_by_role("link", name="Lakeshore Amber Maple Syrup").click()
    expect(page.locator("main")).to_contain_text("The listing when it was reported")
    page.get_by_label("Take the listing down (adds a strike)").check()
    page.get_by_label("Reason (kept on record and sent to those concerned)").fill(
        "Counterfeit: the brand owner confirms these bottles are not theirs."
    )
    page.get_by_role("button", name="Record the decision").click()
    expect(page.locator(".messages")).to_contain_text("The listing is taken down")
    snapshot("4-taken-down")

    # At once, search no longer finds it.
    page.goto("/catalog/?q=maple")
    expect(page.locator("main")).not_to_contain_text("Lakeshore Amber Maple Syrup")
    with scopes_disabled():
        assert Strike.objects.filter(organization=shop).count() == 1

    # The buyer sees the outcome.
    login("wang@westlake.example", PASSWORD)
    page.goto("/catalog/?q=maple")
    expect(page.locator("main")).not_to_contain_text("Lakeshore Amber Maple Syrup")
    page.get_by_role("link", name="My reports").first.click()
    expect(page.locator("main")).to_contain_text("Listing taken down")
    snapshot("5-my-reports")
