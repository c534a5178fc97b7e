"""Each person reads times in their own zone: a buyer who has not chosen one reads China's
(Asia/Shanghai), anyone else UTC, and a zone chosen on the preferences page wins over both — on
pages and in mail.

People: a buyer, a merchant's owner, and a buyer who chose New York's zone."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.urls import reverse

from network.models import Notification, Organization, Role
from network.services import notification_send
from tests.factories import OrganizationFactory, member

pytestmark = pytest.mark.django_db

# 11:16 UTC is 19:16 in Shanghai and 06:16 in New York (standard time in December).
MOMENT = datetime(2026, 12, 6, 11, 16, tzinfo=UTC)


def _notified(person) -> None:
    Notification.objects.create(
        recipient=person,
        email=person.email,
        kind="test",
        subject="Stock counted",
        body="",
        created_at=MOMENT,
    )


@pytest.fixture
def store():
    return OrganizationFactory(kind=Organization.Kind.BUYER, name="Hangzhou Store")


def _notification_time(client) -> str:
    page = client.get(reverse("notifications")).content.decode()
    return page.split("Stock counted", 1)[1].split("</small>", 1)[0]


def test_a_buyer_who_has_not_chosen_reads_china_time(client, store):
    buyer = member(store, Role.BUYER, language="zh-hans")
    assert buyer.time_zone == ""
    _notified(buyer)
    client.force_login(buyer)
    assert "19:16" in _notification_time(client)
    preferences = client.get(reverse("preferences")).content.decode()
    assert '<option value="" selected>自动：Asia/Shanghai</option>' in preferences


def test_a_merchant_who_has_not_chosen_reads_utc(client):
    owner = member(OrganizationFactory(kind=Organization.Kind.MERCHANT), Role.OWNER)
    _notified(owner)
    client.force_login(owner)
    assert "11:16" in _notification_time(client)
    preferences = client.get(reverse("preferences")).content.decode()
    assert '<option value="" selected>Automatic: UTC</option>' in preferences


def test_a_chosen_zone_wins_and_automatic_can_be_chosen_again(client, store):
    buyer = member(store, Role.BUYER, language="zh-hans")
    _notified(buyer)
    client.force_login(buyer)
    client.post(
        reverse("preferences"),
        {"full_name": "Wang Li", "language": "zh-hans", "time_zone": "America/New_York"},
    )
    buyer.refresh_from_db()
    assert buyer.time_zone == "America/New_York"
    assert "06:16" in _notification_time(client)
    client.post(reverse("preferences"), {"full_name": "Wang Li", "language": "zh-hans"})
    buyer.refresh_from_db()
    assert buyer.time_zone == ""
    assert "19:16" in _notification_time(client)


def test_mail_is_written_in_the_recipients_zone(store):
    buyer = member(store, Role.BUYER, language="zh-hans")
    chosen = member(store, Role.BUYER, language="en", time_zone="America/New_York")
    for person in (buyer, chosen):
        notification_send(
            email=person.email,
            recipient=person,
            kind="test",
            template="orders/email/merchant_order_created",
            context={"number": "MO1", "buyer": "Hangzhou Store", "accept_by": MOMENT},
        )
    assert "19:16" in Notification.objects.addressed_to(buyer).get().body
    assert "6:16" in Notification.objects.addressed_to(chosen).get().body


def test_the_time_zone_select_is_djangos_select_with_the_same_options():
    from django import forms
    from django.test.html import parse_html

    from network.forms import LongSelect
    from network.models import TIME_ZONE_CHOICES

    choices = [("", "Automatic: <UTC> & co"), *TIME_ZONE_CHOICES]
    attrs = {"id": "id_time_zone", "required": True, "data-x": 'say "hi"'}
    ours = LongSelect(choices=choices).render("time_zone", "Asia/Shanghai", attrs)
    django = forms.Select(choices=choices).render("time_zone", "Asia/Shanghai", attrs)
    assert parse_html(ours) == parse_html(django)
    assert ours.count(" selected") == 1 and len(TIME_ZONE_CHOICES) > 400
