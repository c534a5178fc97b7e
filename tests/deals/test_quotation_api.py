"""The quotation API: a buyer asks, merchants quote, the buyer reads both and accepts one; a
merchant reads only its own quotation; refusals are 4xx codes, never a 500."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from django_scopes import scopes_disabled

from network import services as network_services
from network.models import ApiScope, Role
from orders.models import CartLine
from tests.deals.quotation_world import world
from tests.factories import member

pytestmark = pytest.mark.django_db

BASE = "/api/v1/deals"


def key_client(organization, user) -> Client:
    _key, raw = network_services.api_key_create(
        organization=organization,
        name="ERP",
        scopes=[ApiScope.ORDERS_READ, ApiScope.ORDERS_WRITE],
        acting_user=user,
    )
    return Client(headers={"Authorization": f"Bearer {raw}"})


def post(client, url, data=None):
    return client.post(
        url,
        data or {},
        content_type="application/json",
        headers={"Idempotency-Key": uuid.uuid4().hex},
    )


def quotation_body(sku_id: int, price: str) -> dict:
    return {
        "lines": [
            {
                "sku": sku_id,
                "quantity": 240,
                "tiers": [{"min_quantity": 96, "unit_price_usd": price}],
            }
        ],
        "moq": 96,
        "lead_time_days": 10,
        "valid_until": (timezone.localdate() + timedelta(days=5)).isoformat(),
    }


def test_ask_quote_read_and_accept_through_the_api():
    w = world()
    store, maple, sugar = (
        key_client(w.buyer, member(w.buyer, Role.OWNER)),
        key_client(w.maple, w.maple_user),
        key_client(w.sugar, w.sugar_user),
    )
    refused = post(store, f"{BASE}/quotation-requests/", {"title": "Syrup", "quantity": 240})
    assert refused.status_code == 400 and refused.json()["code"] == "quotation_request_invalid"
    unknown = post(
        store,
        f"{BASE}/quotation-requests/",
        {"title": "Syrup", "quantity": 240, "category": "no-such-category"},
    )
    assert unknown.status_code == 400
    created = post(
        store,
        f"{BASE}/quotation-requests/",
        {"title": "Syrup", "quantity": 240, "category": "maple-syrup", "incoterm": "CIF"},
    )
    assert created.status_code == 201, created.content
    number = created.json()["number"]
    assert created.json()["status"] == "open"

    assert [r["number"] for r in maple.get(f"{BASE}/quotation-requests/").json()] == [number]
    assert post(maple, f"{BASE}/quotation-requests/", {"title": "x"}).status_code == 403

    sent = post(
        maple,
        f"{BASE}/quotation-requests/{number}/quotations/",
        quotation_body(w.maple_sku.pk, "7.15"),
    )
    assert sent.status_code == 201, sent.content
    theirs = post(
        sugar,
        f"{BASE}/quotation-requests/{number}/quotations/",
        quotation_body(w.sugar_sku.pk, "6.99"),
    )
    assert theirs.status_code == 201
    again = post(
        sugar,
        f"{BASE}/quotation-requests/{number}/quotations/",
        quotation_body(w.sugar_sku.pk, "6.50"),
    )
    assert again.status_code == 400 and again.json()["code"] == "quotation_exists"

    own = maple.get(f"{BASE}/quotation-requests/{number}/quotations/").json()
    assert [q["number"] for q in own] == [sent.json()["number"]]
    assert maple.get(f"{BASE}/quotations/{theirs.json()['number']}/").status_code == 404
    both = store.get(f"{BASE}/quotation-requests/{number}/quotations/").json()
    assert {q["merchant"] for q in both} == {"Great Lakes Maple Co.", "Vermont Sugarhouse"}

    assert post(maple, f"{BASE}/quotations/{sent.json()['number']}/accept/").status_code == 403
    accepted = post(store, f"{BASE}/quotations/{theirs.json()['number']}/accept/")
    assert accepted.status_code == 200, accepted.content
    with scopes_disabled():
        line = CartLine.objects.get(organization=w.buyer)
    assert line.quotation_number == theirs.json()["number"]
    late = post(store, f"{BASE}/quotations/{sent.json()['number']}/accept/")
    assert late.status_code == 409 and late.json()["code"] == "illegal_transition"
    withdraw = post(maple, f"{BASE}/quotations/{sent.json()['number']}/withdraw/")
    assert withdraw.status_code == 409
    closed = post(store, f"{BASE}/quotation-requests/{number}/close/")
    assert closed.status_code == 409


def test_an_outsider_merchant_finds_no_request_through_the_api():
    w = world()
    rfq = w.request()
    vitamins = key_client(w.vitamins, w.vitamins_user)
    assert vitamins.get(f"{BASE}/quotation-requests/").json() == []
    assert vitamins.get(f"{BASE}/quotation-requests/{rfq.number}/").status_code == 404
    body = quotation_body(w.maple_sku.pk, "7.00")
    sent = post(vitamins, f"{BASE}/quotation-requests/{rfq.number}/quotations/", body)
    assert sent.status_code == 404
