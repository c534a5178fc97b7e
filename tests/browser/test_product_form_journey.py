"""A merchant's product form fails: every error shows at once, and the photo chosen for it is
kept, so that correcting the fields and saving again lists the product with that photo."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django_scopes import scopes_disabled
from playwright.sync_api import expect

from catalog.images import demo_png
from catalog.models import Product, ProductImage
from tests.catalog.factories import merchant
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser


def test_all_errors_at_once_and_the_photo_kept(
    page, login, snapshot, tmp_path, expected_console_errors
):
    expected_console_errors.append("status of 400")  # the refused form, on purpose
    merchant("Great Lakes Maple Co.", slug="great-lakes-maple-co", email="dana@maple.example")
    photo = tmp_path / "syrup.png"
    photo.write_bytes(demo_png("Maple syrup", side=800))

    login("dana@maple.example", PASSWORD)
    page.goto(reverse("catalog:product_create"))
    # Several mistakes at once: no title, no category, and a price that rises with quantity.
    page.get_by_label("Description (English)", exact=False).first.fill("Grade A amber.")
    expect(page.locator("label[for=id_hs_code]")).to_have_text("HS code (needed to publish)")
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
    page.get_by_label("Tier 2 unit price (USD)").fill("9.90")
    page.get_by_label("Image").set_input_files(photo)
    page.get_by_role("button", name="Save and publish").click()

    main = page.locator("main")
    expect(main).to_contain_text("The unit price must fall as the quantity rises")
    expect(page.locator(".errorlist", has_text="This field is required.")).to_have_count(2)
    expect(page.locator("[data-pending-image]")).to_contain_text(
        "syrup.png is kept from your last attempt"
    )
    expect(page.locator("[data-pending-image] img")).to_be_visible()
    snapshot("1-errors-and-kept-photo")
    page.set_viewport_size({"width": 390, "height": 844})
    snapshot("2-phone")
    page.set_viewport_size({"width": 1280, "height": 900})

    # Correct the fields; the photo is not chosen again.
    page.get_by_label("Title (English)").fill("Pure Michigan Maple Syrup, 500 ml")
    page.get_by_label("Category").select_option(label="— Maple syrup and sweeteners")
    page.get_by_label("Tier 2 unit price (USD)").fill("7.90")
    page.get_by_role("button", name="Save and publish").click()
    expect(page.locator(".messages")).to_contain_text("Published: buyers can see it now.")
    expect(page.locator(".image-list img")).to_have_count(1)
    snapshot("3-published")
    with scopes_disabled():
        product = Product.objects.get(title_en="Pure Michigan Maple Syrup, 500 ml")
        assert ProductImage.objects.filter(product=product).count() == 1
