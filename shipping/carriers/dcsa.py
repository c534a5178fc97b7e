"""Carriers that implement the DCSA Booking API 2.0: request bodies and the calls that carry them.

The bodies follow the published schemas ``CreateBooking``, ``UpdateBooking`` and
``CancelBookingRequest`` (the tests validate them against the specification). The calls go
through the carrier's ``CarrierClient`` (``shipping.carriers.http``); a carrier without a
configured connection is unavailable, and its bookings stay held and are retried."""

from __future__ import annotations

from email.utils import parseaddr
from zoneinfo import ZoneInfo

from django.conf import settings

from shipping.carriers.base import CarrierAdapter, CarrierReply
from shipping.carriers.http import CarrierApi, CarrierClient, CarrierResponse

API_VERSION = "2.0.5"
BOOKING_AGENT_NAME = "Global US Merchants Network"


# --- Bodies ------------------------------------------------------------------------------------


def _lines(text: str, *, limit: int = 5) -> list[str]:
    lines = [line.strip()[:250] for line in (text or "").splitlines() if line.strip()]
    if len(lines) > limit:
        lines = [*lines[: limit - 1], ", ".join(lines[limit - 1 :])[:250]]
    return lines


def _contact(booking) -> dict:
    user = booking.requested_by
    if user is not None:
        return {"name": user.display_name.strip()[:35], "email": user.email}
    return {"name": "Booking desk", "email": parseaddr(settings.DEFAULT_FROM_EMAIL)[1]}


def _location(port) -> dict:
    return {"locationName": port.name[:100], "UNLocationCode": port.un_locode}


def _local_date(moment, port) -> str:
    return moment.astimezone(ZoneInfo(port.time_zone or "UTC")).date().isoformat()


def create_booking_body(
    booking, *, units: int | None = None, gross_weight_kg: int | None = None
) -> dict:
    """A DCSA ``CreateBooking`` for ``booking`` (with ``units``/``gross_weight_kg`` in place of
    the booking's own figures, for an amendment)."""
    sailing = booking.sailing
    carrier = sailing.carrier
    units = units or booking.units
    weight = {"value": gross_weight_kg or booking.gross_weight_kg, "unit": "KGM"}
    shipper: dict = {"partyName": booking.shipper_name.strip()}
    if lines := _lines(booking.shipper_address):
        shipper["addressLines"] = lines
    if booking.order_references:
        shipper["purchaseOrderReferences"] = [ref.strip() for ref in booking.order_references]
    consignee: dict = {"partyName": booking.consignee_name.strip()}
    if lines := _lines(booking.consignee_address):
        consignee["addressLines"] = lines
    commodity = {
        "commodityType": booking.commodity_description.strip()[:550],
        "cargoGrossWeight": dict(weight),
    }
    if booking.hs_codes:
        commodity["extendedHSCodes"] = list(booking.hs_codes)
    return {
        "receiptTypeAtOrigin": "CY",
        "deliveryTypeAtDestination": "CY",
        "cargoMovementTypeAtOrigin": "FCL",
        "cargoMovementTypeAtDestination": "FCL",
        "serviceContractReference": carrier.service_contract_reference,
        "freightPaymentTermCode": "PRE",
        "vessel": {"name": sailing.vessel_name, "vesselIMONumber": sailing.vessel_imo},
        "carrierServiceCode": sailing.service_code,
        "carrierExportVoyageNumber": sailing.voyage_number,
        "expectedDepartureDate": _local_date(sailing.etd, sailing.port_of_loading),
        "carrierCode": carrier.scac,
        "carrierCodeListProvider": "NMFTA",
        "isPartialLoadAllowed": False,
        "isExportDeclarationRequired": True,
        "bookingChannelReference": booking.reference,
        "isEquipmentSubstitutionAllowed": False,
        "references": [{"type": "CR", "value": booking.reference}],
        "documentParties": {
            "bookingAgent": {
                "partyName": BOOKING_AGENT_NAME,
                "partyContactDetails": [_contact(booking)],
            },
            "shipper": shipper,
            "consignee": consignee,
        },
        "partyContactDetails": [_contact(booking)],
        "shipmentLocations": [
            {"location": _location(sailing.port_of_loading), "locationTypeCode": "POL"},
            {"location": _location(sailing.port_of_discharge), "locationTypeCode": "POD"},
        ],
        "requestedEquipments": [
            {
                "ISOEquipmentCode": booking.equipment_code,
                "units": units,
                "isShipperOwned": False,
                "cargoGrossWeight": dict(weight),
                "commodities": [commodity],
            }
        ],
    }


