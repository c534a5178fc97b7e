"""Carriers that implement the DCSA Booking API 2.0: request bodies and the calls that carry them.

The bodies follow the published schemas ``CreateBooking``, ``UpdateBooking`` and
``CancelBookingRequest`` (the tests validate them against the specification). The calls go
through the carrier's ``CarrierClient`` (``shipping.carriers.http``); a carrier without a
configured connection is unavailable, and its bookings stay held and are retried."""

from __future__ import annotations

import re
import textwrap
import unicodedata
from email.utils import parseaddr
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from django.conf import settings

from shipping.carriers.base import CarrierAdapter, CarrierReply
from shipping.carriers.http import CarrierApi, CarrierClient, CarrierResponse

if TYPE_CHECKING:
    from datetime import datetime
    from decimal import Decimal

    from shipping.models import Booking, Port, Sailing

API_VERSION = "2.0.5"
BOOKING_AGENT_NAME = "Global US Merchants Network"


# --- Bodies ------------------------------------------------------------------------------------

# Whitespace as Python or JavaScript reads it (Python's ``\s`` lacks only the byte-order mark),
# and control characters: none may stand inside a DCSA text field's one line.
_BLANKS = re.compile(r"[\s\x00-\x1f\x7f-\x9f\ufeff]+")
_EMAIL = re.compile(r"^[^\s@]+@[^\s@]+$")
BOOKING_DESK_NAME = "Booking desk"
# What a consignee or a cargo is called on a bill of lading when nothing better is known.
CONSIGNEE_TO_ORDER = "To order"
FREIGHT_ALL_KINDS = "Freight all kinds"
PARTY_NOT_NAMED = "Not given"


def _text(value: str | None, max_length: int) -> str:
    r"""``value`` as a DCSA text field: one line (every run of whitespace or control characters
    a single space), at most ``max_length`` characters, no space at either end (the standard's
    pattern ``^\S(?:.*\S)?$``); empty when nothing printable is left."""
    return _BLANKS.sub(" ", value or "").strip()[:max_length].rstrip()


def _digits(value: str | None) -> str:
    r"""The decimal digits of ``value`` in ASCII: a code typed with full-width or Arabic-Indic
    digits passes our validators but not the standard's ``\d`` (ASCII only there)."""
    return "".join(str(unicodedata.decimal(char)) for char in value or "" if char.isdecimal())


def _lines(text: str | None, *, limit: int = 5, width: int = 250) -> list[str]:
    """An address as at most ``limit`` lines of at most ``width`` characters: long lines are
    wrapped at spaces, lines beyond the last folded into it."""
    lines = [
        part
        for line in (text or "").splitlines()
        for part in textwrap.wrap(_text(line, len(line)), width)
    ]
    if len(lines) > limit:
        lines = [*lines[: limit - 1], _text(", ".join(lines[limit - 1 :]), width)]
    return lines


def _email(value: str | None) -> str:
    value = (value or "").strip()
    if len(value) <= 100 and _EMAIL.match(value):
        return value
    return parseaddr(settings.DEFAULT_FROM_EMAIL)[1]


def _contact(booking: Booking) -> dict:
    user = booking.requested_by
    if user is not None:
        name = _text(user.display_name, 35) or _text(user.email, 35) or BOOKING_DESK_NAME
        return {"name": name, "email": _email(user.email)}
    return {"name": BOOKING_DESK_NAME, "email": _email("")}


def _party(name: str, address: str, *, fallback: str) -> dict:
    party: dict = {"partyName": _text(name, 70) or _text(fallback, 70) or PARTY_NOT_NAMED}
    if lines := _lines(address):
        party["addressLines"] = lines
    return party


def _location(port: Port) -> dict:
    location = {"UNLocationCode": port.un_locode}
    if name := _text(port.name, 100):
        location = {"locationName": name, **location}
    return location


def _local_date(moment: datetime, port: Port) -> str:
    return moment.astimezone(ZoneInfo(port.time_zone or "UTC")).date().isoformat()


