"""Refusals of the orders app, each with a stable code for the API."""

from __future__ import annotations

from network.errors import DomainError, PermissionDenied
from network.transitions import IllegalTransition


class OrderPermissionDenied(PermissionDenied):
    """The acting person's organisation or role may not do this to an order."""


class QuantityNotAllowed(DomainError):
    """Below the MOQ or not a whole number of case packs; ``details["lines"]`` has one message
    per SKU when several lines are checked at once."""

    code = "quantity_not_allowed"
    status = 400


class InsufficientStock(DomainError):
    """Not enough stock for one or more lines: ``details["lines"]`` lists
    ``{"sku", "requested", "available", "message"}`` per short line. Nothing was written."""

    code = "insufficient_stock"
    status = 409


class ProductUnavailable(DomainError):
    """The listing is not active, or its merchant does not take orders; answered exactly as
    for a SKU id that does not exist (``details["skus"]`` lists the ids sent)."""

    code = "product_unavailable"
    status = 409


class MinimumOrderNotMet(DomainError):
    code = "minimum_order_not_met"
    status = 400


class EmptyCart(DomainError):
    code = "empty_cart"
    status = 400


class IllegalOrderTransition(IllegalTransition):
    """A merchant order's status does not allow the action (or its input is incomplete)."""


class UnknownBooking(DomainError):
    """A shipment's booking reference that is not one of the merchant's own bookings (or one
    that carries nothing, or is with another carrier). ``field`` names the form field."""

    code = "unknown_booking"
    status = 400
    field = "booking_reference"


class ReceiptProblemInvalid(DomainError):
    """A receipt problem report that cannot be taken as sent: its kind, its description or its
    photos (``field`` names the form field at fault)."""

    code = "receipt_problem_invalid"
    status = 400
    field = "description"

    def __init__(self, message: str, *, field: str = "description", **details) -> None:
        super().__init__(message, **details)
        self.field = field


class QuotationExpired(DomainError):
    """A cart line's quotation is past its ``valid until``: checkout is refused and nothing is
    written; ``details["lines"]`` names each such line (``sku``, ``quotation``, ``message``)."""

    code = "quotation_expired"
    status = 409


class SampleNotOffered(DomainError):
    """The SKU offers no sample (no sample price)."""

    code = "sample_not_offered"
    status = 409


class SampleLimitReached(DomainError):
    """More sample units than the SKU allows one buyer, counting samples already ordered."""

    code = "sample_limit_reached"
    status = 400
