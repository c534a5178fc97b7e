"""A merchant follows a container on a phone: the booking page shows the milestones reached
(gate-in, loaded, departed) with time, place, vessel and container, the ones still to come
greyed, and the latest ETA; in English and in Chinese, within 390 px."""

from __future__ import annotations

import pytest
from django.conf import settings as django_settings
from django_scopes import scopes_disabled
from playwright.sync_api import expect

from network.models import Role
from shipping.carriers import tracking as carrier_tracking
from shipping.models import TrackingSubscription
from shipping.services import tracking
from tests.factories import PASSWORD, OrganizationFactory, member
from tests.shipping.factories import SailingFactory, approve, request_booking
from tests.shipping.helpers import put_in_state
from tests.shipping.tracking_events import CONTAINER, voyage

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def tracked_booking():
    maple = OrganizationFactory(name="Great Lakes Maple Co.", slug="great-lakes-maple-co")
    approve(maple)
    dana = member(maple, Role.OWNER, email="dana@greatlakesmaple.com", full_name="Dana Whitfield")
    booking = put_in_state(request_booking(maple, SailingFactory(), dana, units=1), "CONFIRMED")
    with scopes_disabled():
        # The confirmation subscribed to the booking's events at the carrier process.
        subscription = TrackingSubscription.objects.get(
            booking=booking, status=TrackingSubscription.Status.ACTIVE
        )
    # Gate-in, loaded, departed and the ETA at Ningbo: the voyage is under way.
    events = carrier_tracking.parse_events(voyage(booking.carrier_booking_reference)[:4])
    tracking.tracking_events_receive(subscription_id=subscription.pk, events=events)
    return dana, booking


def _fits_the_phone(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def test_the_container_timeline_on_a_phone_in_english_and_chinese(
    page, live_server, snapshot, login, tracked_booking
):
    dana, booking = tracked_booking
    page.set_viewport_size(PHONE)
    login(dana.email, PASSWORD)
    page.goto(f"/shipping/bookings/{booking.reference}/")

    timeline = page.locator("#container-tracking")
    expect(timeline.get_by_role("heading", name="Container tracking")).to_be_visible()
    expect(timeline).to_contain_text("Latest ETA")
    expect(timeline).to_contain_text("Ningbo (CNNGB)")
    departed = timeline.locator("[data-milestone=departed]")
    expect(departed).to_have_class("milestone reached")
    expect(departed).to_contain_text("Los Angeles (USLAX)")
    expect(departed).to_contain_text("Vessel Madrid Maersk 412W")
    expect(timeline.locator("[data-milestone=gate_in]")).to_contain_text(f"Container {CONTAINER}")
    for pending in ("arrived", "discharged", "gate_out"):
        milestone = timeline.locator(f"[data-milestone={pending}]")
        expect(milestone).to_have_class("milestone pending")
        expect(milestone).to_contain_text("Not yet")
    # Pending milestones are greyed: their label is drawn in the muted colour.
    reached_colour = departed.locator(".milestone-label").evaluate("e => getComputedStyle(e).color")
    pending_colour = timeline.locator("[data-milestone=arrived] .milestone-label").evaluate(
        "e => getComputedStyle(e).color"
    )
    assert pending_colour != reached_colour
    assert _fits_the_phone(page) <= PHONE["width"]
    timeline.scroll_into_view_if_needed()
    snapshot("phone-en")

    page.context.add_cookies(
        [{"name": django_settings.LANGUAGE_COOKIE_NAME, "value": "zh-hans", "url": live_server.url}]
    )
    dana.language = "zh-hans"
    dana.save(update_fields=["language"])
    page.reload()
    expect(timeline.get_by_role("heading", name="集装箱跟踪")).to_be_visible()
    expect(timeline.locator("[data-milestone=departed]")).to_contain_text("已离港")
    expect(timeline.locator("[data-milestone=gate_out]")).to_contain_text("尚未发生")
    expect(timeline).to_contain_text("最新预计到港时间")
    assert _fits_the_phone(page) <= PHONE["width"]
    timeline.scroll_into_view_if_needed()
    snapshot("phone-zh")
