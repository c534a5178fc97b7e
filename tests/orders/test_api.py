"""API under /api/v1/orders/: buyers place (idempotently) and read purchase orders, merchants
read and work their merchant orders; outsiders get 404; keys need the orders scopes; list
endpoints read a fixed number of queries."""

from __future__ import annotations

import pytest
from django_scopes import scopes_disabled

from network import services as network_services
from network.models import Role
from orders.models import PurchaseOrder
from tests.factories import member
from tests.orders.factories import buyer, fan_out, merchant, merchant_order_of, place, sku, stock

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    maple, maple_owner = merchant("Great Lakes Maple Co.")
    cheese, cheese_owner = merchant("Driftless Cheese Makers")
    syrup = sku(maple, maple_owner, code="MAPLE-500")
    cheddar = sku(
        cheese, cheese_owner, code="CHEDDAR", title="Aged cheddar", moq=6, tiers=((6, "9.00"),)
    )
    store, wang = buyer(role=Role.OWNER)
    return locals()


def _body(world, **extra):
    return {
        "lines": [
            {"sku_id": world["syrup"].pk, "quantity": 48},
            {"sku_id": world["cheddar"].pk, "quantity": 12},
        ],
        "delivery_type": "bonded",
        "delivery_location": "Ningbo Meishan bonded warehouse",
        "incoterm": "CIF",
        "payment_terms": "net60",
        "buyer_reference": "HZ-API-7",
        **extra,
    }


def test_place_with_an_idempotency_key_replays_the_same_order(client, world):
    client.force_login(world["wang"])
    url = "/api/v1/orders/purchase-orders/"
    first = client.post(
        url, _body(world), content_type="application/json", HTTP_IDEMPOTENCY_KEY="k-1"
    )
    again = client.post(
        url, _body(world), content_type="application/json", HTTP_IDEMPOTENCY_KEY="k-1"
    )
    other = client.post(
        url,
        _body(world, notes="changed"),
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="k-1",
    )
    assert first.status_code == 201, first.json()
    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert again.json()["number"] == first.json()["number"]
    assert other.status_code == 422
    data = first.json()
    assert data["total_usd"] == "487.20" and data["incoterm"] == "CIF"
    assert [line["sku"] for line in data["lines"]] == ["MAPLE-500", "CHEDDAR"]
    with scopes_disabled():
        assert PurchaseOrder.objects.count() == 1
    assert stock(world["syrup"]).reserved == 48


def test_short_stock_is_a_409_with_a_code_and_writes_nothing(client, world):
    client.force_login(world["wang"])
    body = _body(world)
    body["lines"][0]["quantity"] = 600
    response = client.post("/api/v1/orders/purchase-orders/", body, content_type="application/json")
    assert response.status_code == 409
    assert response.json()["code"] == "insufficient_stock"
    assert "MAPLE-500: you asked for 600 units, 500 are available." in response.json()["message"]
    with scopes_disabled():
        assert not PurchaseOrder.objects.exists()
    body["lines"][0]["quantity"] = 7
    response = client.post("/api/v1/orders/purchase-orders/", body, content_type="application/json")
    assert response.status_code == 400 and response.json()["code"] == "quantity_not_allowed"


def test_buyers_never_see_each_others_orders(client, world):
    purchase_order = place(world["store"], world["wang"], [(world["syrup"], 12)])
    other_store, li = buyer("Shenzhen Bay Imports")
    client.force_login(li)
    assert client.get("/api/v1/orders/purchase-orders/").json()["results"] == []
    url = f"/api/v1/orders/purchase-orders/{purchase_order.number}/"
    assert client.get(url).status_code == 404
    assert client.post(url + "cancel/", {}, content_type="application/json").status_code == 404
    teammate = member(world["store"], Role.VIEWER)
    client.force_login(teammate)
    assert client.get(url).json()["number"] == purchase_order.number
    assert client.post(url + "cancel/", {}, content_type="application/json").status_code == 403


