"""/api/v1/shipping/shipments/: a merchant's key plans (idempotently), reads, dispatches and
cancels shipments; a buyer's key with orders:read reads its own orders' shipments only;
another merchant and another buyer get 404; the list's queries do not grow with its rows."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django_scopes import scopes_disabled

from network import services as network_services
from network.models import Role
from orders.models import MerchantOrder
from shipping.models import Shipment, ShipmentStatus
from shipping.services.shipments import shipment_create
from tests.factories import member
from tests.orders.factories import buyer, merchant
from tests.shipping.shipment_world import (
    build_world,
    network_operator,
    own_booking,
    packed_order,
    shared_container,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(db):
    return build_world()


def _key(organization, user, scopes) -> dict:
    _api_key, raw = network_services.api_key_create(
        organization=organization, name="ERP", scopes=scopes, acting_user=user
    )
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def _merchant_key(world, scopes=("bookings:read", "bookings:write")):
    return _key(world.maple, world.owner, list(scopes))


def test_a_merchant_plans_a_shipment_once_per_idempotency_key(client, world):
    merchant_order = packed_order(world)
    booking = own_booking(world)
    headers = {**_merchant_key(world), "HTTP_IDEMPOTENCY_KEY": "ship-1"}
    body = {"merchant_orders": [merchant_order.number], "booking": booking.reference}
    response = client.post(
        reverse("shipping_shipments"), body, content_type="application/json", **headers
    )
    assert response.status_code == 201, response.content
    shipment = response.json()
    assert shipment["status"] == "planned" and shipment["booking"] == booking.reference
    assert shipment["merchant_orders"] == [merchant_order.number]
    assert (shipment["cases"], shipment["gross_weight_kg"], shipment["volume_m3"]) == (
        10,
        "50.60",
        "0.135",
    )
    assert [line["sku_code"] for line in shipment["lines"]] == ["MAPLE-500", "MAPLE-CANDY"]
    assert shipment["lines"][0]["hs_code"] == "1702200000"
    again = client.post(
        reverse("shipping_shipments"), body, content_type="application/json", **headers
    )
    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert again.json()["reference"] == shipment["reference"]
    with scopes_disabled():
        assert Shipment.objects.count() == 1
    # Without the key's idempotency, the same orders are refused with a code.
    third = client.post(
        reverse("shipping_shipments"), body, content_type="application/json", **_merchant_key(world)
    )
    assert third.status_code == 409 and third.json()["code"] == "order_line_already_shipped"


def test_refusals_carry_a_code(client, world):
    merchant_order = packed_order(world)
    headers = _merchant_key(world)
    url = reverse("shipping_shipments")

    def post(body):
        return client.post(url, body, content_type="application/json", **headers)

    missing = post({"merchant_orders": ["NO-SUCH"], "booking": "GNNOSUCH"})
    assert (missing.status_code, missing.json()["code"]) == (404, "not_found")
    nothing = post({"merchant_orders": [merchant_order.number]})
    assert (nothing.status_code, nothing.json()["code"]) == (400, "shipment_invalid")
    both = post({"merchant_orders": [merchant_order.number], "booking": "A", "container": "B"})
    assert (both.status_code, both.json()["code"]) == (404, "not_found")
    operator_org, _operator = network_operator()
    container = shared_container(world.sailing, operator_org)
    booking = own_booking(world)
    two = post(
        {
            "merchant_orders": [merchant_order.number],
            "booking": booking.reference,
            "container": container.reference,
        }
    )
    assert (two.status_code, two.json()["code"]) == (400, "shipment_invalid")
    undeclared = post(
        {"merchant_orders": [merchant_order.number], "container": container.reference}
    )
    assert (undeclared.status_code, undeclared.json()["code"]) == (400, "shipment_invalid")
    assert "dangerous goods" in undeclared.json()["message"]
    empty = post({"merchant_orders": []})
    assert empty.status_code == 400
    read_only = client.post(
        url,
        {"merchant_orders": [merchant_order.number]},
        content_type="application/json",
        **_merchant_key(world, scopes=["bookings:read"]),
    )
    assert read_only.status_code == 403


def test_dispatch_and_cancel(client, world):
    booking = own_booking(world)
    headers = _merchant_key(world)
    first = shipment_create(
        organization=world.maple,
        merchant_orders=[packed_order(world)],
        booking=booking,
        acting_user=world.owner,
    )
    second = shipment_create(
        organization=world.maple,
        merchant_orders=[packed_order(world)],
        booking=booking,
        acting_user=world.owner,
    )
    dispatched = client.post(
        reverse("shipping_shipment_dispatch", args=[first.reference]), **headers
    )
    assert dispatched.status_code == 200 and dispatched.json()["status"] == "dispatched"
    with scopes_disabled():
        assert MerchantOrder.objects.filter(status="shipped").count() == 1
    refused = client.post(reverse("shipping_shipment_cancel", args=[first.reference]), **headers)
    assert (refused.status_code, refused.json()["code"]) == (409, "illegal_transition")
    cancelled = client.post(reverse("shipping_shipment_cancel", args=[second.reference]), **headers)
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert all(not line["is_current"] for line in cancelled.json()["lines"])
    with scopes_disabled():
        assert Shipment.objects.get(pk=second.pk).status == ShipmentStatus.CANCELLED


def test_a_buyer_reads_its_own_orders_shipments_and_others_get_404(client, world):
    booking = own_booking(world)
    shipment = shipment_create(
        organization=world.maple,
        merchant_orders=[packed_order(world)],
        booking=booking,
        acting_user=world.owner,
    )
    other_store, other_buyer = buyer("Shenzhen Harbour Imports")
    theirs = shipment_create(
        organization=world.maple,
        merchant_orders=[packed_order(world, store=other_store, wang=other_buyer)],
        booking=booking,
        acting_user=world.owner,
    )
    store_owner = member(world.store, Role.OWNER)
    buyer_key = _key(world.store, store_owner, ["orders:read"])
    listed = client.get(reverse("shipping_shipments"), **buyer_key).json()["results"]
    assert [row["reference"] for row in listed] == [shipment.reference]
    detail = client.get(reverse("shipping_shipment", args=[shipment.reference]), **buyer_key)
    assert detail.status_code == 200 and detail.json()["buyer"] == world.store.name
    hidden = client.get(reverse("shipping_shipment", args=[theirs.reference]), **buyer_key)
    assert (hidden.status_code, hidden.json()["code"]) == (404, "not_found")
    # A buyer's key writes nothing here.
    refused = client.post(
        reverse("shipping_shipment_cancel", args=[shipment.reference]), **buyer_key
    )
    assert refused.status_code == 403
    # Another merchant, with every shipping scope, sees neither.
    rival, rival_owner = merchant("Cascadia Botanicals")
    rival_key = _key(rival, rival_owner, ["bookings:read", "bookings:write"])
    assert client.get(reverse("shipping_shipments"), **rival_key).json()["results"] == []
    for reference in (shipment.reference, theirs.reference):
        for name, method in (
            ("shipping_shipment", client.get),
            ("shipping_shipment_dispatch", client.post),
            ("shipping_shipment_cancel", client.post),
        ):
            response = method(reverse(name, args=[reference]), **rival_key)
            assert (response.status_code, response.json()["code"]) == (404, "not_found")
    # A buyer's key without orders:read is refused.
    no_scope = _key(world.store, store_owner, ["catalog:read"])
    assert client.get(reverse("shipping_shipments"), **no_scope).status_code == 403


def test_the_list_query_count_does_not_grow(client, world, django_assert_num_queries):
    booking = own_booking(world)
    headers = _merchant_key(world)
    for _ in range(4):
        shipment_create(
            organization=world.maple,
            merchant_orders=[packed_order(world)],
            booking=booking,
            acting_user=world.owner,
        )
    client.get(reverse("shipping_shipments"), **headers)
    # The key with its organisation, user and the user's membership there (the throttle and
    # the middleware read them), the page of shipments with their sailing, and their current
    # lines with merchant orders.
    with django_assert_num_queries(QUERIES):
        response = client.get(reverse("shipping_shipments"), **headers)
    assert len(response.json()["results"]) == 4


QUERIES = 3
