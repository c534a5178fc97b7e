"""Carrier adapters: the DCSA request bodies of the Maersk and CMA CGM connections, validated
against the published DCSA Booking 2.0.5 schemas; the real adapter's calls over HTTP, through
Stoplight Prism (which checks every request and response against the standard) to the carrier
process."""

from __future__ import annotations

from decimal import Decimal

import pytest
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
from shipping.carriers.http import CarrierApi, CarrierClient, CarrierConnection, client_for
from shipping.errors import CarrierAuthFailed, CarrierRefused, CarrierUnavailable
from shipping.models import Carrier
from tests.carrier_process import QUIET, CarrierProcess, start_carrier_process
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


# --- DCSA bodies against the schema ------------------------------------------------------------


@needs_spec
def test_the_spec_is_the_one_we_follow():
    assert spec()["info"]["version"] == "2.0.5"


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


# --- The connection, without a call -----------------------------------------------------------


def test_without_a_configured_connection_the_carrier_is_unavailable(booking):
    with pytest.raises(CarrierUnavailable, match="CARRIER_MAEU_API_URL"):
        DcsaCarrierAdapter(CarrierClient(CarrierConnection("MAEU"))).submit(booking)


def test_the_adapter_follows_the_carriers_connection(sailing, monkeypatch):
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


# --- The adapter over HTTP, through Prism, to the carrier process ------------------------------

MAERSK_CONSUMER_KEY = "maersk-consumer-key-for-tests"


@pytest.fixture(scope="session")
def keyed_carrier_process(tmp_path_factory):
    """A carrier process whose Maersk wants a Consumer-Key on every call, as Maersk's own APIs
    do (the shared carrier process asks for none)."""
    log_path = tmp_path_factory.mktemp("keyed-carriers") / "carriers.log"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CARRIER_MAEU_CONSUMER_KEY", MAERSK_CONSUMER_KEY)
        process, base_url = start_carrier_process(log_path)
    running = CarrierProcess(base_url, log_path)
    yield running
    running.http.close()
    process.kill()
    process.wait(timeout=10)


@pytest.fixture(params=["MAEU", "CMDU"])
def carrier(request, prism_proxy, monkeypatch):
    """The carrier process for Maersk (with its Consumer-Key) or CMA CGM, answering at once,
    with the network's booking calls going through Prism and its token requests straight to
    the carrier (the token endpoint is no part of the standard)."""
    scac = request.param
    if scac == "MAEU":
        process = request.getfixturevalue("keyed_carrier_process")
        process.reset()
        process.config(**QUIET)
        for name, value in process.network_env().items():
            monkeypatch.setenv(name, value)
        monkeypatch.setenv("CARRIER_MAEU_CONSUMER_KEY", MAERSK_CONSUMER_KEY)
    else:
        process = request.getfixturevalue("carrier_server")
    base_url = prism_proxy(BOOKING_SPEC, process.url(scac))
    monkeypatch.setenv(f"CARRIER_{scac}_API_URL", base_url)
    process.scac = scac
    return process


@pytest.fixture
def booked(carrier, maple, owner, sailing, cma_sailing):
    """A booking of two 40' high cubes on a sailing of ``carrier``, not yet sent."""
    on = sailing if carrier.scac == "MAEU" else cma_sailing
    equipment = "45G1" if carrier.scac == "MAEU" else "42G1"
    with scopes_disabled():
        made = request_booking(
            maple, on, owner, equipment=equipment, units=2, order_references=["MO-1001", "MO-1002"]
        )
        return reload(made)


def _submitted(booking, adapter):
    reply = adapter.submit(booking)
    booking.carrier_booking_request_reference = reply.carrier_booking_request_reference
    booking.save(update_fields=["carrier_booking_request_reference"])
    return reply


def _confirmed(booking, adapter):
    _submitted(booking, adapter)
    reply = adapter.poll(booking)
    assert reply.booking_status == "CONFIRMED"
    return services.booking_confirm(
        booking=booking, carrier_booking_reference=reply.carrier_booking_reference
    )


def _amendment_sent(booking, adapter, carrier, owner):
    """Confirm ``booking``, then send an amendment to three containers that the carrier holds
    undecided."""
    booking = _confirmed(booking, adapter)
    carrier.config(delay=3600)
    booking = services.booking_amend(
        booking=booking, units=3, gross_weight_kg=54_000, acting_user=owner
    )
    return booking, adapter.amend(booking)


def _carrier_record(carrier, booking) -> dict:
    (record,) = [
        record
        for record in carrier.bookings(carrier.scac)
        if record.get("bookingChannelReference") == booking.reference
    ]
    return record


@needs_spec
def test_a_booking_request_reaches_the_carrier_and_is_confirmed(carrier, booked):
    adapter = adapter_for(booked.sailing.carrier)
    assert isinstance(adapter, DcsaCarrierAdapter)

    reply = _submitted(booked, adapter)

    assert reply.booking_status == "RECEIVED"
    record = _carrier_record(carrier, booked)
    assert record["carrierBookingRequestReference"] == reply.carrier_booking_request_reference
    assert record["carrierCode"] == carrier.scac
    assert record["requestedEquipments"][0]["units"] == 2
    assert record["documentParties"]["shipper"]["purchaseOrderReferences"] == [
        "MO-1001",
        "MO-1002",
    ]
    assert [loc["location"]["UNLocationCode"] for loc in record["shipmentLocations"]] == [
        "USLAX",
        "CNNGB",
    ]
    (call,) = [c for c in carrier.requests(carrier.scac) if c["path"] == "/v2/bookings"]
    assert (call["method"], call["status"], call["api_version"]) == ("POST", 202, "2")

    polled = adapter.poll(booked)
    assert polled.booking_status == "CONFIRMED"
    assert polled.carrier_booking_reference == record["carrierBookingReference"] != ""
    assert carrier.requests(carrier.scac)[-1]["path"] == (
        f"/v2/bookings/{reply.carrier_booking_request_reference}"
    )


