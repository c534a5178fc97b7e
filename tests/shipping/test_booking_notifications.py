"""The DCSA booking-notification callback: signed per carrier, idempotent on repeat, and
moving the booking through the same transitions as everything else."""

from __future__ import annotations

import json
import uuid

import pytest
from django.urls import reverse
from django_scopes import scopes_disabled

from shipping import services
from shipping.models import BookingEvent, CarrierNotification
from tests.shipping.dcsa_spec import needs_spec, notification_examples, schema_errors
from tests.shipping.factories import NOTIFICATION_SECRET, request_booking
from tests.shipping.helpers import put_in_state, reload

pytestmark = pytest.mark.django_db


def notification(data: dict, *, event_id: str | None = None) -> dict:
    return {
        "specversion": "1.0",
        "id": event_id or str(uuid.uuid4()),
        "source": "https://carrier.test/",
        "type": "org.dcsa.booking.v2",
        "time": "2026-03-02T10:00:00Z",
        "datacontenttype": "application/json",
        "subscriptionReference": "GUMN-SUB-1",
        "data": data,
    }


def post(client, payload, *, scac="MAEU", secret=None, signature=None):
    body = json.dumps(payload).encode()
    headers = {}
    if signature is not False:
        headers["HTTP_NOTIFICATION_SIGNATURE"] = signature or services.notification_signature(
            secret or NOTIFICATION_SECRET, body
        )
    return client.post(
        reverse("shipping_booking_notifications", args=[scac]),
        data=body,
        content_type="application/json",
        **headers,
    )


@pytest.fixture
def submitted(maple, owner, sailing):
    return put_in_state(request_booking(maple, sailing, owner, units=2), "RECEIVED")


def confirmation(booking, **extra):
    return notification(
        {
            "bookingStatus": "CONFIRMED",
            "carrierBookingRequestReference": booking.carrier_booking_request_reference,
            "carrierBookingReference": "MAEU240011",
            **extra,
        }
    )


@needs_spec
def test_the_bodies_used_here_are_valid_dcsa_notifications(submitted):
    assert schema_errors("BookingNotification", confirmation(submitted)) == []


def test_a_signed_confirmation_confirms_the_booking(client, submitted):
    response = post(client, confirmation(submitted))
    assert response.status_code == 204
    booking = reload(submitted)
    assert (booking.status, booking.carrier_booking_reference) == ("CONFIRMED", "MAEU240011")
    with scopes_disabled():
        assert BookingEvent.objects.filter(booking=booking).latest("pk").source == "carrier"


def test_a_repeated_notification_changes_nothing(client, submitted):
    payload = confirmation(submitted, feedbacks=[])
    assert post(client, payload).status_code == 204
    with scopes_disabled():
        events = BookingEvent.objects.filter(booking=submitted).count()
    assert post(client, payload).status_code == 204
    assert post(client, confirmation(submitted)).status_code == 204  # same news, new id
    with scopes_disabled():
        assert BookingEvent.objects.filter(booking=submitted).count() == events
        assert CarrierNotification.objects.filter(event_id=payload["id"]).count() == 1


@pytest.mark.parametrize(
    "signature",
    [False, "sha256=" + "0" * 64, "not-a-signature"],
    ids=["missing", "wrong", "malformed"],
)
def test_an_unsigned_or_badly_signed_notification_is_refused(client, submitted, signature):
    response = post(client, confirmation(submitted), signature=signature)
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_signature"
    assert reload(submitted).status == "RECEIVED"


def test_another_carriers_secret_does_not_work(client, submitted):
    response = post(client, confirmation(submitted), secret="someone-elses-secret")
    assert response.status_code == 401


def test_an_unknown_carrier_is_404(client, submitted):
    assert post(client, confirmation(submitted), scac="ZZZZ").status_code == 404


def test_a_rejection_releases_the_space(client, submitted, sailing):
    payload = notification(
        {
            "bookingStatus": "REJECTED",
            "carrierBookingRequestReference": submitted.carrier_booking_request_reference,
            "feedbacks": [{"severity": "ERROR", "code": "NO_SPACE", "message": "Vessel full"}],
        }
    )
    assert post(client, payload).status_code == 204
    booking = reload(submitted)
    assert (booking.status, booking.carrier_message) == ("REJECTED", "Vessel full")
    sailing.refresh_from_db()
    assert sailing.booked_teu == 0


def test_news_that_contradicts_the_booking_is_refused_and_can_be_corrected(client, submitted):
    put_in_state(submitted, "CONFIRMED")
    rejected = notification(
        {
            "bookingStatus": "REJECTED",
            "carrierBookingReference": reload(submitted).carrier_booking_reference,
        }
    )
    response = post(client, rejected)
    assert response.status_code == 409
    assert response.json()["code"] == "illegal_transition"
    with scopes_disabled():
        assert not CarrierNotification.objects.filter(event_id=rejected["id"]).exists()


def test_an_unknown_booking_reference_is_a_bad_request(client, submitted):
    payload = notification({"bookingStatus": "CONFIRMED", "carrierBookingReference": "NOPE"})
    response = post(client, payload)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_notification"


def test_a_malformed_notification_is_a_bad_request(client, submitted):
    payload = confirmation(submitted)
    del payload["data"]["bookingStatus"]
    payload["type"] = "something.else"
    response = post(client, payload)
    assert response.status_code == 400
    assert set(response.json()["fields"]) == {"data", "type"}


@needs_spec
def test_the_specs_amendment_declined_example_declines_our_amendment(client, maple, owner, sailing):
    booking = put_in_state(request_booking(maple, sailing, owner, units=2), "CONFIRMED")
    services.booking_amend(booking=booking, units=4, gross_weight_kg=72_000, acting_user=owner)
    payload = notification_examples()["declinedLightweightExample"]
    payload["data"]["carrierBookingReference"] = reload(booking).carrier_booking_reference
    payload["data"]["carrierBookingRequestReference"] = "unrelated"
    assert schema_errors("BookingNotification", payload) == []
    assert post(client, payload).status_code == 204
    booking = reload(booking)
    assert (booking.amendment_status, booking.units) == ("AMENDMENT_DECLINED", 2)
    assert booking.carrier_message == "Declined because of no equipment availability"
    sailing.refresh_from_db()
    assert sailing.booked_teu == 4


@needs_spec
def test_the_specs_cancellation_confirmed_example_cancels_our_booking(
    client, maple, owner, sailing
):
    booking = put_in_state(request_booking(maple, sailing, owner, units=2), "CONFIRMED")
    services.booking_cancel(booking=booking, acting_user=owner)
    payload = notification_examples()["cancelConfirmedBookingLightweightExample"]
    payload["data"]["carrierBookingReference"] = reload(booking).carrier_booking_reference
    assert post(client, payload).status_code == 204
    booking = reload(booking)
    assert (booking.status, booking.cancellation_status) == ("CANCELLED", "CANCELLATION_CONFIRMED")
    sailing.refresh_from_db()
    assert sailing.booked_teu == 0
