"""Operators see how each carrier's connection is going (connected, failing with the last
error, paused until a time) and the requests awaiting a carrier's word, in English and
Chinese, on the carriers page and the dashboard."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from shipping.models import Booking, Carrier
from tests.factories import sign_in
from tests.shipping.factories import CarrierFactory, request_booking

pytestmark = pytest.mark.django_db


def text(response) -> str:
    assert response.status_code == 200
    return re.sub(r"\s+", " ", response.content.decode())


@pytest.fixture
def carriers(monkeypatch, maple, owner, sailing):
    """Maersk failing, CMA CGM paused until 23:45 UTC, Hapag-Lloyd connected; one booking whose
    request's fate is unknown."""
    now = timezone.now()
    Carrier.objects.filter(scac="MAEU").update(
        consecutive_failures=2,
        last_error="MAEU: POST /v2/bookings answered 503",
        last_error_at=now,
    )
    paused_until = (now + timedelta(days=1)).replace(hour=23, minute=45, second=0)
    CarrierFactory(
        scac="CMDU",
        name="CMA CGM",
        consecutive_failures=5,
        circuit_open_until=paused_until,
        last_error="CMDU: the token request failed (ConnectError)",
    )
    CarrierFactory(scac="HLCU", name="Hapag-Lloyd", last_success_at=now)
    monkeypatch.setenv("CARRIER_HLCU_API_URL", "http://127.0.0.1:9/HLCU")
    booking = request_booking(maple, sailing, owner)
    with scopes_disabled():
        Booking.objects.filter(pk=booking.pk).update(
            carrier_outcome_unknown_since=now, last_carrier_error="MAEU: POST /v2/bookings failed"
        )
    return booking


def test_the_carriers_page_shows_each_connection_and_the_requests_awaiting_word(
    client, operator, carriers
):
    sign_in(client, operator)
    page = text(client.get(reverse("shipping:operations_carriers")))
    assert "Failing (2 calls in a row)" in page
    assert "MAEU: POST /v2/bookings answered 503" in page
    assert "Paused until 23:45" in page
    assert "CMDU: the token request failed (ConnectError)" in page
    assert '<span class="badge ok">Connected</span>' in page
    assert "Requests awaiting the carrier's word" in page
    assert carriers.reference in page


def in_chinese(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"


def test_the_carriers_page_in_chinese(client, operator, carriers):
    sign_in(client, operator)
    in_chinese(client)
    page = text(client.get(reverse("shipping:operations_carriers")))
    assert "连接失败（连续 2 次调用）" in page
    assert "暂停至 23:45" in page
    assert "已连接" in page
    assert "等待承运人答复的请求" in page


def test_the_operator_dashboard_has_a_carrier_connections_panel(client, operator, carriers):
    sign_in(client, operator)
    page = text(client.get(reverse("dashboard")))
    panel = page.split('id="panel-carrier-connections"')[1].split("</section>")[0]
    assert "Carrier connections" in panel
    assert "Maersk (MAEU)" in panel and "Failing (2 calls in a row)" in panel
    assert "CMA CGM (CMDU)" in panel and "Paused until 23:45" in panel
    assert "Hapag-Lloyd (HLCU)" in panel and "Connected" in panel
    assert "Requests awaiting the carrier&#x27;s word</dt> <dd>1</dd>" in panel
    in_chinese(client)
    chinese = text(client.get(reverse("dashboard")))
    assert "承运人连接" in chinese
    assert "连接失败（连续 2 次调用）" in chinese


def test_merchants_do_not_see_the_panel(client, owner, carriers):
    sign_in(client, owner)
    assert 'id="panel-carrier-connections"' not in text(client.get(reverse("dashboard")))
