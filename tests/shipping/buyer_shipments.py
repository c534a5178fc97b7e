"""Test data for the buyer following its goods: a buyer's purchase order across merchants,
each merchant's part shipped, and shipments of those merchant orders on a merchant's own
booking or in one shared container of the network, made directly in the database (as the
shipment services would leave them)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from django.utils import timezone
from django_scopes import scopes_disabled

from network.models import Organization, Role, User
from orders import services as order_services
from orders.models import MerchantOrder, PurchaseOrder, PurchaseOrderLine
from shipping.carriers import tracking as carrier_tracking
from shipping.models import (
    Booking,
    ConsolidationContainer,
    Sailing,
    Shipment,
    ShipmentLine,
    ShipmentStatus,
    SpaceRequest,
    TrackingSubscription,
)
from tests.factories import OrganizationFactory, member
from tests.orders.factories import buyer, fan_out, merchant, merchant_order_of, place, sku
from tests.shipping.factories import approve, request_booking
from tests.shipping.helpers import put_in_state

MERCHANTS = (
    ("Great Lakes Maple Co.", "MAPLE-500", "Pure Michigan Maple Syrup 500 ml"),
    ("Driftless Cheese Makers", "CHEDDAR-1KG", "Aged cheddar 1 kg"),
    ("Cascade Honey Farm", "HONEY-340", "Wildflower honey 340 g"),
)


@dataclass
class Party:
    organization: Organization
    owner: User


@dataclass
class OrderWorld:
    buyer: Party
    purchase_order: PurchaseOrder
    merchants: list[Party]
    merchant_orders: list[MerchantOrder] = field(default_factory=list)


def shipped_order(
    *, merchants: int = 3, language: str = "zh-hans", status: str = "shipped"
) -> OrderWorld:
    """A buyer (its buyer speaking ``language``) orders from ``merchants`` merchants, ship
    together; each merchant accepts, packs and ships its part (``status`` "packed" stops
    before shipping)."""
    parties, items = [], []
    for name, code, title in MERCHANTS[:merchants]:
        organization, owner = merchant(name)
        approve(organization, legal_name=f"{name} LLC")
        parties.append(Party(organization, owner))
        items.append((sku(organization, owner, code=code, title=title), 48))
    store, wang = buyer(
        "Hangzhou Westlake Global Store", Role.OWNER, language=language, full_name="Wang Fang"
    )
    purchase_order = place(store, wang, items)
    with scopes_disabled():
        PurchaseOrder.objects.filter(pk=purchase_order.pk).update(travel_together=True)
    fan_out(purchase_order)
    world = OrderWorld(Party(store, wang), purchase_order, parties)
    for party in parties:
        merchant_order = merchant_order_of(purchase_order, party.organization)
        user = party.owner
        merchant_order = order_services.merchant_order_accept(
            merchant_order=merchant_order, acting_user=user
        )
        merchant_order = order_services.merchant_order_pack(
            merchant_order=merchant_order, acting_user=user
        )
        if status != "packed":
            merchant_order = order_services.merchant_order_ship(
                merchant_order=merchant_order, carrier_name="Maersk", acting_user=user
            )
        world.merchant_orders.append(merchant_order_of(purchase_order, party.organization))
    return world


def network_operator() -> tuple[Organization, User]:
    with scopes_disabled():
        organization = Organization.objects.filter(kind=Organization.Kind.OPERATOR).first()
    if organization is None:
        organization = OrganizationFactory(
            name="Network Operations", kind=Organization.Kind.OPERATOR
        )
    return organization, member(organization, Role.STAFF, full_name="Sam Reviewer")


def confirmed_booking(organization: Organization, sailing: Sailing, user: User) -> Booking:
    """A confirmed one-container booking on ``sailing`` with an active tracking subscription,
    booked by ``organization`` (a merchant's own, or given to the operators for a shared
    container)."""
    booking = put_in_state(request_booking(organization, sailing, user, units=1), "CONFIRMED")
    with scopes_disabled():
        TrackingSubscription.objects.get_or_create(
            booking=booking,
            defaults={
                "organization": booking.organization,
                "carrier": booking.sailing.carrier,
                "subscription_id": f"sub-{booking.reference}",
                "secret": carrier_tracking.new_secret(),
                "status": TrackingSubscription.Status.ACTIVE,
            },
        )
    return booking


def shared_container(
    sailing: Sailing, *, booked_by: Party, booking: Booking | None = None
) -> ConsolidationContainer:
    """The network's shared container on ``sailing``, on a confirmed carrier booking of the
    operators (requested through a merchant's account, then handed to the operators; or
    ``booking``, one the carrier confirmed)."""
    operators, _staff = network_operator()
    booking = booking or confirmed_booking(booked_by.organization, sailing, booked_by.owner)
    with scopes_disabled():
        Booking.objects.filter(pk=booking.pk).update(organization=operators)
        TrackingSubscription.objects.filter(booking=booking).update(organization=operators)
        return ConsolidationContainer.objects.create(
            organization=operators,
            sailing=sailing,
            booking_id=booking.pk,
            capacity_m3=Decimal("67.0"),
            capacity_kg=26_000,
            price_per_wm=Decimal("85.00"),
            forwarder_price_per_wm=Decimal("140.00"),
            warehouse_name="Long Beach CFS",
            warehouse_address="1 Harbor Plaza, Long Beach, CA",
            receiving_cutoff=sailing.cargo_cutoff - timedelta(days=1),
            status="closed",
        )


def shipment_of(
    merchant_order: MerchantOrder,
    *,
    booking: Booking | None = None,
    container: ConsolidationContainer | None = None,
    status: str = ShipmentStatus.RECEIVED,
) -> Shipment:
    """A shipment carrying ``merchant_order``'s lines on ``booking`` or in ``container``."""
    with scopes_disabled():
        space = None
        if container is not None:
            space = SpaceRequest.objects.create(
                organization=merchant_order.organization,
                container=container,
                volume_m3=Decimal("2.0"),
                weight_kg=500,
                revenue_tons=Decimal("2.000"),
                price_per_wm=container.price_per_wm,
                forwarder_price_per_wm=container.forwarder_price_per_wm,
                price=container.price_per_wm * 2,
                forwarder_price=container.forwarder_price_per_wm * 2,
                no_dangerous_goods=True,
            )
        shipment = Shipment.objects.create(
            organization=merchant_order.organization,
            buyer=merchant_order.buyer,
            booking=booking,
            space_request=space,
            status=status,
            dispatched_at=timezone.now(),
        )
        for line in PurchaseOrderLine.objects.filter(merchant_order=merchant_order):
            ShipmentLine.objects.create(
                organization=merchant_order.organization,
                buyer=merchant_order.buyer,
                shipment=shipment,
                merchant_order=merchant_order,
                order_line=line,
                sku_code=line.sku_code,
                description_en=line.product_title,
                description_zh_hans=line.product_title_zh_hans,
                hs_code="170220",
                quantity=line.quantity,
                cases=max(line.cases, 1),
                units_per_case=line.case_pack,
                net_weight_kg=Decimal("24.00"),
                gross_weight_kg=Decimal("26.00"),
                volume_m3=Decimal("0.050"),
                unit_price_usd=line.unit_price_usd,
                value_usd=line.line_total_usd,
            )
        return shipment
