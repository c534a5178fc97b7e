"""A quantity beyond what the form's field accepts is answered like any quantity above the
stock: the buyer learns how many units are in stock, in their language, and nothing is added.

People: a buyer (Hangzhou Westlake Global Store) ordering from a maple syrup merchant."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django_scopes import scopes_disabled

from catalog.models import Inventory
from orders.models import CartLine
from tests.orders.factories import buyer, merchant, sku

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    maple, maple_owner = merchant("Great Lakes Maple Co.")
    syrup = sku(maple, maple_owner, code="MAPLE-500")  # 500 in stock, cases of 6, MOQ 12
    store, wang = buyer()
    return {"syrup": syrup, "store": store, "wang": wang}


def cart_lines(store) -> list[tuple[str, int]]:
    with scopes_disabled():
        return list(
            CartLine.objects.filter(organization=store).values_list("sku__code", "quantity")
        )


def test_a_huge_quantity_says_how_many_are_in_stock(client, world):
    client.force_login(world["wang"])
    add = reverse("orders:cart_add")
    response = client.post(add, {"sku": world["syrup"].pk, "quantity": 99999999}, follow=True)
    page = response.content.decode()
    assert "Only 500 units of MAPLE-500 are in stock; you asked for 99999999." in page
    assert "Enter a quantity in units." not in page
    # Above the stock but not whole cases: the stock is what the buyer needs to know.
    page = client.post(add, {"sku": world["syrup"].pk, "quantity": 601}, follow=True)
    assert "Only 500 units of MAPLE-500 are in stock; you asked for 601." in page.content.decode()
    assert cart_lines(world["store"]) == []
    # Not a number at all: asked for a quantity.
    page = client.post(add, {"sku": world["syrup"].pk, "quantity": "lots"}, follow=True)
    assert "Enter a quantity in units." in page.content.decode()


def test_a_huge_quantity_in_the_cart_says_how_many_are_in_stock(client, world):
    client.force_login(world["wang"])
    client.post(reverse("orders:cart_add"), {"sku": world["syrup"].pk, "quantity": 48})
    with scopes_disabled():
        line = CartLine.objects.get(organization=world["store"])
    response = client.post(
        reverse("orders:cart_line_update", args=[line.pk]), {"quantity": 99999999}, follow=True
    )
    assert (
        "Only 500 units of MAPLE-500 are in stock; you asked for 99999999."
        in response.content.decode()
    )
    assert cart_lines(world["store"]) == [("MAPLE-500", 48)]


def test_the_message_is_in_the_buyers_language(client, world):
    client.force_login(world["wang"])
    client.cookies["network_language"] = "zh-hans"
    response = client.post(
        reverse("orders:cart_add"),
        {"sku": world["syrup"].pk, "quantity": 99999999},
        follow=True,
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert "MAPLE-500 仅有 500 件库存；您要求 99999999 件。" in response.content.decode()


def test_with_more_in_stock_than_a_line_may_hold_the_bound_is_named(client, world):
    with scopes_disabled():
        Inventory.objects.filter(sku=world["syrup"]).update(on_hand=20_000_000)
    client.force_login(world["wang"])
    response = client.post(
        reverse("orders:cart_add"), {"sku": world["syrup"].pk, "quantity": 99999999}, follow=True
    )
    assert "Order at most 10000000 units of MAPLE-500 at a time." in response.content.decode()
    assert cart_lines(world["store"]) == []
