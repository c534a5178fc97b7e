"""On a phone, in Chinese: a cart holding a sample, a line at an accepted quotation that has
expired and a line at the buyer's price list says which is which, gives the totals in CNY, fits
the screen, lets the buyer go on at the list price, and the placed order marks the sample."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.conf import settings as django_settings
from django.utils import timezone
from django_scopes import scopes_disabled
from playwright.sync_api import expect

from catalog.models import SKU, PriceList, PriceListEntry
from network.models import ExchangeRate, Role
from orders.models import CartLine, PurchaseOrder
from tests.browser.test_phone_layout import PHONE, _overflow
from tests.factories import PASSWORD
from tests.orders.factories import add_to_cart, buyer, merchant, sku

pytestmark = pytest.mark.browser


def _cart(store, wang):
    maple, owner = merchant("Great Lakes Maple Co.")
    syrup = sku(maple, owner, code="MAPLE-500")
    candy = sku(maple, owner, code="MAPLE-CANDY", title="Maple Candy")
    butter = sku(maple, owner, code="MAPLE-BUTTER", title="Maple Butter")
    ExchangeRate.objects.create(rate=Decimal("7.10"), effective_date=date(2026, 1, 1))
    with scopes_disabled():
        SKU.objects.filter(pk=candy.pk).update(sample_price_usd=Decimal("4.00"))
        listed = PriceList.objects.create(
            organization=maple,
            buyer=store,
            name="Westlake 2027",
            discount_percent=Decimal("10"),
            valid_from=date(2026, 1, 1),
        )
        PriceListEntry.objects.create(
            organization=maple, buyer=store, price_list=listed, product_id=butter.product_id
        )
    add_to_cart(store, wang, butter, 12)
    add_to_cart(store, wang, syrup, 48)
    with scopes_disabled():
        cart = CartLine.objects.get(sku=syrup).cart
        CartLine.objects.filter(sku=syrup).update(
            quoted_tiers=[[48, "6.90"]],
            quoted_moq=48,
            quotation_number="QT-7A2B",
            quoted_until=timezone.now() - timedelta(hours=1),
        )
        CartLine.objects.create(
            organization=store, cart=cart, sku=candy, quantity=1, is_sample=True, added_by=wang
        )


def test_the_cart_says_where_each_price_comes_from_and_checks_out(
    page, live_server, login, snapshot
):
    store, wang = buyer(role=Role.OWNER, email="wang.li@westlake.example", full_name="Wang Li")
    _cart(store, wang)
    page.set_viewport_size(PHONE)
    login(wang.email, PASSWORD)
    page.context.add_cookies(
        [{"name": django_settings.LANGUAGE_COOKIE_NAME, "value": "zh-hans", "url": live_server.url}]
    )
    page.goto("/orders/cart/")
    expect(page.locator("tr[data-sku=MAPLE-CANDY] .sample-badge")).to_have_text("样品")
    expect(page.locator("tr[data-sku=MAPLE-BUTTER] .price-source")).to_have_text(
        "价目表：Westlake 2027"
    )
    expired = page.locator("tr[data-sku=MAPLE-500]")
    expect(expired.locator(".line-issue")).to_contain_text("报价 QT-7A2B 已于")
    expect(page.locator(".cny-totals .total-cny")).to_contain_text("¥")
    assert _overflow(page) is None, _overflow(page)
    snapshot("cart-zh-hans")
    expired.get_by_role("button", name="按标价继续").click()
    expect(page.locator("tr[data-sku=MAPLE-500] .line-issue")).to_have_count(0)
    page.get_by_role("link", name="去结算").click()
    page.locator("#id_delivery_location").fill("宁波梅山保税仓")
    assert _overflow(page) is None, _overflow(page)
    page.get_by_role("button", name="提交采购订单").click()
    expect(page.locator("h1")).to_contain_text("PO")
    expect(page.locator("[data-line] .sample-badge")).to_have_text("样品")
    expect(page.locator("#po-total-cny")).to_contain_text("¥")
    assert _overflow(page) is None, _overflow(page)
    snapshot("purchase-order-zh-hans")
    with scopes_disabled():
        purchase_order = PurchaseOrder.objects.get()
    # 48 × 7.90 (the list price again) + 12 × 7.65 (10 % off 8.50) + one sample at 4.00.
    assert purchase_order.total_usd == Decimal("379.20") + Decimal("91.80") + Decimal("4.00")
    assert purchase_order.usd_cny_rate == Decimal("7.10")
