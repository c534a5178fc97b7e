"""The Celery tasks that talk to carriers: submit after commit, idempotent per booking,
exponential backoff while the carrier is down, polling for late answers."""

from __future__ import annotations

import pytest
from celery.exceptions import Retry
from django_scopes import scopes_disabled

from shipping import services, tasks
from shipping.carriers.base import CarrierAdapter, CarrierReply
from shipping.errors import CarrierRefused, CarrierUnavailable
from shipping.models import Booking, BookingEvent
from tests.shipping.factories import request_booking
from tests.shipping.helpers import reload

pytestmark = pytest.mark.django_db


class ScriptedCarrier(CarrierAdapter):
    """Records every call; fails the first ``failures`` calls; then answers ``answer``."""

    def __init__(self, answer=None, failures=0, refuse=False):
        self.calls: list[str] = []
        self.failures = failures
        self.refuse = refuse
        self.answer = answer or CarrierReply(
            carrier_booking_request_reference="REQ-42", booking_status="RECEIVED"
        )

    def _call(self, name):
        self.calls.append(name)
        if self.refuse:
            raise CarrierRefused("400 bad request")
        if self.failures:
            self.failures -= 1
            raise CarrierUnavailable("503")
        return self.answer

    def submit(self, booking):
        return self._call("submit")

    def amend(self, booking):
        return self._call("amend")

    def cancel(self, booking, *, reason="", amendment_only=False):
        return self._call("cancel_amendment" if amendment_only else "cancel")

    def poll(self, booking):
        return self._call("poll")


@pytest.fixture
def scripted(monkeypatch):
    def install(**kwargs):
        carrier = ScriptedCarrier(**kwargs)
        monkeypatch.setattr(services.carrier_sync, "adapter_for", lambda _carrier: carrier)
        return carrier

    return install


def test_the_request_is_sent_once_after_commit_and_a_second_run_sends_nothing(
    maple, owner, sailing, scripted, django_capture_on_commit_callbacks
):
    carrier = scripted()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        booking = request_booking(maple, sailing, owner)
    assert carrier.calls == []  # nothing leaves before the transaction commits
    for callback in callbacks:
        callback()
    assert tasks.booking_sync.delay(booking.pk).get() == "nothing to send"
    assert carrier.calls == ["submit"]
    booking = reload(booking)
    assert booking.carrier_booking_request_reference == "REQ-42"
    assert booking.submitted_at is not None
    assert booking.status == "RECEIVED"


def test_a_run_that_finds_another_worker_sending_backs_off(maple, owner, sailing, scripted):
    carrier = scripted()
    booking = request_booking(maple, sailing, owner)
    from django.utils import timezone

    with scopes_disabled():
        Booking.objects.filter(pk=booking.pk).update(
            carrier_lease_until=timezone.now() + services.CARRIER_LEASE
        )
    assert services.booking_sync_with_carrier(booking_id=booking.pk) == "another worker is sending"
    assert carrier.calls == []


def test_the_task_retries_with_exponential_backoff_until_the_carrier_answers(
    maple, owner, sailing, scripted
):
    assert tasks.booking_sync.autoretry_for == (CarrierUnavailable,)
    assert tasks.booking_sync.retry_backoff is True
    assert tasks.booking_sync.max_retries >= 5
    carrier = scripted(
        failures=2,
        answer=CarrierReply(
            carrier_booking_request_reference="REQ-7",
            carrier_booking_reference="MAEU777",
            booking_status="CONFIRMED",
        ),
    )
    booking = request_booking(maple, sailing, owner)
    delays = []
    for retries in range(5):  # what the worker does: run, and on Retry run again later
        try:
            tasks.booking_sync.apply(args=(booking.pk,), retries=retries, throw=True)
            break
        except Retry as retry:
            delays.append(retry.when)
    assert carrier.calls == ["submit", "submit", "submit"]
    assert len(delays) == 2
    assert all(0 <= delay <= 2**n for n, delay in enumerate(delays, start=1))
    booking = reload(booking)
    assert (booking.status, booking.carrier_booking_reference) == ("CONFIRMED", "MAEU777")
    assert booking.submission_attempts == 3
    assert booking.last_carrier_error == ""


def test_a_request_the_carrier_refuses_is_rejected_and_its_space_released(
    maple, owner, sailing, scripted
):
    scripted(refuse=True)
    booking = request_booking(maple, sailing, owner, units=2)
    tasks.booking_sync.delay(booking.pk)
    booking = reload(booking)
    assert booking.status == "REJECTED"
    assert "400" in booking.last_carrier_error
    sailing.refresh_from_db()
    assert sailing.booked_teu == 0


