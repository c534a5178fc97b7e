"""The training demo: Detroit with 120 seats, online webinars, and a past seminar with
attendance, certificates and feedback; a second run changes nothing."""

import pytest
from django.core.management import call_command
from django_scopes import scopes_disabled

from merchants.models import MerchantApplication
from network.models import Organization
from training import selectors, services
from training.models import Feedback, Registration, Seminar

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def test_seed_demo_builds_the_seminars_and_is_idempotent():
    call_command("seed_demo", apps="network,merchants,training")
    with scopes_disabled():
        counts = (
            Seminar.objects.count(),
            Registration.objects.count(),
            Feedback.objects.count(),
        )
        detroit = Seminar.objects.get(slug="detroit-shipping-to-china")
        assert detroit.capacity == 120
        assert "Huntington Place" in detroit.venue
        assert detroit.registration_open()
        assert (
            detroit.confirmed_count
            == Registration.objects.filter(seminar=detroit, status="confirmed").count()
        )
        assert 0 < detroit.seats_left < 120
        mark = Registration.objects.get(seminar=detroit, user__email="merchant.owner@example.com")
        assert mark.status == "confirmed"

        webinar = Seminar.objects.get(slug="taobao-global-buyers-webinar")
        assert (webinar.language, webinar.format) == ("zh-hans", "online")
        assert Registration.objects.filter(
            seminar=webinar, user__email="buyer@example.com", status="confirmed"
        ).exists()
        assert Seminar.objects.filter(format="online", status="published").count() >= 3

        past = Seminar.objects.get(slug="ocean-freight-101-detroit")
        assert past.has_ended()
        attended = Registration.objects.filter(seminar=past, attended_at__isnull=False)
        assert attended.count() == 38
        owner = attended.get(user__email="merchant.owner@example.com")
        assert services.certificate_available(owner)
        summary = selectors.feedback_summary(
            organization=Organization.objects.filter(kind=Organization.Kind.OPERATOR).first(),
            seminar=past,
        )
        assert summary.count > 10 and 3 <= summary.average <= 5
        maple = MerchantApplication.objects.filter(organization__slug="great-lakes-maple-co")
        if maple.exists():
            assert "seminar_graduate" in maple.get().badges
        for registration in Registration.objects.filter(seminar__in=[detroit, past]):
            assert registration.created_at <= registration.seminar.start_at

    call_command("seed_demo", apps="network,merchants,training")
    with scopes_disabled():
        assert (
            Seminar.objects.count(),
            Registration.objects.count(),
            Feedback.objects.count(),
        ) == counts
