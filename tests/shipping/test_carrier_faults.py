"""Bookings over real HTTP against the carrier process when the carrier misbehaves: expired
tokens, 429 with Retry-After, 503s, a read timeout after the carrier took the request, a worker
lost mid-send, a refused connection, and the circuit breaker. Every test checks that no booking
is lost, none is doubled at the carrier, and the space stays held until the carrier decides."""

from __future__ import annotations

import json
import logging
import socket
import time
import uuid
from datetime import timedelta

import pytest
from celery.exceptions import Retry
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from shipping import services, tasks
from shipping.carriers import adapter_for, client_for
from shipping.carriers import http as carrier_http
from shipping.errors import CarrierCircuitOpen
from shipping.models import Booking, Carrier
from tests.carrier_process import CLIENT_SECRET
from tests.shipping.factories import NOTIFICATION_SECRET, request_booking
from tests.shipping.helpers import reload

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def waits(monkeypatch, settings):
    """The pauses the client takes between attempts, recorded instead of slept."""
    settings.CARRIER_RETRY_ATTEMPTS = 3
    settings.CARRIER_BREAKER_THRESHOLD = 5
    recorded: list[float] = []
    monkeypatch.setattr(carrier_http, "sleep", recorded.append)
    return recorded


@pytest.fixture
def send(maple, owner, sailing, django_capture_on_commit_callbacks):
    """Request a booking and let its submission go out (as the worker would once committed)."""

    def request(**kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            booking = request_booking(maple, sailing, owner, **kwargs)
        return reload(booking)

    return request


def booking_posts(carrier_server) -> list[dict]:
    return [
        call
        for call in carrier_server.requests("MAEU")
        if (call["method"], call["path"]) == ("POST", "/v2/bookings")
    ]


def at_carrier(carrier_server, booking) -> list[dict]:
    """The carrier's bookings made from ``booking`` (by our bookingChannelReference)."""
    return [
        held
        for held in carrier_server.bookings("MAEU")
        if held.get("bookingChannelReference") == booking.reference
    ]


def held_teu(sailing) -> int:
    sailing.refresh_from_db()
    return sailing.booked_teu


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def until(condition, *, seconds: float = 15.0):
    """Poll ``condition`` until it holds (another process is at work), or fail."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if value := condition():
            return value
        time.sleep(0.05)
    raise AssertionError("the condition did not hold in time")


def carrier_notification(carrier_server, booking) -> dict:
    """The carrier's Full State Transfer notification of the booking it holds for ``booking``."""
    (state,) = at_carrier(carrier_server, booking)
    return {
        "specversion": "1.0",
        "id": str(uuid.uuid4()),
        "source": carrier_server.url("MAEU"),
        "type": "org.dcsa.booking.v2",
        "time": timezone.now().isoformat(),
        "datacontenttype": "application/json",
        "subscriptionReference": "MAEU-booking-notifications",
        "data": {
            "bookingStatus": state["bookingStatus"],
            "carrierBookingRequestReference": state["carrierBookingRequestReference"],
            "booking": state,
        },
    }


def deliver(client, payload: dict):
    body = json.dumps(payload).encode()
    return client.post(
        reverse("shipping_booking_notifications", args=["MAEU"]),
        data=body,
        content_type="application/json",
        HTTP_NOTIFICATION_SIGNATURE=services.notification_signature(NOTIFICATION_SECRET, body),
    )


# --- Tokens ------------------------------------------------------------------------------------


def test_an_expired_token_is_renewed_once_and_the_call_goes_through(carrier_server, send):
    carrier_server.config(delay=3600)
    booking = send()
    assert booking.carrier_booking_request_reference
    carrier_server.expire_tokens()
    carrier_server.advance("MAEU")
    assert services.booking_poll_carrier(booking_id=booking.pk) == "polled"
    assert reload(booking).status == "CONFIRMED"
    calls = [
        (call["method"], call["path"], call["status"]) for call in carrier_server.requests("MAEU")
    ]
    reference_path = f"/v2/bookings/{booking.carrier_booking_request_reference}"
    assert calls[-3:] == [
        ("GET", reference_path, 401),
        ("POST", "/oauth2/token", 200),
        ("GET", reference_path, 200),
    ]
    assert [call[1] for call in calls].count("/oauth2/token") == 2
    assert len(at_carrier(carrier_server, booking)) == 1


# --- 429 and 503 -------------------------------------------------------------------------------


def test_a_429_is_waited_out_for_the_time_the_carrier_asks(carrier_server, send, waits):
    carrier_server.config(delay=3600)
    booking = send()
    carrier_server.advance("MAEU")
    carrier_server.fault(
        scac="MAEU", method="GET", path="/v2/bookings/", kind="status", status=429, retry_after=7
    )
    assert services.booking_poll_carrier(booking_id=booking.pk) == "polled"
    assert waits == [7.0]
    assert reload(booking).status == "CONFIRMED"


def test_a_retry_after_longer_than_the_cap_ends_the_call_for_a_later_retry(
    carrier_server, send, waits, settings
):
    settings.CARRIER_RETRY_AFTER_MAX_SECONDS = 30
    carrier_server.config(delay=3600)
    booking = send()
    carrier_server.fault(
        scac="MAEU", method="GET", path="/v2/bookings/", kind="status", status=429, retry_after=120
    )
    with pytest.raises(Retry):
        tasks.booking_poll.apply(args=(booking.pk,), throw=True)
    assert waits == []
    assert reload(booking).status == "RECEIVED"


def test_503s_are_retried_with_jittered_backoff(carrier_server, send, waits, settings):
    settings.CARRIER_RETRY_BASE_SECONDS = 0.5
    carrier_server.config(delay=3600)
    booking = send()
    carrier_server.advance("MAEU")
    carrier_server.fault(scac="MAEU", method="GET", path="/v2/bookings/", status=503, count=2)
    assert services.booking_poll_carrier(booking_id=booking.pk) == "polled"
    assert len(waits) == 2
    assert 0 <= waits[0] <= 0.5 and 0 <= waits[1] <= 1.0
    assert reload(booking).status == "CONFIRMED"


def test_a_booking_post_answered_503_is_not_repeated_in_the_call_but_sent_once_later(
    carrier_server, maple, owner, sailing, waits, django_capture_on_commit_callbacks
):
    carrier_server.config(delay=3600)
    carrier_server.fault(scac="MAEU", method="POST", path="/v2/bookings", status=503)
    with django_capture_on_commit_callbacks(execute=False):
        booking = request_booking(maple, sailing, owner, units=2)
    with pytest.raises(Retry):
        tasks.booking_sync.apply(args=(booking.pk,), throw=True)
    assert len(booking_posts(carrier_server)) == 1
    assert waits == []
    held = reload(booking)
    assert (held.status, held.carrier_sync, held.carrier_outcome_unknown_since) == (
        "RECEIVED",
        "submit",
        None,
    )
    assert held_teu(sailing) == 4
    tasks.booking_sync.apply(args=(booking.pk,), retries=1, throw=True)
    assert len(at_carrier(carrier_server, booking)) == 1
    assert reload(booking).carrier_booking_request_reference


# --- Answers that never come -------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_read_timeout_after_receipt_leaves_one_booking_and_the_notification_names_it(
    carrier_server, live_server, maple, owner, sailing, settings
):
    settings.CARRIER_READ_TIMEOUT = 0.5
    carrier_server.config(
        delay=3600,
        booking_callback=live_server.url
        + reverse("shipping_booking_notifications", args=["SCAC"]).replace("SCAC", "{scac}"),
    )
    carrier_server.fault(
        scac="MAEU",
        method="POST",
        path="/v2/bookings",
        kind="timeout_after_receipt",
        hold_seconds=2,
    )
    booking = request_booking(maple, sailing, owner, units=2)  # committed: sent at once
    (held,) = at_carrier(carrier_server, booking)
    request_reference = held["carrierBookingRequestReference"]
    # The carrier's RECEIVED notification reaches the network and names our reference.
    until(lambda: reload(booking).carrier_booking_request_reference == request_reference)
    booking = reload(booking)
    assert booking.carrier_outcome_unknown_since is None
    assert (booking.status, booking.carrier_sync) == ("RECEIVED", "")
    assert held_teu(sailing) == 4
    # The redrive and a late duplicate of the task send nothing more.
    tasks.redrive_booking_syncs.delay(older_than_seconds=0)
    assert services.booking_sync_with_carrier(booking_id=booking.pk) == "nothing to send"
    carrier_server.advance("MAEU")
    until(lambda: reload(booking).status == "CONFIRMED")
    assert len(booking_posts(carrier_server)) == 1
    assert len(at_carrier(carrier_server, booking)) == 1
    assert held_teu(sailing) == 4


