"""Every status change of a booking, legal and illegal, against the DCSA Booking 2.0 lifecycle.

The expectations are written out here on their own rather than read from the service's table,
so a wrong entry in the table fails a test."""

import pytest
from django.core import mail

from network.models import AuditEvent
from shipping import services
from shipping.errors import IllegalBookingTransition
from shipping.models import BookingEvent
from tests.shipping.factories import request_booking
from tests.shipping.helpers import put_in_state, reload

pytestmark = pytest.mark.django_db

STATUSES = [
    "RECEIVED",
    "PENDING_UPDATE",
    "UPDATE_RECEIVED",
    "CONFIRMED",
    "PENDING_AMENDMENT",
    "REJECTED",
    "DECLINED",
    "CANCELLED",
    "COMPLETED",
]


def _amend(booking, user):
    return services.booking_amend(
        booking=booking, units=3, gross_weight_kg=54_000, acting_user=user
    )


ACTIONS = {
    "merchant amends": _amend,
    "merchant cancels": lambda b, u: services.booking_cancel(booking=b, acting_user=u),
    "carrier confirms": lambda b, u: services.booking_confirm(
        booking=b, carrier_booking_reference="MAEU123456789"
    ),
    "carrier rejects": lambda b, u: services.booking_reject(booking=b, message="No space"),
    "carrier asks for an update": lambda b, u: services.booking_request_update(booking=b),
    "carrier declines": lambda b, u: services.booking_decline(booking=b),
    "carrier completes": lambda b, u: services.booking_complete(booking=b),
    "carrier asks for an amendment": lambda b, u: services.booking_request_amendment(booking=b),
}

# (action, status before) → (status, amendment status, cancellation status) after; absent = illegal.
EXPECTED = {
    ("merchant amends", "RECEIVED"): ("UPDATE_RECEIVED", "", ""),
    ("merchant amends", "PENDING_UPDATE"): ("UPDATE_RECEIVED", "", ""),
    ("merchant amends", "UPDATE_RECEIVED"): ("UPDATE_RECEIVED", "", ""),
    ("merchant amends", "CONFIRMED"): ("CONFIRMED", "AMENDMENT_RECEIVED", ""),
    ("merchant amends", "PENDING_AMENDMENT"): ("PENDING_AMENDMENT", "AMENDMENT_RECEIVED", ""),
    ("merchant cancels", "RECEIVED"): ("CANCELLED", "", ""),
    ("merchant cancels", "PENDING_UPDATE"): ("CANCELLED", "", ""),
    ("merchant cancels", "UPDATE_RECEIVED"): ("CANCELLED", "", ""),
    ("merchant cancels", "CONFIRMED"): ("CONFIRMED", "", "CANCELLATION_RECEIVED"),
    ("merchant cancels", "PENDING_AMENDMENT"): ("PENDING_AMENDMENT", "", "CANCELLATION_RECEIVED"),
    ("carrier confirms", "RECEIVED"): ("CONFIRMED", "", ""),
    ("carrier confirms", "UPDATE_RECEIVED"): ("CONFIRMED", "", ""),
    ("carrier rejects", "RECEIVED"): ("REJECTED", "", ""),
    ("carrier rejects", "PENDING_UPDATE"): ("REJECTED", "", ""),
    ("carrier rejects", "UPDATE_RECEIVED"): ("REJECTED", "", ""),
    ("carrier asks for an update", "RECEIVED"): ("PENDING_UPDATE", "", ""),
    ("carrier asks for an update", "UPDATE_RECEIVED"): ("PENDING_UPDATE", "", ""),
    ("carrier declines", "CONFIRMED"): ("DECLINED", "", ""),
    ("carrier declines", "PENDING_AMENDMENT"): ("DECLINED", "", ""),
    ("carrier completes", "CONFIRMED"): ("COMPLETED", "", ""),
    ("carrier asks for an amendment", "CONFIRMED"): ("PENDING_AMENDMENT", "", ""),
}


@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("action", list(ACTIONS))
def test_status_transition(action, status, maple, owner, sailing, no_scopes):
    booking = put_in_state(request_booking(maple, sailing, owner, units=2), status)
    events_before = BookingEvent.objects.filter(booking=booking).count()
    audits_before = AuditEvent.objects.count()
    expected = EXPECTED.get((action, status))
    if expected is None:
        with pytest.raises(IllegalBookingTransition) as error:
            ACTIONS[action](booking, owner)
        assert error.value.code == "illegal_transition"
        assert error.value.status == 409
        assert booking.reference in error.value.message
        after = reload(booking)
        assert (after.status, after.teu_held) == (status, booking.teu_held)
        assert BookingEvent.objects.filter(booking=booking).count() == events_before
        assert AuditEvent.objects.count() == audits_before
        return
    ACTIONS[action](booking, owner)
    after = reload(booking)
    assert (after.status, after.amendment_status, after.cancellation_status) == expected
    event = BookingEvent.objects.filter(booking=booking).latest("pk")
    assert event.status == expected[0]
    audit = AuditEvent.objects.filter(target_id=str(booking.pk)).latest("pk")
    assert audit.action.startswith("booking.")
    assert audit.changes["status"] == [status, expected[0]]
    if expected[0] in ("REJECTED", "DECLINED", "CANCELLED"):
        assert after.teu_held == 0
        after.sailing.refresh_from_db()
        assert after.sailing.booked_teu == 0