def update_booking_body(booking) -> dict:
    """A DCSA ``UpdateBooking``: before confirmation the current request, after it the amended
    figures, always with the references the carrier gave."""
    if booking.amendment_status == "AMENDMENT_RECEIVED":
        body = create_booking_body(
            booking,
            units=booking.amended_units,
            gross_weight_kg=booking.amended_gross_weight_kg,
        )
    else:
        body = create_booking_body(booking)
    if booking.carrier_booking_request_reference:
        body["carrierBookingRequestReference"] = booking.carrier_booking_request_reference
    if booking.carrier_booking_reference:
        body["carrierBookingReference"] = booking.carrier_booking_reference
    return body


def cancel_booking_body(booking, *, reason: str = "", amendment_only: bool = False) -> dict:
    """A DCSA ``CancelBookingRequest``: cancel the request, the amendment, or ask to cancel a
    confirmed booking."""
    if amendment_only:
        body = {"amendedBookingStatus": "AMENDMENT_CANCELLED"}
    elif booking.carrier_booking_reference:
        body = {"bookingCancellationStatus": "CANCELLATION_RECEIVED"}
    else:
        body = {"bookingStatus": "CANCELLED"}
    if reason.strip():
        body["reason"] = reason.strip()[:5000]
    return body


# --- Adapters ----------------------------------------------------------------------------------


class DcsaCarrierAdapter(CarrierAdapter):
    """A carrier speaking DCSA Booking 2.0 through ``client``."""

    def __init__(self, client: CarrierClient) -> None:
        self.client = client
        self.scac = client.connection.scac

    def _call(self, method: str, path: str, body: dict | None = None) -> CarrierResponse:
        return self.client.request(method, path, api=CarrierApi.BOOKING, json=body)

    @staticmethod
    def _reference_path(booking) -> str:
        return "/v2/bookings/" + (
            booking.carrier_booking_reference or booking.carrier_booking_request_reference
        )

    def submit(self, booking) -> CarrierReply:
        response = self._call("POST", "/v2/bookings", create_booking_body(booking))
        return CarrierReply(
            carrier_booking_request_reference=(response.body or {}).get(
                "carrierBookingRequestReference", ""
            ),
            booking_status="RECEIVED",
        )

    def amend(self, booking) -> CarrierReply:
        self._call("PUT", self._reference_path(booking), update_booking_body(booking))
        if booking.amendment_status == "AMENDMENT_RECEIVED":
            return CarrierReply(
                booking_status=booking.status, amendment_status="AMENDMENT_RECEIVED"
            )
        return CarrierReply(booking_status="UPDATE_RECEIVED")

    def cancel(self, booking, *, reason: str = "", amendment_only: bool = False) -> CarrierReply:
        body = cancel_booking_body(booking, reason=reason, amendment_only=amendment_only)
        self._call("PATCH", self._reference_path(booking), body)
        if amendment_only:
            return CarrierReply(
                booking_status=booking.status, amendment_status="AMENDMENT_CANCELLED"
            )
        if "bookingCancellationStatus" in body:
            return CarrierReply(booking_status=booking.status)
        return CarrierReply(booking_status="CANCELLED")

    def poll(self, booking) -> CarrierReply:
        response = self._call("GET", self._reference_path(booking))
        return reply_from_dcsa(response.body or {})


def reply_from_dcsa(booking_or_notification_data: dict) -> CarrierReply:
    """A ``CarrierReply`` from a DCSA ``Booking`` or the ``data`` of a ``BookingNotification``."""
    data = booking_or_notification_data
    feedback = "; ".join(
        item.get("message", "") for item in data.get("feedbacks") or [] if item.get("message")
    )
    return CarrierReply(
        carrier_booking_request_reference=data.get("carrierBookingRequestReference") or "",
        carrier_booking_reference=data.get("carrierBookingReference") or "",
        booking_status=data.get("bookingStatus"),
        amendment_status=data.get("amendedBookingStatus"),
        cancellation_status=data.get("bookingCancellationStatus"),
        message=feedback[:500],
    )