def test_a_timeout_with_no_word_yet_keeps_the_booking_held_and_unsent(
    carrier_server, send, sailing, settings
):
    settings.CARRIER_READ_TIMEOUT = 0.3
    carrier_server.config(delay=3600)  # no callback: the carrier's word has not come
    carrier_server.fault(
        scac="MAEU",
        method="POST",
        path="/v2/bookings",
        kind="timeout_after_receipt",
        hold_seconds=1,
    )
    booking = send(units=2)
    assert booking.carrier_outcome_unknown_since is not None
    assert "ReadTimeout" in booking.last_carrier_error
    assert tasks.redrive_booking_syncs.delay(older_than_seconds=0).get() == 1
    assert len(booking_posts(carrier_server)) == 1
    assert len(at_carrier(carrier_server, booking)) == 1
    assert (reload(booking).status, held_teu(sailing)) == ("RECEIVED", 4)
    operators_see = [row.reference for row in _awaiting_word()]
    assert booking.reference in operators_see


def _awaiting_word():
    from shipping.selectors import bookings_awaiting_carrier_word

    with scopes_disabled():
        return list(bookings_awaiting_carrier_word())


def test_a_worker_lost_mid_send_is_not_sent_again_and_the_carriers_record_is_attached(
    carrier_server, client, maple, owner, sailing, django_capture_on_commit_callbacks
):
    carrier_server.config(delay=3600)
    with django_capture_on_commit_callbacks(execute=False):
        booking = request_booking(maple, sailing, owner, units=2)
    booking = reload(booking)
    # The worker took the lease and the carrier received the request; then the worker died.
    adapter_for(booking.sailing.carrier).submit(booking)
    with scopes_disabled():
        Booking.objects.filter(pk=booking.pk).update(
            submission_attempts=1, carrier_lease_until=timezone.now() - timedelta(seconds=1)
        )
    assert tasks.redrive_booking_syncs.delay(older_than_seconds=0).get() == 1
    assert len(booking_posts(carrier_server)) == 1
    assert reload(booking).carrier_outcome_unknown_since is not None
    with django_capture_on_commit_callbacks(execute=True):
        assert deliver(client, carrier_notification(carrier_server, booking)).status_code == 204
    booking = reload(booking)
    (held,) = at_carrier(carrier_server, booking)
    assert booking.carrier_booking_request_reference == held["carrierBookingRequestReference"]
    assert (booking.carrier_sync, booking.carrier_outcome_unknown_since) == ("", None)
    assert tasks.redrive_booking_syncs.delay(older_than_seconds=0).get() == 0
    assert len(booking_posts(carrier_server)) == 1
    assert (booking.status, held_teu(sailing)) == ("RECEIVED", 4)


