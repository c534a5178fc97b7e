"""Operators keep the USD→CNY rate; nobody else can."""

import re
from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from network import selectors, services
from network.models import AuditEvent, ExchangeRate, Role
from network.services import PermissionDenied
from tests.factories import OrganizationFactory, member, sign_in
from tests.factories import operator as make_operator

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator():
    return make_operator()


def test_the_newest_rate_wins_and_a_day_is_corrected_in_place(operator):
    services.exchange_rate_set(
        base="USD",
        quote="CNY",
        rate=Decimal("7.1"),
        effective_date=date(2026, 11, 20),
        acting_user=operator,
    )
    services.exchange_rate_set(
        base="USD",
        quote="CNY",
        rate=Decimal("7.2"),
        effective_date=date(2026, 11, 25),
        acting_user=operator,
    )
    services.exchange_rate_set(
        base="USD",
        quote="CNY",
        rate=Decimal("7.25"),
        effective_date=date(2026, 11, 25),
        acting_user=operator,
    )
    latest = selectors.exchange_rate_in_force()
    assert (latest.rate, latest.effective_date) == (Decimal("7.25"), date(2026, 11, 25))
    assert ExchangeRate.objects.count() == 2
    from django_scopes import scopes_disabled

    with scopes_disabled():
        assert AuditEvent.objects.filter(action="exchange_rate.set").count() == 3


def test_only_operators_set_rates(client, operator):
    merchant = member(OrganizationFactory(), Role.OWNER)
    with pytest.raises(PermissionDenied):
        services.exchange_rate_set(
            base="USD",
            quote="CNY",
            rate=Decimal("1"),
            effective_date=date(2026, 1, 1),
            acting_user=merchant,
        )
    client.force_login(merchant)
    assert client.get(reverse("exchange_rates")).status_code == 403
    sign_in(client, operator)
    response = client.post(
        reverse("exchange_rates"), {"rate": "7.1042", "effective_date": "2026-11-26"}, follow=True
    )
    assert "Saved: 1 USD = 7.1042 CNY (2026-11-26)." in response.content.decode()
    response = client.post(reverse("exchange_rates"), {"rate": "-1", "effective_date": "x"})
    page = response.content.decode()
    assert "Ensure this value is greater than or equal to 0.000001." in page
    assert "Enter a valid date." in page
    assert ExchangeRate.objects.count() == 1


def test_a_rate_dated_later_is_scheduled_not_in_force(client, operator):
    """A rate applies from its date: until then buyers see the rate in force, and the
    operators' page lists the later one as scheduled."""
    from datetime import timedelta
    from unittest import mock

    from django.utils import timezone

    from tests.catalog.factories import merchant, product

    today = selectors.exchange_rate_day()
    tomorrow = today + timedelta(days=1)
    ExchangeRate.objects.create(rate=Decimal("7.1"), effective_date=today - timedelta(days=3))
    ExchangeRate.objects.create(rate=Decimal("9.9"), effective_date=date(2099, 12, 31))
    ExchangeRate.objects.create(rate=Decimal("7.2"), effective_date=tomorrow)
    organization, owner = merchant("Great Lakes Maple Co.", state="MI")
    listing = product(organization, owner, title_en="Amber Maple Syrup", code="MS-1")

    page = client.get(reverse("catalog:product", args=[listing.pk])).content.decode()
    assert "1 USD = 7.1000 CNY" in page
    assert "2099-12-31" not in page and "9.9000" not in page
    browse = client.get(reverse("catalog:browse")).content.decode()
    assert "1 USD = 7.1000 CNY" in browse and "2099-12-31" not in browse
    # The merchant's profile lists the same cards, estimated at the same rate.
    profile = client.get(reverse("merchants:profile", args=[organization.slug])).content.decode()
    estimate = re.search(r"≈ ¥[\d,.]+", browse).group()
    assert estimate in profile

    sign_in(client, operator)
    rates = client.get(reverse("exchange_rates")).content.decode()
    rows = rates.split("<tbody>")[1].split("</tbody>")[0].split("</tr>")
    assert "Scheduled" in rows[0] and "9.9" in rows[0]
    assert "Scheduled" in rows[1] and "7.2" in rows[1]
    assert "In force" in rows[2] and "7.1" in rows[2]
    response = client.post(
        reverse("exchange_rates"),
        {"rate": "7.3", "effective_date": (today + timedelta(days=2)).isoformat()},
        follow=True,
    )
    assert "Scheduled: 1 USD = 7.3 CNY" in response.content.decode()

    # From tomorrow on, tomorrow's rate is in force, in a page cached today too.
    client.logout()
    later = timezone.now() + timedelta(days=1)
    with mock.patch("django.utils.timezone.now", return_value=later):
        assert selectors.exchange_rate_in_force().rate == Decimal("7.2")
        page = client.get(reverse("catalog:product", args=[listing.pk])).content.decode()
        assert "1 USD = 7.2000 CNY" in page
        browse = client.get(reverse("catalog:browse")).content.decode()
        assert "1 USD = 7.2000 CNY" in browse
