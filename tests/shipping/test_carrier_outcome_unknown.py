"""A booking request whose fate at the carrier is unknown (no answer came back, or the worker
sending it died) is never sent twice blindly: it stays held, the carrier's notification naming
our reference attaches theirs, and only after the receipt wait without a word is it sent again."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django_scopes import scopes_disabled

from shipping import services, tasks
from shipping.carriers.base import CarrierReply
from shipping.errors import CarrierOutcomeUnknown
from shipping.models import Booking, BookingEvent
from tests.shipping.factories import request_booking
from tests.shipping.helpers import reload
from tests.shipping.test_booking_notifications import notification, post
from tests.shipping.test_carrier_sync import ScriptedCarrier

pytestmark = pytest.mark.django_db


class SilentCarrier(ScriptedCarrier):
    """Takes the request, but its answer never comes back the first ``silences`` times."""

    def __init__(self, silences=1, **kwargs):
        super().__init__(**kwargs)
        self.silences = silences

    def submit(self, booking):
        self.calls.append("submit")
        if self.silences:
            self.silences -= 1
            raise CarrierOutcomeUnknown("MAEU: POST /v2/bookings failed (ReadTimeout)")
        return self.answer


@pytest.fixture
def silent(monkeypatch):
    def install(**kwargs):
        carrier = SilentCarrier(**kwargs)
        monkeypatch.setattr(services.carrier_sync, "adapter_for", lambda _carrier: carrier)
        return carrier

    return install


@pytest.fixture
def sent(maple, owner, sailing, django_capture_on_commit_callbacks):
    """A booking requested and committed, so that its submission goes out."""

    def request(**kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            booking = request_booking(maple, sailing, owner, **kwargs)
        return reload(booking)

    return request


def actions(booking) -> list[str]:
    with scopes_disabled():
        return list(BookingEvent.objects.filter(booking=booking).values_list("action", flat=True))


def received_by_carrier(booking, request_reference="CBRR-LATE-1", **data) -> dict:
    """The carrier's Full State Transfer RECEIVED notification for the request it holds."""
    return notification(
        {
            "bookingStatus": "RECEIVED",
            "carrierBookingRequestReference": request_reference,
            "booking": {
                "carrierBookingRequestReference": request_reference,
                "bookingStatus": "RECEIVED",
                "bookingChannelReference": booking.reference,
                "references": [{"type": "CR", "value": booking.reference}],
            },
            **data,
        }
    )


def test_a_timed_out_request_is_held_and_not_sent_again_while_the_carrier_may_answer(
    sent, maple, owner, sailing, silent
):
    carrier = silent()
    booking = sent(units=2)
    booking = reload(booking)
    assert carrier.calls == ["submit"]
    assert booking.carrier_outcome_unknown_since is not None
    assert (booking.status, booking.carrier_sync, booking.teu_held) == ("RECEIVED", "submit", 4)
    assert "ReadTimeout" in booking.last_carrier_error
    # The redrive comes round: nothing is sent while the carrier may still answer.
    assert tasks.redrive_booking_syncs.delay(older_than_seconds=0).get() == 1
    assert services.booking_sync_with_carrier(booking_id=booking.pk) == (
        "awaiting the carrier's word"
    )
    assert carrier.calls == ["submit"]
    sailing.refresh_from_db()
    assert sailing.booked_teu == 4
    assert "carrier_outcome_unknown" in actions(booking)


def test_the_carriers_notification_attaches_its_reference_and_nothing_is_sent_again(
    sent, client, maple, owner, sailing, silent
):
    carrier = silent()
    booking = sent(units=2)
    assert post(client, received_by_carrier(booking)).status_code == 204
    booking = reload(booking)
    assert booking.carrier_booking_request_reference == "CBRR-LATE-1"
    assert booking.carrier_outcome_unknown_since is None
    assert booking.carrier_sync == ""
    assert booking.status == "RECEIVED"
    assert actions(booking)[-1] == "carrier_received"
    assert services.booking_sync_with_carrier(booking_id=booking.pk) == "nothing to send"
    confirmed = notification(
        {
            "bookingStatus": "CONFIRMED",
            "carrierBookingRequestReference": "CBRR-LATE-1",
            "carrierBookingReference": "MAEU900001",
        }
    )
    assert post(client, confirmed).status_code == 204
    booking = reload(booking)
    assert (booking.status, booking.carrier_booking_reference) == ("CONFIRMED", "MAEU900001")
    assert carrier.calls == ["submit"]


def test_a_cr_reference_alone_is_enough_to_recognise_our_booking(
    sent, client, maple, owner, sailing, silent
):
    silent()
    booking = sent()
    payload = received_by_carrier(booking)
    del payload["data"]["booking"]["bookingChannelReference"]
    assert post(client, payload).status_code == 204
    assert reload(booking).carrier_booking_request_reference == "CBRR-LATE-1"


