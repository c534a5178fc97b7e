"""The claims API: the buyer opens a claim (multipart, with photos) and answers, the merchant
answers, operators decide; each side reads only its own claims; refusals are 4xx codes."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from django.test import Client

from network import services as network_services
from network.models import ApiScope
from tests.factories import operator, sign_in
from tests.payments.trade import TOTAL, photo, trade

pytestmark = pytest.mark.django_db

URL = "/api/v1/payments/claims/"


def key_client(organization, user) -> Client:
    _key, raw = network_services.api_key_create(
        organization=organization,
        name="ERP",
        scopes=[ApiScope.ORDERS_READ, ApiScope.ORDERS_WRITE],
        acting_user=user,
    )
    return Client(headers={"Authorization": f"Bearer {raw}"})


def open_by_api(client, world, **fields):
    data = {
        "merchant_order": world.merchant_order.number,
        "reason": "short",
        "description": "Two cases missing.",
        "amount_usd": "150.00",
        "photos": [photo()],
    }
    data.update(fields)
    return client.post(URL, data, headers={"Idempotency-Key": uuid.uuid4().hex})


def test_a_claim_through_the_api_from_opening_to_decision():
    world = trade(status="delivered")
    buyer = key_client(world.buyer, world.buyer_user)
    merchant = key_client(world.merchant, world.merchant_user)

    too_much = open_by_api(buyer, world, amount_usd="999.00")
    assert too_much.status_code == 400 and too_much.json()["code"] == "claim_invalid"
    no_photo = open_by_api(buyer, world, photos=[])
    assert no_photo.status_code == 400

    opened = open_by_api(buyer, world)
    assert opened.status_code == 201, opened.content
    claim = opened.json()
    assert claim["status"] == "awaiting_merchant" and claim["amount_usd"] == "150.00"
    assert len(claim["photos"]) == 1
    number = claim["number"]

    replayed = buyer.post(URL, {}, headers={"Idempotency-Key": "same"})
    assert replayed.status_code == 400  # a refused request keeps no key
    again = open_by_api(buyer, world)
    assert again.status_code == 400 and again.json()["code"] == "claim_already_open"
    assert open_by_api(merchant, world).status_code == 403

    listed = merchant.get(URL, {"status": "open"}).json()
    assert [c["number"] for c in listed] == [number]
    assert merchant.get(URL, {"status": "lost"}).status_code == 400

    offered = merchant.post(
        f"{URL}{number}/respond/",
        {"action": "offer", "offer_usd": "90.00", "text": "One case."},
        content_type="application/json",
    )
    assert offered.status_code == 200 and offered.json()["offer_usd"] == "90.00"
    # The merchant cannot accept its own offer for the buyer.
    refused = merchant.post(
        f"{URL}{number}/respond/", {"action": "accept_offer"}, content_type="application/json"
    )
    assert refused.status_code == 403
    rejected = buyer.post(
        f"{URL}{number}/respond/", {"action": "reject_offer"}, content_type="application/json"
    )
    assert rejected.json()["status"] == "with_operators"
    late = merchant.post(
        f"{URL}{number}/respond/", {"action": "accept"}, content_type="application/json"
    )
    assert late.status_code == 409 and late.json()["code"] == "illegal_transition"

    assert buyer.post(f"{URL}{number}/decide/", {"note": "x"}).status_code == 403
    staff = Client()
    sign_in(staff, operator())
    decided = staff.post(
        f"{URL}{number}/decide/",
        {"refund_usd": "120.00", "note": "Photos show two cases missing."},
        content_type="application/json",
        headers={"Idempotency-Key": "decide-1"},
    )
    assert decided.status_code == 200, decided.content
    body = decided.json()
    assert body["status"] == "refunded" and body["refund_usd"] == "120.00"
    assert world.buyer_credit() == Decimal("120.00")
    assert world.escrow() == TOTAL - Decimal("120.00")
    assert buyer.get(f"{URL}{number}/").json()["decision_note"].startswith("Photos")


def test_each_side_reads_only_its_own_claims():
    world = trade(status="delivered")
    other = trade(status="delivered", merchant_name="Driftless Cheese Makers", buyer_name="B2")
    buyer = key_client(world.buyer, world.buyer_user)
    number = open_by_api(buyer, world).json()["number"]
    for organization, user in (
        (other.buyer, other.buyer_user),
        (other.merchant, other.merchant_user),
    ):
        client = key_client(organization, user)
        assert client.get(f"{URL}{number}/").status_code == 404
        assert client.get(URL).json() == []
        response = client.post(
            f"{URL}{number}/respond/", {"action": "withdraw"}, content_type="application/json"
        )
        assert response.status_code == 404
    # Another buyer cannot claim on this buyer's order.
    foreign = open_by_api(key_client(other.buyer, other.buyer_user), world)
    assert foreign.status_code == 404