@needs_spec
def test_an_update_before_confirmation_replaces_the_request(carrier, booked, owner):
    carrier.config(delay=3600)
    adapter = adapter_for(booked.sailing.carrier)
    _submitted(booked, adapter)
    booked = services.booking_amend(
        booking=booked, units=3, gross_weight_kg=54_000, acting_user=owner
    )

    reply = adapter.amend(booked)

    assert reply.booking_status == "UPDATE_RECEIVED"
    record = _carrier_record(carrier, booked)
    assert record["bookingStatus"] == "UPDATE_RECEIVED"
    assert record["requestedEquipments"][0]["units"] == 3
    assert record["requestedEquipments"][0]["cargoGrossWeight"] == {"value": 54_000, "unit": "KGM"}
    assert adapter.poll(booked).booking_status == "UPDATE_RECEIVED"


@needs_spec
def test_an_amendment_after_confirmation_is_confirmed_by_the_carrier(carrier, booked, owner):
    adapter = adapter_for(booked.sailing.carrier)

    booked, reply = _amendment_sent(booked, adapter, carrier, owner)

    assert reply.amendment_status == "AMENDMENT_RECEIVED"
    assert carrier.requests(carrier.scac)[-1] == carrier.requests(carrier.scac)[-1] | {
        "method": "PUT",
        "path": f"/v2/bookings/{booked.carrier_booking_reference}",
        "status": 202,
    }
    assert adapter.poll(booked).amendment_status == "AMENDMENT_RECEIVED"
    carrier.advance(carrier.scac)
    polled = adapter.poll(booked)
    assert (polled.booking_status, polled.amendment_status) == ("CONFIRMED", "AMENDMENT_CONFIRMED")
    assert _carrier_record(carrier, booked)["requestedEquipments"][0]["units"] == 3


@needs_spec
def test_a_request_is_cancelled_before_confirmation(carrier, booked):
    carrier.config(delay=3600)
    adapter = adapter_for(booked.sailing.carrier)
    _submitted(booked, adapter)

    reply = adapter.cancel(booked, reason="Order postponed\nuntil spring")

    assert reply.booking_status == "CANCELLED"
    record = _carrier_record(carrier, booked)
    assert record["bookingStatus"] == "CANCELLED"
    assert record["feedbacks"][-1]["message"] == "Reason given: Order postponed until spring"
    assert adapter.poll(booked).booking_status == "CANCELLED"


@needs_spec
def test_an_amendment_is_withdrawn(carrier, booked, owner):
    adapter = adapter_for(booked.sailing.carrier)
    booked, _ = _amendment_sent(booked, adapter, carrier, owner)

    reply = adapter.cancel(booked, amendment_only=True)

    assert reply.amendment_status == "AMENDMENT_CANCELLED"
    polled = adapter.poll(booked)
    assert (polled.booking_status, polled.amendment_status) == ("CONFIRMED", "AMENDMENT_CANCELLED")
    assert _carrier_record(carrier, booked)["requestedEquipments"][0]["units"] == 2


@needs_spec
def test_a_confirmed_booking_is_cancelled_when_the_carrier_agrees(carrier, booked):
    adapter = adapter_for(booked.sailing.carrier)
    booked = _confirmed(booked, adapter)
    carrier.config(delay=3600)

    reply = adapter.cancel(booked, reason="Buyer withdrew")

    assert reply.booking_status == "CONFIRMED"  # until the carrier agrees
    polled = adapter.poll(booked)
    assert polled.cancellation_status == "CANCELLATION_RECEIVED"
    carrier.advance(carrier.scac)
    polled = adapter.poll(booked)
    assert (polled.booking_status, polled.cancellation_status) == (
        "CANCELLED",
        "CANCELLATION_CONFIRMED",
    )


@needs_spec
def test_prism_fails_a_test_whose_request_breaks_the_standard(carrier, booked):
    client = client_for(carrier.scac)
    body = create_booking_body(booked)
    body["requestedEquipments"][0]["units"] = 0
    body["documentParties"]["shipper"]["partyName"] = "Great Lakes Maple Co.\n"

    with pytest.raises(pytest.fail.Exception) as failure:
        client.post("/v2/bookings", json=body)

    assert "requestedEquipments.0.units must be >= 1" in str(failure.value)
    assert "documentParties.shipper.partyName must match pattern" in str(failure.value)
    assert carrier.bookings(carrier.scac) == []  # Prism kept it from the carrier


@needs_spec
@pytest.mark.parametrize("carrier", ["MAEU"], indirect=True)
def test_maersk_refuses_calls_without_its_consumer_key(carrier, booked, monkeypatch):
    monkeypatch.delenv("CARRIER_MAEU_CONSUMER_KEY")
    # Refused credentials are the network's configuration to mend: the booking stays held.
    with pytest.raises(CarrierAuthFailed, match="401"):
        adapter_for(booked.sailing.carrier).submit(booked)
    assert carrier.bookings("MAEU") == []


@pytest.mark.parametrize(
    ("status", "error"),
    [(503, CarrierUnavailable), (429, CarrierUnavailable), (400, CarrierRefused)],
)
def test_carrier_errors_are_told_apart(status, error, carrier_server, booking):
    carrier_server.fault(scac="MAEU", method="POST", path="/v2/bookings", status=status)
    with pytest.raises(error, match=str(status)):
        adapter_for(booking.sailing.carrier).submit(booking)
    assert carrier_server.bookings("MAEU") == []
