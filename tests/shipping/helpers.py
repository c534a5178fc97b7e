"""Putting a booking in a given state for the transition tests, keeping the holds consistent."""

from __future__ import annotations

from django.db.models import F
from django_scopes import scopes_disabled

from shipping.models import RELEASED_STATUSES, Booking, Sailing


def put_in_state(booking, status, *, amendment="", cancellation="", amended_units=None):
    """Set the statuses directly (as if the history had happened), releasing the hold for the
    statuses that hold nothing."""
    with scopes_disabled():
        booking = Booking.objects.get(pk=booking.pk)
        fields = {
            "status": status,
            "amendment_status": amendment,
            "cancellation_status": cancellation,
            "carrier_sync": "",
            "carrier_booking_request_reference": "REQ-" + booking.reference,
        }
        if status not in ("RECEIVED", "PENDING_UPDATE", "UPDATE_RECEIVED"):
            fields["carrier_booking_reference"] = "MAEU" + booking.reference[-6:]
        if amended_units:
            fields["amended_units"] = amended_units
            fields["amended_gross_weight_kg"] = booking.gross_weight_kg
        if status in RELEASED_STATUSES:
            Sailing.objects.filter(pk=booking.sailing_id).update(
                booked_teu=F("booked_teu") - booking.teu_held,
                booked_weight_kg=F("booked_weight_kg") - booking.weight_held_kg,
            )
            fields.update(teu_held=0, weight_held_kg=0)
        Booking.objects.filter(pk=booking.pk).update(**fields)
        return Booking.objects.select_related("sailing").get(pk=booking.pk)


def reload(booking):
    with scopes_disabled():
        return Booking.objects.select_related("sailing").get(pk=booking.pk)
