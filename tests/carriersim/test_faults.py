"""Faults on demand and at random: a status with Retry-After, a call that takes effect but is
never answered, a dropped connection, and the failure rate drawn afresh on every call."""

from __future__ import annotations

import httpx
import pytest

from tests.carriersim.conftest import create_booking


def test_a_status_fault_answers_the_next_matching_call_only(maersk, carrier_server):
    carrier_server.fault(
        scac="MAEU", method="POST", path="/v2/bookings", kind="status", status=503, retry_after=7
    )
    failed = maersk.call("POST", "/v2/bookings", json=create_booking())
    assert failed.status_code == 503
    assert failed.headers["Retry-After"] == "7"
    assert carrier_server.bookings("MAEU") == []
    assert maersk.call("POST", "/v2/bookings", json=create_booking()).status_code == 202
    assert len(carrier_server.bookings("MAEU")) == 1


def test_a_fault_can_last_several_calls_and_spare_other_carriers(maersk, carrier_server):
    carrier_server.fault(scac="MAEU", path="/v2/events", kind="status", status=429, count=2)
    assert [maersk.call("GET", "/v2/events").status_code for _ in range(3)] == [429, 429, 200]


def test_a_timeout_after_receipt_books_but_never_answers(maersk, carrier_server):
    carrier_server.fault(
        scac="MAEU",
        method="POST",
        path="/v2/bookings",
        kind="timeout_after_receipt",
        hold_seconds=2,
    )
    with pytest.raises(httpx.ReadTimeout):
        maersk.call("POST", "/v2/bookings", json=create_booking(), timeout=0.5)
    [booking] = carrier_server.bookings("MAEU")
    assert booking["bookingStatus"] == "CONFIRMED"


def test_a_dropped_call_is_not_processed(maersk, carrier_server):
    carrier_server.fault(scac="MAEU", method="POST", path="/v2/bookings", kind="drop")
    with pytest.raises(httpx.RemoteProtocolError):
        maersk.call("POST", "/v2/bookings", json=create_booking())
    assert carrier_server.bookings("MAEU") == []


def test_the_failure_rate_is_drawn_on_every_call(maersk, carrier_server):
    carrier_server.config(failure_rate=1)
    response = maersk.call("GET", "/v2/events")
    assert response.status_code == 503
    assert response.headers["Retry-After"]
    carrier_server.config(failure_rate=0.5)
    # The same call again and again: a fixed draw would answer the same every time.
    statuses = {maersk.call("GET", "/v2/events").status_code for _ in range(30)}
    assert statuses == {200, 503}


def test_a_booking_is_decided_even_when_calls_fail(maersk, carrier_server):
    carrier_server.config(delay=3600, failure_rate=0.5)
    reference = None
    while reference is None:
        response = maersk.call("POST", "/v2/bookings", json=create_booking())
        if response.status_code == 202:
            reference = response.json()["carrierBookingRequestReference"]
    carrier_server.advance("MAEU")
    carrier_server.config(failure_rate=0)
    assert maersk.booking(reference)["bookingStatus"] == "CONFIRMED"


def test_an_unknown_fault_kind_is_refused(carrier_server):
    response = carrier_server.http.post("/_sim/faults", json={"kind": "meteor"})
    assert response.status_code == 400
