"""API of receipt: the buyer confirms receipt of a merchant order (repeatable) and reports a
problem with photos (multipart, idempotent with a key); buyer and merchant read the problems;
others get 404; keys need the orders scopes; bad photos are a 400 with a code."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django_scopes import scopes_disabled

from network import services as network_services
from network.models import Role
from orders.models import MerchantOrder, ReceiptProblem
from tests.factories import member
from tests.orders.factories import buyer
from tests.orders.test_receipt import arrive, photo
from tests.shipping.buyer_shipments import shared_container, shipment_of, shipped_order
from tests.shipping.factories import SailingFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    world = shipped_order(merchants=2)
    container = shared_container(SailingFactory(), booked_by=world.merchants[0])
    world.shipments = [shipment_of(mo, container=container) for mo in world.merchant_orders]
    return world


def confirm_url(merchant_order) -> str:
    return f"/api/v1/orders/merchant-orders/{merchant_order.number}/confirm-receipt/"


def problems_url(merchant_order) -> str:
    return f"/api/v1/orders/merchant-orders/{merchant_order.number}/problems/"


def status_of(merchant_order) -> str:
    with scopes_disabled():
        return MerchantOrder.objects.get(pk=merchant_order.pk).status


def test_confirm_receipt_before_and_after_arrival_and_again(client, world):
    client.force_login(world.buyer.owner)
    merchant_order = world.merchant_orders[0]
    early = client.post(confirm_url(merchant_order))
    assert early.status_code == 409
    assert early.json()["code"] == "illegal_transition"
    arrive(world.shipments)
    first = client.post(confirm_url(merchant_order), HTTP_IDEMPOTENCY_KEY="receipt-1")
    again = client.post(confirm_url(merchant_order))
    assert first.status_code == again.status_code == 200
    assert first.json()["status"] == again.json()["status"] == "closed"
    assert first.json()["number"] == merchant_order.number
    assert status_of(merchant_order) == "closed"


def test_a_problem_is_reported_with_photos_once_per_key(client, world):
    arrive(world.shipments)
    client.force_login(world.buyer.owner)
    merchant_order = world.merchant_orders[0]

    def send(**headers):
        return client.post(
            problems_url(merchant_order),
            {
                "kind": "short",
                "description": "Case 3 of 8 missing.",
                "photos": [photo(), photo("pallet.png", "PNG")],
            },
            **headers,
        )

    created = send(HTTP_IDEMPOTENCY_KEY="problem-1")
    replayed = send(HTTP_IDEMPOTENCY_KEY="problem-1")
    assert created.status_code == 201, created.json()
    assert replayed.status_code == 201 and replayed["Idempotent-Replayed"] == "true"
    body = created.json()
    assert body["kind"] == "short" and body["status"] == "open"
    assert body["merchant_order"] == merchant_order.number
    assert [p["content_type"] for p in body["photos"]] == ["image/jpeg", "image/png"]
    with scopes_disabled():
        assert ReceiptProblem.objects.count() == 1
    listed = client.get(problems_url(merchant_order)).json()
    assert [p["id"] for p in listed] == [body["id"]]
    # The merchant reads it too; the other merchant and another buyer do not find it.
    client.force_login(world.merchants[0].owner)
    assert client.get(problems_url(merchant_order)).json()[0]["description"] == (
        "Case 3 of 8 missing."
    )
    client.force_login(world.merchants[1].owner)
    assert client.get(problems_url(merchant_order)).status_code == 404
    _store, stranger = buyer("Shenzhen Harbour Trading", Role.OWNER)
    client.force_login(stranger)
    assert client.get(problems_url(merchant_order)).status_code == 404
    assert client.post(confirm_url(merchant_order)).status_code == 404


def test_a_bad_photo_is_a_400_with_a_code(client, world):
    arrive(world.shipments)
    client.force_login(world.buyer.owner)
    response = client.post(
        problems_url(world.merchant_orders[0]),
        {
            "kind": "damaged",
            "description": "Broken bottles.",
            "photos": [SimpleUploadedFile("invoice.jpg", b"%PDF-1.4 not a photo", "image/jpeg")],
        },
    )
    assert response.status_code == 400
    assert response.json()["code"] == "receipt_problem_invalid"
    # In the buyer's language (Chinese), naming the file.
    assert response.json()["message"] == "invoice.jpg 不是 JPEG、PNG 或 WebP 格式的照片。"
    missing = client.post(
        problems_url(world.merchant_orders[0]), {"kind": "damaged", "description": "x"}
    )
    assert missing.status_code == 400
    assert missing.json()["code"] == "validation_error"


def test_only_the_buyers_people_with_the_write_scope(client, world):
    arrive(world.shipments)
    merchant_order = world.merchant_orders[0]
    viewer = member(world.buyer.organization, Role.VIEWER)
    client.force_login(viewer)
    assert client.post(confirm_url(merchant_order)).status_code == 403
    client.force_login(world.merchants[0].owner)
    assert client.post(confirm_url(merchant_order)).status_code == 403
    _key, readonly = network_services.api_key_create(
        organization=world.buyer.organization,
        name="ERP",
        scopes=["orders:read"],
        acting_user=world.buyer.owner,
    )
    _key, writer = network_services.api_key_create(
        organization=world.buyer.organization,
        name="ERP writer",
        scopes=["orders:read", "orders:write"],
        acting_user=world.buyer.owner,
    )
    client.logout()
    url = confirm_url(merchant_order)
    assert client.post(url, HTTP_AUTHORIZATION=f"Bearer {readonly}").status_code == 403
    assert (
        client.get(
            problems_url(merchant_order), HTTP_AUTHORIZATION=f"Bearer {readonly}"
        ).status_code
        == 200
    )
    assert client.post(url, HTTP_AUTHORIZATION=f"Bearer {writer}").status_code == 200
    assert status_of(merchant_order) == "closed"
