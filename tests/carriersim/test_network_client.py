"""The network's own carrier client, configured by ``carrier_server``, reaches the process."""

from __future__ import annotations

import pytest

from shipping.carriers.http import CarrierApi, client_for
from shipping.errors import CarrierUnavailable
from tests.carriersim.conftest import create_booking

# The client keeps each carrier's connection health on its row.
pytestmark = pytest.mark.django_db


def test_the_network_client_books_and_reads_back(carrier_server):
    client = client_for("MAEU")
    created = client.post("/v2/bookings", json=create_booking())
    assert created.status == 202
    reference = created.body["carrierBookingRequestReference"]
    assert client.get(f"/v2/bookings/{reference}").body["bookingStatus"] == "CONFIRMED"
    routes = client.get(
        "/v1/point-to-point-routes",
        api=CarrierApi.SCHEDULES,
        params={"placeOfReceipt": "USLAX", "placeOfDelivery": "CNSHA"},
    )
    assert routes.body
    versions = {entry["api_version"] for entry in carrier_server.requests("MAEU")[1:]}
    assert versions == {"1", "2"}


def test_a_carrier_answering_503_is_unavailable_to_the_network(carrier_server):
    carrier_server.fault(scac="CMDU", path="/v2/bookings", kind="status", status=503)
    with pytest.raises(CarrierUnavailable):
        client_for("CMDU").post("/v2/bookings", json=create_booking())
