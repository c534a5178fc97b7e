"""Refusals of the shipping services, each with a stable code for the API."""

from __future__ import annotations

from django.utils.translation import gettext as _

from network.errors import DomainError
from network.transitions import IllegalTransition


class CapacityExhausted(DomainError):
    """Not enough TEU left on the sailing for the request."""

    code = "capacity_exhausted"
    status = 409

    def __init__(self, *, remaining_teu: int, requested_teu: int) -> None:
        super().__init__(
            _(
                "Not enough space on this sailing: %(requested)s TEU requested, "
                "%(remaining)s TEU left."
            )
            % {"requested": requested_teu, "remaining": max(remaining_teu, 0)},
            remaining_teu=remaining_teu,
            requested_teu=requested_teu,
        )


class WeightExhausted(DomainError):
    code = "weight_exhausted"
    status = 409

    def __init__(self, *, remaining_kg: int, requested_kg: int) -> None:
        super().__init__(
            _(
                "The sailing's weight allocation is exhausted: %(requested)s kg requested, "
                "%(remaining)s kg left."
            )
            % {"requested": requested_kg, "remaining": max(remaining_kg, 0)},
            remaining_kg=remaining_kg,
            requested_kg=requested_kg,
        )


class IllegalBookingTransition(IllegalTransition):
    """A booking's status (or pending amendment or cancellation) does not allow the action."""


class SailingNotBookable(DomainError):
    code = "sailing_closed"
    status = 409


class EquipmentNotOffered(DomainError):
    code = "equipment_not_offered"


class BookingInvalid(DomainError):
    code = "validation_error"

    def __init__(self, message: str, *, fields: dict | None = None) -> None:
        super().__init__(message, fields=fields or {})
        self.fields = fields or {}


class NotificationRejected(DomainError):
    code = "invalid_notification"


class CarrierUnavailable(Exception):
    """The carrier could not be reached or answered with a server error: try again later."""


class CarrierOutcomeUnknown(CarrierUnavailable):
    """The request may have reached the carrier but no answer came back (a read timeout, the
    connection dropped, a gateway timeout): it must not be sent again until the carrier says
    whether it has it."""


class CarrierAuthFailed(CarrierUnavailable):
    """The carrier refused the network's credentials: the connection's configuration is at
    fault, not the request, which stays pending."""


class CarrierCircuitOpen(CarrierUnavailable):
    """Calls to the carrier are paused after failing repeatedly; nothing was sent."""


class CarrierRefused(Exception):
    """The carrier refused the request itself (a 4xx): retrying the same request will not help."""


class TrackingEventsRejected(DomainError):
    """A carrier's push of Track & Trace events that the network cannot read."""

    code = "invalid_events"


# --- Shared containers -------------------------------------------------------------------------


class ContainerFull(DomainError):
    """Not enough volume or weight left in the shared container for the space asked."""

    code = "container_full"
    status = 409


class ContainerClosed(DomainError):
    """The shared container no longer takes space: receiving closed, merged or released."""

    code = "container_closed"
    status = 409


class DangerousGoodsRefused(DomainError):
    """A shared container carries no dangerous goods; the shipper must declare there are none."""

    code = "dangerous_goods_refused"


class SpaceInvalid(DomainError):
    """The space asked is not a volume of at least 1 m³ in tenths, with a weight."""

    code = "space_invalid"


class ContainerInvalid(DomainError):
    """A shared container that cannot be opened or merged as asked."""

    code = "container_invalid"


# --- Shipments of merchant orders --------------------------------------------------------------


class OrderLineAlreadyShipped(DomainError):
    """An order line is already on another current shipment."""

    code = "order_line_already_shipped"
    status = 409


class ShipmentInvalid(DomainError):
    """The merchant orders or the booking or space chosen cannot make a shipment."""

    code = "shipment_invalid"


class SpaceTooSmall(DomainError):
    """The cargo does not fit the unused volume or weight of the merchant's space."""

    code = "space_too_small"
    status = 409


class IllegalShipmentTransition(IllegalTransition):
    """A shipment's status does not allow the action."""