def _optional(**fields: str) -> dict:
    return {name: value for name, value in fields.items() if value}


def _vessel(sailing: Sailing) -> dict:
    name = _text(sailing.vessel_name, 50)
    if not name:
        return {}
    vessel = {"name": name}
    if len(imo := _digits(sailing.vessel_imo)) in (7, 8):
        vessel["vesselIMONumber"] = imo
    return {"vessel": vessel}


# The UN/ECE Recommendation 21 code of the cartons goods are packed in.
CARTON_PACKAGE_CODE = "CT"
CARTON = "Carton"


def _measure(value: Decimal | None, unit: str) -> dict | None:
    """A DCSA weight or volume (strictly positive), or None for nothing measured."""
    if value is None or value <= 0:
        return None
    return {"value": float(value), "unit": unit}


def shipment_commodities(booking: Booking) -> list[dict]:
    """The cargo of the current shipments ``booking`` carries (its merchant's own, or through
    the shared container it is the booking of, every merchant's space there), one commodity per
    HS code: what it is, the code, gross and net weight, volume and cartons. Empty for a booking
    carrying no shipment (or not saved)."""
    if booking.pk is None:
        return []
    from django.contrib.postgres.aggregates import StringAgg
    from django.db.models import Q, Sum

    from shipping.models import ShipmentLine, ShipmentStatus, SpaceRequest

    rows = (
        ShipmentLine.objects.visible_to(booking.organization)
        .filter(is_current=True)
        .exclude(shipment__status=ShipmentStatus.CANCELLED)
        .filter(
            Q(shipment__booking_id=booking.pk)
            | Q(
                shipment__space_request__container__booking_id=booking.pk,
                shipment__space_request__status=SpaceRequest.Status.HELD,
            )
        )
        .values("hs_code")
        .annotate(
            descriptions=StringAgg(
                "description_en", delimiter="; ", distinct=True, order_by="description_en"
            ),
            gross=Sum("gross_weight_kg"),
            net=Sum("net_weight_kg"),
            volume=Sum("volume_m3"),
            cases=Sum("cases"),
        )
        .order_by("hs_code")
    )
    commodities = []
    for row in rows:
        commodity: dict = {"commodityType": _text(row["descriptions"], 550) or FREIGHT_ALL_KINDS}
        if 6 <= len(code := _digits(row["hs_code"])) <= 12:
            commodity["extendedHSCodes"] = [code]
        for name, value, unit in (
            ("cargoGrossWeight", row["gross"], "KGM"),
            ("cargoGrossVolume", row["volume"], "MTQ"),
            ("cargoNetWeight", row["net"], "KGM"),
        ):
            if measure := _measure(value, unit):
                commodity[name] = measure
        if row["cases"]:
            commodity["outerPackaging"] = {
                "packageCode": CARTON_PACKAGE_CODE,
                "numberOfPackages": min(int(row["cases"]), 99_999_999),
                "description": CARTON,
            }
        commodities.append(commodity)
    return commodities


