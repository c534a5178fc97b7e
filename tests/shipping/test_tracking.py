"""Container tracking: carriers' Track & Trace events read, stored once by eventID, turned into
milestones that integrators hear about once and merchants see on the booking page and in the
API; the signed per-subscription callback; and who may see a booking's events."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import timedelta

import pytest
from django.urls import reverse
from django_scopes import scopes_disabled

from network import services as network_services
from network.models import ApiScope, Notification, WebhookDelivery
from shipping.carriers import tracking as carrier_tracking
from shipping.models import TrackingEvent, TrackingSubscription
from shipping.services import tracking
from tests.factories import sign_in
from tests.mailbox import mailed
from tests.shipping.factories import request_booking
from tests.shipping.helpers import put_in_state, reload
from tests.shipping.tracking_events import CONTAINER, START, dcsa_event, signed, voyage

pytestmark = pytest.mark.django_db

MILESTONE_WEBHOOKS = [f"shipment.{m}" for m in TrackingEvent.Milestone.values]


@pytest.fixture
def booking(maple, owner, sailing):
    return put_in_state(request_booking(maple, sailing, owner, units=1), "CONFIRMED")


@pytest.fixture
def subscription(booking):
    with scopes_disabled():
        return TrackingSubscription.objects.create(
            organization=booking.organization,
            booking=booking,
            carrier=booking.sailing.carrier,
            subscription_id="8fbdc2d8-57c8-48b9-a04b-18fd8ec1d809",
            secret=carrier_tracking.new_secret(),
            status=TrackingSubscription.Status.ACTIVE,
        )


def push(client, subscription, events, *, signature=None, body=None):
    raw, good = signed(events, subscription.secret)
    if signature is None:
        signature = good
    headers = {} if signature is False else {"HTTP_NOTIFICATION_SIGNATURE": signature}
    url = reverse("shipping_tracking_events", args=[tracking.tracking_callback_token(subscription)])
    return client.post(
        url, data=raw if body is None else body, content_type="application/json", **headers
    )


def stored(booking) -> list[TrackingEvent]:
    with scopes_disabled():
        return list(TrackingEvent.objects.filter(booking=booking))


def deliveries() -> list[WebhookDelivery]:
    with scopes_disabled():
        return list(WebhookDelivery.objects.order_by("pk"))


# --- Reading events ----------------------------------------------------------------------------


def test_transport_and_equipment_events_are_read_into_plain_values():
    departure, _eta, _arrival, discharge = [voyage("MAEU240011")[i] for i in (2, 3, 4, 5)]
    read = carrier_tracking.parse_event(departure)
    assert (read.event_type, read.event_code, read.classifier) == ("TRANSPORT", "DEPA", "ACT")
    assert read.event_at == START + timedelta(days=2)
    assert (read.location, read.location_name) == ("USLAX", "Los Angeles")
    assert (read.vessel_name, read.voyage_number) == ("Madrid Maersk", "412W")
    assert read.carrier_booking_reference == "MAEU240011"
    assert read.equipment_reference == ""
    box = carrier_tracking.parse_event(discharge)
    assert (box.event_type, box.event_code, box.equipment_reference) == (
        "EQUIPMENT",
        "DISC",
        CONTAINER,
    )
    assert (box.location, box.empty) == ("CNNGB", False)


def test_a_vessel_given_as_an_object_and_a_shipment_event_are_read():
    event = dcsa_event("LOAD")
    event["transportCall"]["vessel"] = {"vesselIMONumber": "9778791", "vesselName": "Maren Maersk"}
    assert carrier_tracking.parse_event(event).vessel_name == "Maren Maersk"
    shipment = {
        "eventID": "5e51e72c-d872-496f-a8a9-d1d2a0e1b8f6",
        "eventType": "SHIPMENT",
        "eventClassifierCode": "ACT",
        "eventDateTime": "2026-03-01T10:00:00Z",
        "eventCreatedDateTime": "2026-03-01T10:00:00Z",
        "shipmentEventTypeCode": "CONF",
        "documentID": "MAEU240011",
        "documentTypeCode": "BKG",
    }
    read = carrier_tracking.parse_event(shipment)
    assert (read.event_code, read.carrier_booking_reference) == ("CONF", "MAEU240011")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"eventID": ""}, "eventID"),
        ({"eventType": "PARCEL"}, "eventType"),
        ({"eventClassifierCode": "MAYBE"}, "eventClassifierCode"),
        ({"eventDateTime": "yesterday"}, "eventDateTime"),
        ({"eventDateTime": "2026-03-02T08:00:00"}, "UTC offset"),
        ({"transportEventTypeCode": None}, "transportEventTypeCode"),
    ],
)
def test_an_unreadable_event_is_refused_saying_why(change, message):
    event = {**dcsa_event("DEPA"), **change}
    with pytest.raises(carrier_tracking.TrackingEventInvalid, match=message):
        carrier_tracking.parse_events([event])
    with pytest.raises(carrier_tracking.TrackingEventInvalid, match="JSON array"):
        carrier_tracking.parse_events({"events": [event]})


def test_the_signature_is_keyed_with_the_decoded_secret():
    secret = "c2hhcmVkIHNlY3JldA=="  # base64 of "shared secret"
    body = b'[{"eventID": "1"}]'
    expected = "sha256=" + hmac.new(b"shared secret", body, hashlib.sha256).hexdigest()
    assert carrier_tracking.notification_signature(secret, body) == expected
    assert carrier_tracking.notification_signature_valid(
        secret=secret, body=body, signature=expected
    )
    assert not carrier_tracking.notification_signature_valid(
        secret=secret, body=body + b" ", signature=expected
    )
    assert not carrier_tracking.notification_signature_valid(secret=secret, body=body, signature="")


# --- Storing events and milestones -------------------------------------------------------------


@pytest.fixture
def record(django_capture_on_commit_callbacks):
    """Receive events for a subscription as a push would, running what follows on commit."""

    def receive(subscription, events) -> int:
        with django_capture_on_commit_callbacks(execute=True):
            return tracking.tracking_events_receive(
                subscription_id=subscription.pk, events=carrier_tracking.parse_events(events)
            )

    return receive


def test_each_event_is_stored_once_by_its_event_id(subscription, booking, record):
    events = voyage(booking.carrier_booking_reference)[:3]
    assert record(subscription, events) == 3
    assert record(subscription, events) == 0
    assert record(subscription, [*events, dcsa_event("GTIN", event_id=events[0]["eventID"])]) == 0
    rows = stored(booking)
    assert [row.event_code for row in rows] == ["GTIN", "LOAD", "DEPA"]
    assert [row.milestone for row in rows] == ["gate_in", "loaded", "departed"]
    assert rows[2].payload == events[2]


def test_an_event_for_another_booking_is_not_stored(subscription, booking, record):
    assert record(subscription, [dcsa_event("GTIN", booking_reference="OTHER000001")]) == 0
    assert stored(booking) == []


def test_milestones_reach_the_integrators_webhooks_once_each(
    subscription, booking, maple, owner, record
):
    network_services.webhook_endpoint_create(
        organization=maple,
        url="https://hooks.maple.example/tracking",
        events=MILESTONE_WEBHOOKS,
        acting_user=owner,
    )
    events = voyage(booking.carrier_booking_reference)
    record(subscription, events[:4])
    record(subscription, events)  # a push repeating what came before
    # A second container's gate-in, and an empty box returned: no milestone is reached again.
    record(subscription, [dcsa_event("GTIN", at=START + timedelta(hours=3))])
    record(subscription, [dcsa_event("GTOT", empty=True, at=START - timedelta(days=1))])
    sent = [(d.event, d.payload) for d in deliveries()]
    assert [event for event, _payload in sent] == MILESTONE_WEBHOOKS
    departed = dict(sent)["shipment.departed"]
    assert departed == {
        "booking": booking.reference,
        "carrier_booking_reference": booking.carrier_booking_reference,
        "milestone": "departed",
        "container": "",
        "location": "USLAX",
        "location_name": "Los Angeles",
        "time": "2026-03-04T08:00:00Z",
        "vessel_name": "Madrid Maersk",
        "voyage_number": "412W",
        "event_id": events[2]["eventID"],
    }
    assert dict(sent)["shipment.gate_in"]["container"] == CONTAINER


def test_the_merchant_is_told_of_departure_and_arrival_in_their_language(
    subscription, booking, owner, record
):
    owner.language = "zh-hans"
    owner.save(update_fields=["language"])
    record(subscription, voyage(booking.carrier_booking_reference))
    with scopes_disabled():
        kinds = sorted(Notification.objects.values_list("kind", flat=True))
        departed = Notification.objects.get(kind="shipment.departed")
    assert kinds == ["shipment.arrived", "shipment.departed"]
    assert departed.subject == f"订舱 {booking.reference}：已离港"
    assert "从 Los Angeles 离港" in departed.body
    assert departed.link == reverse("shipping:booking_detail", args=[booking.reference])
    assert len(mailed()) == 2


def test_the_latest_eta_at_the_port_of_discharge_is_kept(subscription, booking, record):
    first = START + timedelta(days=16)
    later = first + timedelta(days=2)
    pod = {"location": "CNNGB", "location_name": "Ningbo"}
    record(
        subscription,
        [dcsa_event("ARRI", classifier="EST", at=first, created=START + timedelta(days=1), **pod)],
    )
    assert reload(booking).tracking_eta == first
    record(
        subscription,
        [
            dcsa_event(
                "ARRI", classifier="EST", at=later, created=START + timedelta(days=5), **pod
            ),
            # An estimate made earlier, delivered late, does not win.
            dcsa_event(
                "ARRI", classifier="EST", at=first - timedelta(days=1), created=START, **pod
            ),
            # An estimate for a transhipment port is not the arrival.
            dcsa_event("ARRI", classifier="EST", at=first, location="SGSIN"),
        ],
    )
    assert reload(booking).tracking_eta == later
    assert [r.milestone for r in stored(booking)] == ["", "", "", ""]


def test_gate_out_ends_the_subscription(subscription, booking, record):
    record(subscription, voyage(booking.carrier_booking_reference))
    with scopes_disabled():
        assert TrackingSubscription.objects.get(pk=subscription.pk).status == "ended"


# --- The callback ------------------------------------------------------------------------------


def test_a_signed_push_is_stored_and_answered_204(client, subscription, booking):
    events = voyage(booking.carrier_booking_reference)[:2]
    response = push(client, subscription, events)
    assert response.status_code == 204
    assert push(client, subscription, events).status_code == 204
    assert [row.event_code for row in stored(booking)] == ["GTIN", "LOAD"]


@pytest.mark.parametrize(
    "signature",
    [False, "", "sha256=" + "0" * 64, "sha1=abc", "not a signature"],
    ids=["missing", "empty", "wrong", "other-algorithm", "garbage"],
)
def test_a_push_without_the_right_signature_is_refused(client, subscription, booking, signature):
    response = push(client, subscription, voyage()[:1], signature=signature)
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_signature"
    assert stored(booking) == []


def test_a_push_signed_with_another_subscriptions_secret_is_refused(client, subscription, booking):
    events = voyage()[:1]
    _body, other = signed(events, carrier_tracking.new_secret())
    assert push(client, subscription, events, signature=other).status_code == 401


def test_an_unknown_subscription_answers_404(client, subscription):
    for token in ("987654", f"{subscription.pk}.forged", f"{subscription.pk + 1000}"):
        response = client.post(
            reverse("shipping_tracking_events", args=[token]),
            data=b"[]",
            content_type="application/json",
            HTTP_NOTIFICATION_SIGNATURE="sha256=" + "0" * 64,
        )
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"not json", "invalid_events"),
        (b'{"eventID": "1"}', "invalid_events"),
        (json.dumps([{"eventID": "x", "eventType": "TRANSPORT"}]).encode(), "validation_error"),
        (
            json.dumps([{**dcsa_event("DEPA"), "eventDateTime": "2026-03-02T08:00:00"}]).encode(),
            "invalid_events",
        ),
    ],
    ids=["not-json", "not-an-array", "missing-fields", "no-utc-offset"],
)
def test_a_body_that_is_not_events_answers_400_with_a_code(
    client, subscription, booking, body, code
):
    signature = carrier_tracking.notification_signature(subscription.secret, body)
    response = push(client, subscription, [], body=body, signature=signature)
    assert response.status_code == 400
    assert response.json()["code"] == code
    assert stored(booking) == []


# --- Who sees a booking's tracking -------------------------------------------------------------


def test_the_booking_page_shows_the_milestones(client, owner, subscription, booking, record):
    record(subscription, voyage(booking.carrier_booking_reference)[:4])
    sign_in(client, owner)
    page = client.get(reverse("shipping:booking_detail", args=[booking.reference])).content.decode()
    assert "Container tracking" in page
    assert 'class="milestone reached" data-milestone="departed"' in page
    assert 'class="milestone pending" data-milestone="arrived"' in page
    assert "Vessel Madrid Maersk 412W" in page
    assert f"Container {CONTAINER}" in page
    assert "Latest ETA" in page and "Ningbo (CNNGB)" in page


def test_the_booking_page_in_chinese(client, owner, subscription, booking, record):
    record(subscription, voyage(booking.carrier_booking_reference)[:3])
    owner.language = "zh-hans"
    owner.save(update_fields=["language"])
    sign_in(client, owner)
    page = client.get(
        reverse("shipping:booking_detail", args=[booking.reference]),
        headers={"Accept-Language": "zh-hans"},
    ).content.decode()
    assert "集装箱跟踪" in page and "已离港" in page and "尚未发生" in page


def test_operators_see_the_tracking_but_cannot_change_the_booking(
    client, operator, subscription, booking, record
):
    record(subscription, voyage(booking.carrier_booking_reference)[:1])
    sign_in(client, operator)
    page = client.get(reverse("shipping:booking_detail", args=[booking.reference]))
    assert page.status_code == 200
    assert 'class="milestone reached" data-milestone="gate_in"' in page.content.decode()
    assert "Change containers or weight" not in page.content.decode()
    api = client.get(reverse("shipping_booking_tracking", args=[booking.reference]))
    assert api.status_code == 200
    assert [e["event_code"] for e in api.json()["events"]] == ["GTIN"]


def test_the_api_gives_the_milestones_events_and_eta(client, owner, subscription, booking, record):
    record(subscription, voyage(booking.carrier_booking_reference)[:5])
    sign_in(client, owner)
    response = client.get(reverse("shipping_booking_tracking", args=[booking.reference]))
    assert response.status_code == 200
    body = response.json()
    assert body["booking"] == booking.reference
    assert body["eta"] == "2026-03-18T08:00:00Z"
    assert [(m["milestone"], m["reached"]) for m in body["milestones"]] == [
        ("gate_in", True),
        ("loaded", True),
        ("departed", True),
        ("arrived", True),
        ("discharged", False),
        ("gate_out", False),
    ]
    arrived = body["milestones"][3]
    assert (arrived["location"], arrived["event_at"]) == ("CNNGB", "2026-03-19T08:00:00Z")
    assert body["milestones"][4]["event_at"] is None
    assert [e["event_code"] for e in body["events"]] == ["GTIN", "LOAD", "DEPA", "ARRI", "ARRI"]


def test_the_api_with_an_integration_key(client, owner, maple, subscription, booking, record):
    record(subscription, voyage(booking.carrier_booking_reference)[:2])
    _key, raw = network_services.api_key_create(
        organization=maple, name="ERP", scopes=[ApiScope.BOOKINGS_READ], acting_user=owner
    )
    response = client.get(
        reverse("shipping_booking_tracking", args=[booking.reference]),
        headers={"Authorization": f"Bearer {raw}"},
    )
    assert response.status_code == 200
    assert len(response.json()["events"]) == 2


def test_an_outsider_sees_neither_the_page_nor_the_events(
    client, outsider, subscription, booking, record
):
    record(subscription, voyage(booking.carrier_booking_reference)[:3])
    sign_in(client, outsider)
    page = client.get(reverse("shipping:booking_detail", args=[booking.reference]))
    assert page.status_code == 404
    assert "Madrid Maersk" not in page.content.decode()
    api = client.get(reverse("shipping_booking_tracking", args=[booking.reference]))
    assert api.status_code == 404
    assert api.json()["code"] == "not_found"
    assert CONTAINER not in api.content.decode()


def test_the_api_answers_in_a_fixed_number_of_queries(
    client, owner, subscription, booking, django_assert_num_queries, record
):
    sign_in(client, owner)
    url = reverse("shipping_booking_tracking", args=[booking.reference])
    events = voyage(booking.carrier_booking_reference)
    record(subscription, events[:1])
    client.get(url)  # the session's first request warms caches
    # Session, user, membership and organisation, the API's own checks, the booking, its events.
    with django_assert_num_queries(QUERIES):
        client.get(url)
    record(subscription, events[1:])
    with django_assert_num_queries(QUERIES):
        assert len(client.get(url).json()["events"]) == 7


QUERIES = 6
