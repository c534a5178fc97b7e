"""A merchant books two 40' high cubes from Los Angeles to Ningbo and sees the carrier
confirm them once the worker has asked the carrier."""

from __future__ import annotations

import re

import pytest
from django_scopes import scopes_disabled
from playwright.sync_api import expect

from network.models import Role
from shipping import tasks
from shipping.models import Booking
from tests.factories import PASSWORD, OrganizationFactory, member
from tests.shipping.factories import PortFactory, SailingFactory, approve

pytestmark = pytest.mark.browser


@pytest.fixture
def deterministic_carrier(carrier_server):
    """The carrier process accepts everything, never fails, and takes its time to answer."""
    carrier_server.config(delay=3600)
    return carrier_server


def test_merchant_books_two_high_cubes_los_angeles_to_ningbo(page, snapshot, deterministic_carrier):
    maple = OrganizationFactory(name="Great Lakes Maple Co.", slug="great-lakes-maple-co")
    approve(maple)
    dana = member(maple, Role.OWNER, email="dana@greatlakesmaple.com", full_name="Dana Whitfield")
    PortFactory(un_locode="USLAX", name="Los Angeles")
    PortFactory(un_locode="USLGB", name="Long Beach")
    PortFactory(un_locode="CNNGB", name="Ningbo", time_zone="Asia/Shanghai")
    PortFactory(un_locode="CNSHA", name="Shanghai", time_zone="Asia/Shanghai")
    sailing = SailingFactory(
        vessel_name="Madrid Maersk", vessel_imo="9778791", voyage_number="2614W"
    )

    page.goto("/accounts/login/")
    page.locator("input[name=login]").fill(dana.email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("main").get_by_role("button", name="Sign In").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Great Lakes Maple Co.")

    page.locator(".main-nav").get_by_role("link", name="Shipping").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Find a sailing")
    page.get_by_label("From", exact=True).select_option(label="Los Angeles (USLAX)")
    page.get_by_label("To", exact=True).select_option(label="Ningbo (CNNGB)")
    page.get_by_label("Equipment").select_option("45G1")
    snapshot("1-search")
    page.get_by_role("button", name="Search").click()

    row = page.locator(f"tr[data-sailing='{sailing.pk}']")
    expect(row).to_contain_text("Maersk")
    expect(row).to_contain_text("16 days")
    expect(row).to_contain_text("USD 840.00")
    snapshot("2-results")
    row.get_by_role("link", name="Book 45G1").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Book container space")
    expect(page.locator("#cancellation-terms")).to_contain_text("Cancelling is free until")
    page.get_by_label("Containers").fill("2")
    page.get_by_label("Commodity").fill("Pure maple syrup in glass bottles, palletised")
    page.get_by_label("HS codes").fill("170220")
    page.get_by_label("Gross cargo weight (kg)").fill("36000")
    page.get_by_label("Consignee", exact=True).fill("Hangzhou Westlake Global Trading Co., Ltd.")
    page.get_by_label("Consignee address").fill("88 Wensan Road, Xihu District\nHangzhou 310012")
    snapshot("3-booking-form")
    page.get_by_role("button", name="Review booking").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Review your booking")
    expect(page.locator("#review-units")).to_have_text("2 × 45G1")
    expect(page.locator("#review-total")).to_have_text("USD 1,680.00")
    expect(page.locator("#cancellation-terms")).to_contain_text("USD 150.00 per container")
    expect(page.locator("#cancellation-terms")).to_contain_text("For this booking: USD 300.00")
    snapshot("4-review")
    page.get_by_role("button", name="Confirm booking").click()

    expect(page).to_have_url(re.compile(r"/shipping/bookings/GN[A-Z0-9]{10}/$"))
    status = page.locator("#booking-panel .booking-status [data-status]")
    expect(status).to_have_text("Received")
    expect(page.locator("#booking-panel")).to_contain_text("Waiting for Maersk to answer")
    snapshot("5-received")
    with scopes_disabled():
        booking = Booking.objects.get()
    assert (booking.units, booking.equipment_code, booking.teu_held) == (2, "45G1", 4)
    assert booking.carrier_booking_request_reference  # submitted, not yet answered

    # The carrier decides; the worker's periodic poll fetches the answer.
    deterministic_carrier.advance("MAEU")
    tasks.poll_bookings_awaiting_carrier.delay()

    expect(status).to_have_text("Confirmed", timeout=15_000)  # the page follows by itself
    expect(page.locator("#carrier-reference")).to_have_text(re.compile(r"^MAEU\d{9}$"))
    expect(page.locator(".timeline")).to_contain_text("confirmed the booking")
    snapshot("6-confirmed")

    page.locator(".subnav").get_by_role("link", name="My bookings").click()
    expect(page.locator("table")).to_contain_text(booking.reference)
    expect(page.locator("table [data-status]")).to_have_text("Confirmed")
