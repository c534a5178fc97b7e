"""A carrier booking carrying shipments declares their cargo, one commodity per HS code, valid
against DCSA Booking 2.0.5: the merchant's own booking with its shipments, and the shared
container's booking with every merchant's shipments in it. A change of cargo on a booking the
carrier has queues an update to the carrier."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django_scopes import scopes_disabled

from catalog.models import Product
from shipping.carriers.dcsa import create_booking_body, update_booking_body
from shipping.models import Booking
from shipping.services.shipments import shipment_cancel, shipment_create
from tests.orders.factories import merchant, sku
from tests.shipping.dcsa_spec import needs_spec, schema_errors
from tests.shipping.shipment_world import (
    build_world,
    network_operator,
    own_booking,
    packed_order,
    shared_container,
    space_in,
)

pytestmark = [pytest.mark.django_db, needs_spec]


@pytest.fixture
def world(db):
    world = build_world()
    with scopes_disabled():
        # The candy is confectionery, another HS heading than the syrup.
        Product.objects.filter(pk=world.candy.product_id).update(hs_code="170490")
    return world


def _commodities(body: dict) -> list[dict]:
    return body["requestedEquipments"][0]["commodities"]


def test_the_merchants_booking_lists_one_commodity_per_hs_code(world):
    booking = own_booking(world)
    assert _commodities(create_booking_body(booking))[0]["commodityType"].startswith("Pure")
    first = shipment_create(
        organization=world.maple,
        merchant_orders=[packed_order(world)],
        booking=booking,
        acting_user=world.owner,
    )
    shipment_create(
        organization=world.maple,
        merchant_orders=[packed_order(world, items=[(world.syrup, 12)])],
        booking=booking,
        acting_user=world.owner,
    )
    booking = Booking.objects.visible_to(world.maple).get(pk=booking.pk)
    body = create_booking_body(booking)
    assert schema_errors("CreateBooking", body) == []
    syrup, candy = sorted(_commodities(body), key=lambda c: c["extendedHSCodes"][0])
    assert syrup["extendedHSCodes"] == ["1702200000"]
    assert syrup["commodityType"] == "Pure Michigan Maple Syrup 500 ml"
    # 48 + 12 units in 8 + 2 cases of 5.20 kg and 0.015 m³.
    assert syrup["cargoGrossWeight"] == {"value": 52.0, "unit": "KGM"}
    assert syrup["cargoGrossVolume"] == {"value": 0.15, "unit": "MTQ"}
    assert syrup["outerPackaging"] == {
        "packageCode": "CT",
        "numberOfPackages": 10,
        "description": "Carton",
    }
    assert candy["extendedHSCodes"] == ["170490"]
    assert candy["cargoGrossWeight"] == {"value": 9.0, "unit": "KGM"}
    assert candy["outerPackaging"]["numberOfPackages"] == 2
    assert schema_errors("UpdateBooking", update_booking_body(booking)) == []
    # A cancelled shipment's cargo leaves the booking.
    shipment_cancel(shipment=first, acting_user=world.owner)
    (syrup,) = _commodities(create_booking_body(booking))
    assert syrup["cargoGrossWeight"]["value"] == 10.4


def test_the_shared_containers_booking_carries_every_merchants_shipments(world):
    operator_org, _operator = network_operator()
    container = shared_container(world.sailing, operator_org)
    birch, birch_owner = merchant("Northwoods Birch Co.")
    birch_syrup = sku(birch, birch_owner, code="BIRCH-250", on_hand=1000)
    shipment_create(
        organization=world.maple,
        merchant_orders=[packed_order(world, items=[(world.syrup, 48)])],
        space_request=space_in(container, world.maple),
        acting_user=world.owner,
    )
    from orders import services as order_services
    from tests.orders.factories import fan_out, merchant_order_of, place

    purchase_order = place(world.store, world.wang, [(birch_syrup, 24)])
    fan_out(purchase_order)
    part = merchant_order_of(purchase_order, birch)
    part = order_services.merchant_order_accept(merchant_order=part, acting_user=birch_owner)
    part = order_services.merchant_order_pack(merchant_order=part, acting_user=birch_owner)
    shipment_create(
        organization=birch,
        merchant_orders=[part],
        space_request=space_in(container, birch),
        acting_user=birch_owner,
    )
    booking = Booking.objects.visible_to(operator_org).get(pk=container.booking_id)
    assert booking.carrier_sync == "update"
    body = create_booking_body(booking)
    assert schema_errors("CreateBooking", body) == []
    (commodity,) = _commodities(body)
    assert commodity["extendedHSCodes"] == ["1702200000"]
    # Both merchants' syrups, under one code: 41.60 kg of cases + 24 × 0.750 kg of units.
    assert commodity["cargoGrossWeight"] == {"value": float(Decimal("59.60")), "unit": "KGM"}
    assert commodity["outerPackaging"]["numberOfPackages"] == 8 + 4
    assert "Pure Michigan Maple Syrup 500 ml" in commodity["commodityType"]


def test_a_booking_not_yet_sent_gets_its_cargo_with_the_first_request(world):
    booking = own_booking(world, confirmed=False)
    with scopes_disabled():
        Booking.objects.filter(pk=booking.pk).update(
            carrier_sync="submit", carrier_booking_request_reference=""
        )
    shipment_create(
        organization=world.maple,
        merchant_orders=[packed_order(world)],
        booking=booking,
        acting_user=world.owner,
    )
    booking = Booking.objects.visible_to(world.maple).get(pk=booking.pk)
    assert booking.carrier_sync == "submit"
    assert len(_commodities(create_booking_body(booking))) == 2


def test_a_merge_sends_the_moved_cargo_with_the_receiving_containers_booking(
    world, django_capture_on_commit_callbacks
):
    from shipping.models import ConsolidationContainer, TradeDocument
    from shipping.services.consolidation import container_merge

    operator_org, operator = network_operator()
    underfilled = shared_container(world.sailing, operator_org)
    fuller = shared_container(world.sailing, operator_org)
    with django_capture_on_commit_callbacks(execute=True):
        shipment = shipment_create(
            organization=world.maple,
            merchant_orders=[packed_order(world, items=[(world.syrup, 48)])],
            space_request=space_in(underfilled, world.maple),
            acting_user=world.owner,
        )
    with scopes_disabled():
        Booking.objects.filter(pk=fuller.booking_id).update(carrier_sync="")
        issued = TradeDocument.objects.filter(shipment=shipment).count()
    # The update is queued here and sent after commit (not run: the carrier would answer).
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        container_merge(container=underfilled, into=fuller, acting_user=operator)
    assert callbacks
    booking = Booking.objects.visible_to(operator_org).get(pk=fuller.booking_id)
    assert booking.carrier_sync == "update"
    body = update_booking_body(booking)
    assert schema_errors("UpdateBooking", body) == []
    (commodity,) = _commodities(body)
    assert commodity["extendedHSCodes"] == ["1702200000"]
    assert commodity["outerPackaging"]["numberOfPackages"] == 8
    with scopes_disabled():
        assert ConsolidationContainer.objects.get(pk=underfilled.pk).status == "merged"
        # Same sailing, same statements: the documents stand as issued.
        assert TradeDocument.objects.filter(shipment=shipment).count() == issued == 3
