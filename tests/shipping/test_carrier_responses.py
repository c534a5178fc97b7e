"""The carrier process answers as the standards say: Prism, between the network's client and the
carrier, checks every answer (bookings, point-to-point routes, events, event subscriptions,
and the error answers) against Booking 2.0.5, Commercial Schedules 1.0.3 and Track & Trace
2.2.0, and any answer that breaks them fails the test with Prism's findings."""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest
from django.utils import timezone
from django_scopes import scopes_disabled

from shipping.carriers import adapter_for
from shipping.carriers.http import CarrierApi, client_for
from shipping.errors import CarrierRefused
from tests.prism import BOOKING_SPEC, SCHEDULES_SPEC, TRACKING_SPEC
from tests.shipping.factories import CarrierFactory, SailingFactory, request_booking
from tests.shipping.helpers import reload

pytestmark = pytest.mark.django_db

TIMELINE = ["GTIN", "LOAD", "DEPA", "ARRI", "ARRI", "DISC", "GTOT"]


@pytest.fixture(params=["MAEU", "CMDU"])
def scac(request, carrier_server, prism_proxy, monkeypatch):
    """A carrier whose three APIs the network reaches through Prism."""
    scac = request.param
    upstream = carrier_server.url(scac)
    monkeypatch.setenv(f"CARRIER_{scac}_API_URL", prism_proxy(BOOKING_SPEC, upstream))
    monkeypatch.setenv(f"CARRIER_{scac}_SCHEDULES_URL", prism_proxy(SCHEDULES_SPEC, upstream))
    tracking = prism_proxy(TRACKING_SPEC, upstream)
    monkeypatch.setenv(f"CARRIER_{scac}_TRACKING_URL", tracking)
    return scac


def _routes(client, **params) -> list[dict]:
    """Every route, page after page (``Next-Page-Cursor``; the standard wants the places
    repeated with the cursor)."""
    routes: list[dict] = []
    query = {
        "placeOfReceipt": "USLAX",
        "placeOfDelivery": "CNSHA",
        "departureStartDate": timezone.localdate().isoformat(),
        "departureEndDate": (timezone.localdate() + timedelta(weeks=6)).isoformat(),
        **params,
    }
    for _page in range(50):
        response = client.get("/v1/point-to-point-routes", api=CarrierApi.SCHEDULES, params=query)
        routes += response.body
        cursor = response.headers.get("next-page-cursor")
        if not cursor:
            return routes
        query = {**query, "cursor": cursor}
    raise AssertionError("the routes did not end within 50 pages")


def _voyages(routes: list[dict]) -> list[str]:
    return [
        partner["carrierExportVoyageNumber"]
        for route in routes
        for leg in route["legs"]
        for partner in leg["transport"]["servicePartners"]
    ]


def test_point_to_point_routes_follow_commercial_schedules(scac):
    client = client_for(scac)
    every_route = _routes(client, limit=100)
    paged = _routes(client, limit=2)
    assert len(every_route) >= 5  # weekly sailings over six weeks
    assert _voyages(paged) == _voyages(every_route)


@pytest.fixture
def confirmed_booking(scac, maple, owner):
    carrier = CarrierFactory(scac=scac, name=scac)
    with scopes_disabled():
        booking = reload(request_booking(maple, SailingFactory(carrier=carrier), owner))
    adapter = adapter_for(carrier)
    booking.carrier_booking_request_reference = adapter.submit(
        booking
    ).carrier_booking_request_reference
    booking.carrier_booking_reference = adapter.poll(booking).carrier_booking_reference
    assert booking.carrier_booking_reference
    return booking


# Track & Trace 2.2.0 declares the events answer as application/xml only, and as an array of
# events of one type (anyOf three arrays): a slip of the published document, since its examples
# and every carrier answer JSON. Prism reports the media type whatever the carrier does; asked
# for one type of event at a time, the events themselves draw no other violation.
XML_SLIP = (
    'response: The received media type "application/json" does not match the one specified '
    "in the current response: application/xml"
)


@pytest.mark.parametrize(
    ("event_type", "codes"),
    [
        ("TRANSPORT", ["DEPA", "ARRI", "ARRI"]),
        ("EQUIPMENT", ["GTIN", "GTIN", "LOAD", "LOAD", "DISC", "DISC", "GTOT", "GTOT"]),
    ],
)
def test_a_bookings_events_follow_track_and_trace(
    scac, confirmed_booking, carrier_server, event_type, codes
):
    for _event in TIMELINE:
        carrier_server.advance(scac, confirmed_booking.carrier_booking_reference)
    query = {
        "carrierBookingReference": confirmed_booking.carrier_booking_reference,
        "eventType": event_type,
    }
    with pytest.raises(pytest.fail.Exception) as flagged:
        client_for(scac).get("/v2/events", api=CarrierApi.TRACKING, params=query)
    assert [line.strip() for line in str(flagged.value).splitlines()[1:]] == [XML_SLIP]

    # The same answer straight from the carrier, to see what Prism judged.
    client = client_for(scac)
    events = client.http.get(
        carrier_server.url(scac) + "/v2/events",
        params=query,
        headers={"Authorization": f"Bearer {client.access_token()}"},
    ).json()
    assert sorted(event[f"{event_type.lower()}EventTypeCode"] for event in events) == sorted(codes)


def test_an_event_subscription_follows_track_and_trace(scac, confirmed_booking):
    client = client_for(scac)
    created = client.post(
        "/v2/event-subscriptions",
        api=CarrierApi.TRACKING,
        json={
            "callbackUrl": "http://127.0.0.1:9/tracking/callback",
            "secret": base64.b64encode(b"a subscription secret of 32 bytes").decode(),
            "carrierBookingReference": confirmed_booking.carrier_booking_reference,
        },
    )
    assert created.status == 201
    subscription_id = created.body["subscriptionID"]
    path = f"/v2/event-subscriptions/{subscription_id}"
    read = client.get(path, api=CarrierApi.TRACKING)
    assert read.body["carrierBookingReference"] == confirmed_booking.carrier_booking_reference
    assert client.delete(path, api=CarrierApi.TRACKING).status == 204
    with pytest.raises(CarrierRefused, match="404"):
        client.get(path, api=CarrierApi.TRACKING)


def test_the_carriers_error_answers_follow_booking(scac, confirmed_booking):
    client = client_for(scac)
    with pytest.raises(CarrierRefused, match="404"):
        client.get("/v2/bookings/no-such-booking")
    # A confirmed booking is not cancelled by setting its status: the carrier says 409.
    with pytest.raises(CarrierRefused, match="409"):
        client.patch(
            f"/v2/bookings/{confirmed_booking.carrier_booking_reference}",
            json={"bookingStatus": "CANCELLED"},
        )
