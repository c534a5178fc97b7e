"""Samples: a SKU's sample units at its sample price, outside its MOQ and case pack, within its
limit per buyer counting the samples already ordered, and marked as samples everywhere."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse
from django_scopes import scope, scopes_disabled

from catalog.models import SKU
from orders import services
from orders.errors import MinimumOrderNotMet, SampleLimitReached, SampleNotOffered
from orders.models import CartLine, MerchantOrderSettings, PriceSource, PurchaseOrderLine
from tests.orders.factories import (
    add_to_cart,
    buyer,
    check_out,
    checkout,
    fan_out,
    merchant,
    merchant_order_of,
    sku,
    stock,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    maple, owner = merchant("Great Lakes Maple Co.")
    store, wang = buyer()
    syrup = sku(maple, owner, code="MAPLE-500")
    with scopes_disabled():
        SKU.objects.filter(pk=syrup.pk).update(
            sample_price_usd=Decimal("12.00"), sample_limit_per_buyer=2
        )
        syrup.refresh_from_db()
    return {"maple": maple, "owner": owner, "store": store, "wang": wang, "syrup": syrup}


def _add_sample(world, quantity, sku_obj=None):
    with scope(organization=world["store"]):
        return services.cart_add_sample(
            organization=world["store"],
            sku_id=(sku_obj or world["syrup"]).pk,
            quantity=quantity,
            acting_user=world["wang"],
        )


def test_a_sample_skips_moq_and_case_pack_and_sits_beside_the_case_line(world):
    line = _add_sample(world, 1)
    assert line.is_sample and line.quantity == 1
    add_to_cart(world["store"], world["wang"], world["syrup"], 12)
    with scopes_disabled():
        assert sorted(CartLine.objects.values_list("is_sample", "quantity")) == [
            (False, 12),
            (True, 1),
        ]


def test_the_limit_per_buyer_holds_across_adds(world):
    _add_sample(world, 2)
    with pytest.raises(SampleLimitReached, match="at most 2 sample units per buyer"):
        _add_sample(world, 1)
    with scopes_disabled():
        assert CartLine.objects.get().quantity == 2


def test_a_sku_without_a_sample_price_refuses(world):
    plain = sku(world["maple"], world["owner"], code="PLAIN-1", title="Maple Candy")
    with pytest.raises(SampleNotOffered, match="PLAIN-1 is not offered as a sample"):
        _add_sample(world, 1, plain)


def test_the_product_page_form_posts_sample_1_to_the_cart(client, world):
    client.force_login(world["wang"])
    response = client.post(
        reverse("orders:cart_add"), {"sku": world["syrup"].pk, "quantity": 1, "sample": "1"}
    )
    assert response.status_code == 302
    page = client.get(reverse("orders:cart")).content.decode()
    assert "MAPLE-500: 1 sample units in your cart." in page
    with scopes_disabled():
        line = CartLine.objects.get()
    assert line.is_sample
    response = client.post(
        reverse("orders:cart_add"), {"sku": world["syrup"].pk, "quantity": 5, "sample": "1"}
    )
    page = client.get(reverse("orders:cart")).content.decode()
    assert "at most 2 sample units per buyer" in page


# --- At checkout -------------------------------------------------------------------------------


def _lines(purchase_order):
    with scopes_disabled():
        return list(
            PurchaseOrderLine.objects.filter(purchase_order=purchase_order).order_by("is_sample")
        )


def test_a_sample_is_ordered_at_its_price_beside_cases_of_the_same_sku(world):
    _add_sample(world, 1)
    add_to_cart(world["store"], world["wang"], world["syrup"], 48)
    purchase_order = check_out(world["store"], world["wang"])
    cases, sample = _lines(purchase_order)
    assert (cases.quantity, cases.unit_price_usd, cases.is_sample) == (48, Decimal("7.90"), False)
    assert (sample.quantity, sample.unit_price_usd, sample.line_total_usd) == (
        1,
        Decimal("12.00"),
        Decimal("12.00"),
    )
    assert sample.is_sample and sample.price_source == PriceSource.SAMPLE
    assert purchase_order.total_usd == Decimal("379.20") + Decimal("12.00")
    # One stock row for both lines: 49 units held.
    assert stock(world["syrup"]).reserved == 49


def test_samples_only_are_exempt_from_the_minimum_order_value(world):
    with scopes_disabled():
        MerchantOrderSettings.objects.create(
            organization=world["maple"], minimum_order_value_usd=Decimal("500")
        )
    _add_sample(world, 2)
    purchase_order = check_out(world["store"], world["wang"])
    assert purchase_order.total_usd == Decimal("24.00")
    # With cases in the order, the minimum counts again.
    add_to_cart(world["store"], world["wang"], world["syrup"], 12)
    with pytest.raises(MinimumOrderNotMet):
        check_out(world["store"], world["wang"])


def test_the_limit_counts_samples_already_ordered_until_cancelled(world):
    _add_sample(world, 2)
    first = check_out(world["store"], world["wang"])
    with pytest.raises(SampleLimitReached, match="you have ordered 2"):
        _add_sample(world, 1)
    with scope(organization=world["store"]), pytest.raises(SampleLimitReached):
        services.purchase_order_place(
            organization=world["store"],
            items=[services.OrderItem(sku_id=world["syrup"].pk, quantity=1, is_sample=True)],
            checkout=checkout(),
            idempotency_key="again",
            acting_user=world["wang"],
        )
    with scope(organization=world["store"]):
        services.purchase_order_cancel(
            purchase_order=first, reason="Wrong flavour", acting_user=world["wang"]
        )
    assert _add_sample(world, 2).quantity == 2


def test_the_sample_is_marked_on_every_order_page_and_in_the_api(client, world):
    _add_sample(world, 1)
    client.force_login(world["wang"])
    assert "Sample" in client.get(reverse("orders:cart")).content.decode()
    assert "Sample" in client.get(reverse("orders:checkout")).content.decode()
    purchase_order = check_out(world["store"], world["wang"])
    fan_out(purchase_order)
    for name in ("orders:purchase_order_detail", "orders:purchase_order_print"):
        page = client.get(reverse(name, args=[purchase_order.number])).content.decode()
        assert 'class="badge warn sample-badge">Sample</span>' in page
    body = client.get(f"/api/v1/orders/purchase-orders/{purchase_order.number}/").json()
    assert (body["lines"][0]["is_sample"], body["lines"][0]["price_source"]) == (True, "sample")
    client.force_login(world["owner"])
    merchant_order = merchant_order_of(purchase_order, world["maple"])
    page = client.get(
        reverse("orders:merchant_order_detail", args=[merchant_order.number])
    ).content.decode()
    assert 'class="badge warn sample-badge">Sample</span>' in page
    body = client.get(f"/api/v1/orders/merchant-orders/{merchant_order.number}/").json()
    assert body["lines"][0]["is_sample"] is True


def test_the_api_places_a_sample(client, world):
    client.force_login(world["wang"])
    response = client.post(
        "/api/v1/orders/purchase-orders/",
        {
            "lines": [{"sku_id": world["syrup"].pk, "quantity": 1, "sample": True}],
            "delivery_location": "Ningbo Meishan bonded warehouse",
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["lines"][0]["unit_price_usd"] == "12.00"
    response = client.post(
        "/api/v1/orders/purchase-orders/",
        {
            "lines": [{"sku_id": world["syrup"].pk, "quantity": 2, "sample": True}],
            "delivery_location": "Ningbo Meishan bonded warehouse",
        },
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "sample_limit_reached"
