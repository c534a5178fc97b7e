"""The one interface every carrier connection implements."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from shipping.models import Booking


@dataclass(frozen=True)
class CarrierReply:
    """What a carrier said about a booking. Statuses are DCSA values; ``None`` means the reply
    carries no news on that axis (e.g. a request was only acknowledged)."""

    carrier_booking_request_reference: str = ""
    carrier_booking_reference: str = ""
    booking_status: str | None = None
    amendment_status: str | None = None
    cancellation_status: str | None = None
    message: str = ""


class CarrierAdapter(ABC):
    """Submit, update or amend, cancel and poll one booking at one carrier.

    Every method may raise ``CarrierUnavailable`` (try again later) or ``CarrierRefused`` (the
    request itself was refused). Methods are safe to call again with the same booking."""

    @abstractmethod
    def submit(self, booking: Booking) -> CarrierReply: ...

    @abstractmethod
    def amend(self, booking: Booking) -> CarrierReply:
        """Send the booking's current request (before confirmation, an update) or its requested
        amendment (after confirmation)."""

    @abstractmethod
    def cancel(
        self, booking: Booking, *, reason: str = "", amendment_only: bool = False
    ) -> CarrierReply: ...

    @abstractmethod
    def poll(self, booking: Booking) -> CarrierReply: ...
