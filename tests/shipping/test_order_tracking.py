"""The buyer follows its goods: a carrier booking's tracking events move every shipment on it
(the merchant's own booking, or the shared container's) to departed and arrived, and the buyer
(in Chinese) and each merchant hear of departure, arrival and a changed ETA, in the app and by
webhook, once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django_scopes import scopes_disabled

from network import services as network_services
from network.models import Notification, WebhookDelivery
from shipping.carriers import tracking as carrier_tracking
from shipping.models import ConsolidationContainer, Shipment, TrackingSubscription
from shipping.services import tracking
from tests.shipping.buyer_shipments import (
    confirmed_booking,
    shared_container,
    shipment_of,
    shipped_order,
)
from tests.shipping.tracking_events import CONTAINER, START, dcsa_event, voyage

pytestmark = pytest.mark.django_db

ORDER_SHIPMENT_EVENTS = [
    "order_shipment.departed",
    "order_shipment.arrived",
    "order_shipment.eta_changed",
]
POD = {"location": "CNNGB", "location_name": "Ningbo"}


@pytest.fixture
def record(django_capture_on_commit_callbacks):
    def receive(booking, events) -> int:
        with scopes_disabled():
            subscription = TrackingSubscription.objects.get(booking=booking)
        with django_capture_on_commit_callbacks(execute=True):
            return tracking.tracking_events_receive(
                subscription_id=subscription.pk, events=carrier_tracking.parse_events(events)
            )

    return receive


@pytest.fixture
def world(sailing):
    """Three merchants' parts of one purchase order, each a shipment in one shared container,
    and every party listening to the order shipment webhooks."""
    world = shipped_order(merchants=3)
    container = shared_container(sailing, booked_by=world.merchants[0])
    shipments = [shipment_of(mo, container=container) for mo in world.merchant_orders]
    for party in [world.buyer, *world.merchants]:
        network_services.webhook_endpoint_create(
            organization=party.organization,
            url=f"https://hooks.example/{party.organization.slug}",
            events=ORDER_SHIPMENT_EVENTS,
            acting_user=party.owner,
        )
    return world, container, shipments


def _reload(shipments):
    with scopes_disabled():
        return [Shipment.objects.get(pk=s.pk) for s in shipments]


def _deliveries(organization, event=None):
    with scopes_disabled():
        rows = WebhookDelivery.objects.filter(organization=organization)
        if event:
            rows = rows.filter(event=event)
        return list(rows.order_by("pk"))


def _notifications(kind):
    with scopes_disabled():
        return list(Notification.objects.filter(kind=kind).select_related("recipient"))


def test_departure_moves_every_shipment_in_the_shared_container(world, record):
    world, container, shipments = world
    events = voyage(container.booking.carrier_booking_reference)
    record(container.booking, events[:3])  # gate in, loaded, departed
    departed = _reload(shipments)
    assert {s.status for s in departed} == {"departed"}
    assert {s.departed_at for s in departed} == {START + timedelta(days=2)}
    with scopes_disabled():
        assert ConsolidationContainer.objects.get(pk=container.pk).status == "departed"


def test_the_buyer_and_each_merchant_hear_of_the_departure(world, record):
    world, container, shipments = world
    record(container.booking, voyage(container.booking.carrier_booking_reference)[:3])
    # The buyer: one webhook per shipment, naming its merchant order and purchase order.
    buyer_hooks = _deliveries(world.buyer.organization, "order_shipment.departed")
    assert len(buyer_hooks) == 3
    payload = next(
        d.payload for d in buyer_hooks if d.payload["shipment"] == shipments[0].reference
    )
    assert payload == {
        "event": "departed",
        "shipment": shipments[0].reference,
        "status": "departed",
        "merchant_orders": [world.merchant_orders[0].number],
        "purchase_order": world.purchase_order.number,
        "container": container.reference,
        "equipment_reference": CONTAINER,
        "vessel": "Madrid Maersk",
        "voyage": "412W",
        "etd": "2026-03-04T08:00:00Z",
        "eta": payload["eta"],
        "departed_at": "2026-03-04T08:00:00Z",
        "arrived_at": None,
    }
    assert payload["eta"].startswith(f"{container.sailing.eta:%Y-%m-%dT%H:%M}")  # the schedule's
    # Each merchant: its own shipment only.
    for party, shipment in zip(world.merchants, shipments, strict=True):
        hooks = _deliveries(party.organization, "order_shipment.departed")
        assert [d.payload["shipment"] for d in hooks] == [shipment.reference]
    # In the app and by mail: the buyer in Chinese, the merchants in English.
    told = _notifications("order_shipment.departed")
    to_buyer = [n for n in told if n.recipient == world.buyer.owner]
    assert len(to_buyer) == 3
    assert all("已离港" in n.subject for n in to_buyer)
    assert world.purchase_order.number in to_buyer[0].body
    assert to_buyer[0].link.endswith(f"/purchase-orders/{world.purchase_order.number}/")
    to_merchant = [n for n in told if n.recipient == world.merchants[1].owner]
    assert len(to_merchant) == 1
    assert to_merchant[0].subject == (
        f"Shipment {shipments[1].reference} ({world.merchant_orders[1].number}) has departed"
    )


def test_arrival_and_a_changed_eta_are_told_once_even_when_repeated(world, record):
    world, container, shipments = world
    events = voyage(container.booking.carrier_booking_reference)
    record(container.booking, events[:3])
    # The carrier's first estimate differs from the schedule's ETA: a changed ETA.
    later = START + timedelta(days=18)
    estimate = dcsa_event(
        "ARRI", classifier="EST", at=later, created=START + timedelta(days=3), **POD
    )
    record(container.booking, [estimate])
    assert len(_deliveries(world.buyer.organization, "order_shipment.eta_changed")) == 3
    eta_hook = _deliveries(world.merchants[0].organization, "order_shipment.eta_changed")[0]
    assert eta_hook.payload["eta"] == "2026-03-20T08:00:00Z"
    # The same estimate again (same eventID, or another with the same time): nothing new.
    record(container.booking, [estimate])
    record(
        container.booking,
        [dcsa_event("ARRI", classifier="EST", at=later, created=START + timedelta(days=4), **POD)],
    )
    assert len(_deliveries(world.buyer.organization, "order_shipment.eta_changed")) == 3
    # Arrival at the port of discharge, then the whole voyage pushed again.
    record(container.booking, events)
    record(container.booking, events)
    arrived = _reload(shipments)
    assert {s.status for s in arrived} == {"arrived"}
    assert {s.arrived_at for s in arrived} == {START + timedelta(days=17)}
    with scopes_disabled():
        assert ConsolidationContainer.objects.get(pk=container.pk).status == "arrived"
    assert len(_deliveries(world.buyer.organization, "order_shipment.arrived")) == 3
    assert len(_deliveries(world.buyer.organization, "order_shipment.departed")) == 3
    buyer_arrivals = [
        n for n in _notifications("order_shipment.arrived") if n.recipient == world.buyer.owner
    ]
    assert len(buyer_arrivals) == 3
    assert "已到港" in buyer_arrivals[0].subject


def test_a_transhipment_arrival_does_not_arrive_the_goods(world, record):
    world, container, shipments = world
    record(container.booking, voyage(container.booking.carrier_booking_reference)[:3])
    record(container.booking, [dcsa_event("ARRI", at=START + timedelta(days=9), location="SGSIN")])
    assert {s.status for s in _reload(shipments)} == {"departed"}
    assert _deliveries(world.buyer.organization, "order_shipment.arrived") == []


def test_a_merchants_own_booking_moves_its_shipment(sailing, record):
    world = shipped_order(merchants=1)
    merchant = world.merchants[0]
    booking = confirmed_booking(merchant.organization, sailing, merchant.owner)
    shipment = shipment_of(world.merchant_orders[0], booking=booking, status="dispatched")
    record(booking, voyage(booking.carrier_booking_reference))
    (moved,) = _reload([shipment])
    assert moved.status == "arrived"
    assert moved.departed_at == START + timedelta(days=2)
    told = sorted(n.kind for n in _notifications("order_shipment.arrived"))
    assert told == ["order_shipment.arrived", "order_shipment.arrived"]  # buyer and merchant


def test_a_cancelled_shipment_does_not_follow(world, record):
    world, container, shipments = world
    with scopes_disabled():
        Shipment.objects.filter(pk=shipments[2].pk).update(status="cancelled")
    record(container.booking, voyage(container.booking.carrier_booking_reference)[:3])
    assert [s.status for s in _reload(shipments)] == ["departed", "departed", "cancelled"]
    assert len(_deliveries(world.buyer.organization, "order_shipment.departed")) == 2


def test_goods_still_only_planned_do_not_sail(world, record):
    world, container, shipments = world
    with scopes_disabled():
        Shipment.objects.filter(pk=shipments[0].pk).update(status="planned")
    record(container.booking, voyage(container.booking.carrier_booking_reference))
    assert [s.status for s in _reload(shipments)] == ["planned", "arrived", "arrived"]
    hooks = _deliveries(world.merchants[0].organization)
    assert hooks == []