def test_after_the_receipt_wait_with_no_word_the_request_is_sent_again(
    carrier_server, maple, owner, sailing, settings, django_capture_on_commit_callbacks
):
    """The carrier really never got it (the connection dropped before it did): once the wait
    is over the request goes again, and the carrier ends up with exactly one booking."""
    carrier_server.fault(scac="MAEU", method="POST", path="/v2/bookings", kind="drop")
    with django_capture_on_commit_callbacks(execute=True):
        booking = request_booking(maple, sailing, owner, units=2)
    booking = reload(booking)
    assert booking.carrier_outcome_unknown_since is not None
    assert at_carrier(carrier_server, booking) == []
    with scopes_disabled():
        Booking.objects.filter(pk=booking.pk).update(
            carrier_outcome_unknown_since=timezone.now() - timedelta(seconds=301)
        )
    assert services.booking_sync_with_carrier(booking_id=booking.pk) == "sent"
    (held,) = at_carrier(carrier_server, booking)
    booking = reload(booking)
    assert booking.carrier_booking_request_reference == held["carrierBookingRequestReference"]
    assert (booking.status, booking.carrier_sync, held_teu(sailing)) == ("RECEIVED", "", 4)
    assert len(booking_posts(carrier_server)) == 2


# --- Unreachable carriers and the circuit breaker ----------------------------------------------


