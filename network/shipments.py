"""What order pages need to know of shipping, without importing it (``shipping`` comes after
``orders`` in the app order): ``shipping`` registers its answers in ``AppConfig.ready()``.

- ``shipment_booking``: an organisation's own booking by its reference, so a shipped order
  names a booking that exists and is theirs.
- ``tracking_urls``: the carrier's tracking page for each (carrier, tracking number)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from network.models import Organization


@dataclass(frozen=True)
class ShipmentBooking:
    """A booking as an order sees it."""

    reference: str  # the network's reference (what the order records)
    carrier_name: str
    carrier_scac: str
    carries_goods: bool  # False once rejected, declined or cancelled
    status_label: str


BookingLookup = Callable[..., ShipmentBooking | None]
TrackingLookup = Callable[[list[tuple[str, str]]], dict[tuple[str, str], str]]

_booking_lookup: BookingLookup | None = None
_tracking_lookup: TrackingLookup | None = None


def register_shipment_lookups(*, booking: BookingLookup, tracking: TrackingLookup) -> None:
    global _booking_lookup, _tracking_lookup
    _booking_lookup, _tracking_lookup = booking, tracking


def shipment_booking(*, organization: Organization, reference: str) -> ShipmentBooking | None:
    """``organization``'s booking whose network or carrier reference is ``reference``; None
    when it has none (another organisation's booking included)."""
    if _booking_lookup is None or not reference:
        return None
    return _booking_lookup(organization=organization, reference=reference)


def tracking_urls(shipments: Iterable[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """{(carrier name, tracking number): the carrier's tracking page} for the shipments whose
    carrier is known and has a tracking page (one query for all of them)."""
    wanted = [(carrier, number) for carrier, number in shipments if carrier and number]
    if _tracking_lookup is None or not wanted:
        return {}
    return _tracking_lookup(wanted)


# --- The shipments of merchant orders, as the order pages show them ----------------------------


@dataclass(frozen=True)
class OrderTrackingStep:
    """One milestone of the container's voyage: reached (``at`` set) or not yet."""

    milestone: str
    label: str
    at: datetime | None = None
    location: str = ""
    vessel: str = ""
    equipment_reference: str = ""

    @property
    def reached(self) -> bool:
        return self.at is not None


@dataclass(frozen=True)
class OrderTradeDocument:
    """The current version of one of a shipment's trade documents; ``url`` downloads it."""

    kind: str
    label: str
    number: str
    version: int
    url: str


@dataclass(frozen=True)
class OrderShipment:
    """A shipment carrying (part of) a merchant order, with where its goods are."""

    reference: str
    status: str
    status_label: str
    merchant_order_ids: tuple[int, ...]
    container_reference: str  # the network's shared container, or ""
    equipment_reference: str  # the box's number (e.g. MSKU7301829) once the carrier names it
    carrier_name: str
    vessel: str
    voyage: str
    port_of_loading: str
    port_of_discharge: str
    etd: datetime | None
    eta: datetime | None
    eta_is_tracked: bool  # the carrier's latest estimate, not the schedule's
    departed_at: datetime | None
    arrived_at: datetime | None
    milestones: tuple[OrderTrackingStep, ...] = ()
    documents: tuple[OrderTradeDocument, ...] = field(default=())

    @property
    def arrived(self) -> bool:
        return self.status == "arrived"

    @property
    def tracked(self) -> bool:
        return any(step.reached for step in self.milestones)


OrderShipmentsLookup = Callable[..., dict[int, list[OrderShipment]]]

_order_shipments_lookup: OrderShipmentsLookup | None = None


def register_order_shipments(lookup: OrderShipmentsLookup) -> None:
    global _order_shipments_lookup
    _order_shipments_lookup = lookup


def order_shipments(
    *, organization: Organization, merchant_order_ids: Iterable[int]
) -> dict[int, list[OrderShipment]]:
    """{merchant order id: its current shipments} for the merchant orders ``organization``
    may see (as their buyer, their merchant or an operator); a fixed number of queries
    however many merchant orders are asked about."""
    ids = [pk for pk in merchant_order_ids if pk]
    if _order_shipments_lookup is None or not ids:
        return {}
    return _order_shipments_lookup(organization=organization, merchant_order_ids=ids)
