"""Carrier adapters: the simulated carrier's behaviour, and the DCSA request bodies of the
Maersk and CMA CGM adapters, validated against the published DCSA Booking 2.0.5 schemas."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

import httpx
import pytest
from django.utils import timezone
from django_scopes import scopes_disabled

from shipping import services
from shipping.carriers import adapter_for
from shipping.carriers.dcsa import (
    DcsaCarrierAdapter,
    cancel_booking_body,
    create_booking_body,
    reply_from_dcsa,
    update_booking_body,
)
from shipping.carriers.http import CarrierApi, CarrierClient, CarrierConnection
from shipping.carriers.simulated import SimulatedCarrier
from shipping.errors import CarrierRefused, CarrierUnavailable
from shipping.models import Carrier
from tests.prism import BOOKING_SPEC
from tests.shipping.dcsa_spec import needs_spec, notification_examples, schema_errors, spec
from tests.shipping.factories import CarrierFactory, SailingFactory, request_booking
from tests.shipping.helpers import reload

pytestmark = pytest.mark.django_db


@pytest.fixture
def cma_sailing():
    carrier = CarrierFactory(
        scac="CMDU", name="CMA CGM", adapter=Carrier.Adapter.CMA_CGM, free_cancellation_days=10
    )
    return SailingFactory(
        carrier=carrier,
        vessel_name="CMA CGM Benjamin Franklin",
        vessel_imo="9706906",
        rates=[("22R1", Decimal("1900.00")), ("42G1", Decimal("820.00"))],
    )


@pytest.fixture
def booking(maple, owner, sailing):
    with scopes_disabled():
        booked = request_booking(
            maple, sailing, owner, units=2, order_references=["MO-1001", "MO-1002"]
        )
        return reload(booked)


class Recorder:
    """An httpx transport handler that records requests and answers like a DCSA provider."""

    def __init__(self, status=202, body=None):
        self.requests = []
        self.status = status
        self.body = body

    def __call__(self, request):
        content = request.content
        request.body = json.loads(content) if content else None
        request.url = str(request.url)
        self.requests.append(request)
        return httpx.Response(self.status, json=self.body)


def MaerskAdapter(transport=None, base_url="https://maersk.test"):  # noqa: N802
    return _adapter("MAEU", transport, base_url)


def CmaCgmAdapter(transport=None, base_url="https://cma.test"):  # noqa: N802
    return _adapter("CMDU", transport, base_url)


def _adapter(scac, transport, base_url):
    transport = transport or Recorder()
    http = httpx.Client(transport=httpx.MockTransport(transport))
    return DcsaCarrierAdapter(CarrierClient(CarrierConnection(scac, api_url=base_url), http=http))


# --- DCSA bodies against the schema ------------------------------------------------------------


@needs_spec
def test_the_spec_is_the_one_we_follow():
    assert spec()["info"]["version"] == "2.0.5"


@needs_spec
@pytest.mark.parametrize("adapter_class", [MaerskAdapter, CmaCgmAdapter])
def test_create_booking_bodies_validate_against_the_dcsa_schema(adapter_class, booking):
    transport = Recorder(body={"carrierBookingRequestReference": "24595eb0-5cfc"})
    reply = adapter_class(transport=transport, base_url="https://carrier.test").submit(booking)
    request = transport.requests[0]
    assert (request.method, request.url) == ("POST", "https://carrier.test/v2/bookings")
    assert request.headers["API-Version"] == "2"
    assert schema_errors("CreateBooking", request.body) == []
    assert reply.carrier_booking_request_reference == "24595eb0-5cfc"
    body = request.body
    assert body["requestedEquipments"][0]["ISOEquipmentCode"] == "45G1"
    assert body["requestedEquipments"][0]["units"] == 2
    assert body["vessel"] == {"name": "Madrid Maersk", "vesselIMONumber": "9778791"}
    assert [loc["location"]["UNLocationCode"] for loc in body["shipmentLocations"]] == [
        "USLAX",
        "CNNGB",
    ]
    assert body["documentParties"]["shipper"]["purchaseOrderReferences"] == ["MO-1001", "MO-1002"]
    assert body["bookingChannelReference"] == booking.reference


@needs_spec
def test_a_cma_cgm_booking_carries_its_scac_and_contract(maple, owner, cma_sailing):
    with scopes_disabled():
        booking = reload(request_booking(maple, cma_sailing, owner, equipment="20RF", units=1))
    body = create_booking_body(booking)
    assert schema_errors("CreateBooking", body) == []
    assert body["carrierCode"] == "CMDU"
    assert body["requestedEquipments"][0]["ISOEquipmentCode"] == "22R1"


@needs_spec
def test_update_booking_bodies_validate_before_and_after_confirmation(booking, owner):
    booking.carrier_booking_request_reference = "24595eb0-5cfc"
    body = update_booking_body(booking)
    assert schema_errors("UpdateBooking", body) == []
    assert body["carrierBookingRequestReference"] == "24595eb0-5cfc"

    services.booking_confirm(booking=booking, carrier_booking_reference="MAEU123456")
    services.booking_amend(booking=booking, units=3, gross_weight_kg=54_000, acting_user=owner)
    amended = reload(booking)
    body = update_booking_body(amended)
    assert schema_errors("UpdateBooking", body) == []
    assert body["carrierBookingReference"] == "MAEU123456"
    assert body["requestedEquipments"][0]["units"] == 3
    assert body["requestedEquipments"][0]["cargoGrossWeight"] == {"value": 54_000, "unit": "KGM"}


@needs_spec
def test_the_three_kinds_of_cancel_booking_request_validate(booking):
    before_confirmation = cancel_booking_body(booking, reason="Order postponed")
    assert before_confirmation == {"bookingStatus": "CANCELLED", "reason": "Order postponed"}
    booking.carrier_booking_reference = "MAEU123456"
    confirmed = cancel_booking_body(booking)
    assert confirmed == {"bookingCancellationStatus": "CANCELLATION_RECEIVED"}
    amendment = cancel_booking_body(booking, amendment_only=True)
    assert amendment == {"amendedBookingStatus": "AMENDMENT_CANCELLED"}
    for body in (before_confirmation, confirmed, amendment):
        assert schema_errors("CancelBookingRequest", body) == []


@needs_spec
def test_the_schema_check_catches_a_broken_body(booking):
    body = create_booking_body(booking)
    body["requestedEquipments"][0]["units"] = 0
    body["shipmentLocations"][0]["location"]["UNLocationCode"] = "us lax"
    body["vesselName"] = "typo"
    del body["documentParties"]["bookingAgent"]
    problems = "\n".join(schema_errors("CreateBooking", body))
    assert "units" in problems
    assert "UNLocationCode" in problems
    assert "unknown property 'vesselName'" in problems
    assert "bookingAgent" in problems


@needs_spec
def test_long_addresses_are_folded_into_five_lines(maple, owner, sailing):
    address = "\n".join(f"Line {n}" for n in range(1, 9))
    with scopes_disabled():
        booking = reload(request_booking(maple, sailing, owner, consignee_address=address))
    body = create_booking_body(booking)
    assert len(body["documentParties"]["consignee"]["addressLines"]) == 5
    assert schema_errors("CreateBooking", body) == []


@needs_spec
@pytest.mark.parametrize(
    "name",
    sorted(
        [
            "receivedLightweightExample",
            "declinedFullStateTransferExample",
            "cancelConfirmedBookingLightweightExample",
        ]
    ),
)
def test_the_specs_own_notification_examples_validate(name):
    assert schema_errors("BookingNotification", notification_examples()[name]) == []


# --- DCSA adapters' HTTP handling --------------------------------------------------------------


def test_without_a_configured_connection_the_carrier_is_unavailable(booking):
    with pytest.raises(CarrierUnavailable):
        MaerskAdapter(base_url="").submit(booking)


@pytest.mark.parametrize(
    ("status", "error"),
    [(503, CarrierUnavailable), (429, CarrierUnavailable), (400, CarrierRefused)],
)
def test_carrier_errors_are_told_apart(status, error, booking):
    with pytest.raises(error):
        MaerskAdapter(transport=Recorder(status=status, body={"errors": []})).submit(booking)


def test_poll_reads_the_dcsa_booking(booking):
    booking.carrier_booking_request_reference = "REQ-1"
    transport = Recorder(
        status=200,
        body={
            "bookingStatus": "CONFIRMED",
            "carrierBookingReference": "MAEU998877",
            "carrierBookingRequestReference": "REQ-1",
        },
    )
    reply = MaerskAdapter(transport=transport, base_url="https://c.test").poll(booking)
    assert transport.requests[0].url == "https://c.test/v2/bookings/REQ-1"
    assert (reply.booking_status, reply.carrier_booking_reference) == ("CONFIRMED", "MAEU998877")


def test_cancel_uses_patch_on_the_booking_reference(booking):
    booking.carrier_booking_request_reference = "REQ-1"
    transport = Recorder(status=200)
    reply = CmaCgmAdapter(transport=transport, base_url="https://c.test").cancel(booking)
    assert (transport.requests[0].method, transport.requests[0].url) == (
        "PATCH",
        "https://c.test/v2/bookings/REQ-1",
    )
    assert reply.booking_status == "CANCELLED"


def test_the_adapter_follows_the_carriers_connection(sailing, monkeypatch):
    assert isinstance(adapter_for(sailing.carrier), SimulatedCarrier)
    monkeypatch.setenv("CARRIER_MAEU_API_URL", "https://maersk.test")
    adapter = adapter_for(sailing.carrier)
    assert isinstance(adapter, DcsaCarrierAdapter)
    assert adapter.client.connection.base_url(CarrierApi.BOOKING) == ("https://maersk.test")


def test_feedback_messages_come_through_from_a_notification():
    reply = reply_from_dcsa(
        {
            "bookingStatus": "REJECTED",
            "carrierBookingRequestReference": "R1",
            "feedbacks": [{"severity": "ERROR", "code": "X", "message": "No reefer plugs"}],
        }
    )
    assert (reply.booking_status, reply.message) == ("REJECTED", "No reefer plugs")


# --- The simulated carrier ---------------------------------------------------------------------


def test_a_seeded_simulated_carrier_repeats_its_choices(booking):
    choices = [
        SimulatedCarrier(seed="s1", delay_seconds=0, rejection_rate=0.5, failure_rate=0)
        .submit(booking)
        .booking_status
        for _ in range(3)
    ]
    assert len(set(choices)) == 1
    first = SimulatedCarrier(seed="s1", delay_seconds=0, rejection_rate=0, failure_rate=0)
    assert (
        first.submit(booking).carrier_booking_reference
        == first.submit(booking).carrier_booking_reference
    )


def test_the_simulated_rejection_rate_is_honoured(maple, owner, no_scopes):
    sailing = SailingFactory(capacity_teu=1000, capacity_weight_kg=10_000_000)
    bookings = [request_booking(maple, sailing, owner, units=1) for _ in range(200)]
    carrier = SimulatedCarrier(seed="rate", delay_seconds=0, rejection_rate=0.3, failure_rate=0)
    rejected = sum(carrier.submit(b).booking_status == "REJECTED" for b in bookings)
    assert 40 <= rejected <= 80  # 30 % of 200, give or take


def test_the_simulated_carrier_decides_after_its_delay(booking):
    carrier = SimulatedCarrier(seed="d", delay_seconds=3600, rejection_rate=0, failure_rate=0)
    acknowledged = carrier.submit(booking)
    assert acknowledged.booking_status == "RECEIVED"
    assert acknowledged.carrier_booking_request_reference.startswith("SIM-")
    booking.carrier_booking_request_reference = acknowledged.carrier_booking_request_reference
    booking.submitted_at = timezone.now()
    assert carrier.poll(booking).booking_status == "RECEIVED"
    booking.submitted_at = timezone.now() - timedelta(hours=2)
    assert carrier.poll(booking).booking_status == "CONFIRMED"


def test_the_simulated_carrier_fails_at_its_failure_rate(booking):
    with pytest.raises(CarrierUnavailable):
        SimulatedCarrier(seed="f", delay_seconds=0, rejection_rate=0, failure_rate=1).submit(
            booking
        )


# --- Through Prism -----------------------------------------------------------------------------


def test_prism_passes_a_booking_the_standard_accepts(prism_proxy, booking):
    base_url = prism_proxy(BOOKING_SPEC)
    adapter = DcsaCarrierAdapter(CarrierClient(CarrierConnection("MAEU", api_url=base_url)))
    reply = adapter.submit(booking)
    assert reply.carrier_booking_request_reference == "cbrr-123"


def test_prism_fails_the_test_on_a_body_the_standard_refuses(prism_proxy, booking):
    base_url = prism_proxy(BOOKING_SPEC)
    client = CarrierClient(CarrierConnection("MAEU", api_url=base_url))
    body = create_booking_body(booking)
    body["requestedEquipments"][0]["units"] = 0
    with pytest.raises(pytest.fail.Exception, match=r"requestedEquipments\.0\.units must be >= 1"):
        client.post("/v2/bookings", json=body)
