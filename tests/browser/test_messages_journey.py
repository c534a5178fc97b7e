"""A question and its answer, as people do it: a buyer in Hangzhou, on a phone and in Chinese,
asks the merchant from the product page; the merchant sees the unread count in its header,
reads the question (and that the buyer reads Chinese) and answers; the buyer reads the answer."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.deals.messaging import pair
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


def open_unread_conversation(page, link_name: str, *, expected: str, other_side: str) -> None:
    """From the home page, the header's messages link (with one unread) to the conversation."""
    page.goto("/")
    page.locator(".nav-toggle-button").click()
    messages_link = page.locator("#main-nav").get_by_role("link", name=link_name)
    expect(messages_link.locator(".nav-badge")).to_have_text("1")
    messages_link.click()
    page.locator(".thread-row a").first.click()
    expect(page.locator(".message-list")).to_contain_text(expected)
    expect(page.locator(".reads-language")).to_contain_text(other_side)


def write(page, text: str, button: str) -> None:
    page.locator("#id_body").fill(text)
    page.get_by_role("button", name=button).click()
    expect(page.locator(".message-list")).to_contain_text(text)


def test_ask_the_merchant_from_a_product_page_and_read_the_answer(page, login, snapshot):
    world = pair(buyer_language="zh-hans")
    page.set_viewport_size(PHONE)

    # The buyer asks from the product page, in Chinese.
    login(world.buyer_user.email, PASSWORD)
    page.goto(f"/catalog/products/{world.product.pk}/")
    page.get_by_role("link", name="联系商家").click()
    expect(page.locator("h1")).to_contain_text("Great Lakes Maple Co.")
    write(page, "请问可以发货到宁波吗？48瓶。", "发送")
    snapshot("1-asked-zh")

    # The merchant sees one unread conversation in its header and answers.
    login(world.merchant_user.email, PASSWORD)
    open_unread_conversation(
        page, "Messages", expected="请问可以发货到宁波吗？48瓶。", other_side="Simplified Chinese"
    )
    write(page, "Yes: FOB Chicago, about 30 days to Ningbo.", "Send")
    snapshot("2-answered")

    # The buyer reads the answer.
    login(world.buyer_user.email, PASSWORD)
    answer = "FOB Chicago, about 30 days to Ningbo."
    open_unread_conversation(page, "消息", expected=answer, other_side="Great Lakes Maple Co.")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the conversation is {width} px wide on a phone"
    snapshot("3-read-zh")
