"""Booking 2.0.5 at the carrier process: the DCSA lifecycle, decided after the configured
delay, and the signed full-state notifications it pushes."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest

from tests.carriersim.conftest import create_booking
from tests.carriersim.standards import BOOKING, needs_standards, schema_errors
from tests.shipping.factories import NOTIFICATION_SECRET


@needs_standards
def test_a_booking_request_is_confirmed_at_once_and_valid_as_a_dcsa_booking(maersk):
    reference = maersk.book(create_booking())
    booking = maersk.booking(reference)
    assert schema_errors(BOOKING, "Booking", booking) == []
    assert booking["bookingStatus"] == "CONFIRMED"
    assert booking["carrierBookingRequestReference"] == reference
    assert booking["carrierBookingReference"].startswith("MAEU")
    assert booking["bookingChannelReference"] == "BK-2030-000123"
    assert booking["confirmedEquipments"] == [{"ISOEquipmentCode": "42G1", "units": 1}]
    assert [cut["cutOffDateTimeCode"] for cut in booking["shipmentCutOffTimes"]] == [
        "DCO",
        "VCO",
        "FCO",
    ]
    assert booking["transportPlan"][0]["loadLocation"] == {"UNLocationCode": "USLAX"}
    # The confirmed booking is found by either reference.
    assert maersk.booking(booking["carrierBookingReference"]) == booking


def test_a_slow_carrier_decides_when_advanced(maersk, carrier_server):
    carrier_server.config(delay=3600)
    reference = maersk.book(create_booking())
    assert maersk.booking(reference)["bookingStatus"] == "RECEIVED"
    assert carrier_server.advance("MAEU") == {"decided": 1, "events": 0}
    assert maersk.booking(reference)["bookingStatus"] == "CONFIRMED"


def test_an_invalid_booking_request_is_refused(maersk):
    body = create_booking()
    del body["shipmentLocations"]
    response = maersk.call("POST", "/v2/bookings", json=body)
    assert response.status_code == 400
    assert "shipmentLocations" in response.json()["statusCodeMessage"]
    assert maersk.call("POST", "/v2/bookings", content=b"{not json").status_code == 400


@needs_standards
def test_a_rejected_booking_says_why(maersk, carrier_server):
    carrier_server.config(rejection_rate=1)
    booking = maersk.booking(maersk.book(create_booking()))
    assert schema_errors(BOOKING, "Booking", booking) == []
    assert booking["bookingStatus"] == "REJECTED"
    assert "carrierBookingReference" not in booking
    assert booking["feedbacks"][0]["message"] == "No space available on the requested vessel."


def test_seeded_decisions_vary_between_bookings(maersk, carrier_server):
    carrier_server.config(rejection_rate=0.5)
    statuses = {maersk.booking(maersk.book(create_booking()))["bookingStatus"] for _ in range(12)}
    assert statuses == {"CONFIRMED", "REJECTED"}


def test_an_update_before_confirmation_is_decided_again(maersk, carrier_server):
    carrier_server.config(delay=3600)
    reference = maersk.book(create_booking())
    response = maersk.call("PUT", f"/v2/bookings/{reference}", json=create_booking(units=3))
    assert response.status_code == 202
    assert maersk.booking(reference)["bookingStatus"] == "UPDATE_RECEIVED"
    carrier_server.advance("MAEU", reference)
    booking = maersk.booking(reference)
    assert booking["bookingStatus"] == "CONFIRMED"
    assert booking["confirmedEquipments"] == [{"ISOEquipmentCode": "42G1", "units": 3}]


@needs_standards
def test_an_amendment_of_a_confirmed_booking_is_confirmed(maersk, carrier_server):
    carrier_server.config(delay=3600)
    reference = maersk.book(create_booking())
    carrier_server.advance("MAEU")
    number = maersk.booking(reference)["carrierBookingReference"]
    maersk.call("PUT", f"/v2/bookings/{number}", json=create_booking(units=2))
    pending = maersk.booking(number)
    assert (pending["bookingStatus"], pending["amendedBookingStatus"]) == (
        "CONFIRMED",
        "AMENDMENT_RECEIVED",
    )
    amended = maersk.call("GET", f"/v2/bookings/{number}", params={"amendedContent": "true"})
    assert amended.json()["requestedEquipments"][0]["units"] == 2
    carrier_server.advance("MAEU", number)
    booking = maersk.booking(number)
    assert schema_errors(BOOKING, "Booking", booking) == []
    assert booking["amendedBookingStatus"] == "AMENDMENT_CONFIRMED"
    assert booking["confirmedEquipments"] == [{"ISOEquipmentCode": "42G1", "units": 2}]
    assert booking["carrierBookingReference"] == number


def test_an_amendment_can_be_declined(maersk, carrier_server):
    number = maersk.booking(maersk.book(create_booking()))["carrierBookingReference"]
    carrier_server.config(rejection_rate=1)
    maersk.call("PUT", f"/v2/bookings/{number}", json=create_booking(units=2))
    booking = maersk.booking(number)
    assert booking["amendedBookingStatus"] == "AMENDMENT_DECLINED"
    assert booking["confirmedEquipments"] == [{"ISOEquipmentCode": "42G1", "units": 1}]


def test_a_booking_request_is_cancelled_before_confirmation(maersk, carrier_server):
    carrier_server.config(delay=3600)
    reference = maersk.book(create_booking())
    cancel = {"bookingStatus": "CANCELLED", "reason": "Order withdrawn"}
    assert maersk.call("PATCH", f"/v2/bookings/{reference}", json=cancel).status_code == 202
    assert maersk.booking(reference)["bookingStatus"] == "CANCELLED"
    # Nothing is left to decide, and a cancelled request cannot be cancelled again.
    assert carrier_server.advance("MAEU") == {"decided": 0, "events": 0}
    assert maersk.call("PATCH", f"/v2/bookings/{reference}", json=cancel).status_code == 409


def test_a_confirmed_booking_is_cancelled_through_a_cancellation_request(maersk):
    number = maersk.booking(maersk.book(create_booking()))["carrierBookingReference"]
    too_late = maersk.call("PATCH", f"/v2/bookings/{number}", json={"bookingStatus": "CANCELLED"})
    assert too_late.status_code == 409
    response = maersk.call(
        "PATCH",
        f"/v2/bookings/{number}",
        json={"bookingCancellationStatus": "CANCELLATION_RECEIVED", "reason": "No cargo"},
    )
    assert response.status_code == 202
    booking = maersk.booking(number)
    assert (booking["bookingStatus"], booking["bookingCancellationStatus"]) == (
        "CANCELLED",
        "CANCELLATION_CONFIRMED",
    )
    assert maersk.call("PUT", f"/v2/bookings/{number}", json=create_booking()).status_code == 409


def test_an_unknown_booking_is_not_found(maersk):
    assert maersk.call("GET", "/v2/bookings/NO-SUCH-BOOKING").status_code == 404


@needs_standards
@pytest.mark.parametrize("delay", [0, 3600])
def test_every_state_change_is_pushed_signed_in_full(maersk, carrier_server, receiver, delay):
    carrier_server.config(delay=delay, booking_callback=f"{receiver.url}/carriers/{{scac}}/")
    reference = maersk.book(create_booking())
    carrier_server.advance("MAEU")
    pushes = receiver.wait_for(2)
    statuses = []
    for path, headers, raw in pushes:
        assert path == "/carriers/MAEU/"
        digest = hmac.new(NOTIFICATION_SECRET.encode(), raw, hashlib.sha256).hexdigest()
        assert headers["Notification-Signature"] == f"sha256={digest}"
        notification = json.loads(raw)
        assert schema_errors(BOOKING, "BookingNotification", notification) == []
        assert notification["type"] == "org.dcsa.booking.v2"
        assert notification["data"]["carrierBookingRequestReference"] == reference
        assert notification["data"]["booking"]["bookingChannelReference"] == "BK-2030-000123"
        statuses.append(notification["data"]["bookingStatus"])
    assert statuses == ["RECEIVED", "CONFIRMED"]
    assert len({notification["id"] for notification in receiver.bodies()}) == 2


def test_a_push_the_receiver_refuses_is_retried(maersk, carrier_server, receiver):
    carrier_server.config(booking_callback=f"{receiver.url}/missing")
    maersk.book(create_booking())
    # Two state changes, each tried again after the receiver's first answer.
    assert len(receiver.wait_for(2)) == 2
