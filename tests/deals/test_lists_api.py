"""Buying again in the API: saved lists (create, save a SKU by code, rename, to the cart,
delete), quick order and reorder answer line by line; another buyer finds nothing."""

from __future__ import annotations

import pytest
from django_scopes import scopes_disabled

from catalog.models import ListingState, Product
from deals.models import SavedList
from network.models import Role
from orders.models import CartLine
from tests.deals.test_lists import cart_of, shop  # noqa: F401 - the fixture
from tests.deals.test_messages_api import key_client
from tests.orders.factories import buyer, place

pytestmark = pytest.mark.django_db


def test_saved_lists_through_the_api(shop):  # noqa: F811
    api = key_client(shop["store"], shop["wang"])
    created = api.post("/api/v1/deals/saved-lists/", {"name": "Spring"}, "application/json")
    assert created.status_code == 201, created.content
    list_id = created.json()["id"]
    saved = api.post(
        f"/api/v1/deals/saved-lists/{list_id}/items/",
        {"code": "MAPLE-500", "quantity": 48},
        "application/json",
    )
    assert saved.status_code == 201 and saved.json()["code"] == "MAPLE-500"
    api.post(
        f"/api/v1/deals/saved-lists/{list_id}/items/",
        {"sku": shop["candy"].pk, "quantity": 12},
        "application/json",
    )
    renamed = api.patch(
        f"/api/v1/deals/saved-lists/{list_id}/", {"name": "Spring 2027"}, "application/json"
    )
    assert renamed.json()["name"] == "Spring 2027" and len(renamed.json()["items"]) == 2
    duplicate = api.post("/api/v1/deals/saved-lists/", {"name": "spring 2027"}, "application/json")
    assert (duplicate.status_code, duplicate.json()["code"]) == (400, "saved_list_invalid")

    with scopes_disabled():
        Product.objects.filter(pk=shop["candy"].product_id).update(state=ListingState.PAUSED)
    outcomes = api.post(f"/api/v1/deals/saved-lists/{list_id}/cart/").json()
    assert [(o["code"], o["outcome"], o["quantity"]) for o in outcomes] == [
        ("MAPLE-500", "added", 48),
        ("CANDY-100", "unavailable", 0),
    ]
    assert cart_of(shop["store"]) == {"MAPLE-500": 48}

    other, li = buyer("Suzhou Lake Trading", Role.OWNER)
    outsider = key_client(other, li)
    assert outsider.get(f"/api/v1/deals/saved-lists/{list_id}/").status_code == 404
    assert outsider.delete(f"/api/v1/deals/saved-lists/{list_id}/").status_code == 404
    assert outsider.get("/api/v1/deals/saved-lists/").json() == []

    assert api.delete(f"/api/v1/deals/saved-lists/{list_id}/").status_code == 204
    with scopes_disabled():
        assert not SavedList.objects.exists()


def test_quick_order_and_reorder_through_the_api(shop):  # noqa: F811
    api = key_client(shop["store"], shop["wang"])
    answer = api.post(
        "/api/v1/deals/quick-order/",
        {"lines": "MAPLE-500,48\nNOPE,1\nCANDY-100,5"},
        "application/json",
    ).json()
    assert [(o["code"], o["outcome"]) for o in answer["outcomes"]] == [
        ("MAPLE-500", "added"),
        ("CANDY-100", "below_moq"),
    ]
    assert [p["line_number"] for p in answer["problems"]] == [2]
    empty = api.post("/api/v1/deals/quick-order/", {"lines": " \n "}, "application/json")
    assert empty.status_code == 400

    order = place(shop["store"], shop["wang"], [(shop["candy"], 12)])
    with scopes_disabled():
        CartLine.objects.all().delete()
    outcomes = api.post(f"/api/v1/deals/reorder/{order.number}/").json()
    assert [(o["code"], o["outcome"], o["quantity"]) for o in outcomes] == [
        ("CANDY-100", "added", 12)
    ]
    other, li = buyer("Suzhou Lake Trading", Role.OWNER)
    refused = key_client(other, li).post(f"/api/v1/deals/reorder/{order.number}/")
    assert (refused.status_code, refused.json()["code"]) == (404, "not_found")
