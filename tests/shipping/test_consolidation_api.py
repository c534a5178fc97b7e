"""/api/v1/shipping/containers/ and /space-requests/: open containers, booking, reading and
cancelling space; errors with their codes; a merchant never sees another merchant's space."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from django.urls import reverse
from django_scopes import scopes_disabled

from shipping.models import ContainerStatus, SpaceRequest
from tests.factories import member
from tests.shipping.containers import book_space, open_container, reload_container, reload_space

pytestmark = pytest.mark.django_db


@pytest.fixture
def container(sailing, operator):
    return open_container(sailing, operator)


def _post(client, name, body=None, *, args=(), key=None):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return client.post(
        reverse(name, args=args), body or {}, content_type="application/json", **headers
    )


def test_open_containers_show_fill_and_prices_without_anyones_cargo(
    client, owner, rival, outsider, container
):
    book_space(rival, container, outsider, volume="12.0", weight_kg=3000)
    client.force_login(owner)
    [row] = client.get(reverse("shipping_containers")).json()["results"]
    assert row["reference"] == container.reference
    assert (row["booked_m3"], row["remaining_m3"], row["remaining_kg"]) == ("12.0", "46.0", 23000)
    assert row["price_per_wm"] == "48.00" and row["forwarder_price_per_wm"] == "95.00"
    assert row["sailing"]["vessel_name"] == "Madrid Maersk"
    assert "space_requests" not in row and rival.name not in str(row)


def test_book_list_read_and_cancel_space(client, owner, container):
    client.force_login(owner)
    response = _post(
        client,
        "shipping_space_requests",
        {
            "container": container.reference,
            "volume_m3": "2.5",
            "weight_kg": 3100,
            "no_dangerous_goods": True,
        },
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["revenue_tons"], body["price"], body["forwarder_price"]) == (
        "3.100",
        "148.80",
        "294.50",
    )
    assert body["container"] == container.reference
    reference = body["reference"]
    listed = client.get(reverse("shipping_space_requests")).json()["results"]
    assert [row["reference"] for row in listed] == [reference]
    detail = client.get(reverse("shipping_space_request", args=[reference]))
    assert detail.json()["status"] == "held"
    cancelled = _post(client, "shipping_space_request_cancel", args=[reference])
    assert cancelled.status_code == 200
    assert cancelled.json()["status"] == "cancelled"
    assert reload_container(container).booked_m3 == 0
    again = _post(client, "shipping_space_request_cancel", args=[reference])
    assert again.status_code == 409 and again.json()["code"] == "illegal_transition"


def test_booking_space_is_idempotent(client, owner, container):
    client.force_login(owner)
    body = {
        "container": container.reference,
        "volume_m3": "3.0",
        "weight_kg": 500,
        "no_dangerous_goods": True,
    }
    key = str(uuid.uuid4())
    first = _post(client, "shipping_space_requests", body, key=key)
    second = _post(client, "shipping_space_requests", body, key=key)
    assert first.status_code == second.status_code == 201
    assert first.json()["reference"] == second.json()["reference"]
    assert second["Idempotent-Replayed"] == "true"
    assert reload_container(container).booked_m3 == Decimal("3.0")


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        ({"volume_m3": "0.5"}, 400, "space_invalid"),
        ({"volume_m3": "1.25"}, 400, "space_invalid"),
        ({"no_dangerous_goods": False}, 400, "dangerous_goods_refused"),
        ({"volume_m3": "58.1"}, 409, "container_full"),
        ({"weight_kg": 26001}, 409, "container_full"),
        ({"container": "CCNOSUCH1"}, 404, "not_found"),
        ({"weight_kg": "heavy"}, 400, "validation_error"),
    ],
)
def test_refusals_have_codes(client, owner, container, change, status, code):
    client.force_login(owner)
    body = {
        "container": container.reference,
        "volume_m3": "2.0",
        "weight_kg": 400,
        "no_dangerous_goods": True,
        **change,
    }
    response = _post(client, "shipping_space_requests", body)
    assert response.status_code == status
    assert response.json()["code"] == code
    assert reload_container(container).booked_m3 == 0


def test_a_closed_container_refuses_space(client, owner, container):
    with scopes_disabled():
        type(container).objects.filter(pk=container.pk).update(status=ContainerStatus.CLOSED)
    client.force_login(owner)
    response = _post(
        client,
        "shipping_space_requests",
        {
            "container": container.reference,
            "volume_m3": "2.0",
            "weight_kg": 1,
            "no_dangerous_goods": True,
        },
    )
    assert response.status_code == 409 and response.json()["code"] == "container_closed"


def test_merchant_b_gets_404_for_merchant_as_space(client, owner, outsider, maple, container):
    space = book_space(maple, container, owner)
    client.force_login(outsider)
    assert client.get(reverse("shipping_space_requests")).json()["results"] == []
    assert client.get(reverse("shipping_space_request", args=[space.reference])).status_code == 404
    response = _post(client, "shipping_space_request_cancel", args=[space.reference])
    assert response.status_code == 404
    assert reload_space(space).status == SpaceRequest.Status.HELD


def test_a_viewer_reads_but_cannot_book_or_cancel(client, viewer, owner, maple, container):
    space = book_space(maple, container, owner)
    client.force_login(viewer)
    assert len(client.get(reverse("shipping_space_requests")).json()["results"]) == 1
    response = _post(client, "shipping_space_request_cancel", args=[space.reference])
    assert response.status_code == 403
    response = _post(
        client,
        "shipping_space_requests",
        {
            "container": container.reference,
            "volume_m3": "2.0",
            "weight_kg": 1,
            "no_dangerous_goods": True,
        },
    )
    assert response.status_code == 403


def test_buyers_cannot_use_the_space_api(client, container):
    from network.models import Organization, Role
    from tests.factories import OrganizationFactory

    buyer = OrganizationFactory(kind=Organization.Kind.BUYER)
    client.force_login(member(buyer, Role.BUYER))
    assert client.get(reverse("shipping_containers")).status_code == 403
    assert client.get(reverse("shipping_space_requests")).status_code == 403


def test_space_list_query_count(client, owner, maple, sailing, operator, django_assert_num_queries):
    first, second = open_container(sailing, operator), open_container(sailing, operator)
    for box in (first, second, first, second, first):
        book_space(maple, box, owner, volume="1.0", weight_kg=10)
    client.force_login(owner)
    client.get(reverse("shipping_space_requests"))
    # session, user, memberships, space with container, sailing, carrier and ports
    with django_assert_num_queries(4):
        response = client.get(reverse("shipping_space_requests"))
    assert len(response.json()["results"]) == 5


def test_container_list_query_count(client, owner, sailing, operator, django_assert_num_queries):
    for _ in range(3):
        open_container(sailing, operator)
    client.force_login(owner)
    client.get(reverse("shipping_containers"))
    # session, user, memberships, containers with sailing, carrier and ports
    with django_assert_num_queries(4):
        response = client.get(reverse("shipping_containers"))
    assert len(response.json()["results"]) == 3