AMENDMENT_ACTIONS = {
    "carrier confirms the amendment": lambda b: services.booking_confirm_amendment(booking=b),
    "carrier declines the amendment": lambda b: services.booking_decline_amendment(booking=b),
    "merchant withdraws the amendment": lambda b: services.booking_withdraw_amendment(
        booking=b, acting_user=None
    ),
}


@pytest.mark.parametrize("action", list(AMENDMENT_ACTIONS))
@pytest.mark.parametrize("amendment", ["", "AMENDMENT_RECEIVED", "AMENDMENT_CONFIRMED"])
def test_amendment_answers_need_an_amendment_awaiting_the_carrier(
    action, amendment, maple, owner, sailing, no_scopes
):
    booking = put_in_state(
        request_booking(maple, sailing, owner, units=2),
        "CONFIRMED",
        amendment=amendment,
        amended_units=2 if amendment == "AMENDMENT_RECEIVED" else None,
    )
    if amendment != "AMENDMENT_RECEIVED":
        with pytest.raises(IllegalBookingTransition):
            AMENDMENT_ACTIONS[action](booking)
        return
    AMENDMENT_ACTIONS[action](booking)
    expected = {
        "carrier confirms the amendment": "AMENDMENT_CONFIRMED",
        "carrier declines the amendment": "AMENDMENT_DECLINED",
        "merchant withdraws the amendment": "AMENDMENT_CANCELLED",
    }[action]
    assert reload(booking).amendment_status == expected
    assert reload(booking).status == "CONFIRMED"


@pytest.mark.parametrize(
    ("action", "status_after", "cancellation_after"),
    [
        (services.booking_confirm_cancellation, "CANCELLED", "CANCELLATION_CONFIRMED"),
        (services.booking_decline_cancellation, "CONFIRMED", "CANCELLATION_DECLINED"),
    ],
)
def test_cancellation_answers(action, status_after, cancellation_after, maple, owner, sailing):
    booking = put_in_state(request_booking(maple, sailing, owner, units=2), "CONFIRMED")
    with pytest.raises(IllegalBookingTransition):
        action(booking=booking)  # nothing was asked yet
    services.booking_cancel(booking=booking, acting_user=owner)
    action(booking=booking)
    after = reload(booking)
    assert (after.status, after.cancellation_status) == (status_after, cancellation_after)
    sailing.refresh_from_db()
    assert sailing.booked_teu == (0 if status_after == "CANCELLED" else 4)


def test_a_cancellation_awaiting_the_carrier_cannot_be_asked_twice_nor_amended(
    maple, owner, sailing
):
    booking = put_in_state(request_booking(maple, sailing, owner, units=2), "CONFIRMED")
    services.booking_cancel(booking=booking, acting_user=owner)
    with pytest.raises(IllegalBookingTransition):
        services.booking_cancel(booking=booking, acting_user=owner)
    with pytest.raises(IllegalBookingTransition):
        _amend(booking, owner)


def test_a_confirmed_cancellation_also_ends_an_amendment_and_releases_its_increase(
    maple, owner, sailing
):
    booking = put_in_state(request_booking(maple, sailing, owner, units=2), "CONFIRMED")
    _amend(booking, owner)  # 2 → 3 units of 45G1 holds 2 TEU more
    sailing.refresh_from_db()
    assert sailing.booked_teu == 6
    services.booking_cancel(booking=booking, acting_user=owner)
    services.booking_confirm_cancellation(booking=booking)
    after = reload(booking)
    assert (after.status, after.amendment_status) == ("CANCELLED", "AMENDMENT_CANCELLED")
    sailing.refresh_from_db()
    assert sailing.booked_teu == 0


def test_the_requester_is_told_about_the_carriers_answer_by_mail(
    maple, owner, sailing, django_capture_on_commit_callbacks
):
    booking = put_in_state(request_booking(maple, sailing, owner, units=2), "RECEIVED")
    with django_capture_on_commit_callbacks(execute=True):
        services.booking_reject(booking=booking, message="Vessel full")
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [owner.email]
    assert booking.reference in mail.outbox[0].subject
    assert "Rejected" in mail.outbox[0].subject
    assert "Vessel full" in mail.outbox[0].body


def test_confirmation_and_rejection_are_sent_to_the_merchants_webhooks(maple, owner, sailing):
    """booking.confirmed / booking.rejected reach the merchant's subscribed endpoints."""
    from django_scopes import scopes_disabled

    from network import services as network_services
    from network.models import WebhookDelivery

    network_services.webhook_endpoint_create(
        organization=maple,
        url="https://hooks.maple.example/bookings",
        events=["booking.confirmed", "booking.rejected"],
        acting_user=owner,
    )
    confirmed = request_booking(maple, sailing, owner, units=1)
    services.booking_confirm(booking=confirmed, carrier_booking_reference="MAEU123456789")
    rejected = request_booking(maple, sailing, owner, units=1)
    services.booking_reject(booking=rejected, message="No space on this voyage")
    with scopes_disabled():
        deliveries = {d.event: d.payload for d in WebhookDelivery.objects.all()}
    assert deliveries["booking.confirmed"]["booking"] == confirmed.reference
    assert deliveries["booking.confirmed"]["carrier_booking_reference"] == "MAEU123456789"
    assert deliveries["booking.rejected"]["booking"] == rejected.reference
    assert deliveries["booking.rejected"]["message"] == "No space on this voyage"
    assert len(deliveries) == 2
