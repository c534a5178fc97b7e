"""An operator opens a sailing from a carrier's schedule on a phone: the lanes, the sailings
with their "Departure moved" and "Call omitted" badges, and the sailing's form with the
schedule read-only; a merchant sees the moved departure on their booking. In English and in
Chinese, nothing is wider than the screen."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from network.models import Organization, Role
from shipping.models import Lane, Sailing
from tests.browser.test_phone_layout import PHONE, _overflow, _set_language
from tests.factories import PASSWORD, TOTP_SECRET, OrganizationFactory, member
from tests.shipping.factories import PortFactory, SailingFactory, approve, request_booking

pytestmark = pytest.mark.browser


def test_schedule_sailings_fit_a_phone(page, login, live_server):
    operators = OrganizationFactory(name="Network Operations", kind=Organization.Kind.OPERATOR)
    sam = member(operators, Role.STAFF, email="sam@network.test", full_name="Sam Reviewer")
    maple = OrganizationFactory(name="Great Lakes Maple Co.", slug="great-lakes-maple-co")
    approve(maple)
    dana = member(maple, Role.OWNER, email="dana@greatlakesmaple.com", full_name="Dana Whitfield")
    Lane.objects.create(
        port_of_loading=PortFactory(un_locode="USLAX", name="Los Angeles"),
        port_of_discharge=PortFactory(un_locode="CNNGB", name="Ningbo", time_zone="Asia/Shanghai"),
    )
    moved = SailingFactory(
        source=Sailing.Source.SCHEDULE,
        vessel_name="CMA CGM Alexander von Humboldt",
        etd_changed_from=timezone.now() + timedelta(days=19),
    )
    omitted = SailingFactory(source=Sailing.Source.SCHEDULE, is_omitted=True)
    booking = request_booking(maple, moved, dana)
    page.set_viewport_size(PHONE)

    from allauth.mfa.totp.internal.auth import TOTP

    TOTP.activate(sam, TOTP_SECRET)
    languages = (
        ("en", "Departure moved from", "Call omitted"),
        ("zh-hans", "出发时间已由", "已取消挂靠"),
    )
    # One sign-in each: a second factor's code is accepted once.
    login(sam.email, PASSWORD, TOTP_SECRET)
    for language, moved_text, omitted_text in languages:
        _set_language(page, live_server, language)
        page.goto("/shipping/operations/lanes/")
        expect(page.locator("tr[data-lane]")).to_contain_text("USLAX")
        assert _overflow(page) is None, f"lanes ({language}): {_overflow(page)}"
        page.goto("/shipping/operations/")
        expect(page.locator("[data-schedule=moved]")).to_contain_text(moved_text)
        expect(page.locator("[data-schedule=omitted]")).to_have_text(omitted_text)
        assert _overflow(page) is None, f"sailings ({language}): {_overflow(page)}"
        page.goto(f"/shipping/operations/sailings/{moved.pk}/edit/")
        expect(page.locator("input[name=capacity_teu]")).to_be_visible()
        expect(page.locator("input[name=etd]")).to_have_count(0)
        assert _overflow(page) is None, f"sailing form ({language}): {_overflow(page)}"
        page.goto(f"/shipping/operations/sailings/{omitted.pk}/")
        expect(page.locator("[data-schedule=omitted]")).to_be_visible()
        assert _overflow(page) is None, f"omitted sailing ({language}): {_overflow(page)}"

    login(dana.email, PASSWORD)
    for language, moved_text, _omitted_text in languages:
        _set_language(page, live_server, language)
        page.goto(f"/shipping/bookings/{booking.reference}/")
        expect(page.locator("[data-schedule=moved]")).to_contain_text(moved_text)
        assert _overflow(page) is None, f"booking ({language}): {_overflow(page)}"