def create_booking_body(
    booking: Booking, *, units: int | None = None, gross_weight_kg: int | None = None
) -> dict:
    """A DCSA ``CreateBooking`` for ``booking`` (with ``units``/``gross_weight_kg`` in place of
    the booking's own figures, for an amendment). Valid against the standard for any booking
    the forms and the API accept: text is put on one line and cut to each field's length, an
    optional field left empty is left out, a required one falls back to a neutral value."""
    sailing = booking.sailing
    carrier = sailing.carrier
    units = units or booking.units
    weight = {"value": gross_weight_kg or booking.gross_weight_kg, "unit": "KGM"}
    shipper = _party(
        booking.shipper_name, booking.shipper_address, fallback=booking.organization.name
    )
    references = [_text(reference, 35) for reference in booking.order_references]
    if references := [reference for reference in references if reference]:
        shipper["purchaseOrderReferences"] = references
    consignee = _party(
        booking.consignee_name, booking.consignee_address, fallback=CONSIGNEE_TO_ORDER
    )
    commodity = {
        "commodityType": _text(booking.commodity_description, 550) or FREIGHT_ALL_KINDS,
        "cargoGrossWeight": dict(weight),
    }
    if hs_codes := [code for code in map(_digits, booking.hs_codes) if 6 <= len(code) <= 12]:
        commodity["extendedHSCodes"] = hs_codes
    # The shipments on the booking say what it carries, code by code; without any, the
    # booking's own declaration stands.
    commodities = shipment_commodities(booking) or [commodity]
    return {
        "receiptTypeAtOrigin": "CY",
        "deliveryTypeAtDestination": "CY",
        "cargoMovementTypeAtOrigin": "FCL",
        "cargoMovementTypeAtDestination": "FCL",
        **_optional(serviceContractReference=_text(carrier.service_contract_reference, 30)),
        "freightPaymentTermCode": "PRE",
        **_vessel(sailing),
        **_optional(
            carrierServiceCode=_text(sailing.service_code, 11),
            carrierExportVoyageNumber=_text(sailing.voyage_number, 50),
        ),
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
                "commodities": commodities,
            }
        ],
    }


def update_booking_body(booking: Booking) -> dict:
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
    body.update(
        _optional(
            carrierBookingRequestReference=_text(booking.carrier_booking_request_reference, 100),
            carrierBookingReference=_text(booking.carrier_booking_reference, 35),
        )
    )
    return body


def cancel_booking_body(
    booking: Booking, *, reason: str = "", amendment_only: bool = False
) -> dict:
    """A DCSA ``CancelBookingRequest``: cancel the request, the amendment, or ask to cancel a
    confirmed booking."""
    if amendment_only:
        body = {"amendedBookingStatus": "AMENDMENT_CANCELLED"}
    elif booking.carrier_booking_reference:
        body = {"bookingCancellationStatus": "CANCELLATION_RECEIVED"}
    else:
        body = {"bookingStatus": "CANCELLED"}
    return {**body, **_optional(reason=_text(reason, 5000))}


# --- Adapters ----------------------------------------------------------------------------------


class DcsaCarrierAdapter(CarrierAdapter):
    """A carrier speaking DCSA Booking 2.0 through ``client``."""

    def __init__(self, client: CarrierClient) -> None:
        self.client = client
        self.scac = client.connection.scac

    def _call(self, method: str, path: str, body: dict | None = None) -> CarrierResponse:
        return self.client.request(method, path, api=CarrierApi.BOOKING, json=body)

    @staticmethod
    def _reference_path(booking: Booking) -> str:
        return "/v2/bookings/" + (
            booking.carrier_booking_reference or booking.carrier_booking_request_reference
        )

    def submit(self, booking: Booking) -> CarrierReply:
        response = self._call("POST", "/v2/bookings", create_booking_body(booking))
        return CarrierReply(
            carrier_booking_request_reference=(response.body or {}).get(
                "carrierBookingRequestReference", ""
            ),
            booking_status="RECEIVED",
        )

    def amend(self, booking: Booking) -> CarrierReply:
        self._call("PUT", self._reference_path(booking), update_booking_body(booking))
        if booking.amendment_status == "AMENDMENT_RECEIVED":
            return CarrierReply(
                booking_status=booking.status, amendment_status="AMENDMENT_RECEIVED"
            )
        return CarrierReply(booking_status="UPDATE_RECEIVED")

    def cancel(
        self, booking: Booking, *, reason: str = "", amendment_only: bool = False
    ) -> CarrierReply:
        body = cancel_booking_body(booking, reason=reason, amendment_only=amendment_only)
        self._call("PATCH", self._reference_path(booking), body)
        if amendment_only:
            return CarrierReply(
                booking_status=booking.status, amendment_status="AMENDMENT_CANCELLED"
            )
        if "bookingCancellationStatus" in body:
            return CarrierReply(booking_status=booking.status)
        return CarrierReply(booking_status="CANCELLED")

    def poll(self, booking: Booking) -> CarrierReply:
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
