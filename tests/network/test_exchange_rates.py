"""Operators keep the USD→CNY rate; nobody else can."""

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
    latest = selectors.exchange_rate_latest()
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