def test_merchant_reads_only_its_lines_and_works_the_order(client, world):
    purchase_order = place(
        world["store"], world["wang"], [(world["syrup"], 48), (world["cheddar"], 12)]
    )
    fan_out(purchase_order)
    maple_part = merchant_order_of(purchase_order, world["maple"])
    cheese_part = merchant_order_of(purchase_order, world["cheese"])
    client.force_login(world["maple_owner"])
    listing = client.get("/api/v1/orders/merchant-orders/").json()["results"]
    assert [row["number"] for row in listing] == [maple_part.number]
    detail = client.get(f"/api/v1/orders/merchant-orders/{maple_part.number}/").json()
    assert [line["sku"] for line in detail["lines"]] == ["MAPLE-500"]
    assert client.get(f"/api/v1/orders/merchant-orders/{cheese_part.number}/").status_code == 404
    base = f"/api/v1/orders/merchant-orders/{maple_part.number}/"
    assert client.post(base + "pack/").json()["code"] == "illegal_transition"
    assert (
        client.post(base + "accept/", {}, content_type="application/json").json()["status"]
        == "accepted"
    )
    client.post(base + "pack/")
    refused = client.post(
        base + "ship/",
        {"carrier_name": "CMA CGM", "booking_reference": "CMAU8812", "tracking_number": ""},
        content_type="application/json",
    )
    assert refused.status_code == 400 and refused.json()["code"] == "unknown_booking"
    assert "CMAU8812 is not one of your bookings" in refused.json()["message"]
    shipped = client.post(
        base + "ship/",
        {"carrier_name": "CMA CGM", "tracking_number": "CMAU8812345"},
        content_type="application/json",
    ).json()
    assert shipped["status"] == "shipped" and shipped["tracking_number"] == "CMAU8812345"
    client.force_login(world["wang"])
    seen = client.get(f"/api/v1/orders/purchase-orders/{purchase_order.number}/").json()
    assert {mo["merchant"]: mo["status"] for mo in seen["merchant_orders"]} == {
        "Great Lakes Maple Co.": "shipped",
        "Driftless Cheese Makers": "pending",
    }
    assert seen["status"] == "partly_accepted"


def test_api_keys_need_the_orders_scopes(client, world):
    place(world["store"], world["wang"], [(world["syrup"], 12)])
    _key, catalogue_only = network_services.api_key_create(
        organization=world["store"], name="ERP", scopes=["catalog:read"], acting_user=world["wang"]
    )
    _key, readonly = network_services.api_key_create(
        organization=world["store"], name="BI", scopes=["orders:read"], acting_user=world["wang"]
    )
    url = "/api/v1/orders/purchase-orders/"
    assert client.get(url, HTTP_AUTHORIZATION=f"Bearer {catalogue_only}").status_code == 403
    assert client.get(url, HTTP_AUTHORIZATION=f"Bearer {readonly}").status_code == 200
    response = client.post(
        url, _body(world), content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {readonly}"
    )
    assert response.status_code == 403


def test_list_endpoints_read_a_fixed_number_of_queries(client, world, django_assert_num_queries):
    def order():
        purchase_order = place(
            world["store"], world["wang"], [(world["syrup"], 12), (world["cheddar"], 6)]
        )
        fan_out(purchase_order)

    order()
    client.force_login(world["wang"])
    client.get("/api/v1/orders/purchase-orders/")
    # session, user, memberships, page of orders (line counts), merchant orders with merchants
    with django_assert_num_queries(5):
        client.get("/api/v1/orders/purchase-orders/")
    client.force_login(world["maple_owner"])
    client.get("/api/v1/orders/merchant-orders/")
    # session, user, memberships, page of merchant orders with buyer and purchase order
    with django_assert_num_queries(4):
        client.get("/api/v1/orders/merchant-orders/")
    for _ in range(3):
        order()
    with django_assert_num_queries(4):
        assert len(client.get("/api/v1/orders/merchant-orders/").json()["results"]) == 4
    client.force_login(world["wang"])
    client.get("/api/v1/orders/purchase-orders/")  # the session remembers the organisation
    with django_assert_num_queries(5):
        assert len(client.get("/api/v1/orders/purchase-orders/").json()["results"]) == 4
