"""Check-in at the door: the QR code leads operators to the attendee; attendance is recorded,
merchants earn the "Seminar graduate" badge, attendees get a PDF certificate."""

import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled
from pypdf import PdfReader

from merchants.models import MerchantApplication
from network.models import AuditEvent, Organization, Role
from tests.factories import OrganizationFactory, member, sign_in
from tests.training.factories import SeminarFactory, attendee, operator
from training import documents, services
from training.errors import IllegalTransition, NotAllowed
from training.models import Seminar

pytestmark = pytest.mark.django_db


def _under_way(seminar):
    Seminar.objects.filter(pk=seminar.pk).update(
        start_at=timezone.now() - timedelta(minutes=30), end_at=timezone.now() + timedelta(hours=6)
    )
    seminar.refresh_from_db()


def _ended(seminar):
    Seminar.objects.filter(pk=seminar.pk).update(end_at=timezone.now() - timedelta(minutes=1))


def test_the_qr_code_encodes_the_check_in_link(client):
    seminar = SeminarFactory()
    user, org = attendee()
    registration = services.registration_create(seminar=seminar, organization=org, acting_user=user)
    client.force_login(user)
    response = client.get(reverse("training:registration_qr", args=[registration.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    assert response.content.startswith(b"<svg")
    assert documents.checkin_url(registration).endswith(
        f"/training/check-in/{registration.checkin_token}/"
    )


def _approved_merchant():
    organization = OrganizationFactory(kind=Organization.Kind.MERCHANT, name="Great Lakes Maple")
    with scopes_disabled():
        MerchantApplication.objects.create(
            organization=organization, status="approved", legal_name="Great Lakes Maple Co. LLC"
        )
    return organization


def _badges(organization):
    with scopes_disabled():
        return MerchantApplication.objects.get(organization=organization).badges


def test_an_operator_scans_finds_and_checks_in(client):
    seminar = SeminarFactory()
    user, org = attendee(_approved_merchant(), full_name="Dana Whitfield")
    registration = services.registration_create(seminar=seminar, organization=org, acting_user=user)
    _under_way(seminar)
    staff = operator()
    sign_in(client, staff)

    scanned = client.get(reverse("training:check_in_scan", args=[registration.checkin_token]))
    assert scanned.status_code == 302
    page = client.get(scanned["Location"]).content.decode()
    assert "Dana Whitfield" in page
    assert "Check in Dana Whitfield" in page

    by_name = client.get(reverse("training:manage_check_in", args=[seminar.pk]), {"q": "whitf"})
    assert "Dana Whitfield" in by_name.content.decode()

    response = client.post(
        reverse("training:manage_check_in", args=[seminar.pk]),
        {"registration": registration.pk, "q": "whitf"},
        follow=True,
    )
    assert "Dana Whitfield is checked in." in response.content.decode()
    registration.refresh_from_db()
    assert registration.attended_at is not None
    assert registration.checked_in_by == staff
    assert _badges(org) == ["seminar_graduate"]
    with scopes_disabled():
        assert (
            AuditEvent.objects.filter(organization=org, action="merchant.badge_awarded").count()
            == 1
        )
    with pytest.raises(IllegalTransition):
        services.registration_check_in(registration=registration, acting_user=staff)
    assert _badges(org) == ["seminar_graduate"]


def test_a_merchant_that_has_not_applied_is_checked_in_without_a_badge():
    seminar = SeminarFactory()
    user, org = attendee()
    registration = services.registration_create(seminar=seminar, organization=org, acting_user=user)
    _under_way(seminar)
    services.registration_check_in(registration=registration, acting_user=operator())
    registration.refresh_from_db()
    assert registration.attended_at is not None


def test_a_buyer_attendee_earns_no_merchant_badge():
    seminar = SeminarFactory()
    buyers = OrganizationFactory(kind=Organization.Kind.BUYER)
    buyer = member(buyers, Role.BUYER)
    registration = services.registration_create(
        seminar=seminar, organization=buyers, acting_user=buyer
    )
    _under_way(seminar)
    services.registration_check_in(registration=registration, acting_user=operator())
    with scopes_disabled():
        assert not AuditEvent.objects.filter(action="merchant.badge_awarded").exists()


def test_check_in_needs_an_operator_a_seat_and_the_day(client):
    seminar = SeminarFactory(capacity=1)
    user, org = attendee()
    seated = services.registration_create(seminar=seminar, organization=org, acting_user=user)
    waiting = services.registration_create(
        seminar=seminar, organization=org, acting_user=member(org, Role.STAFF)
    )
    staff = operator()
    with pytest.raises(IllegalTransition):  # a month early
        services.registration_check_in(registration=seated, acting_user=staff)
    _under_way(seminar)
    with pytest.raises(NotAllowed):
        services.registration_check_in(registration=seated, acting_user=user)
    with pytest.raises(IllegalTransition):
        services.registration_check_in(registration=waiting, acting_user=staff)

    client.force_login(member(org, Role.OWNER))
    url = reverse("training:manage_check_in", args=[seminar.pk])
    assert client.get(url).status_code == 403
    assert client.post(url, {"registration": seated.pk}).status_code == 403
    seated.refresh_from_db()
    assert seated.attended_at is None


def test_the_certificate_is_a_pdf_with_the_chinese_name_after_the_event(client):
    seminar = SeminarFactory(title="Cross-border e-commerce for Midwest brands")
    buyers = OrganizationFactory(kind=Organization.Kind.BUYER, name="杭州西湖全球购")
    buyer = member(buyers, Role.BUYER, full_name="王丽", language="zh-hans")
    registration = services.registration_create(
        seminar=seminar, organization=buyers, acting_user=buyer
    )
    _under_way(seminar)
    services.registration_check_in(registration=registration, acting_user=operator())
    url = reverse("training:registration_certificate", args=[registration.pk])
    client.force_login(buyer)
    assert client.get(url).status_code == 404  # not before the end

    _ended(seminar)
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(response.content))
    assert len(reader.pages) == 1
    text = reader.pages[0].extract_text()
    assert "王丽" in text
    assert "Cross-border e-commerce for Midwest brands" in text
    assert registration.certificate_number in text
    fonts = {
        str(font["/BaseFont"])
        for font in reader.pages[0]["/Resources"]["/Font"].values()
        if "/BaseFont" in font.get_object()
    }
    assert any("STSong-Light" in font for font in fonts)


def test_no_certificate_without_attendance(client):
    seminar = SeminarFactory()
    user, org = attendee()
    registration = services.registration_create(seminar=seminar, organization=org, acting_user=user)
    _under_way(seminar)
    _ended(seminar)
    client.force_login(user)
    assert (
        client.get(reverse("training:registration_certificate", args=[registration.pk])).status_code
        == 404
    )
