"""A buyer asks at checkout, or through the API, for its order's goods to ship together; the
purchase order shows it."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from django_scopes import scopes_disabled

from orders.models import PurchaseOrder
from tests.orders.factories import buyer, merchant, sku

pytestmark = pytest.mark.django_db

CHECKOUT = {
    "delivery_type": "bonded",
    "delivery_location": "Ningbo Meishan bonded warehouse",
    "incoterm": "FOB",
    "payment_terms": "net30",
    "buyer_reference": "HZ-2026-001",
    "notes": "",
}


@pytest.fixture
def world():
    maple, owner = merchant("Great Lakes Maple Co.")
    syrup = sku(maple, owner, code="MAPLE-500")
    store, wang = buyer()
    return {"syrup": syrup, "store": store, "wang": wang}


def test_the_checkout_box_asks_for_the_goods_to_ship_together(client, world):
    client.force_login(world["wang"])
    client.post(reverse("orders:cart_add"), {"sku": world["syrup"].pk, "quantity": 48})
    page = client.get(reverse("orders:checkout")).content.decode()
    assert 'name="travel_together"' in page
    token = re.search(r'name="checkout_token" value="([0-9a-f-]{36})"', page).group(1)
    response = client.post(
        reverse("orders:checkout"),
        {**CHECKOUT, "checkout_token": token, "travel_together": "on"},
    )
    assert response.status_code == 302
    with scopes_disabled():
        purchase_order = PurchaseOrder.objects.get()
    assert purchase_order.travel_together
    detail = client.get(response.url).content.decode()
    assert 'id="travel-together"' in detail


def test_the_api_takes_and_shows_travel_together(client, world):
    client.force_login(world["wang"])
    body = {
        "lines": [{"sku_id": world["syrup"].pk, "quantity": 48}],
        "delivery_location": "Ningbo Meishan bonded warehouse",
        "travel_together": True,
    }
    response = client.post("/api/v1/orders/purchase-orders/", body, content_type="application/json")
    assert response.status_code == 201, response.json()
    assert response.json()["travel_together"] is True
    plain = client.post(
        "/api/v1/orders/purchase-orders/",
        {**body, "travel_together": False},
        content_type="application/json",
    )
    assert plain.json()["travel_together"] is False
