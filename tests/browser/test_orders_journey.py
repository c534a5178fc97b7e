"""A Taobao Global buyer fills one cart from three US merchants and checks out; one merchant
accepts and ships its part; the buyer sees the status change on the purchase order."""

from __future__ import annotations

import re

import pytest
from django_scopes import scopes_disabled
from playwright.sync_api import expect

from network.models import Role
from orders.models import MerchantOrder, PurchaseOrder
from tests.factories import PASSWORD
from tests.orders.factories import buyer, merchant, sku

pytestmark = pytest.mark.browser


def _add_to_cart(page, item, quantity: int) -> None:
    """Order from the product page: through its add-to-cart form (orders/_add_to_cart.html)
    when the page shows it, else by posting that same form from this browser session."""
    page.goto(f"/catalog/products/{item.product_id}/")
    form = page.locator(f"form.add-to-cart[data-sku='{item.pk}']")
    if form.count():
        form.locator("input[name=quantity]").fill(str(quantity))
        form.get_by_role("button", name="Add to cart").click()
        expect(page.locator(".messages")).to_contain_text(f"{item.code}: {quantity} units")
        return
    token = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    response = page.request.post(
        "/orders/cart/add/",
        form={"sku": str(item.pk), "quantity": str(quantity), "next": "/orders/cart/"},
        headers={"X-CSRFToken": token, "Referer": page.url},
    )
    assert response.ok


def test_buyer_orders_from_three_merchants_and_follows_the_shipment(page, snapshot, login):
    maple, maple_owner = merchant(
        "Great Lakes Maple Co.", slug="great-lakes-maple-co", email="dana@greatlakesmaple.com"
    )
    cheese, cheese_owner = merchant("Driftless Cheese Makers")
    herbs, herbs_owner = merchant("Cascadia Botanicals")
    syrup = sku(maple, maple_owner, code="MAPLE-500")
    cheddar = sku(
        cheese,
        cheese_owner,
        code="CHEDDAR-2Y",
        title="Two-year aged cheddar",
        moq=6,
        tiers=((6, "11.00"), (24, "9.80")),
    )
    tea = sku(
        herbs,
        herbs_owner,
        code="TEA-MINT",
        title="Oregon peppermint tea",
        moq=10,
        case_pack=10,
        tiers=((10, "4.20"), (100, "3.60")),
    )
    store, wang = buyer(role=Role.OWNER, email="wang.li@westlake.example", full_name="Wang Li")

    login(wang.email, PASSWORD)
    _add_to_cart(page, syrup, 48)
    _add_to_cart(page, cheddar, 24)
    _add_to_cart(page, tea, 100)

    page.locator(".main-nav").get_by_role("link", name="Cart").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Cart")
    expect(page.locator(".merchant-group")).to_have_count(3)
    expect(page.locator("[data-merchant] h2")).to_have_text(
        ["Cascadia Botanicals", "Driftless Cheese Makers", "Great Lakes Maple Co."]
    )
    expect(page.locator("tr[data-sku='MAPLE-500']")).to_contain_text("save US$28.80")
    expect(page.locator("#cart-total")).to_have_text("US$974.40")
    snapshot("1-cart")
    page.get_by_role("link", name="Check out").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Checkout")
    page.get_by_label("Deliver to").select_option("bonded")
    page.get_by_label("Delivery location").fill("Ningbo Meishan bonded warehouse, Zone B")
    page.get_by_label("Incoterm").select_option("FOB")
    page.get_by_label("Payment terms").select_option("net30")
    page.get_by_label("Your PO reference").fill("WL-2026-0415")
    snapshot("2-checkout")
    page.get_by_role("button", name="Place purchase order").click()

    expect(page).to_have_url(re.compile(r"/orders/purchase-orders/PO[A-Z0-9]{8}/$"))
    expect(page.locator(".messages")).to_contain_text("placed")
    expect(page.locator("#po-status [data-status]")).to_have_text("Placed")
    expect(page.locator(".merchant-part")).to_have_count(3)
    snapshot("3-placed")
    with scopes_disabled():
        purchase_order = PurchaseOrder.objects.get()
        maple_part = MerchantOrder.objects.get(organization=maple)
    assert purchase_order.buyer_reference == "WL-2026-0415"

    login(maple_owner.email, PASSWORD)
    page.locator(".main-nav").get_by_role("link", name="Orders").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Incoming orders")
    page.get_by_role("link", name=maple_part.number).click()
    expect(page.locator("#mo-status [data-status]")).to_have_text("Awaiting acceptance")
    snapshot("4-incoming")
    page.get_by_role("button", name="Accept the whole order").click()
    expect(page.locator("#mo-status [data-status]")).to_have_text("Accepted")
    page.get_by_role("button", name="Mark as packed").click()
    expect(page.locator("#mo-status [data-status]")).to_have_text("Packed")
    page.get_by_label("Carrier").fill("Maersk")
    page.get_by_label("Tracking number").fill("1Z999AA10123456784")
    page.get_by_role("button", name="Mark as shipped").click()
    expect(page.locator("#mo-status [data-status]")).to_have_text("Shipped")
    snapshot("5-shipped")

    login(wang.email, PASSWORD)
    page.locator(".main-nav").get_by_role("link", name="Purchase orders").click()
    row = page.locator(f"tr[data-number='{purchase_order.number}']")
    expect(row.locator("td [data-status]").last).to_have_text("Partly accepted")
    row.get_by_role("link", name=purchase_order.number).click()
    maple_card = page.locator("[data-merchant='great-lakes-maple-co']")
    expect(maple_card.locator(".group-header [data-status]")).to_have_text("Shipped")
    expect(maple_card).to_contain_text("1Z999AA10123456784")
    expect(page.locator("#po-status [data-status]")).to_have_text("Partly accepted")
    snapshot("6-buyer-sees-shipment")
