"""The merchant's "List a product" form: what each field says it needs, and a failed submission
that reports every error at once and keeps the chosen image.

People: the merchant's owner (Great Lakes Maple Co.) and an outsider merchant who is refused."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from django_scopes import scopes_disabled

from catalog.models import Category, ListingState, Product
from tests.catalog.factories import merchant, png_upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def maple():
    organization, owner = merchant()
    return {"org": organization, "owner": owner}


def form_data(**changes) -> dict:
    data = {
        "title_en": "Maple Syrup Gift Set",
        "category": Category.objects.get(slug="maple-syrup").pk,
        "description_en": "Three bottles.",
        "hs_code": "1702.20.0000",
        "country_of_origin": "US",
        "lead_time_days": "10",
        "weight_kg": "2.1",
        "length_cm": "30",
        "width_cm": "10",
        "height_cm": "22",
        "sku-code": "GIFT-1-STD",
        "sku-case_pack": "4",
        "sku-moq": "8",
        "sku-on_hand": "200",
        "sku-low_stock_threshold": "0",
        "tiers-TOTAL_FORMS": "2",
        "tiers-INITIAL_FORMS": "0",
        "tiers-MIN_NUM_FORMS": "0",
        "tiers-MAX_NUM_FORMS": "10",
        "tiers-0-min_quantity": "8",
        "tiers-0-unit_price_usd": "21.00",
        "tiers-1-min_quantity": "40",
        "tiers-1-unit_price_usd": "19.50",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def label_of(page: str, field_id: str) -> str:
    match = re.search(rf'<label for="{field_id}">(.*?)</label>', page, re.S)
    assert match, field_id
    return re.sub(r"<[^>]+>", "", match.group(1)).strip()


# --- The HS code is needed to publish, not optional ---------------------------------------------


def test_the_hs_code_is_marked_needed_to_publish_not_optional(client, maple):
    client.force_login(maple["owner"])
    page = client.get(reverse("catalog:product_create")).content.decode()
    assert label_of(page, "id_hs_code") == "HS code (needed to publish)"
    assert label_of(page, "id_brand") == "Brand (optional)"
    assert "A draft can be saved without it; a listing cannot be published without it." in page


def test_publishing_without_an_hs_code_says_so(client, maple):
    client.force_login(maple["owner"])
    response = client.post(
        reverse("catalog:product_create"),
        form_data(hs_code="", publish="1", **{"img-image": png_upload()}),
        follow=True,
    )
    page = response.content.decode()
    assert "Saved as a draft. To publish, add an HS code." in page
    assert "Before you can publish, add: an HS code." in page
    with scopes_disabled():
        product = Product.objects.get(title_en="Maple Syrup Gift Set")
    assert product.state == ListingState.DRAFT
    response = client.post(
        reverse("catalog:product_transition", args=[product.pk, "publish"]), follow=True
    )
    assert "To publish, add an HS code." in response.content.decode()
    with scopes_disabled():
        assert Product.objects.get(pk=product.pk).state == ListingState.DRAFT
