"""Track & Trace 2.2.0: a confirmed booking's timeline of events, served at /v2/events and
pushed, signed with the subscription's secret, to matching subscriptions."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

from tests.carriersim.conftest import create_booking
from tests.carriersim.standards import TRACKING, event_errors, needs_standards, schema_errors

SECRET = base64.b64encode(b"subscription secret of the network").decode()
TIMELINE = [
    ("EQUIPMENT", "GTIN", "ACT"),
    ("EQUIPMENT", "LOAD", "ACT"),
    ("TRANSPORT", "DEPA", "ACT"),
    ("TRANSPORT", "ARRI", "EST"),
    ("TRANSPORT", "ARRI", "ACT"),
    ("EQUIPMENT", "DISC", "ACT"),
    ("EQUIPMENT", "GTOT", "ACT"),
]


def _step(event: dict) -> tuple[str, str, str]:
    code = event.get("equipmentEventTypeCode") or event.get("transportEventTypeCode")
    return event["eventType"], code, event["eventClassifierCode"]


def _confirmed(maersk) -> str:
    return maersk.booking(maersk.book(create_booking()))["carrierBookingReference"]


def _events(maersk, **params) -> list[dict]:
    response = maersk.call("GET", "/v2/events", params=params)
    assert response.status_code == 200, response.text
    return response.json()


@needs_standards
def test_a_subscription_is_created_read_and_deleted(maersk):
    body = {"callbackUrl": "https://network.example/hooks/tnt", "secret": SECRET}
    body["carrierBookingReference"] = "MAEU123456789"
    response = maersk.call("POST", "/v2/event-subscriptions", json=body)
    assert response.status_code == 201
    subscription = response.json()
    assert schema_errors(TRACKING, "Subscription", subscription) == []
    assert "secret" not in subscription
    assert subscription["carrierBookingReference"] == "MAEU123456789"
    path = f"/v2/event-subscriptions/{subscription['subscriptionID']}"
    assert maersk.call("GET", path).json() == subscription
    assert maersk.call("DELETE", path).status_code == 204
    assert maersk.call("GET", path).status_code == 404


def test_a_subscription_needs_a_callback_and_a_base64_secret(maersk):
    no_callback = maersk.call("POST", "/v2/event-subscriptions", json={"secret": SECRET})
    assert no_callback.status_code == 400
    bad_secret = {"callbackUrl": "https://network.example/hooks", "secret": "not base64!"}
    assert maersk.call("POST", "/v2/event-subscriptions", json=bad_secret).status_code == 400


@needs_standards
def test_a_confirmed_booking_goes_through_the_whole_timeline(maersk, carrier_server):
    number = _confirmed(maersk)
    assert _events(maersk, carrierBookingReference=number) == []
    for _ in TIMELINE:
        carrier_server.advance("MAEU", number)
    events = _events(maersk, carrierBookingReference=number)
    assert [_step(event) for event in events] == TIMELINE
    for event in events:
        assert event_errors(event) == []
    assert len({event["eventID"] for event in events}) == len(TIMELINE)
    loaded = events[1]
    assert loaded["transportCall"]["UNLocationCode"] == "USLAX"
    assert loaded["transportCall"]["carrierVoyageNumber"] == "3009AE"
    assert events[-1]["eventLocation"] == {"UNLocationCode": "CNSHA"}
    # The estimated arrival is the planned one, weeks after the departure.
    assert (
        events[3]["eventDateTime"][:10]
        == maersk.booking(number)["transportPlan"][0]["plannedArrivalDate"]
    )
    # Another booking's events are not among them, and the timeline ends.
    assert _events(maersk, carrierBookingReference="MAEU000000000") == []
    assert carrier_server.advance("MAEU", number) == {"decided": 0, "events": 0}


def test_every_container_has_its_equipment_events(maersk, carrier_server):
    number = maersk.booking(maersk.book(create_booking(units=3)))["carrierBookingReference"]
    carrier_server.advance("MAEU", number)
    gate_in = _events(maersk, carrierBookingReference=number)
    assert len(gate_in) == 3
    assert len({event["equipmentReference"] for event in gate_in}) == 3


def test_events_come_by_themselves_at_the_event_interval(maersk, carrier_server):
    number = _confirmed(maersk)
    carrier_server.config(event_interval=0.05)
    deadline = time.monotonic() + 10
    while len(_events(maersk, carrierBookingReference=number)) < len(TIMELINE):
        assert time.monotonic() < deadline, "the timeline did not complete"
        time.sleep(0.05)
    assert [_step(e) for e in _events(maersk, carrierBookingReference=number)] == TIMELINE


def test_events_are_filtered_and_paginated(maersk, carrier_server):
    number = _confirmed(maersk)
    for _ in TIMELINE:
        carrier_server.advance("MAEU", number)
    transport = _events(maersk, carrierBookingReference=number, eventType="TRANSPORT")
    assert [_step(event)[1] for event in transport] == ["DEPA", "ARRI", "ARRI"]
    first = maersk.call("GET", "/v2/events", params={"limit": 4})
    assert len(first.json()) == 4
    cursor = first.headers["Next-Page"]
    rest = maersk.call("GET", "/v2/events", params={"limit": 4, "cursor": cursor})
    assert len(rest.json()) == 3
    assert "Next-Page" not in rest.headers


@needs_standards
def test_new_events_are_pushed_signed_to_matching_subscriptions(maersk, carrier_server, receiver):
    number = _confirmed(maersk)
    other = _confirmed(maersk)
    for filters in ({"carrierBookingReference": number}, {"eventType": "TRANSPORT"}):
        body = {"callbackUrl": f"{receiver.url}/tnt", "secret": SECRET, **filters}
        assert maersk.call("POST", "/v2/event-subscriptions", json=body).status_code == 201
    for _ in range(3):  # GTIN, LOAD, DEPA
        carrier_server.advance("MAEU", number)
    carrier_server.advance("MAEU", other)  # GTIN of another booking: matches neither
    carrier_server.advance("MAEU", number)  # ARRI (EST): pushed after anything before it
    pushes = receiver.wait_for(6)
    key = base64.b64decode(SECRET)
    codes = []
    for _path, headers, raw in pushes:
        digest = hmac.new(key, raw, hashlib.sha256).hexdigest()
        assert headers["Notification-Signature"] == f"sha256={digest}"
        events = json.loads(raw)
        assert all(event_errors(event) == [] for event in events)
        codes += [_step(event)[1] for event in events]
    assert sorted(codes) == ["ARRI", "ARRI", "DEPA", "DEPA", "GTIN", "LOAD"]
    assert len(receiver.received) == 6