def test_a_refused_connection_keeps_the_booking_held_for_a_later_try(
    carrier_server, maple, owner, sailing, monkeypatch, django_capture_on_commit_callbacks
):
    nowhere = f"http://127.0.0.1:{free_port()}"
    monkeypatch.setenv("CARRIER_MAEU_API_URL", f"{nowhere}/MAEU")
    monkeypatch.setenv("CARRIER_MAEU_TOKEN_URL", f"{nowhere}/MAEU/oauth2/token")
    with django_capture_on_commit_callbacks(execute=False):
        booking = request_booking(maple, sailing, owner, units=2)
    with pytest.raises(Retry):
        tasks.booking_sync.apply(args=(booking.pk,), throw=True)
    held = reload(booking)
    assert (held.status, held.carrier_sync, held.carrier_outcome_unknown_since) == (
        "RECEIVED",
        "submit",
        None,
    )
    assert "ConnectError" in held.last_carrier_error
    assert held_teu(sailing) == 4
    carrier = Carrier.objects.get(scac="MAEU")
    assert carrier.consecutive_failures == 1
    assert "ConnectError" in carrier.last_error
    # The carrier is back: the next try sends it once.
    monkeypatch.setenv("CARRIER_MAEU_API_URL", carrier_server.url("MAEU"))
    monkeypatch.setenv("CARRIER_MAEU_TOKEN_URL", carrier_server.token_url("MAEU"))
    tasks.booking_sync.apply(args=(booking.pk,), retries=1, throw=True)
    assert len(at_carrier(carrier_server, booking)) == 1
    carrier.refresh_from_db()
    assert (carrier.consecutive_failures, carrier.circuit_open_until) == (0, None)
    assert carrier.last_success_at is not None


