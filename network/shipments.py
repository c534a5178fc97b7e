"""What order pages need to know of shipping, without importing it (``shipping`` comes after
``orders`` in the app order): ``shipping`` registers its answers in ``AppConfig.ready()``.

- ``shipment_booking``: an organisation's own booking by its reference, so a shipped order
  names a booking that exists and is theirs.
- ``tracking_urls``: the carrier's tracking page for each (carrier, tracking number)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

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
