"""Requests for quotation in the browser: a buyer in Hangzhou, on a phone and in Chinese, asks
for a quotation on 240 bottles of maple syrup; two US merchants quote; the buyer compares the
two side by side, accepts the cheaper one, checks out, and the purchase order charges the
quoted price; then the buyer asks the chosen merchant a question from the comparison and reads
its answer."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django_scopes import scopes_disabled
from playwright.sync_api import expect

from catalog.models import Category
from deals.models import Quotation, QuotationRequest
from orders.models import PurchaseOrderLine
from tests.deals.quotation_world import world
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def fits_the_phone(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} is {width} px wide on a phone"


def quote(page, login, user, rfq_number: str, sku_id: int, price: str) -> None:
    login(user.email, PASSWORD)
    page.locator(".main-nav").get_by_role("link", name="Quotations").click()
    page.get_by_role("link", name=rfq_number).click()
    page.get_by_role("link", name="Send a quotation").click()
    page.locator("select[name=lines-0-sku]").select_option(str(sku_id))
    page.locator("input[name=lines-0-quantity]").fill("240")
    page.locator("input[name=lines-0-tier_1_quantity]").fill("96")
    page.locator("input[name=lines-0-tier_1_price]").fill(price)
    page.get_by_label("Minimum order quantity").fill("96")
    page.get_by_label("Lead time (days)").fill("14")
    page.get_by_role("button", name="Send the quotation").click()
    expect(page.locator(".messages")).to_contain_text("sent to Hangzhou Westlake Global Store")
    expect(page.locator(".compare-table")).to_contain_text(f"US${price}")


def test_request_two_quotations_accept_the_cheaper_and_check_out_at_its_price(
    page, login, snapshot
):
    w = world(buyer_language="zh-hans")
    category = Category.objects.get(slug="maple-syrup")

    # The buyer asks, on a phone, in Chinese.
    page.set_viewport_size(PHONE)
    login(w.buyer_user.email, PASSWORD)
    page.goto("/deals/quotations/new/")
    expect(page.get_by_role("heading", level=1)).to_have_text("发起询价")
    page.locator("#id_title").fill("枫糖浆 500 毫升玻璃瓶，春季备货")
    page.locator("#id_category").select_option(str(category.pk))
    page.locator("#id_quantity").fill("240")
    page.locator("#id_incoterm").select_option("FOB")
    fits_the_phone(page)
    snapshot("1-request-zh")
    page.get_by_role("button", name="发送询价").click()
    expect(page).to_have_url(re.compile(r"/deals/quotations/RFQ[A-Z0-9]{10}/$"))
    expect(page.locator(".messages")).to_contain_text("已发送")
    with scopes_disabled():
        rfq = QuotationRequest.objects.get()

    # Two merchants of the category quote, on their desks, in English.
    page.set_viewport_size(DESKTOP)
    quote(page, login, w.maple_user, rfq.number, w.maple_sku.pk, "7.20")
    quote(page, login, w.sugar_user, rfq.number, w.sugar_sku.pk, "6.90")
    # Each merchant sees its own quotation only.
    expect(page.locator(".compare-table")).not_to_contain_text("Great Lakes Maple Co.")
    with scopes_disabled():
        cheaper = Quotation.objects.get(merchant=w.sugar)

    # The buyer compares them side by side and accepts the cheaper.
    page.set_viewport_size(PHONE)
    login(w.buyer_user.email, PASSWORD)
    page.goto(f"/deals/quotations/{rfq.number}/")
    table = page.locator(".compare-table")
    expect(table).to_contain_text("Great Lakes Maple Co.")
    expect(table).to_contain_text("Vermont Sugarhouse")
    expect(table.locator("[data-total='1656.00']")).to_contain_text("最低")
    fits_the_phone(page)
    snapshot("2-compare-zh")
    page.locator(f"[data-accept='{cheaper.number}']").click()
    expect(page).to_have_url(re.compile(r"/orders/cart/$"))
    expect(page.locator(".messages")).to_contain_text(cheaper.number)
    expect(page.locator("main")).to_contain_text(f"报价 {cheaper.number}")
    snapshot("3-cart-zh")

    # Check out: the purchase order charges the quoted US$6.90 a bottle.
    page.goto("/orders/checkout/")
    page.locator("select[name=delivery_type]").select_option("bonded")
    page.locator("[name=delivery_location]").fill("宁波梅山保税仓 B 区")
    page.locator("select[name=incoterm]").select_option("FOB")
    page.locator("select[name=payment_terms]").select_option("net30")
    page.locator("form.checkout-form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/orders/purchase-orders/PO[A-Z0-9]{8}/$"))
    expect(page.locator("[data-source=quotation]").first).to_contain_text(cheaper.number)
    expect(page.locator("main")).to_contain_text("US$6.90")
    fits_the_phone(page)
    snapshot("4-purchase-order-zh")
    with scopes_disabled():
        line = PurchaseOrderLine.objects.get()
        rfq.refresh_from_db()
    assert line.unit_price_usd == Decimal("6.90") and line.quantity == 240
    assert line.price_reference == cheaper.number
    assert rfq.status == "awarded"

    # The buyer asks the chosen merchant a question from the comparison.
    question = "请问瓶身标签可以印中文吗？"
    page.goto(f"/deals/quotations/{rfq.number}/")
    page.locator(f"[data-ask='{cheaper.number}']").click()
    expect(page.locator("h1")).to_contain_text("Vermont Sugarhouse")
    page.locator("#id_body").fill(question)
    page.get_by_role("button", name="发送").click()
    expect(page.locator(".message-list")).to_contain_text(question)

    # The merchant sees the unread conversation in its header and answers, on its desk.
    answer = "Yes: labels in Chinese at no extra cost, printed before packing."
    page.set_viewport_size(DESKTOP)
    login(w.sugar_user.email, PASSWORD)
    messages_link = page.locator(".main-nav").get_by_role("link", name="Messages")
    expect(messages_link.locator(".nav-badge")).to_have_text("1")
    messages_link.click()
    page.locator(".thread-row a").first.click()
    expect(page.locator(".message-list")).to_contain_text(question)
    expect(page.locator("main")).to_contain_text(rfq.number)
    page.locator("#id_body").fill(answer)
    page.get_by_role("button", name="Send").click()
    expect(page.locator(".message-list")).to_contain_text(answer)

    # The buyer reads the answer on the phone, in Chinese.
    page.set_viewport_size(PHONE)
    login(w.buyer_user.email, PASSWORD)
    page.goto("/")
    page.locator(".nav-toggle-button").click()
    messages_link = page.locator("#main-nav").get_by_role("link", name="消息")
    expect(messages_link.locator(".nav-badge")).to_have_text("1")
    messages_link.click()
    page.locator(".thread-row a").first.click()
    expect(page.locator(".message-list")).to_contain_text(answer)
    fits_the_phone(page)
    snapshot("5-answer-zh")
