"""Quotations in the cart: an accepted quotation's tiers and MOQ replace the SKU's until it
expires (its case pack still applies); an expired quotation refuses checkout, naming the
line, and the buyer may go on at the list price."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from catalog.models import PriceList, PriceListEntry
from orders import services
from orders.errors import ProductUnavailable, QuantityNotAllowed, QuotationExpired
from orders.models import CartLine, PriceSource, PurchaseOrder, PurchaseOrderLine
from tests.orders.factories import (
    add_to_cart,
    buyer,
    check_out,
    fan_out,
    merchant,
    merchant_order_of,
    sku,
    stock,
)

pytestmark = pytest.mark.django_db

TIERS = [(100, Decimal("6.80")), (300, Decimal("6.40"))]


@pytest.fixture
def world():
    maple, owner = merchant("Great Lakes Maple Co.")
    store, wang = buyer()
    return {
        "maple": maple,
        "owner": owner,
        "store": store,
        "wang": wang,
        "syrup": sku(maple, owner, code="MAPLE-500"),
    }


def _add_quoted(world, quantity=120, *, until=None, moq=100, tiers=TIERS, number="QT-0001"):
    with scope(organization=world["store"]):
        return services.cart_add_quoted(
            organization=world["store"],
            sku_id=world["syrup"].pk,
            quantity=quantity,
            tiers=tiers,
            moq=moq,
            quotation_number=number,
            valid_until=until or timezone.now() + timedelta(days=7),
            acting_user=world["wang"],
        )


def test_the_quotation_replaces_the_list_price_line(world):
    add_to_cart(world["store"], world["wang"], world["syrup"], 12)
    _add_quoted(world, 120)
    with scopes_disabled():
        line = CartLine.objects.get()
    assert line.quantity == 120
    assert line.quotation_number == "QT-0001"
    assert line.quoted_moq == 100
    assert line.quoted_tiers == [[100, "6.80"], [300, "6.40"]]


def test_the_quotation_moq_and_the_case_pack_hold(world):
    with pytest.raises(QuantityNotAllowed, match="at quotation QT-0001 is 100 units"):
        _add_quoted(world, 96)
    with pytest.raises(QuantityNotAllowed, match="case packs of 6"):
        _add_quoted(world, 101)
    line = _add_quoted(world, 102)
    # Adding more keeps the quotation's terms: its MOQ, not the SKU's 12.
    add_to_cart(world["store"], world["wang"], world["syrup"], 6)
    with scopes_disabled():
        line.refresh_from_db()
    assert line.quantity == 108 and line.quotation_number == "QT-0001"


def test_an_expired_quotation_or_an_unavailable_sku_is_refused(world):
    with pytest.raises(QuotationExpired, match="QT-0001 expired"):
        _add_quoted(world, until=timezone.now() - timedelta(minutes=1))
    with pytest.raises(ProductUnavailable), scope(organization=world["store"]):
        services.cart_add_quoted(
            organization=world["store"],
            sku_id=999_999,
            quantity=120,
            tiers=TIERS,
            moq=100,
            quotation_number="QT-0002",
            valid_until=timezone.now() + timedelta(days=1),
            acting_user=world["wang"],
        )
    with scopes_disabled():
        assert not CartLine.objects.exists()


# --- At checkout -------------------------------------------------------------------------------


def _line_of(purchase_order):
    with scopes_disabled():
        return PurchaseOrderLine.objects.get(purchase_order=purchase_order)


def test_checkout_honours_the_quoted_tier_and_records_the_quotation(world):
    _add_quoted(world, 300)
    purchase_order = check_out(world["store"], world["wang"])
    line = _line_of(purchase_order)
    # The quotation's 300+ tier, not the public 144+ price of 7.25.
    assert line.unit_price_usd == Decimal("6.40")
    assert line.line_total_usd == Decimal("1920.00")
    assert (line.price_source, line.price_reference) == (PriceSource.QUOTATION, "QT-0001")
    assert not line.is_sample
    assert purchase_order.total_usd == Decimal("1920.00")
    with scopes_disabled():
        assert not CartLine.objects.exists()


def _price_list(world, discount="50"):
    with scopes_disabled():
        listed = PriceList.objects.create(
            organization=world["maple"],
            buyer=world["store"],
            name="Season 2027",
            discount_percent=Decimal(discount),
            valid_from=date(2026, 1, 1),
        )
        PriceListEntry.objects.create(
            organization=world["maple"],
            buyer=world["store"],
            price_list=listed,
            product_id=world["syrup"].product_id,
        )


def test_the_quotation_beats_a_cheaper_price_list(world):
    _price_list(world)
    _add_quoted(world, 120)
    line = _line_of(check_out(world["store"], world["wang"]))
    assert (line.unit_price_usd, line.price_source) == (Decimal("6.80"), PriceSource.QUOTATION)


def test_an_expired_quotation_refuses_checkout_naming_the_line_and_writes_nothing(world):
    line = _add_quoted(world, 120)
    add_to_cart(world["store"], world["wang"], world["syrup"], 6)
    with scopes_disabled():
        CartLine.objects.filter(pk=line.pk).update(
            quoted_until=timezone.now() - timedelta(minutes=1)
        )
    with pytest.raises(QuotationExpired) as refused:
        check_out(world["store"], world["wang"])
    assert refused.value.code == "quotation_expired"
    assert "MAPLE-500: quotation QT-0001 expired" in refused.value.message
    assert refused.value.details["lines"][0]["sku"] == world["syrup"].pk
    assert refused.value.details["lines"][0]["quotation"] == "QT-0001"
    with scopes_disabled():
        assert not PurchaseOrder.objects.exists()
        assert CartLine.objects.get().quantity == 126
    assert stock(world["syrup"]).reserved == 0


def test_the_cart_shows_the_expiry_and_goes_on_at_the_list_price(client, world):
    line = _add_quoted(world, 120)
    client.force_login(world["wang"])
    page = client.get(reverse("orders:cart")).content.decode()
    assert "Quotation QT-0001" in page and "US$6.80" in page
    with scopes_disabled():
        CartLine.objects.filter(pk=line.pk).update(
            quoted_until=timezone.now() - timedelta(minutes=1)
        )
    response = client.get(reverse("orders:cart"))
    page = response.content.decode()
    assert "MAPLE-500: quotation QT-0001 expired" in page
    assert "Go on at the list price" in page
    assert not response.context["cart"].can_check_out
    client.post(reverse("orders:cart_line_list_price", args=[line.pk]))
    response = client.get(reverse("orders:cart"))
    assert response.context["cart"].can_check_out
    item = response.context["cart"].groups[0].items[0]
    # 120 units at the public 48+ tier.
    assert (item.unit_price, item.price_source) == (Decimal("7.90"), PriceSource.TIERS)
    purchase_order = check_out(world["store"], world["wang"])
    assert _line_of(purchase_order).price_reference == ""


def test_the_checkout_page_says_which_line_expired(client, world):
    line = _add_quoted(world, 120)
    with scopes_disabled():
        CartLine.objects.filter(pk=line.pk).update(
            quoted_until=timezone.now() - timedelta(minutes=1)
        )
    client.force_login(world["wang"])
    response = client.post(
        reverse("orders:checkout"),
        {
            "checkout_token": "6f1c1f9e-8f1e-4a53-9a63-0d1e1b1d2c3a",
            "delivery_type": "bonded",
            "delivery_location": "Ningbo Meishan bonded warehouse",
            "incoterm": "FOB",
            "payment_terms": "net30",
        },
    )
    assert response.status_code == 200
    assert "MAPLE-500: quotation QT-0001 expired" in response.content.decode()
    with scopes_disabled():
        assert not PurchaseOrder.objects.exists()


def test_the_order_pages_and_the_api_name_the_quotation(client, world):
    _add_quoted(world, 120)
    purchase_order = check_out(world["store"], world["wang"])
    fan_out(purchase_order)
    client.force_login(world["wang"])
    for name in ("orders:purchase_order_detail", "orders:purchase_order_print"):
        page = client.get(reverse(name, args=[purchase_order.number])).content.decode()
        assert "Quotation QT-0001" in page
    merchant_order = merchant_order_of(purchase_order, world["maple"])
    client.force_login(world["owner"])
    page = client.get(
        reverse("orders:merchant_order_detail", args=[merchant_order.number])
    ).content.decode()
    assert "Quotation QT-0001" in page
    client.force_login(world["wang"])
    body = client.get(f"/api/v1/orders/purchase-orders/{purchase_order.number}/").json()
    assert body["lines"][0]["price_source"] == "quotation"
    assert body["lines"][0]["price_reference"] == "QT-0001"
    assert body["lines"][0]["is_sample"] is False


def test_the_price_list_beats_the_tiers_at_checkout_and_in_the_cart(client, world):
    _price_list(world, discount="10")
    add_to_cart(world["store"], world["wang"], world["syrup"], 48)
    client.force_login(world["wang"])
    response = client.get(reverse("orders:cart"))
    item = response.context["cart"].groups[0].items[0]
    # 10 % off the 48+ tier of 7.90: 7.11.
    assert (item.unit_price, item.price_source) == (Decimal("7.11"), PriceSource.PRICE_LIST)
    assert "Price list: Season 2027" in response.content.decode()
    line = _line_of(check_out(world["store"], world["wang"]))
    assert (line.unit_price_usd, line.price_source, line.price_reference) == (
        Decimal("7.11"),
        PriceSource.PRICE_LIST,
        "Season 2027",
    )