def test_cancelling_a_request_never_sent_tells_the_carrier_nothing(
    maple, owner, sailing, scripted, django_capture_on_commit_callbacks
):
    carrier = scripted()
    booking = request_booking(maple, sailing, owner)  # on-commit callbacks not run: not sent
    with django_capture_on_commit_callbacks(execute=True):
        services.booking_cancel(booking=booking, acting_user=owner)
    assert carrier.calls == []
    assert reload(booking).carrier_sync == ""


def test_cancelling_a_sent_request_sends_a_cancellation(
    maple, owner, sailing, scripted, django_capture_on_commit_callbacks
):
    carrier = scripted()
    with django_capture_on_commit_callbacks(execute=True):
        booking = request_booking(maple, sailing, owner)
    carrier.answer = CarrierReply(booking_status="CANCELLED")
    with django_capture_on_commit_callbacks(execute=True):
        services.booking_cancel(booking=booking, acting_user=owner)
    assert carrier.calls[-1] == "cancel"
    assert reload(booking).status == "CANCELLED"


def test_an_amendment_is_sent_and_the_carrier_confirms_it(
    maple, owner, sailing, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        booking = request_booking(maple, sailing, owner, units=2)
    assert reload(booking).status == "CONFIRMED"
    with django_capture_on_commit_callbacks(execute=True):
        services.booking_amend(booking=booking, units=3, gross_weight_kg=54_000, acting_user=owner)
    # The carrier decided at once; its notification having gone astray, the poll fetches it.
    tasks.poll_bookings_awaiting_carrier.delay()
    booking = reload(booking)
    assert (booking.status, booking.amendment_status, booking.units) == (
        "CONFIRMED",
        "AMENDMENT_CONFIRMED",
        3,
    )
    sailing.refresh_from_db()
    assert sailing.booked_teu == 6
    with scopes_disabled():
        actions = list(
            BookingEvent.objects.filter(booking=booking).values_list("action", flat=True)
        )
    assert actions == [
        "requested",
        "sent_submit",
        "confirmed",
        "amended",
        "sent_amend",
        "amendment_confirmed",
    ]


def test_a_late_answer_is_fetched_by_the_poll(
    maple, owner, sailing, carrier_server, django_capture_on_commit_callbacks
):
    carrier_server.config(delay=3600)
    with django_capture_on_commit_callbacks(execute=True):
        booking = request_booking(maple, sailing, owner)
    booking = reload(booking)
    assert booking.status == "RECEIVED"
    assert (
        booking.carrier_booking_request_reference
        == (carrier_server.bookings("MAEU")[0]["carrierBookingRequestReference"])
    )
    assert tasks.poll_bookings_awaiting_carrier.delay().get() == 1
    assert reload(booking).status == "RECEIVED"  # the carrier has not decided yet

    carrier_server.advance("MAEU")  # time has passed
    tasks.poll_bookings_awaiting_carrier.delay()
    assert reload(booking).status == "CONFIRMED"
    assert tasks.poll_bookings_awaiting_carrier.delay().get() == 0


def test_a_booking_the_carrier_does_not_know_is_recorded_not_retried_as_an_error(
    maple, owner, sailing, carrier_server, django_capture_on_commit_callbacks
):
    carrier_server.config(delay=3600)
    with django_capture_on_commit_callbacks(execute=True):
        booking = request_booking(maple, sailing, owner)
    with scopes_disabled():
        Booking.objects.filter(pk=booking.pk).update(carrier_booking_request_reference="UNKNOWN-1")
    assert tasks.booking_poll.delay(booking.pk).get() == "refused"
    booking = reload(booking)
    assert booking.status == "RECEIVED"  # still held, asked again by the next sweep
    assert booking.teu_held == booking.teu
    assert "404" in booking.last_carrier_error


def test_the_carrier_rejecting_gives_the_hold_back(
    maple, owner, sailing, carrier_server, django_capture_on_commit_callbacks
):
    carrier_server.config(rejection_rate=1)
    with django_capture_on_commit_callbacks(execute=True):
        booking = request_booking(maple, sailing, owner, units=3)
    booking = reload(booking)
    assert booking.status == "REJECTED"
    assert booking.carrier_message == "No space available on the requested vessel."
    sailing.refresh_from_db()
    assert sailing.booked_teu == 0
