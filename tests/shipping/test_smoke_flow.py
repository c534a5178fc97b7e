"""The main road: request, hold, carrier confirms."""

import pytest
from django_scopes import scopes_disabled

from shipping.models import Booking, BookingStatus
from tests.shipping.factories import request_booking

pytestmark = pytest.mark.django_db


def test_request_holds_space_and_the_carrier_confirms_after_commit(
    maple, owner, sailing, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        booking = request_booking(maple, sailing, owner, units=2)
    sailing.refresh_from_db()
    assert sailing.booked_teu == 4
    with scopes_disabled():
        booking = Booking.objects.get(pk=booking.pk)
    assert booking.status == BookingStatus.CONFIRMED
    assert booking.carrier_booking_reference.startswith("MAEU")
    assert booking.teu_held == 4
