"""Two listings of one product, whose long titles differ only at the end, look different on the
catalogue's cards: each shows its variant on a line of its own, on a desktop and on a phone."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django_scopes import scopes_disabled
from playwright.sync_api import expect

from catalog import services
from catalog.models import SKU
from tests.catalog.factories import merchant, product

pytestmark = pytest.mark.browser

LONG = "Great Lakes Reserve Pure Michigan Maple Syrup Grade A Amber Rich Taste, Kosher Certified"


def test_variants_of_one_product_are_told_apart(page, snapshot):
    organization, owner = merchant("Great Lakes Maple Co.", slug="great-lakes-maple")
    for code, variant in [("GL-500", "500 ml glass bottle"), ("GL-1000", "1 L plastic jug")]:
        item = product(organization, owner, title_en=f"{LONG}, {variant}", code=code, publish=False)
        with scopes_disabled():
            SKU.objects.filter(product=item).update(variant_en=variant)
            services.product_publish(product=item, acting_user=owner)

    for width, height in [(1280, 900), (390, 844)]:
        page.set_viewport_size({"width": width, "height": height})
        page.goto(reverse("catalog:browse"))
        for variant in ("500 ml glass bottle", "1 L plastic jug"):
            card = page.locator("article.product-card", has_text=variant)
            expect(card.locator(".product-card-variant")).to_have_text(variant)
            expect(card.locator(".product-card-variant")).to_be_visible()
            expect(card.locator("h3")).to_have_attribute("title", f"{LONG}, {variant}")
        snapshot(f"cards-{width}")
