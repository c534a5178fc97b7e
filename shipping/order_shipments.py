"""What the order pages show of the shipments carrying merchant orders (registered in
``network.shipments`` by ``ShippingConfig.ready``, as orders may not import shipping): the
container, vessel and voyage, ETD and latest ETA, the voyage's milestones and the current trade
documents. Four queries whatever the number of merchant orders."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from django.urls import NoReverseMatch, reverse
from django_scopes import scopes_disabled

from network.models import Organization
from network.shipments import OrderShipment, OrderTrackingStep, OrderTradeDocument
from shipping.models import (
    Booking,
    Shipment,
    ShipmentLine,
    ShipmentStatus,
    TrackingEvent,
    TradeDocument,
)
from shipping.services.tracking import MILESTONES


def _document_url(shipment_reference: str, document_pk: int) -> str:
    try:
        return reverse("shipping:trade_document_download", args=[shipment_reference, document_pk])
    except NoReverseMatch:  # downloads not served in this build: the document is named only
        return ""


def _steps(events: list[TrackingEvent]) -> tuple[OrderTrackingStep, ...]:
    first: dict[str, TrackingEvent] = {}
    for event in events:
        if event.milestone and event.milestone not in first:
            first[event.milestone] = event
    steps = []
    for milestone in MILESTONES:
        event = first.get(milestone.value)
        if event is None:
            steps.append(OrderTrackingStep(milestone.value, str(milestone.label)))
            continue
        place = event.location_name or event.location
        if event.location_name and event.location:
            place = f"{event.location_name} ({event.location})"
        steps.append(
            OrderTrackingStep(
                milestone.value,
                str(milestone.label),
                at=event.event_at,
                location=place,
                vessel=" ".join(p for p in (event.vessel_name, event.voyage_number) if p),
                equipment_reference=event.equipment_reference,
            )
        )
    return tuple(steps)


def shipments_of_merchant_orders(
    *, organization: Organization, merchant_order_ids: Iterable[int]
) -> dict[int, list[OrderShipment]]:
    """{merchant order id: its current (not cancelled) shipments, oldest first} among the
    shipments ``organization`` may see (their buyer, their merchant, an operator)."""
    pairs = list(
        ShipmentLine.objects.visible_to(organization)
        .filter(merchant_order_id__in=list(merchant_order_ids), is_current=True)
        .values_list("shipment_id", "merchant_order_id")
        .distinct()
    )
    if not pairs:
        return {}
    orders_of: dict[int, set[int]] = defaultdict(set)
    for shipment_id, merchant_order_id in pairs:
        orders_of[shipment_id].add(merchant_order_id)
    shipments = list(
        Shipment.objects.visible_to(organization)
        .filter(pk__in=orders_of)
        .exclude(status=ShipmentStatus.CANCELLED)
        .select_related(
            "booking__sailing__carrier",
            "booking__sailing__port_of_loading",
            "booking__sailing__port_of_discharge",
            "space_request__container__booking__sailing__carrier",
            "space_request__container__booking__sailing__port_of_loading",
            "space_request__container__booking__sailing__port_of_discharge",
            "space_request__container__sailing__carrier",
            "space_request__container__sailing__port_of_loading",
            "space_request__container__sailing__port_of_discharge",
        )
        .order_by("created_at", "pk")
    )
    bookings: dict[int, Booking] = {}
    for shipment in shipments:
        booking = shipment.carrier_booking
        if booking is not None:
            bookings[booking.pk] = booking
    events: dict[int, list[TrackingEvent]] = defaultdict(list)
    if bookings:
        # The events of the carrier bookings carrying shipments the organisation may see: the
        # network's own booking of a shared container belongs to the operators.
        with scopes_disabled():
            for event in TrackingEvent.objects.filter(booking_id__in=bookings).order_by(
                "event_at", "pk"
            ):
                events[event.booking_id].append(event)
    documents: dict[int, list[OrderTradeDocument]] = defaultdict(list)
    latest: set[tuple[int, str]] = set()
    for document in (
        TradeDocument.objects.visible_to(organization)
        .filter(shipment__in=shipments)
        .select_related("shipment")
        .order_by("shipment_id", "kind", "-version")
    ):
        if (document.shipment_id, document.kind) in latest:
            continue  # an older version
        latest.add((document.shipment_id, document.kind))
        documents[document.shipment_id].append(
            OrderTradeDocument(
                kind=document.kind,
                label=str(document.get_kind_display()),
                number=document.number,
                version=document.version,
                url=_document_url(document.shipment.reference, document.pk),
            )
        )
    found: dict[int, list[OrderShipment]] = defaultdict(list)
    for shipment in shipments:
        view = _view(shipment, events, documents, orders_of[shipment.pk])
        for merchant_order_id in sorted(orders_of[shipment.pk]):
            found[merchant_order_id].append(view)
    return dict(found)


def _view(
    shipment: Shipment,
    events: dict[int, list[TrackingEvent]],
    documents: dict[int, list[OrderTradeDocument]],
    merchant_order_ids: set[int],
) -> OrderShipment:
    booking = shipment.carrier_booking
    container = shipment.space_request.container if shipment.space_request else None
    sailing = booking.sailing if booking else (container.sailing if container else None)
    booking_events = events.get(booking.pk, []) if booking else []
    equipment = next(
        (e.equipment_reference for e in reversed(booking_events) if e.equipment_reference), ""
    )
    with_vessel = [e for e in booking_events if e.vessel_name]
    vessel = (
        with_vessel[-1].vessel_name if with_vessel else (sailing.vessel_name if sailing else "")
    )
    voyage = (
        with_vessel[-1].voyage_number
        if with_vessel and with_vessel[-1].voyage_number
        else (sailing.voyage_number if sailing else "")
    )
    tracked_eta = booking.tracking_eta if booking else None
    return OrderShipment(
        reference=shipment.reference,
        status=shipment.status,
        status_label=str(shipment.get_status_display()),
        merchant_order_ids=tuple(sorted(merchant_order_ids)),
        container_reference=container.reference if container else "",
        equipment_reference=equipment,
        carrier_name=sailing.carrier.name if sailing else "",
        vessel=vessel,
        voyage=voyage,
        port_of_loading=str(sailing.port_of_loading) if sailing else "",
        port_of_discharge=str(sailing.port_of_discharge) if sailing else "",
        etd=shipment.departed_at or (sailing.etd if sailing else None),
        eta=shipment.arrived_at or tracked_eta or (sailing.eta if sailing else None),
        eta_is_tracked=shipment.arrived_at is None and tracked_eta is not None,
        departed_at=shipment.departed_at,
        arrived_at=shipment.arrived_at,
        milestones=_steps(booking_events),
        documents=tuple(documents.get(shipment.pk, [])),
    )
