"""Container tracking end to end against the carrier process: a booking the carrier confirms
is subscribed to, the carrier's signed pushes reach the live server (SITE_URL), milestones and
the ETA follow, the subscription ends at gate-out; when pushes do not arrive, or the
subscription could not be made, the periodic poll fetches the events instead. Through Prism,
the network's Track & Trace requests are checked against the standard."""

from __future__ import annotations

import time

import pytest
from django_scopes import scopes_disabled

from network import services as network_services
from shipping.carriers import tracking as carrier_tracking
from shipping.models import Booking, TrackingEvent, TrackingSubscription
from shipping.services import tracking
from tests.prism import TRACKING_SPEC
from tests.shipping.factories import request_booking
from tests.shipping.helpers import reload

pytestmark = pytest.mark.django_db(transaction=True)

DEADLINE_SECONDS = 20
MILESTONES = ["gate_in", "loaded", "departed", "arrived", "discharged", "gate_out"]


def wait_until(condition, what: str):
    """Poll ``condition`` until it is true (another process is at work), or fail."""
    deadline = time.monotonic() + DEADLINE_SECONDS
    while time.monotonic() < deadline:
        if value := condition():
            return value
        time.sleep(0.05)
    pytest.fail(f"{what}: not within {DEADLINE_SECONDS} s")


def events_of(booking) -> list[TrackingEvent]:
    with scopes_disabled():
        return list(TrackingEvent.objects.filter(booking_id=booking.pk).order_by("pk"))


def subscription_of(booking) -> TrackingSubscription | None:
    with scopes_disabled():
        return TrackingSubscription.objects.filter(booking_id=booking.pk).first()


def calls(carrier_server, method: str, path: str) -> list[dict]:
    return [
        call
        for call in carrier_server.requests("MAEU")
        if call["method"] == method and call["path"].startswith(path)
    ]


@pytest.fixture
def network_site(settings, live_server):
    """The carrier pushes to the live server of this test."""
    settings.SITE_URL = live_server.url
    return live_server


def confirmed_booking(maple, owner, sailing, carrier_server):
    booking = request_booking(maple, sailing, owner, units=1)
    booking = wait_until(
        lambda: (b := reload(booking)).carrier_booking_reference and b, "the carrier confirms"
    )
    assert booking.status == "CONFIRMED"
    return booking


def test_a_confirmed_booking_is_followed_to_gate_out_by_pushes(
    maple, owner, sailing, carrier_server, network_site
):
    network_services.webhook_endpoint_create(
        organization=maple,
        url="https://hooks.maple.example/tracking",
        events=[f"shipment.{m}" for m in MILESTONES],
        acting_user=owner,
    )
    booking = confirmed_booking(maple, owner, sailing, carrier_server)
    subscription = subscription_of(booking)
    assert subscription.status == "active"
    [created] = calls(carrier_server, "POST", "/v2/event-subscriptions")
    assert created["status"] == 201
    assert created["body"]["callbackUrl"] == tracking.tracking_callback_url(subscription)
    assert created["body"]["callbackUrl"].startswith(network_site.url + "/api/v1/shipping/")
    assert created["body"]["carrierBookingReference"] == booking.carrier_booking_reference

    for step in range(1, 8):
        carrier_server.advance("MAEU", booking.carrier_booking_reference)
        wait_until(lambda step=step: len(events_of(booking)) == step, f"push {step} arrives")

    rows = events_of(booking)
    assert [(r.event_code, r.classifier) for r in rows] == [
        ("GTIN", "ACT"),
        ("LOAD", "ACT"),
        ("DEPA", "ACT"),
        ("ARRI", "EST"),
        ("ARRI", "ACT"),
        ("DISC", "ACT"),
        ("GTOT", "ACT"),
    ]
    assert [r.milestone for r in rows if r.milestone] == MILESTONES
    assert rows[0].location == sailing.port_of_loading.un_locode
    assert rows[0].location_name == sailing.port_of_loading.name
    assert rows[6].location == sailing.port_of_discharge.un_locode
    assert rows[0].equipment_reference.startswith("MSKU")
    assert reload(booking).tracking_eta == rows[3].event_at
    with scopes_disabled():
        from network.models import WebhookDelivery

        sent = list(WebhookDelivery.objects.order_by("pk").values_list("event", flat=True))
    assert [e for e in sent if e.startswith("shipment.")] == [f"shipment.{m}" for m in MILESTONES]
    # Gate-out ended the subscription (once the push was answered), at the carrier too.
    wait_until(lambda: subscription_of(booking).status == "ended", "the subscription ends")
    [ended] = calls(carrier_server, "DELETE", "/v2/event-subscriptions/")
    assert ended["path"].endswith(subscription.subscription_id)
    assert ended["status"] == 204


