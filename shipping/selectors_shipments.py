"""Reads of shipments. A shipment is read by its merchant, its buyer and the network's operators
(``access_shipment``); the merchant chooses among its packed merchant orders and its own
bookings, space and the open shared containers."""

from __future__ import annotations

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from network.models import Organization
from network.tenancy import found
from orders.models import MerchantOrder, MerchantOrderStatus
from shipping.models import (
    FINAL_STATUSES,
    Booking,
    ConsolidationContainer,
    ContainerStatus,
    Shipment,
    ShipmentLine,
    ShipmentStatus,
    SpaceRequest,
)

_SHIPMENT_RELATED = (
    "organization",
    "buyer",
    "booking__sailing__carrier",
    "booking__sailing__port_of_loading",
    "booking__sailing__port_of_discharge",
    "space_request__container__booking",
    "space_request__container__sailing__carrier",
    "space_request__container__sailing__port_of_loading",
    "space_request__container__sailing__port_of_discharge",
)


def shipments_for_organization(
    *, organization: Organization, status: str = ""
) -> QuerySet[Shipment]:
    """The shipments ``organization`` is a party to (every one for operators), newest first,
    with their sailing; ``status`` narrows them."""
    shipments = Shipment.objects.visible_to(organization).select_related(*_SHIPMENT_RELATED)
    if status in ShipmentStatus.values:
        shipments = shipments.filter(status=status)
    return shipments.annotate(
        merchant_order_count=Count(
            "lines__merchant_order", filter=Q(lines__is_current=True), distinct=True
        )
    ).order_by("-created_at", "-pk")


def access_shipment(*, organization: Organization, reference: str) -> Shipment:
    """The shipment ``reference`` if ``organization`` is its merchant, its buyer or an
    operator; otherwise ``RecordNotFound`` (404), as for a reference that does not exist."""
    return found(
        Shipment.objects.visible_to(organization).select_related(*_SHIPMENT_RELATED, "created_by"),
        reference=reference.upper(),
    )


def shipment_lines(*, shipment: Shipment) -> list[ShipmentLine]:
    """The lines of a shipment its reader was given by ``access_shipment``, with their merchant
    order and purchase order."""
    return list(
        ShipmentLine.objects.visible_to(shipment.organization)
        .filter(shipment=shipment)
        .select_related("merchant_order__purchase_order")
        .order_by("merchant_order_id", "pk")
    )


def shipment_merchant_orders(*, shipment: Shipment) -> list[MerchantOrder]:
    """The merchant orders currently on a shipment."""
    ids = (
        ShipmentLine.objects.visible_to(shipment.organization)
        .filter(shipment=shipment, is_current=True)
        .values("merchant_order_id")
    )
    return list(
        MerchantOrder.objects.visible_to(shipment.organization)
        .filter(pk__in=ids)
        .select_related("purchase_order")
        .order_by("pk")
    )


def merchant_orders_to_ship(*, organization: Organization) -> QuerySet[MerchantOrder]:
    """The merchant's packed merchant orders none of whose lines is on a current shipment,
    oldest first, with their buyer and purchase order."""
    on_shipments = ShipmentLine.objects.visible_to(organization).filter(
        organization=organization, is_current=True
    )
    return (
        MerchantOrder.objects.visible_to(organization)
        .filter(organization=organization, status=MerchantOrderStatus.PACKED)
        .exclude(pk__in=on_shipments.values("merchant_order_id"))
        .select_related("buyer", "purchase_order")
        .order_by("packed_at", "pk")
    )


def bookings_for_shipments(*, organization: Organization) -> QuerySet[Booking]:
    """The merchant's own whole-container bookings that can still take goods: not ended, and
    their sailing not yet departed."""
    return (
        Booking.objects.visible_to(organization)
        .filter(organization=organization, sailing__etd__gt=timezone.now())
        .exclude(status__in=[status.value for status in FINAL_STATUSES])
        .select_related("sailing__carrier", "sailing__port_of_discharge")
        .order_by("sailing__etd", "pk")
    )


def space_for_shipments(*, organization: Organization) -> QuerySet[SpaceRequest]:
    """The merchant's held space in shared containers still receiving goods."""
    return (
        SpaceRequest.objects.visible_to(organization)
        .filter(
            organization=organization,
            status=SpaceRequest.Status.HELD,
            container__status=ContainerStatus.OPEN,
            container__receiving_cutoff__gt=timezone.now(),
        )
        .select_related("container__sailing__carrier", "container__sailing__port_of_discharge")
        .prefetch_related(
            Prefetch(
                "shipments",
                queryset=Shipment.objects.visible_to(organization).exclude(
                    status=ShipmentStatus.CANCELLED
                ),
                to_attr="live_shipments",
            )
        )
        .order_by("container__sailing__etd", "pk")
    )


def open_containers() -> QuerySet[ConsolidationContainer]:
    """Shared containers taking space now, soonest sailing first."""
    return (
        ConsolidationContainer.objects.public()
        .filter(status=ContainerStatus.OPEN, receiving_cutoff__gt=timezone.now())
        .select_related("sailing__carrier", "sailing__port_of_discharge")
        .order_by("sailing__etd", "pk")
    )
