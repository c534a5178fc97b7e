"""/api/v1/shipping/: sailing search and bookings, for an owner, a teammate, a viewer and an
outsider; errors in the one API shape."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django_scopes import scopes_disabled

from network.models import Organization, Role
from shipping.models import Booking
from tests.factories import OrganizationFactory, member
from tests.shipping.factories import SailingFactory, request_booking
from tests.shipping.helpers import reload

pytestmark = pytest.mark.django_db

PAYLOAD = {
    "equipment": "40HC",
    "units": 2,
    "commodity_description": "Pure maple syrup in glass bottles",
    "hs_codes": ["170220"],
    "gross_weight_kg": 36000,
    "shipper_name": "Great Lakes Maple Co. LLC",
    "shipper_address": "2150 Trowbridge Road\nMarquette, MI 49855",
    "consignee_name": "Hangzhou Westlake Global Trading Co., Ltd.",
    "consignee_address": "88 Wensan Road\nHangzhou",
    "order_references": ["MO-1001"],
}


def test_sailing_search(client, owner, sailing):
    client.force_login(owner)
    response = client.get(
        reverse("shipping_sailings"),
        {"origin": "USLAX", "destination": "CNNGB", "equipment": "40HC"},
    )
    assert response.status_code == 200
    [offer] = response.json()["results"]
    assert offer["sailing"]["vessel_imo"] == "9778791"
    assert offer["equipment"] == "45G1"
    assert (offer["price"], offer["saving"], offer["currency"]) == ("840.00", "427.00", "USD")
    assert (offer["transit_days"], offer["remaining_teu"], offer["units_available"]) == (
        16,
        100,
        50,
    )


def test_sailing_search_validates_its_query(client, owner, sailing):
    client.force_login(owner)
    response = client.get(reverse("shipping_sailings"), {"origin": "LAX", "equipment": "99ZZ"})
    assert response.status_code == 400
    assert set(response.json()["fields"]) == {"origin", "equipment"}


def test_sailing_search_query_count(client, owner, django_assert_num_queries):
    for _ in range(4):
        SailingFactory()
    client.force_login(owner)
    client.get(reverse("shipping_sailings"))
    # session, user, memberships, offers with sailing, carrier and ports
    with django_assert_num_queries(4):
        response = client.get(reverse("shipping_sailings"), {"equipment": "45G1"})
    assert len(response.json()["results"]) == 4


def test_buyers_cannot_use_the_shipping_api(client, sailing):
    client.force_login(member(OrganizationFactory(kind=Organization.Kind.BUYER), Role.BUYER))
    assert client.get(reverse("shipping_sailings")).status_code == 403
    assert client.get(reverse("shipping_bookings")).status_code == 403


def test_create_list_and_detail(client, teammate, sailing, maple):
    client.force_login(teammate)
    response = client.post(
        reverse("shipping_bookings"),
        {**PAYLOAD, "sailing": sailing.pk},
        content_type="application/json",
    )
    assert response.status_code == 201, response.json()
    created = response.json()
    assert (created["status"], created["equipment_code"], created["teu_held"]) == (
        "RECEIVED",
        "45G1",
        4,
    )
    assert created["total_price"] == "1680.00"
    listing = client.get(reverse("shipping_bookings")).json()["results"]
    assert [b["reference"] for b in listing] == [created["reference"]]
    detail = client.get(reverse("shipping_booking", args=[created["reference"]])).json()
    assert [event["action"] for event in detail["events"]] == ["requested"]
    with scopes_disabled():
        assert Booking.objects.get(reference=created["reference"]).organization == maple


def test_a_refused_request_has_the_capacity_exhausted_code(client, owner):
    sailing = SailingFactory(capacity_teu=3)
    client.force_login(owner)
    response = client.post(
        reverse("shipping_bookings"),
        {**PAYLOAD, "sailing": sailing.pk},
        content_type="application/json",
    )
    assert response.status_code == 409
    assert response.json() == {
        "code": "capacity_exhausted",
        "message": "Not enough space on this sailing: 4 TEU requested, 3 TEU left.",
        "fields": {},
    }


def test_invalid_requests_name_their_fields(client, owner, sailing):
    client.force_login(owner)
    response = client.post(
        reverse("shipping_bookings"),
        {**PAYLOAD, "sailing": sailing.pk, "hs_codes": ["17.02"], "units": 0},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert set(response.json()["fields"]) == {"hs_codes", "units"}


def test_a_viewer_reads_but_cannot_book_amend_or_cancel(client, viewer, owner, maple, sailing):
    booking = request_booking(maple, sailing, owner)
    client.force_login(viewer)
    assert client.get(reverse("shipping_booking", args=[booking.reference])).status_code == 200
    assert (
        client.post(
            reverse("shipping_bookings"),
            {**PAYLOAD, "sailing": sailing.pk},
            content_type="application/json",
        ).status_code
        == 403
    )
    for name in ("shipping_booking_amend", "shipping_booking_cancel"):
        response = client.post(
            reverse(name, args=[booking.reference]),
            {"units": 1, "gross_weight_kg": 18000},
            content_type="application/json",
        )
        assert response.status_code == 403
    assert reload(booking).status == "RECEIVED"


def test_amend_and_cancel(client, owner, maple, sailing):
    booking = request_booking(maple, sailing, owner, units=2)
    client.force_login(owner)
    response = client.post(
        reverse("shipping_booking_amend", args=[booking.reference]),
        {"units": 3, "gross_weight_kg": 54000},
        content_type="application/json",
    )
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["units"]) == ("UPDATE_RECEIVED", 3)
    response = client.post(
        reverse("shipping_booking_cancel", args=[booking.reference]),
        {"reason": "Order postponed"},
        content_type="application/json",
    )
    assert (response.status_code, response.json()["status"]) == (200, "CANCELLED")
    again = client.post(
        reverse("shipping_booking_cancel", args=[booking.reference]),
        {},
        content_type="application/json",
    )
    assert again.status_code == 409
    assert again.json()["code"] == "illegal_transition"
    sailing.refresh_from_db()
    assert sailing.booked_teu == 0


def test_an_outsider_can_neither_see_nor_change_another_merchants_booking(
    client, outsider, owner, maple, sailing
):
    booking = request_booking(maple, sailing, owner, units=2)
    client.force_login(outsider)
    assert client.get(reverse("shipping_bookings")).json()["results"] == []
    assert client.get(reverse("shipping_booking", args=[booking.reference])).status_code == 404
    for name, body in (
        ("shipping_booking_amend", {"units": 5, "gross_weight_kg": 90000}),
        ("shipping_booking_cancel", {}),
    ):
        response = client.post(
            reverse(name, args=[booking.reference]), body, content_type="application/json"
        )
        assert response.status_code == 404
    after = reload(booking)
    assert (after.status, after.units) == ("RECEIVED", 2)


def test_booking_list_query_count(client, owner, maple, sailing, django_assert_num_queries):
    for _ in range(5):
        request_booking(maple, sailing, owner, units=1)
    client.force_login(owner)
    client.get(reverse("shipping_bookings"))
    # session, user, memberships, bookings with sailing, carrier and ports
    with django_assert_num_queries(4):
        response = client.get(reverse("shipping_bookings"))
    assert len(response.json()["results"]) == 5