def test_a_notification_cannot_take_over_a_booking_that_has_its_reference(
    sent, client, maple, owner, sailing, silent
):
    silent(silences=0)  # answers REQ-42
    booking = sent()
    response = post(client, received_by_carrier(booking, request_reference="CBRR-OTHER"))
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_notification"
    assert reload(booking).carrier_booking_request_reference == "REQ-42"


def test_after_the_receipt_wait_without_a_word_it_is_sent_again_and_says_why(
    sent, maple, owner, sailing, silent, settings
):
    settings.SHIPPING_RECEIPT_WAIT_SECONDS = 300
    carrier = silent()
    booking = sent()
    with scopes_disabled():
        Booking.objects.filter(pk=booking.pk).update(
            carrier_outcome_unknown_since=timezone.now() - timedelta(seconds=301)
        )
    assert services.booking_sync_with_carrier(booking_id=booking.pk) == "sent"
    assert carrier.calls == ["submit", "submit"]
    booking = reload(booking)
    assert booking.carrier_booking_request_reference == "REQ-42"
    assert booking.carrier_outcome_unknown_since is None
    assert actions(booking)[-3:] == ["carrier_outcome_unknown", "resent_submit", "sent_submit"]
    with scopes_disabled():
        why = BookingEvent.objects.get(booking=booking, action="resent_submit").message
    assert "no word of the earlier request in 5 minutes" in why


def test_a_worker_lost_mid_send_leaves_the_request_unsent_until_the_carrier_speaks(
    maple, owner, sailing, silent, django_capture_on_commit_callbacks
):
    carrier = silent(silences=0)
    with django_capture_on_commit_callbacks(execute=False):
        booking = request_booking(maple, sailing, owner)
    # What a worker that died after taking the lease leaves behind.
    with scopes_disabled():
        Booking.objects.filter(pk=booking.pk).update(
            submission_attempts=1, carrier_lease_until=timezone.now() - timedelta(seconds=1)
        )
    assert tasks.redrive_booking_syncs.delay(older_than_seconds=0).get() == 1
    assert carrier.calls == []
    booking = reload(booking)
    assert booking.carrier_outcome_unknown_since is not None
    assert booking.carrier_lease_until is None
    assert (booking.status, booking.carrier_sync) == ("RECEIVED", "submit")


def test_cancelling_while_the_outcome_is_unknown_cancels_at_the_carrier_once_it_speaks(
    sent, client, owner, sailing, silent, django_capture_on_commit_callbacks
):
    carrier = silent(answer=CarrierReply(booking_status="CANCELLED"))
    booking = sent(units=2)
    with django_capture_on_commit_callbacks(execute=True):
        services.booking_cancel(booking=booking, acting_user=owner)
    booking = reload(booking)
    assert (booking.status, booking.carrier_sync) == ("CANCELLED", "cancel")
    assert carrier.calls == ["submit"]  # no reference to cancel with yet
    with django_capture_on_commit_callbacks(execute=True):
        assert post(client, received_by_carrier(booking)).status_code == 204
    booking = reload(booking)
    assert booking.carrier_booking_request_reference == "CBRR-LATE-1"
    assert carrier.calls == ["submit", "cancel"]
    assert (booking.status, booking.carrier_sync) == ("CANCELLED", "")
    sailing.refresh_from_db()
    assert sailing.booked_teu == 0


def test_a_cancellation_with_no_word_from_the_carrier_is_dropped_after_the_wait(
    sent, maple, owner, sailing, silent
):
    carrier = silent()
    booking = sent()
    services.booking_cancel(booking=reload(booking), acting_user=owner)
    with scopes_disabled():
        Booking.objects.filter(pk=booking.pk).update(
            carrier_outcome_unknown_since=timezone.now() - timedelta(hours=1)
        )
    assert services.booking_sync_with_carrier(booking_id=booking.pk) == "nothing to send"
    assert carrier.calls == ["submit"]
    assert reload(booking).carrier_sync == ""


def test_the_notification_secret_comes_from_the_connection_first(
    sent, client, maple, owner, sailing, silent, monkeypatch
):
    silent(silences=0)
    booking = sent()
    monkeypatch.setenv("CARRIER_MAEU_NOTIFICATION_SECRET", "secret-from-the-environment")
    confirmed = notification(
        {
            "bookingStatus": "CONFIRMED",
            "carrierBookingRequestReference": booking.carrier_booking_request_reference,
            "carrierBookingReference": "MAEU900002",
        }
    )
    assert post(client, confirmed).status_code == 401  # the row's secret no longer counts
    assert post(client, confirmed, secret="secret-from-the-environment").status_code == 204
    assert reload(booking).status == "CONFIRMED"
