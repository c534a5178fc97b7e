"""A carrier that lives in the tree, for laptops, demos and tests.

It answers like a DCSA carrier: it acknowledges a request with a request reference, decides
after ``delay`` seconds (confirm, or reject with a reason at ``rejection_rate``), and fails a
share of calls (``failure_rate``) as if it were down. Every choice is drawn from a random
generator seeded with ``seed`` and the booking's reference, so a seeded run repeats exactly."""

from __future__ import annotations

import hashlib
import random
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from shipping.carriers.base import CarrierAdapter, CarrierReply
from shipping.errors import CarrierUnavailable


class SimulatedCarrier(CarrierAdapter):
    def __init__(
        self,
        *,
        scac: str = "SIMU",
        delay_seconds: float | None = None,
        rejection_rate: float | None = None,
        failure_rate: float | None = None,
        seed: str | None = None,
    ) -> None:
        self.scac = scac
        self.delay = float(
            settings.SHIPPING_SIMULATED_DELAY_SECONDS if delay_seconds is None else delay_seconds
        )
        self.rejection_rate = float(
            settings.SHIPPING_SIMULATED_REJECTION_RATE if rejection_rate is None else rejection_rate
        )
        self.failure_rate = float(
            settings.SHIPPING_SIMULATED_FAILURE_RATE if failure_rate is None else failure_rate
        )
        self.seed = str(settings.SHIPPING_SIMULATED_SEED if seed is None else seed)

    # --- choices -----------------------------------------------------------------------------

    def _draw(self, *parts) -> float:
        return random.Random("|".join([self.seed, *map(str, parts)])).random()

    def _maybe_fail(self, booking, operation: str) -> None:
        if self._draw(booking.reference, operation, booking.submission_attempts) < (
            self.failure_rate
        ):
            raise CarrierUnavailable(f"{self.scac} simulated outage during {operation}")

    def _digest(self, *parts) -> str:
        return hashlib.sha256("|".join([self.seed, *map(str, parts)]).encode()).hexdigest()

    def request_reference(self, booking) -> str:
        return f"SIM-{self._digest('request', booking.reference)[:16].upper()}"

    def booking_reference(self, booking) -> str:
        return f"{self.scac}{int(self._digest('booking', booking.reference)[:12], 16) % 10**9:09d}"

    def _decided(self, since) -> bool:
        return self.delay <= 0 or (
            since is not None and timezone.now() >= since + timedelta(seconds=self.delay)
        )

    def _decision(self, booking) -> CarrierReply:
        if self._draw(booking.reference, "decision") < self.rejection_rate:
            return CarrierReply(
                carrier_booking_request_reference=self.request_reference(booking),
                booking_status="REJECTED",
                message="No space available on the requested vessel.",
            )
        return CarrierReply(
            carrier_booking_request_reference=self.request_reference(booking),
            carrier_booking_reference=self.booking_reference(booking),
            booking_status="CONFIRMED",
            message="Booking confirmed.",
        )

    def _amendment_decision(self, booking) -> CarrierReply:
        declined = (
            self._draw(booking.reference, "amend", booking.amended_units) < self.rejection_rate
        )
        return CarrierReply(
            carrier_booking_request_reference=self.request_reference(booking),
            carrier_booking_reference=booking.carrier_booking_reference,
            booking_status="CONFIRMED",
            amendment_status="AMENDMENT_DECLINED" if declined else "AMENDMENT_CONFIRMED",
            message="No additional equipment available." if declined else "Amendment confirmed.",
        )

    # --- interface ---------------------------------------------------------------------------

    def submit(self, booking) -> CarrierReply:
        self._maybe_fail(booking, "submit")
        if self.delay <= 0:
            return self._decision(booking)
        return CarrierReply(
            carrier_booking_request_reference=self.request_reference(booking),
            booking_status="RECEIVED",
        )

    def amend(self, booking) -> CarrierReply:
        self._maybe_fail(booking, "amend")
        if booking.amendment_status == "AMENDMENT_RECEIVED":
            if self.delay <= 0:
                return self._amendment_decision(booking)
            return CarrierReply(
                carrier_booking_reference=booking.carrier_booking_reference,
                booking_status=booking.status,
                amendment_status="AMENDMENT_RECEIVED",
            )
        # An update before confirmation is decided like a new request.
        if self.delay <= 0:
            return self._decision(booking)
        return CarrierReply(
            carrier_booking_request_reference=self.request_reference(booking),
            booking_status="UPDATE_RECEIVED",
        )

    def cancel(self, booking, *, reason: str = "", amendment_only: bool = False) -> CarrierReply:
        self._maybe_fail(booking, "cancel")
        if amendment_only:
            return CarrierReply(
                carrier_booking_reference=booking.carrier_booking_reference,
                booking_status=booking.status,
                amendment_status="AMENDMENT_CANCELLED",
            )
        if booking.carrier_booking_reference:
            return CarrierReply(
                carrier_booking_reference=booking.carrier_booking_reference,
                booking_status="CANCELLED",
                cancellation_status="CANCELLATION_CONFIRMED",
                message="Cancellation confirmed.",
            )
        return CarrierReply(
            carrier_booking_request_reference=self.request_reference(booking),
            booking_status="CANCELLED",
        )

    def poll(self, booking) -> CarrierReply:
        self._maybe_fail(booking, "poll")
        if booking.amendment_status == "AMENDMENT_RECEIVED":
            if self._decided(booking.updated_at):
                return self._amendment_decision(booking)
            return CarrierReply(
                booking_status=booking.status, amendment_status="AMENDMENT_RECEIVED"
            )
        if booking.status in ("RECEIVED", "UPDATE_RECEIVED"):
            if self._decided(booking.submitted_at):
                return self._decision(booking)
            return CarrierReply(
                carrier_booking_request_reference=self.request_reference(booking),
                booking_status=booking.status,
            )
        return CarrierReply(
            carrier_booking_reference=booking.carrier_booking_reference,
            booking_status=booking.status,
        )
