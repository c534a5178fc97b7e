"""A merchant registers for the Detroit seminar and downloads the calendar invitation; an
operator checks her in at the door; after the seminar she downloads her certificate."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from allauth.mfa.totp.internal.auth import TOTP
from django.utils import timezone
from django_scopes import scopes_disabled
from icalendar import Calendar
from playwright.sync_api import expect

from merchants.models import MerchantApplication
from network.models import Organization, Role
from tests.factories import PASSWORD, OrganizationFactory, member
from training.models import Registration, Seminar

pytestmark = pytest.mark.browser
SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def _seminar_starting_soon() -> Seminar:
    start = (timezone.now() + timedelta(hours=1)).replace(second=0, microsecond=0)
    return Seminar.objects.create(
        title="From Michigan to Hangzhou: logistics and cross-border e-commerce",
        slug="detroit-shipping-to-china",
        topic="cross_border",
        language="en",
        summary="A day on shipping to Taobao Global buyers.",
        format=Seminar.Format.IN_PERSON,
        venue="Huntington Place, Room 320",
        address="1 Washington Blvd",
        city="Detroit, MI",
        time_zone="America/Detroit",
        start_at=start,
        end_at=start + timedelta(hours=8),
        capacity=120,
        status=Seminar.Status.PUBLISHED,
        speakers="Elena Petrova, Maersk North America",
        agenda="08:30 Registration and coffee\n09:00 Welcome\n10:45 Ocean freight",
    )


def test_register_download_invite_check_in_and_get_the_certificate(page, login, snapshot):
    maple = OrganizationFactory(name="Great Lakes Maple Co.", slug="great-lakes-maple-co")
    with scopes_disabled():
        MerchantApplication.objects.create(
            organization=maple, status="approved", legal_name="Great Lakes Maple Co. Inc."
        )
    member(maple, Role.OWNER, email="dana@greatlakesmaple.com", full_name="Dana Whitfield")
    operators = OrganizationFactory(name="Network Operations", kind=Organization.Kind.OPERATOR)
    sam = member(operators, Role.STAFF, email="sam@network.example", full_name="Sam Reviewer")
    TOTP.activate(sam, SECRET)
    seminar = _seminar_starting_soon()

    # The merchant finds the seminar and registers.
    login("dana@greatlakesmaple.com", PASSWORD)
    page.goto("/")
    page.locator(".main-nav").get_by_role("link", name="Seminars").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Seminars")
    snapshot("1-calendar")
    page.get_by_role("link", name=seminar.title).click()
    expect(page.locator(".seats")).to_have_text("120 seats left")
    snapshot("2-seminar")
    page.get_by_role("button", name="Register").click()

    expect(page.locator(".messages")).to_contain_text("You have a seat.")
    expect(page.get_by_role("img", name="Check-in QR code")).to_be_visible()
    page.wait_for_function(
        "() => { const qr = document.querySelector('.ticket-qr');"
        " return qr.complete && qr.naturalWidth > 0; }"
    )
    snapshot("3-ticket")
    with page.expect_download() as download:
        page.get_by_role("link", name="Add to calendar (.ics)").click()
    invite = Calendar.from_ical(Path(download.value.path()).read_bytes())
    assert invite["METHOD"] == "REQUEST"
    event = invite.walk("VEVENT")[0]
    assert str(event["SUMMARY"]) == seminar.title
    assert event["SEQUENCE"] == 0
    with scopes_disabled():
        registration = Registration.objects.get(user__email="dana@greatlakesmaple.com")
    assert str(event["UID"]).startswith(f"seminar-{seminar.pk}-{registration.uid}@")
    code = page.locator(".ticket-code").inner_text().strip()
    assert code == registration.checkin_token

    # At the door, an operator types the code under the QR code and checks her in.
    login("sam@network.example", PASSWORD, totp_secret=SECRET)
    page.goto(f"/training/manage/{seminar.pk}/check-in/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Check-in")
    page.get_by_label("Check-in code, name, email or organisation").fill(code)
    page.get_by_role("button", name="Find").click()
    expect(page.locator("tbody")).to_contain_text("Dana Whitfield")
    snapshot("4-check-in-found")
    page.get_by_role("button", name="Check in Dana Whitfield").click()
    expect(page.locator(".messages")).to_contain_text("Dana Whitfield is checked in.")
    expect(page.locator("tbody")).to_contain_text(re.compile(r"Checked in at"))
    snapshot("5-checked-in")
    registration.refresh_from_db()
    assert registration.attended_at is not None
    with scopes_disabled():
        assert MerchantApplication.objects.get(organization=maple).badges == ["seminar_graduate"]

    # The seminar ends; the merchant downloads her certificate and is asked for feedback.
    Seminar.objects.filter(pk=seminar.pk).update(
        start_at=timezone.now() - timedelta(hours=9), end_at=timezone.now() - timedelta(hours=1)
    )
    login("dana@greatlakesmaple.com", PASSWORD)
    page.goto(f"/training/registrations/{registration.pk}/")
    expect(page.get_by_role("heading", name="How was the seminar?")).to_be_visible()
    snapshot("6-after-the-seminar")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download certificate (PDF)").click()
    pdf = Path(download.value.path()).read_bytes()
    assert pdf.startswith(b"%PDF")
    assert download.value.suggested_filename == f"certificate-{registration.certificate_number}.pdf"

    page.get_by_label("5", exact=True).check()
    page.get_by_label("Comment").fill("The container booking walkthrough was gold.")
    page.get_by_role("button", name="Send feedback").click()
    expect(page.locator(".messages")).to_contain_text("Thank you for your feedback.")
    snapshot("7-feedback-sent")
