"""Merchant pages and API: the owner and a teammate work on the catalogue, a viewer only reads,
an outsider never sees or touches another merchant's products (404), and buyers see only
active listings."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django_scopes import scopes_disabled

from catalog.models import SKU, Inventory, InventoryLedger, ListingState, Product, ProductImage
from network.models import Organization, Role
from tests.catalog.factories import merchant, png_upload, product
from tests.factories import OrganizationFactory, member, operator, sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def maple():
    organization, owner = merchant()
    draft = product(organization, owner, title_en="Secret Maple Draft", publish=False)
    active = product(organization, owner, title_en="Public Maple Syrup")
    return {
        "org": organization,
        "owner": owner,
        "teammate": member(organization, Role.STAFF),
        "viewer": member(organization, Role.VIEWER),
        "draft": draft,
        "active": active,
    }


@pytest.fixture
def outsider():
    return merchant("Other Co.", slug="other-co")[1]


@pytest.fixture
def buyer():
    return member(OrganizationFactory(kind=Organization.Kind.BUYER, name="Hangzhou Store"))


def sku_of(listing):
    with scopes_disabled():
        return SKU.objects.get(product=listing)


def test_manage_page_lists_own_products_only(client, maple, outsider):
    client.force_login(maple["teammate"])
    html = client.get(reverse("catalog:manage")).content.decode()
    assert "Secret Maple Draft" in html and "Public Maple Syrup" in html
    client.force_login(outsider)
    html = client.get(reverse("catalog:manage")).content.decode()
    assert "Secret Maple Draft" not in html and "Public Maple Syrup" not in html


def test_manage_page_query_count_is_fixed(client, maple, django_assert_num_queries):
    client.force_login(maple["owner"])
    client.get(reverse("catalog:manage"))
    # Session, user, memberships, TOTP check skipped (merchant); then: products page, count,
    # SKUs with stock, summary by state, low-stock count, merchant standing.
    for n in range(5):
        product(maple["org"], maple["owner"], title_en=f"Extra {n}", code=f"EX-{n}")
    with django_assert_num_queries(9):
        response = client.get(reverse("catalog:manage"))
    assert response.content.decode().count("stock-cell") >= 7


@pytest.mark.parametrize(
    "url_name",
    ["catalog:product_edit", "catalog:sku_create"],
)
def test_outsider_gets_404_on_another_merchants_product(client, maple, outsider, url_name):
    client.force_login(outsider)
    for listing in (maple["draft"], maple["active"]):
        assert client.get(reverse(url_name, args=[listing.pk])).status_code == 404
        assert client.post(reverse(url_name, args=[listing.pk]), {}).status_code == 404


def test_outsider_cannot_publish_edit_stock_or_image(client, maple, outsider):
    client.force_login(outsider)
    draft, sku = maple["draft"], sku_of(maple["draft"])
    assert (
        client.post(reverse("catalog:product_transition", args=[draft.pk, "publish"])).status_code
        == 404
    )
    assert (
        client.post(reverse("catalog:stock_update", args=[sku.pk]), {"on_hand": 1}).status_code
        == 404
    )
    assert client.get(reverse("catalog:sku_edit", args=[sku.pk])).status_code == 404
    with scopes_disabled():
        image = ProductImage.objects.filter(product=draft).first()
    assert client.post(reverse("catalog:image_remove", args=[image.pk])).status_code == 404
    # Bulk actions only ever touch the active merchant's products.
    client.post(reverse("catalog:bulk_action"), {"action": "publish", "product": [draft.pk]})
    with scopes_disabled():
        assert Product.objects.get(pk=draft.pk).state == ListingState.DRAFT
        assert Inventory.objects.get(sku=sku).on_hand == 500


def test_an_image_is_added_to_an_existing_product_through_the_edit_pages_form(client, maple):
    client.force_login(maple["teammate"])
    listing = maple["active"]
    edit_url = reverse("catalog:product_edit", args=[listing.pk])
    page = client.get(edit_url).content.decode()
    upload_url = re.search(
        r'<form method="post" action="([^"]+)" enctype="multipart/form-data"', page
    ).group(1)
    response = client.post(
        upload_url,
        {"image": png_upload("label.png", "Label"), "alt_text": "The bottle's label"},
        follow=True,
    )
    assert response.redirect_chain == [(edit_url, 302)]
    assert "Image added." in response.content.decode()
    with scopes_disabled():
        alt_texts = list(
            ProductImage.objects.filter(product=listing)
            .order_by("position", "pk")
            .values_list("alt_text", flat=True)
        )
    assert len(alt_texts) == 2 and alt_texts[-1] == "The bottle's label"
    assert 'alt="The bottle&#x27;s label"' in response.content.decode()


def test_transition_route_takes_only_publish_and_pause(client, maple):
    client.force_login(maple["owner"])
    assert client.post(f"/catalog/manage/{maple['draft'].pk}/archive/").status_code == 404
    client.post(reverse("catalog:product_transition", args=[maple["active"].pk, "pause"]))
    with scopes_disabled():
        assert Product.objects.get(pk=maple["active"].pk).state == ListingState.PAUSED


def test_drafts_are_seen_by_their_merchant_and_operators_only(client, maple, outsider, buyer):
    url = reverse("catalog:product", args=[maple["draft"].pk])
    assert client.get(url).status_code == 404
    for user in (outsider, buyer):
        client.force_login(user)
        assert client.get(url).status_code == 404
    client.force_login(maple["viewer"])
    assert "Secret Maple Draft" in client.get(url).content.decode()
    sign_in(client, operator())
    assert client.get(url).status_code == 200


def test_draft_images_are_private_and_public_ones_cached(client, maple, outsider):
    with scopes_disabled():
        draft_image = ProductImage.objects.get(product=maple["draft"])
        public_image = ProductImage.objects.get(product=maple["active"])
    draft_url = reverse("catalog:image", args=[draft_image.pk, "thumb"])
    public_url = reverse("catalog:image", args=[public_image.pk, "full"])
    response = client.get(public_url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert "immutable" in response["Cache-Control"] and "public" in response["Cache-Control"]
    assert b"".join(response.streaming_content)[:2] == b"\xff\xd8"
    assert client.get(draft_url).status_code == 404
    client.force_login(outsider)
    assert client.get(draft_url).status_code == 404
    client.force_login(maple["owner"])
    response = client.get(draft_url)
    assert response.status_code == 200 and "private" in response["Cache-Control"]


def test_viewer_reads_but_cannot_write(client, maple):
    client.force_login(maple["viewer"])
    assert client.get(reverse("catalog:manage")).status_code == 200
    assert client.get(reverse("catalog:product_create")).status_code == 403
    sku = sku_of(maple["active"])
    assert (
        client.post(reverse("catalog:stock_update", args=[sku.pk]), {"on_hand": 1}).status_code
        == 403
    )


def test_buyers_cannot_reach_merchant_pages(client, buyer):
    client.force_login(buyer)
    assert client.get(reverse("catalog:manage")).status_code == 403
    assert client.get(reverse("catalog:browse")).status_code == 200


def test_inline_stock_edit_with_htmx(client, maple):
    client.force_login(maple["teammate"])
    sku = sku_of(maple["active"])
    response = client.post(
        reverse("catalog:stock_update", args=[sku.pk]),
        {"on_hand": 42, "reason": "count"},
        HTTP_HX_REQUEST="true",
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert f'id="stock-{sku.pk}"' in html and 'value="42"' in html and "Saved" in html
    with scopes_disabled():
        entry = InventoryLedger.objects.filter(sku=sku).first()
    assert (entry.on_hand_before, entry.on_hand_after, entry.actor) == (500, 42, maple["teammate"])


def test_create_product_with_tiers_and_image_then_publish(client, maple):
    client.force_login(maple["owner"])
    from catalog.models import Category

    data = {
        "title_en": "Maple Syrup Gift Set",
        "title_zh_hans": "枫糖浆礼盒",
        "brand": "Great Lakes",
        "category": Category.objects.get(slug="maple-syrup").pk,
        "reference": "GIFT-1",
        "description_en": "Three bottles.",
        "hs_code": "1702.20.0000",
        "country_of_origin": "US",
        "lead_time_days": 10,
        "weight_kg": "2.1",
        "length_cm": "30",
        "width_cm": "10",
        "height_cm": "22",
        "sku-code": "GIFT-1-STD",
        "sku-case_pack": "4",
        "sku-moq": "8",
        "sku-on_hand": "200",
        "sku-low_stock_threshold": "16",
        "tiers-TOTAL_FORMS": "3",
        "tiers-INITIAL_FORMS": "0",
        "tiers-MIN_NUM_FORMS": "0",
        "tiers-MAX_NUM_FORMS": "10",
        "tiers-0-min_quantity": "8",
        "tiers-0-unit_price_usd": "21.00",
        "tiers-1-min_quantity": "40",
        "tiers-1-unit_price_usd": "19.50",
        "img-image": png_upload(),
        "publish": "1",
    }
    response = client.post(reverse("catalog:product_create"), data)
    assert response.status_code == 302, [
        line for line in response.content.decode().splitlines() if "errorlist" in line
    ]
    with scopes_disabled():
        created = Product.objects.get(reference="GIFT-1")
        assert created.state == ListingState.ACTIVE
        assert created.hs_code == "1702200000"
        assert (created.price_min_usd, created.price_max_usd, created.moq_min) == (
            Decimal("19.50"),
            Decimal("21.00"),
            8,
        )


def test_create_form_shows_tier_errors_and_writes_nothing(client, maple):
    client.force_login(maple["owner"])
    from catalog.models import Category

    data = {
        "title_en": "Bad Tiers",
        "category": Category.objects.get(slug="maple-syrup").pk,
        "description_en": "x",
        "country_of_origin": "US",
        "lead_time_days": 1,
        "weight_kg": "1",
        "length_cm": "1",
        "width_cm": "1",
        "height_cm": "1",
        "sku-code": "BAD-1",
        "sku-case_pack": "4",
        "sku-moq": "8",
        "sku-on_hand": "0",
        "sku-low_stock_threshold": "0",
        "tiers-TOTAL_FORMS": "2",
        "tiers-INITIAL_FORMS": "0",
        "tiers-MIN_NUM_FORMS": "0",
        "tiers-MAX_NUM_FORMS": "10",
        "tiers-0-min_quantity": "8",
        "tiers-0-unit_price_usd": "5.00",
        "tiers-1-min_quantity": "40",
        "tiers-1-unit_price_usd": "6.00",
    }
    response = client.post(reverse("catalog:product_create"), data)
    assert response.status_code == 400
    assert "must fall as the quantity rises" in response.content.decode()
    with scopes_disabled():
        assert not Product.objects.filter(title_en="Bad Tiers").exists()


def test_home_panel_offers_list_a_product(client, maple):
    client.force_login(maple["owner"])
    html = client.get(reverse("home")).content.decode()
    assert "List a product" in html and reverse("catalog:product_create") in html


def test_takedown_page_action_for_operators_only(client, maple):
    url = reverse("catalog:takedown", args=[maple["active"].pk])
    client.force_login(maple["owner"])
    assert client.post(url, {"reason": "x"}).status_code == 403
    sign_in(client, operator())
    client.post(url, {"reason": "Counterfeit"})
    with scopes_disabled():
        assert Product.objects.get(pk=maple["active"].pk).state == ListingState.TAKEN_DOWN
    assert client.get(reverse("catalog:browse")).content.decode().count('product-card"') == 0


# --- API ---------------------------------------------------------------------------------------


def test_api_public_list_and_detail(client, maple, buyer):
    client.force_login(buyer)
    data = client.get("/api/v1/products/", {"q": "枫糖浆"}).json()
    assert [p["title_en"] for p in data["results"]] == ["Public Maple Syrup"]
    assert data["facets"]["state"] == {"MI": 1}
    detail = client.get(f"/api/v1/products/{maple['active'].pk}/").json()
    assert detail["skus"][0]["tiers"][0] == {"min_quantity": 12, "unit_price_usd": "8.50"}
    assert client.get(f"/api/v1/products/{maple['draft'].pk}/").status_code == 404


def test_api_outsider_cannot_see_or_edit_drafts(client, maple, outsider):
    client.force_login(outsider)
    assert client.get(f"/api/v1/merchant/products/{maple['draft'].pk}/").status_code == 404
    response = client.patch(
        f"/api/v1/merchant/products/{maple['draft'].pk}/",
        {"brand": "Hijacked"},
        content_type="application/json",
    )
    assert response.status_code == 404
    listed = client.get("/api/v1/merchant/products/").json()
    assert listed["results"] == []
    assert client.get("/api/v1/merchant/inventory/").json()["results"] == []
    with scopes_disabled():
        assert Product.objects.get(pk=maple["draft"].pk).brand == "Great Lakes"


def test_api_merchant_create_update_and_inventory(client, maple):
    client.force_login(maple["teammate"])
    payload = {
        "category": "maple-syrup",
        "title_en": "API Maple Syrup",
        "title_zh_hans": "接口枫糖浆",
        "description_en": "From the API.",
        "hs_code": "1702200000",
        "weight_kg": "0.5",
        "length_cm": "5",
        "width_cm": "5",
        "height_cm": "15",
        "lead_time_days": 5,
        "skus": [
            {
                "code": "API-1",
                "case_pack": 6,
                "moq": 6,
                "tiers": [
                    {"min_quantity": 6, "unit_price_usd": "7.00"},
                    {"min_quantity": 60, "unit_price_usd": "6.00"},
                ],
                "on_hand": 90,
            }
        ],
    }
    response = client.post("/api/v1/merchant/products/", payload, content_type="application/json")
    assert response.status_code == 201, response.json()
    created = response.json()
    assert created["state"] == "draft" and created["skus"][0]["available"] == 90
    bad = {
        **payload,
        "skus": [
            {
                **payload["skus"][0],
                "code": "API-2",
                "tiers": [
                    {"min_quantity": 6, "unit_price_usd": "7.00"},
                    {"min_quantity": 60, "unit_price_usd": "8.00"},
                ],
            }
        ],
    }
    response = client.post("/api/v1/merchant/products/", bad, content_type="application/json")
    assert response.status_code == 400 and response.json()["code"] == "invalid_price_tiers"
    response = client.patch(
        f"/api/v1/merchant/products/{created['id']}/",
        {"hs_code": "99"},
        content_type="application/json",
    )
    assert response.status_code == 400 and "hs_code" in response.json()["fields"]
    response = client.patch(
        f"/api/v1/merchant/products/{created['id']}/",
        {"brand": "Great Lakes"},
        content_type="application/json",
    )
    assert response.json()["brand"] == "Great Lakes"
    stock = client.get("/api/v1/merchant/inventory/").json()["results"]
    assert {row["sku"]: row["available"] for row in stock}["API-1"] == 90


def test_api_viewer_cannot_write(client, maple):
    client.force_login(maple["viewer"])
    response = client.patch(
        f"/api/v1/merchant/products/{maple['draft'].pk}/",
        {"brand": "X"},
        content_type="application/json",
    )
    assert response.status_code == 403
