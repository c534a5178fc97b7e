"""The buyer follows its goods: a carrier booking's Track & Trace events move every current
shipment on it (the merchant's own whole-container booking, or the network's booking of a shared
container holding the merchant's space) to departed and arrived, and tell the buyer and the
merchant of the departure, the arrival and a changed ETA (in the app, by mail and by webhook).

Called by ``shipping.services.tracking`` inside the transaction that stores the events, with
only the events stored for the first time: a repeated event changes nothing."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from network.models import Membership, Organization, Role, User
from network.selectors import organization_staff
from network.services import audit, notification_send, webhook_emit
from orders.models import MerchantOrder
from shipping.models import (
    Booking,
    ConsolidationContainer,
    ContainerStatus,
    Shipment,
    ShipmentLine,
    ShipmentStatus,
    TrackingEvent,
)

M = TrackingEvent.Milestone
# Statuses a shipment may leave for DEPARTED, and for ARRIVED: goods still only planned never
# left the merchant, so the box sails without them.
BEFORE_DEPARTURE = (ShipmentStatus.DISPATCHED, ShipmentStatus.RECEIVED)
BEFORE_ARRIVAL = (*BEFORE_DEPARTURE, ShipmentStatus.DEPARTED)
CONTAINER_AFLOAT = (ContainerStatus.OPEN, ContainerStatus.CLOSED)
BUYER_ROLES = (Role.OWNER, Role.ADMIN, Role.BUYER)


def current_shipments_on(booking: Booking) -> list[Shipment]:
    """The shipments travelling on ``booking`` (directly, or through space in the shared
    container it carries), dispatched or further, with what their messages name."""
    return list(
        Shipment.objects.filter(Q(booking=booking) | Q(space_request__container__booking=booking))
        .exclude(status__in=[ShipmentStatus.CANCELLED, ShipmentStatus.PLANNED])
        .select_related("organization", "buyer", "space_request__container")
        .order_by("pk")
    )


def _effective_eta(booking: Booking, tracking_eta: datetime | None) -> datetime:
    return tracking_eta or booking.sailing.eta


def shipments_follow_booking(
    *, booking: Booking, events: list[TrackingEvent], eta_before: datetime | None
) -> list[Shipment]:
    """Move the current shipments on ``booking`` along the milestones among ``events`` (new
    rows only), mark its shared container departed or arrived, and tell each shipment's buyer
    and merchant of a departure, an arrival or a changed ETA. The shipments that changed."""
    departure = next((e for e in events if e.milestone == M.DEPARTED), None)
    arrival = next((e for e in events if e.milestone == M.ARRIVED), None)
    eta_changed = _effective_eta(booking, eta_before) != _effective_eta(
        booking, booking.tracking_eta
    )
    if departure is None and arrival is None and not eta_changed:
        return []
    # The carrier's events concern every shipment on the booking, whoever's it is: the network
    # carries several merchants' goods for several buyers in one shared container.
    with scopes_disabled():
        shipments = current_shipments_on(booking)
        if not shipments:
            _container_follows(booking, departure=departure, arrival=arrival)
            return []
        facts = _Facts(booking, shipments, events)
        changed: list[Shipment] = []
        for shipment in shipments:
            news: list[tuple[str, TrackingEvent | None]] = []
            if departure is not None and shipment.status in BEFORE_DEPARTURE:
                shipment.status = ShipmentStatus.DEPARTED
                shipment.departed_at = departure.event_at
                news.append(("departed", departure))
            if arrival is not None and shipment.status in BEFORE_ARRIVAL:
                shipment.status = ShipmentStatus.ARRIVED
                shipment.arrived_at = arrival.event_at
                shipment.departed_at = shipment.departed_at or arrival.event_at
                news.append(("arrived", arrival))
            if news:
                Shipment.objects.filter(pk=shipment.pk).update(
                    status=shipment.status,
                    departed_at=shipment.departed_at,
                    arrived_at=shipment.arrived_at,
                )
                audit(
                    actor=None,
                    organization=shipment.organization,
                    action=f"shipment.{news[-1][0]}",
                    target=shipment,
                    changes={"status": shipment.status, "booking": booking.reference},
                )
                changed.append(shipment)
            if eta_changed and shipment.status != ShipmentStatus.ARRIVED:
                news.append(("eta_changed", None))
            for event_name, event in news:
                _tell(facts, shipment, event_name, event)
        _container_follows(booking, departure=departure, arrival=arrival)
    return changed


def _container_follows(
    booking: Booking, *, departure: TrackingEvent | None, arrival: TrackingEvent | None
) -> None:
    containers = ConsolidationContainer.objects.filter(booking=booking)
    if departure is not None:
        containers.filter(status__in=CONTAINER_AFLOAT).update(
            status=ContainerStatus.DEPARTED, updated_at=timezone.now()
        )
    if arrival is not None:
        containers.filter(status__in=[*CONTAINER_AFLOAT, ContainerStatus.DEPARTED]).update(
            status=ContainerStatus.ARRIVED, updated_at=timezone.now()
        )


class _Facts:
    """What the messages about the shipments on one booking say, read once for all of them."""

    def __init__(self, booking: Booking, shipments: list[Shipment], events: list[TrackingEvent]):
        self.booking = booking
        sailing = booking.sailing
        numbers: dict[int, list[MerchantOrder]] = defaultdict(list)
        seen: set[tuple[int, int]] = set()
        lines = ShipmentLine.objects.filter(shipment__in=shipments, is_current=True).select_related(
            "merchant_order__purchase_order"
        )
        for line in lines.order_by("merchant_order__number"):
            if (line.shipment_id, line.merchant_order_id) not in seen:
                seen.add((line.shipment_id, line.merchant_order_id))
                numbers[line.shipment_id].append(line.merchant_order)
        self.merchant_orders = numbers
        latest = (
            TrackingEvent.objects.filter(booking=booking)
            .exclude(equipment_reference="")
            .order_by("-event_at", "-pk")
            .values_list("equipment_reference", flat=True)
            .first()
        )
        self.equipment_reference = latest or ""
        with_vessel = [e for e in events if e.vessel_name]
        self.vessel = with_vessel[-1].vessel_name if with_vessel else sailing.vessel_name
        self.voyage = (
            with_vessel[-1].voyage_number
            if with_vessel and with_vessel[-1].voyage_number
            else sailing.voyage_number
        )
        self.eta = _effective_eta(booking, booking.tracking_eta)

    def payload(self, shipment: Shipment, event_name: str) -> dict[str, Any]:
        merchant_orders = self.merchant_orders.get(shipment.pk, [])
        container = shipment.space_request.container if shipment.space_request else None
        return {
            "event": event_name,
            "shipment": shipment.reference,
            "status": shipment.status,
            "merchant_orders": [mo.number for mo in merchant_orders],
            "purchase_order": merchant_orders[0].purchase_order.number if merchant_orders else "",
            "container": container.reference if container else "",
            "equipment_reference": self.equipment_reference,
            "vessel": self.vessel,
            "voyage": self.voyage,
            "etd": shipment.departed_at or self.booking.sailing.etd,
            "eta": self.eta,
            "departed_at": shipment.departed_at,
            "arrived_at": shipment.arrived_at,
        }


def _buyer_people(organization: Organization) -> list[User]:
    return [
        m.user
        for m in Membership.objects.filter(
            organization=organization, role__in=BUYER_ROLES
        ).select_related("user")
    ]


def _tell(facts: _Facts, shipment: Shipment, event_name: str, event: TrackingEvent | None) -> None:
    payload = facts.payload(shipment, event_name)
    for organization in (shipment.buyer, shipment.organization):
        webhook_emit(
            organization=organization, event=f"order_shipment.{event_name}", payload=payload
        )
    merchant_orders = facts.merchant_orders.get(shipment.pk, [])
    context = {
        "event": event_name,
        "shipment": shipment.reference,
        "merchant": shipment.organization.name,
        "merchant_orders": ", ".join(mo.number for mo in merchant_orders),
        "purchase_order": payload["purchase_order"],
        "container": payload["container"] or facts.equipment_reference,
        "vessel": " ".join(p for p in (facts.vessel, facts.voyage) if p),
        "location": (event.location_name or event.location) if event else "",
        "time": event.event_at if event else None,
        "eta": facts.eta,
        "port_of_discharge": facts.booking.sailing.port_of_discharge.name,
    }
    buyer_link = (
        reverse("orders:purchase_order_detail", args=[payload["purchase_order"]])
        if payload["purchase_order"]
        else ""
    )
    merchant_link = (
        reverse("orders:merchant_order_detail", args=[merchant_orders[0].number])
        if merchant_orders
        else ""
    )
    merchant_people = organization_staff(organization=shipment.organization)
    for organization, people, link in (
        (shipment.buyer, _buyer_people(shipment.buyer), buyer_link),
        (shipment.organization, merchant_people, merchant_link),
    ):
        for person in people:
            notification_send(
                email=person.email,
                recipient=person,
                organization=organization,
                kind=f"order_shipment.{event_name}",
                template="shipping/email/order_shipment",
                context=context,
                link=link,
            )
