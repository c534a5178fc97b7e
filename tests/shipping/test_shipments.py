"""Shipments of merchant orders: made on the merchant's booking, its space or a shared container;
an order line on one current shipment only (also when two requests race); one buyer per
shipment; packed orders only; dispatch ships the merchant orders and takes their units out of
stock; receipt at the warehouse delivers them; cancelling frees the lines."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db import connection
from django_scopes import scopes_disabled

from network.errors import DomainError, PermissionDenied
from network.models import AuditEvent, Role
from orders.models import MerchantOrder, MerchantOrderStatus, PurchaseOrderLine
from shipping.errors import (
    IllegalShipmentTransition,
    OrderLineAlreadyShipped,
    ShipmentInvalid,
    SpaceTooSmall,
)
from shipping.models import Booking, Shipment, ShipmentLine, ShipmentStatus, SpaceRequest
from shipping.services.shipments import (
    container_for_purchase_order,
    shipment_cancel,
    shipment_create,
    shipment_dispatch,
    shipment_receive,
)
from tests.factories import member
from tests.orders.factories import buyer, stock
from tests.shipping.shipment_world import (
    build_world,
    network_operator,
    own_booking,
    packed_order,
    shared_container,
    space_in,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(db):
    return build_world()


def _lines(shipment):
    with scopes_disabled():
        return list(ShipmentLine.objects.filter(shipment=shipment).order_by("pk"))


def _reload(model, pk):
    with scopes_disabled():
        return model.objects.get(pk=pk)


def test_a_shipment_on_the_merchants_booking_carries_the_accepted_lines(world):
    merchant_order = packed_order(world, buyer_reference="HZ-PO-77")
    booking = own_booking(world)
    shipment = shipment_create(
        organization=world.maple,
        merchant_orders=[merchant_order],
        booking=booking,
        acting_user=world.owner,
    )
    lines = _lines(shipment)
    assert [(line.sku_code, line.quantity, line.cases) for line in lines] == [
        ("MAPLE-500", 48, 8),
        ("MAPLE-CANDY", 12, 2),
    ]
    syrup, candy = lines
    assert (syrup.gross_weight_kg, syrup.volume_m3) == (Decimal("41.60"), Decimal("0.120"))
    # The candy has no case figures: its units are weighed and measured.
    assert (candy.net_weight_kg, candy.gross_weight_kg) == (Decimal("9.00"), Decimal("9.00"))
    assert candy.volume_m3 == Decimal("0.015")
    assert syrup.hs_code == "1702200000" and syrup.merchant_order_id == merchant_order.pk
    assert shipment.cases == 10
    assert shipment.gross_weight_kg == Decimal("50.60")
    assert shipment.net_weight_kg == Decimal("45.00")
    assert shipment.volume_m3 == Decimal("0.135")
    assert shipment.value_usd == syrup.value_usd + candy.value_usd == merchant_order.subtotal_usd
    assert shipment.buyer == world.store and shipment.status == ShipmentStatus.PLANNED
    marks = shipment.shipping_marks.splitlines()
    assert "PO HZ-PO-77" in marks and shipment.reference in marks
    assert "NINGBO" in marks and "MADE IN USA" in marks and "CASE n OF 10" in marks
    # The carrier already has the booking: the new cargo goes to it as an update.
    assert _reload(Booking, booking.pk).carrier_sync == "update"
    with scopes_disabled():
        assert AuditEvent.objects.filter(action="shipment.created").count() == 1


def test_an_order_line_goes_on_one_shipment_only_until_that_is_cancelled(world):
    merchant_order = packed_order(world)
    booking = own_booking(world)
    first = shipment_create(
        organization=world.maple,
        merchant_orders=[merchant_order],
        booking=booking,
        acting_user=world.owner,
    )
    with pytest.raises(OrderLineAlreadyShipped) as refused:
        shipment_create(
            organization=world.maple,
            merchant_orders=[merchant_order],
            booking=booking,
            acting_user=world.owner,
        )
    assert refused.value.code == "order_line_already_shipped"
    assert first.reference in refused.value.message
    shipment_cancel(shipment=first, acting_user=world.owner)
    assert _reload(Shipment, first.pk).status == ShipmentStatus.CANCELLED
    assert not any(line.is_current for line in _lines(first))
    again = shipment_create(
        organization=world.maple,
        merchant_orders=[merchant_order],
        booking=booking,
        acting_user=world.owner,
    )
    assert len(_lines(again)) == 2


def test_one_buyer_per_shipment_and_packed_orders_only(world):
    booking = own_booking(world)
    packed = packed_order(world)
    other_store, other_buyer = buyer("Shenzhen Harbour Imports")
    other = packed_order(world, store=other_store, wang=other_buyer)
    with pytest.raises(ShipmentInvalid, match="one buyer"):
        shipment_create(
            organization=world.maple,
            merchant_orders=[packed, other],
            booking=booking,
            acting_user=world.owner,
        )
    from orders import services as order_services
    from tests.orders.factories import fan_out, merchant_order_of, place

    purchase_order = place(world.store, world.wang, [(world.syrup, 12)])
    fan_out(purchase_order)
    pending = merchant_order_of(purchase_order, world.maple)
    accepted = order_services.merchant_order_accept(merchant_order=pending, acting_user=world.owner)
    with pytest.raises(ShipmentInvalid, match="not packed") as refused:
        shipment_create(
            organization=world.maple,
            merchant_orders=[accepted],
            booking=booking,
            acting_user=world.owner,
        )
    assert refused.value.code == "shipment_invalid"
    with scopes_disabled():
        assert not Shipment.objects.exists()


def test_another_merchants_orders_booking_or_people_are_refused(world):
    from tests.orders.factories import merchant

    rival, rival_owner = merchant("Cascadia Botanicals")
    merchant_order = packed_order(world)
    booking = own_booking(world)
    with pytest.raises(ShipmentInvalid):
        shipment_create(
            organization=rival,
            merchant_orders=[merchant_order],
            booking=booking,
            acting_user=rival_owner,
        )
    with pytest.raises(PermissionDenied):
        shipment_create(
            organization=world.maple,
            merchant_orders=[merchant_order],
            booking=booking,
            acting_user=rival_owner,
        )
    viewer = member(world.maple, Role.VIEWER)
    with pytest.raises(PermissionDenied):
        shipment_create(
            organization=world.maple,
            merchant_orders=[merchant_order],
            booking=booking,
            acting_user=viewer,
        )


def test_a_shipment_on_the_merchants_space_must_fit_what_is_unused(world):
    operator_org, _operator = network_operator()
    container = shared_container(world.sailing, operator_org)
    space = space_in(container, world.maple, volume="1.0", weight=60)
    first = shipment_create(
        organization=world.maple,
        merchant_orders=[packed_order(world)],
        space_request=space,
        acting_user=world.owner,
    )
    assert first.space_request == space and first.booking is None
    assert first.carrier_booking == container.booking
    # 50.60 kg of the 60 kg used: another order of the same size no longer fits.
    with pytest.raises(SpaceTooSmall) as refused:
        shipment_create(
            organization=world.maple,
            merchant_orders=[packed_order(world)],
            space_request=space,
            acting_user=world.owner,
        )
    assert refused.value.code == "space_too_small"


def test_a_shared_container_books_space_sized_from_the_cargo(world):
    operator_org, _operator = network_operator()
    container = shared_container(world.sailing, operator_org)
    shipment = shipment_create(
        organization=world.maple,
        merchant_orders=[packed_order(world)],
        container=container,
        acting_user=world.owner,
    )
    space = _reload(SpaceRequest, shipment.space_request_id)
    assert (space.container_id, space.organization_id) == (container.pk, world.maple.pk)
    assert (space.volume_m3, space.weight_kg) == (Decimal("1.0"), 51)


def test_dispatch_ships_the_merchant_orders_and_moves_the_stock(world):
    merchant_order = packed_order(world)
    booking = own_booking(world)
    shipment = shipment_create(
        organization=world.maple,
        merchant_orders=[merchant_order],
        booking=booking,
        acting_user=world.owner,
    )
    shipment = shipment_dispatch(shipment=shipment, acting_user=world.owner)
    assert shipment.status == ShipmentStatus.DISPATCHED and shipment.dispatched_at
    shipped = _reload(MerchantOrder, merchant_order.pk)
    assert shipped.status == MerchantOrderStatus.SHIPPED
    assert shipped.booking_reference == booking.reference
    assert shipped.carrier_name == "Maersk"
    assert (stock(world.syrup).on_hand, stock(world.syrup).reserved) == (10_000 - 48, 0)
    with scopes_disabled():
        assert set(
            PurchaseOrderLine.objects.filter(merchant_order=merchant_order).values_list(
                "status", flat=True
            )
        ) == {"shipped"}
    with pytest.raises(IllegalShipmentTransition):
        shipment_dispatch(shipment=shipment, acting_user=world.owner)
    with pytest.raises(IllegalShipmentTransition):
        shipment_cancel(shipment=shipment, acting_user=world.owner)


def test_dispatch_in_a_shared_container_names_the_networks_booking(world):
    operator_org, operator_user = network_operator()
    container = shared_container(world.sailing, operator_org)
    space = space_in(container, world.maple)
    merchant_order = packed_order(world)
    shipment = shipment_create(
        organization=world.maple,
        merchant_orders=[merchant_order],
        space_request=space,
        acting_user=world.owner,
    )
    with pytest.raises(PermissionDenied):
        shipment_receive(shipment=shipment, acting_user=world.owner)
    with pytest.raises(IllegalShipmentTransition):
        shipment_receive(shipment=shipment, acting_user=operator_user)
    shipment_dispatch(shipment=shipment, acting_user=world.owner)
    shipped = _reload(MerchantOrder, merchant_order.pk)
    assert shipped.booking_reference == container.booking.reference
    assert shipped.tracking_number == "MAEU99001"
    received = shipment_receive(shipment=shipment, acting_user=operator_user)
    assert received.status == ShipmentStatus.RECEIVED and received.received_at
    assert _reload(MerchantOrder, merchant_order.pk).status == MerchantOrderStatus.DELIVERED


def test_a_purchase_order_travelling_together_goes_to_its_container(world):
    from tests.orders.factories import merchant, sku

    operator_org, _operator = network_operator()
    container = shared_container(world.sailing, operator_org)
    space = space_in(container, world.maple)
    # A second merchant on the same purchase order.
    birch, birch_owner = merchant("Northwoods Birch Co.")
    birch_syrup = sku(birch, birch_owner, code="BIRCH-250", on_hand=1000)
    from orders import services as order_services
    from tests.orders.factories import fan_out, merchant_order_of, place

    purchase_order = place(
        world.store,
        world.wang,
        [(world.syrup, 12), (birch_syrup, 12)],
        travel_together=True,
    )
    assert purchase_order.travel_together
    fan_out(purchase_order)
    parts = {}
    for organization, owner in ((world.maple, world.owner), (birch, birch_owner)):
        part = merchant_order_of(purchase_order, organization)
        part = order_services.merchant_order_accept(merchant_order=part, acting_user=owner)
        parts[organization.pk] = order_services.merchant_order_pack(
            merchant_order=part, acting_user=owner
        )
    assert container_for_purchase_order(purchase_order=purchase_order) is None
    shipment_create(
        organization=world.maple,
        merchant_orders=[parts[world.maple.pk]],
        space_request=space,
        acting_user=world.owner,
    )
    assert container_for_purchase_order(purchase_order=purchase_order) == container
    # The second merchant names no container: its space is booked in the same one.
    second = shipment_create(
        organization=birch,
        merchant_orders=[parts[birch.pk]],
        acting_user=birch_owner,
    )
    assert _reload(SpaceRequest, second.space_request_id).container_id == container.pk


def test_without_a_booking_space_or_container_nothing_is_made(world):
    with pytest.raises(ShipmentInvalid, match="Choose one"):
        shipment_create(
            organization=world.maple,
            merchant_orders=[packed_order(world)],
            acting_user=world.owner,
        )


@pytest.mark.concurrency
@pytest.mark.django_db(transaction=True)
def test_two_shipments_of_the_same_order_at_once_make_one():
    world = build_world()
    merchant_order = packed_order(world)
    booking = own_booking(world)
    barrier = threading.Barrier(2, timeout=30)
    outcomes: list[str] = []

    def attempt():
        barrier.wait()
        try:
            shipment_create(
                organization=world.maple,
                merchant_orders=[merchant_order],
                booking=booking,
                acting_user=world.owner,
            )
            outcomes.append("created")
        except DomainError as error:
            outcomes.append(error.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["created", "order_line_already_shipped"]
    with scopes_disabled():
        assert ShipmentLine.objects.filter(is_current=True).count() == 2
        assert Shipment.objects.count() == 1


def test_a_sample_line_says_so_in_both_languages(world):
    merchant_order = packed_order(world)
    with scopes_disabled():
        PurchaseOrderLine.objects.filter(
            merchant_order=merchant_order, sku_code="MAPLE-CANDY"
        ).update(is_sample=True)
    shipment = shipment_create(
        organization=world.maple,
        merchant_orders=[merchant_order],
        booking=own_booking(world),
        acting_user=world.owner,
    )
    syrup, candy = _lines(shipment)
    assert candy.description_en.endswith(" – Sample")
    assert candy.description_zh_hans.endswith(" – 样品")
    assert "Sample" not in syrup.description_en
