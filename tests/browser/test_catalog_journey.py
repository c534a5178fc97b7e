"""A merchant lists a product with price tiers and an image, publishes it and adds a second
image to it; a Taobao Global buyer finds it with a Chinese query and sees the wholesale terms
with a CNY estimate."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from catalog.images import demo_png
from network.models import ExchangeRate, Organization, Role
from tests.catalog.factories import merchant
from tests.factories import PASSWORD, OrganizationFactory, member

pytestmark = pytest.mark.browser


def test_list_publish_and_find_by_chinese_query(page, login, snapshot, tmp_path):
    merchant("Great Lakes Maple Co.", slug="great-lakes-maple-co", email="dana@maple.example")
    member(
        OrganizationFactory(name="Hangzhou Westlake Global Store", kind=Organization.Kind.BUYER),
        Role.BUYER,
        email="wang@westlake.example",
    )
    ExchangeRate.objects.create(rate=Decimal("7.1800"), effective_date=date(2026, 3, 2))
    photo = tmp_path / "syrup.png"
    photo.write_bytes(demo_png("Maple syrup", side=800))

    # The merchant lists a product from the home page.
    login("dana@maple.example", PASSWORD)
    page.get_by_role("link", name="List a product").first.click()
    page.get_by_label("Title (English)").fill("Pure Michigan Maple Syrup, 500 ml")
    page.get_by_label("Title (Simplified Chinese)").fill("纯正密歇根枫糖浆 500毫升")
    page.get_by_label("Brand").fill("Great Lakes")
    page.get_by_label("Category").select_option(label="— Maple syrup and sweeteners")
    page.get_by_label("Description (English)", exact=False).first.fill(
        "Grade A amber maple syrup, tapped and bottled in northern Michigan."
    )
    page.get_by_label("HS code").fill("1702.20.0000")
    page.get_by_label("Lead time (days)").fill("7")
    page.get_by_label("Weight (kg)", exact=True).fill("0.75")
    page.get_by_label("Length (cm)", exact=True).fill("8")
    page.get_by_label("Width (cm)", exact=True).fill("8")
    page.get_by_label("Height (cm)", exact=True).fill("20")
    page.get_by_label("SKU code").fill("GLM-500")
    page.get_by_label("Case pack").fill("6")
    page.get_by_label("Minimum order quantity").fill("12")
    page.get_by_label("Stock on hand").fill("600")
    page.get_by_label("Tier 1 from quantity").fill("12")
    page.get_by_label("Tier 1 unit price (USD)").fill("8.50")
    page.get_by_label("Tier 2 from quantity").fill("48")
    page.get_by_label("Tier 2 unit price (USD)").fill("7.90")
    page.get_by_role("button", name="Add a tier").click()
    page.get_by_label("Tier 3 from quantity").fill("144")
    page.get_by_label("Tier 3 unit price (USD)").fill("7.25")
    page.get_by_label("Image").set_input_files(photo)
    snapshot("1-new-product")
    page.get_by_role("button", name="Save and publish").click()
    expect(page.locator(".messages")).to_contain_text("Published: buyers can see it now.")
    expect(page.locator("h1")).to_contain_text("Pure Michigan Maple Syrup")
    expect(page.locator("main")).to_contain_text("144+ @ 7.25")
    snapshot("2-published")

    # The inline stock edit saves without leaving the page.
    page.get_by_label("Stock on hand of GLM-500").fill("540")
    page.locator("#main .stock-form button").first.click()
    expect(page.locator(".stock-cell").first).to_contain_text("Saved")

    # A second photo is added to the product now that it exists.
    label = tmp_path / "label.png"
    label.write_bytes(demo_png("Label", side=600))
    page.get_by_label("Image").set_input_files(label)
    page.get_by_label("Short description").fill("The bottle's label")
    page.get_by_role("button", name="Upload image").click()
    expect(page.locator(".messages")).to_contain_text("Image added.")
    expect(page.locator(".image-list img")).to_have_count(2)
    expect(page.get_by_alt_text("The bottle's label")).to_be_visible()

    # A buyer in Hangzhou searches in Chinese.
    login("wang@westlake.example", PASSWORD)
    page.get_by_role("link", name="Catalogue").first.click()
    page.get_by_role("searchbox").fill("枫糖浆")
    page.get_by_role("button", name="Search").click()
    card = page.locator(".product-card").filter(has_text="Pure Michigan Maple Syrup")
    expect(card).to_be_visible()
    expect(card).to_contain_text("≈ ¥52.06–61.03")  # 7.25 × 7.18, 8.50 × 7.18
    snapshot("3-search")
    card.get_by_role("link").first.click()
    expect(page.locator("h1")).to_have_text("Pure Michigan Maple Syrup, 500 ml")
    table = page.locator(".tier-table")
    expect(table).to_contain_text("12–47")
    expect(table).to_contain_text("144+")
    expect(table).to_contain_text("≈ ¥61.03")
    expect(page.locator("main")).to_contain_text("1 USD = 7.1800 CNY")
    expect(page.locator("main")).to_contain_text("Mar 2, 2026")
    expect(page.locator(".merchant-mini")).to_contain_text("Great Lakes Maple Co.")
    expect(page.locator("img.main-image")).to_be_visible()
    snapshot("4-product")