def test_the_poll_fetches_events_whose_pushes_never_arrived(
    maple, owner, sailing, carrier_server, settings
):
    settings.SITE_URL = "http://127.0.0.1:9"  # nothing listens: every push is lost
    settings.SHIPPING_TRACKING_QUIET_SECONDS = 0
    booking = confirmed_booking(maple, owner, sailing, carrier_server)
    assert subscription_of(booking).status == "active"
    for _ in range(3):
        carrier_server.advance("MAEU", booking.carrier_booking_reference)
    assert events_of(booking) == []

    assert tracking.poll_quiet_tracking() == 1
    assert [r.milestone for r in events_of(booking)] == ["gate_in", "loaded", "departed"]
    assert subscription_of(booking).last_polled_at is not None
    # Polled again: nothing new, nothing twice.
    tracking.poll_quiet_tracking()
    assert len(events_of(booking)) == 3


def test_a_quiet_booking_is_polled_only_once_it_has_been_quiet(
    maple, owner, sailing, carrier_server, settings
):
    settings.SITE_URL = "http://127.0.0.1:9"
    booking = confirmed_booking(maple, owner, sailing, carrier_server)
    settings.SHIPPING_TRACKING_QUIET_SECONDS = 3600
    assert tracking.poll_quiet_tracking() == 0
    assert calls(carrier_server, "GET", "/v2/events") == []
    settings.SHIPPING_TRACKING_QUIET_SECONDS = 0
    assert tracking.poll_quiet_tracking() == 1
    assert len(calls(carrier_server, "GET", "/v2/events")) == 1
    assert booking.pk in tracking.tracking_quiet_booking_ids(
        quiet_for=__import__("datetime").timedelta(0)
    )


def test_a_subscription_that_failed_is_made_by_the_poll(
    maple, owner, sailing, carrier_server, network_site, settings
):
    carrier_server.fault(
        scac="MAEU", method="POST", path="/v2/event-subscriptions", kind="status", status=503
    )
    booking = confirmed_booking(maple, owner, sailing, carrier_server)
    failed = subscription_of(booking)
    assert (failed.status, failed.subscription_id) == ("failed", "")
    assert "503" in failed.last_error
    carrier_server.advance("MAEU", booking.carrier_booking_reference)  # before anyone listens

    settings.SHIPPING_TRACKING_QUIET_SECONDS = 3600  # a failed subscription does not wait
    assert tracking.poll_quiet_tracking() == 1
    made = subscription_of(booking)
    assert (made.status, made.last_error) == ("active", "")
    assert [r.event_code for r in events_of(booking)] == ["GTIN"]
    carrier_server.advance("MAEU", booking.carrier_booking_reference)
    wait_until(lambda: len(events_of(booking)) == 2, "the next event is pushed")


def test_a_booking_that_ends_ends_its_subscription(
    maple, owner, sailing, carrier_server, network_site
):
    from shipping import services

    booking = confirmed_booking(maple, owner, sailing, carrier_server)
    assert subscription_of(booking).status == "active"
    with scopes_disabled():
        services.booking_decline(booking=Booking.objects.get(pk=booking.pk), message="Omitted")
    assert subscription_of(booking).status == "ended"
    assert len(calls(carrier_server, "DELETE", "/v2/event-subscriptions/")) == 1


def test_the_tracking_requests_pass_prism(carrier_server, prism_proxy, monkeypatch):
    """Subscribe, read the events and end the subscription through Prism in front of the
    carrier process: Prism fails the test on any request the standard refuses."""
    monkeypatch.setenv(
        "CARRIER_MAEU_API_URL", prism_proxy(TRACKING_SPEC, carrier_server.url("MAEU"))
    )
    subscription_id = carrier_tracking.subscribe(
        "MAEU",
        callback_url="http://127.0.0.1:9/api/v1/shipping/tracking/1.abc/events/",
        secret=carrier_tracking.new_secret(),
        carrier_booking_reference="MAEU240011",
    )
    # The standard declares the events answer as application/xml only (a slip of the published
    # document: every example and every carrier answers JSON), so Prism flags the carrier's
    # answer; the request itself must draw no violation.
    with pytest.raises(pytest.fail.Exception) as flagged:
        carrier_tracking.fetch_events("MAEU", carrier_booking_reference="MAEU240011")
    violations = [line.strip() for line in str(flagged.value).splitlines()[1:]]
    assert violations == [
        'response: The received media type "application/json" does not match the one '
        "specified in the current response: application/xml"
    ]
    carrier_tracking.unsubscribe("MAEU", subscription_id=subscription_id)
    assert [c["method"] for c in carrier_server.requests("MAEU") if "/v2/" in c["path"]] == [
        "POST",
        "GET",
        "DELETE",
    ]