def test_the_circuit_opens_after_repeated_failures_and_a_trial_call_closes_it(
    carrier_server, maple, owner, sailing, settings, django_capture_on_commit_callbacks
):
    settings.CARRIER_BREAKER_THRESHOLD = 2
    settings.CARRIER_BREAKER_COOLDOWN = 60
    carrier_server.config(delay=3600)
    carrier_server.fault(scac="MAEU", method="POST", path="/v2/bookings", status=503, count=2)
    with django_capture_on_commit_callbacks(execute=False):
        booking = request_booking(maple, sailing, owner, units=2)
    for retries in range(2):
        with pytest.raises(Retry):
            tasks.booking_sync.apply(args=(booking.pk,), retries=retries, throw=True)
    carrier = Carrier.objects.get(scac="MAEU")
    assert carrier.consecutive_failures == 2
    assert carrier.circuit_open_until > timezone.now() + timedelta(seconds=50)
    calls_so_far = len(carrier_server.requests("MAEU"))
    # Open: the carrier hears nothing, and the booking waits, held.
    with pytest.raises(Retry) as retry:
        tasks.booking_sync.apply(args=(booking.pk,), retries=2, throw=True)
    assert isinstance(retry.value.exc, CarrierCircuitOpen)
    assert len(carrier_server.requests("MAEU")) == calls_so_far
    held = reload(booking)
    assert (held.status, held.carrier_sync, held_teu(sailing)) == ("RECEIVED", "submit", 4)
    # The cool-down is over: one trial call goes through and closes the circuit.
    Carrier.objects.filter(pk=carrier.pk).update(
        circuit_open_until=timezone.now() - timedelta(seconds=1)
    )
    tasks.booking_sync.apply(args=(booking.pk,), retries=3, throw=True)
    carrier.refresh_from_db()
    assert (carrier.consecutive_failures, carrier.circuit_open_until) == (0, None)
    assert len(at_carrier(carrier_server, booking)) == 1
    assert len(booking_posts(carrier_server)) == 3


def test_a_failed_trial_call_opens_the_circuit_again(carrier_server, settings):
    settings.CARRIER_BREAKER_THRESHOLD = 2
    carrier = Carrier.objects.create(scac="CMDU", name="CMA CGM", service_contract_reference="X")
    Carrier.objects.filter(pk=carrier.pk).update(
        consecutive_failures=2, circuit_open_until=timezone.now() - timedelta(seconds=1)
    )
    carrier_server.fault(scac="CMDU", method="GET", path="/v2/bookings/", status=503, count=3)
    client = client_for("CMDU")
    with pytest.raises(Exception, match="answered 503"):
        client.get("/v2/bookings/NOPE")
    carrier.refresh_from_db()
    assert carrier.consecutive_failures == 3
    assert carrier.circuit_open_until > timezone.now() + timedelta(seconds=50)
    calls_so_far = len(carrier_server.requests("CMDU"))
    with pytest.raises(CarrierCircuitOpen):
        client.get("/v2/bookings/NOPE")
    assert len(carrier_server.requests("CMDU")) == calls_so_far


# --- Secrets -----------------------------------------------------------------------------------


def test_no_secret_reaches_the_logs_the_errors_or_the_carrier_row(
    carrier_server, maple, owner, sailing, monkeypatch, caplog, django_capture_on_commit_callbacks
):
    consumer_key = "consumer-key-7f3a9c1e"
    monkeypatch.setenv("CARRIER_MAEU_CONSUMER_KEY", consumer_key)
    with django_capture_on_commit_callbacks(execute=False):
        booking = request_booking(maple, sailing, owner)
    client = client_for("MAEU")
    token = client.access_token()
    carrier_server.fault(scac="MAEU", method="POST", path="/v2/bookings", status=503)
    caplog.set_level(logging.DEBUG)
    with pytest.raises(Retry):
        tasks.booking_sync.apply(args=(booking.pk,), throw=True)
    # And with a wrong secret: the token endpoint refuses it.
    wrong_secret = "wrong-client-secret-5b2d"
    monkeypatch.setenv("CARRIER_MAEU_CLIENT_SECRET", wrong_secret)
    cache.clear()
    with pytest.raises(Retry):
        tasks.booking_sync.apply(args=(booking.pk,), retries=1, throw=True)
    carrier = Carrier.objects.get(scac="MAEU")
    assert "refused the credentials" in carrier.last_error
    seen = "\n".join(
        [
            caplog.text,
            reload(booking).last_carrier_error,
            carrier.last_error,
            repr(client),
            repr(client.connection),
        ]
    )
    for secret in (token, consumer_key, wrong_secret, CLIENT_SECRET, NOTIFICATION_SECRET):
        assert secret not in seen
