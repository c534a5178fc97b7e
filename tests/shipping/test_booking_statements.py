"""How many SQL statements one booking request costs, through the API and through the service:
every statement is a round trip made while other bookings of a popular sailing wait, so the
count is pinned, with each statement named."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_scopes import scopes_disabled

from network import services as network_services
from shipping.models import Booking, Sailing
from tests.shipping.factories import request_booking

pytestmark = pytest.mark.django_db

BODY = {
    "equipment": "22G1",
    "units": 1,
    "commodity_description": "Pure maple syrup in glass bottles",
    "hs_codes": ["170220"],
    "gross_weight_kg": 12_000,
    "shipper_name": "Great Lakes Maple Co. LLC",
    "shipper_address": "2150 Trowbridge Road\nMarquette, MI 49855",
    "consignee_name": "Hangzhou Westlake Global Trading Co., Ltd.",
    "consignee_address": "88 Wensan Road\nHangzhou",
}


def test_a_booking_through_the_api(
    client, maple, owner, sailing, django_capture_on_commit_callbacks
):
    _api_key, raw = network_services.api_key_create(
        organization=maple,
        name="ERP",
        scopes=["bookings:read", "bookings:write"],
        acting_user=owner,
    )
    headers = {"Authorization": f"Bearer {raw}"}

    def book(key: str):
        return client.post(
            reverse("shipping_bookings"),
            {**BODY, "sailing": sailing.pk},
            content_type="application/json",
            headers={**headers, "Idempotency-Key": key},
        )

    # Warm up: the key's last use is recorded (at most once a minute), content types cached.
    assert book("warm-up").status_code == 201
    with (
        django_capture_on_commit_callbacks() as enqueued,
        CaptureQueriesContext(connection) as captured,
    ):
        response = book("booking-2")
    assert response.status_code == 201, response.content
    # 1. the API key with its organisation, its creator and the creator's membership there
    # 2. SAVEPOINT: the request's transaction with its Idempotency-Key (BEGIN outside tests)
    # 3. the key's advisory lock, and whether the key has a kept answer
    # 4. SAVEPOINT of the booking service
    # 5. the rate with its sailing, carrier and ports, and whether the merchant may trade
    # 6. INSERT the booking
    # 7. INSERT its timeline event
    # 8. INSERT the audit row
    # 9. UPDATE the sailing's booked TEU and weight where they fit (its row lock, taken last)
    # 10. RELEASE the service's savepoint
    # 11. INSERT the key's record with the answer
    # 12. RELEASE SAVEPOINT (COMMIT outside tests)
    assert len(captured) == 12, "\n".join(q["sql"][:120] for q in captured.captured_queries)
    assert len(enqueued) == 1  # the carrier submission, sent once after commit
    assert response.json()["sailing"]["port_of_discharge"] == "CNNGB"

    replayed = book("booking-2")
    assert replayed["Idempotent-Replayed"] == "true"
    assert replayed.json()["reference"] == response.json()["reference"]
    with scopes_disabled():
        assert Booking.objects.filter(organization=maple).count() == 2
    assert Sailing.objects.get(pk=sailing.pk).booked_teu == 2


def test_a_booking_through_the_service(
    maple, owner, sailing, no_scopes, django_capture_on_commit_callbacks
):
    request_booking(maple, sailing, owner)  # warm up: content types cached
    with (
        django_capture_on_commit_callbacks() as enqueued,
        CaptureQueriesContext(connection) as captured,
    ):
        booking = request_booking(maple, sailing, owner, equipment="22G1", units=1)
    # 1. SAVEPOINT (BEGIN outside tests)
    # 2. the rate with its sailing, carrier and ports, and whether the merchant may trade
    # 3. INSERT the booking
    # 4. INSERT its timeline event
    # 5. INSERT the audit row
    # 6. UPDATE the sailing's booked TEU and weight where they fit
    # 7. RELEASE SAVEPOINT (COMMIT outside tests)
    assert len(captured) == 7, "\n".join(q["sql"][:120] for q in captured.captured_queries)
    assert len(enqueued) == 1
    assert (booking.status, booking.teu_held, booking.weight_held_kg) == ("RECEIVED", 1, 18_000)
    sailing = Sailing.objects.get(pk=sailing.pk)
    assert (sailing.booked_teu, sailing.booked_weight_kg) == (5, 54_000)
