"""Track & Trace 2.2.0 events as a carrier sends them, for the tracking tests."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta

from shipping.carriers import tracking as carrier_tracking

START = datetime.fromisoformat("2026-03-02T08:00:00+00:00")
CONTAINER = "MSKU7301829"


def _transport_call(location: str, name: str) -> dict:
    return {
        "transportCallID": str(uuid.uuid4()),
        "modeOfTransport": "VESSEL",
        "exportVoyageNumber": "412W",
        "carrierVoyageNumber": "412W",
        "UNLocationCode": location,
        "location": {"UNLocationCode": location, "locationName": name},
        "vessel": "Madrid Maersk",
    }


def dcsa_event(
    code: str,
    *,
    classifier: str = "ACT",
    at: datetime | None = None,
    location: str = "USLAX",
    location_name: str = "Los Angeles",
    booking_reference: str = "",
    event_id: str | None = None,
    created: datetime | None = None,
    empty: bool = False,
) -> dict:
    """One event: DEPA/ARRI as a TransportEvent, the others as an EquipmentEvent."""
    at = at or START
    event = {
        "eventID": event_id or str(uuid.uuid4()),
        "eventCreatedDateTime": (created or at).isoformat(),
        "eventClassifierCode": classifier,
        "eventDateTime": at.isoformat(),
        "transportCall": _transport_call(location, location_name),
    }
    if booking_reference:
        event["documentReferences"] = [
            {"documentReferenceType": "BKG", "documentReferenceValue": booking_reference}
        ]
    if code in ("DEPA", "ARRI"):
        return {**event, "eventType": "TRANSPORT", "transportEventTypeCode": code}
    return {
        **event,
        "eventType": "EQUIPMENT",
        "equipmentEventTypeCode": code,
        "equipmentReference": CONTAINER,
        "ISOEquipmentCode": "45G1",
        "emptyIndicatorCode": "EMPTY" if empty else "LADEN",
        "eventLocation": {"UNLocationCode": location, "locationName": location_name},
    }


def voyage(booking_reference: str = "", *, port_of_discharge: str = "CNNGB") -> list[dict]:
    """The seven events of a container's voyage, a day apart: GTIN, LOAD, DEPA at Los Angeles;
    the ETA, ARRI, DISC, GTOT at the port of discharge."""
    pod = {"location": port_of_discharge, "location_name": "Ningbo"}
    day = timedelta(days=1)
    return [
        dcsa_event("GTIN", at=START, booking_reference=booking_reference),
        dcsa_event("LOAD", at=START + day, booking_reference=booking_reference),
        dcsa_event("DEPA", at=START + 2 * day, booking_reference=booking_reference),
        dcsa_event(
            "ARRI",
            classifier="EST",
            at=START + 16 * day,
            created=START + 2 * day,
            booking_reference=booking_reference,
            **pod,
        ),
        dcsa_event("ARRI", at=START + 17 * day, booking_reference=booking_reference, **pod),
        dcsa_event("DISC", at=START + 18 * day, booking_reference=booking_reference, **pod),
        dcsa_event("GTOT", at=START + 19 * day, booking_reference=booking_reference, **pod),
    ]


def signed(events: list[dict], secret: str) -> tuple[bytes, str]:
    """The raw body of a push and its Notification-Signature."""
    body = json.dumps(events).encode()
    return body, carrier_tracking.notification_signature(secret, body)
