"""DCSA Track & Trace 2.2.0 over HTTP: event subscriptions with a signed push, the events of a
booking, and the events read into plain values.

    POST   /v2/event-subscriptions           callbackUrl, secret (base64), filters → subscriptionID
    DELETE /v2/event-subscriptions/{id}
    GET    /v2/events?carrierBookingReference=…

A pushed body is a JSON array of events signed ``Notification-Signature: sha256=<hex
HMAC-SHA256 of the raw body keyed with the base64-decoded subscription secret>``."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from shipping.carriers.http import CarrierApi, client_for
from shipping.errors import CarrierRefused, CarrierUnavailable

SUBSCRIPTIONS_PATH = "/v2/event-subscriptions"
EVENTS_PATH = "/v2/events"
# A booking's events fill a page or two; a carrier that never stops paging is cut off here.
MAX_PAGES = 20

EVENT_TYPES = ("SHIPMENT", "TRANSPORT", "EQUIPMENT")
CLASSIFIERS = ("ACT", "PLN", "EST", "REQ")
# The field that carries the event's code, per event type.
CODE_FIELDS = {
    "SHIPMENT": "shipmentEventTypeCode",
    "TRANSPORT": "transportEventTypeCode",
    "EQUIPMENT": "equipmentEventTypeCode",
}


class TrackingEventInvalid(ValueError):
    """A carrier's event is not a Track & Trace 2.2.0 event the network can read."""


@dataclass(frozen=True)
class CarrierEvent:
    """One Track & Trace event as the network keeps it."""

    event_id: str
    event_type: str  # SHIPMENT, TRANSPORT, EQUIPMENT
    event_code: str  # GTIN, LOAD, DEPA, ARRI, DISC, GTOT, ... (or a shipment code)
    classifier: str  # ACT, EST, PLN
    event_at: datetime
    created_at: datetime | None
    equipment_reference: str
    empty: bool
    location: str  # UN/LOCODE
    location_name: str
    vessel_name: str
    voyage_number: str
    carrier_booking_reference: str
    payload: dict[str, Any]


def new_secret() -> str:
    """A fresh random subscription secret, base64 as Track & Trace exchanges it."""
    return base64.b64encode(secrets.token_bytes(32)).decode()


def notification_signature(secret: str, body: bytes) -> str:
    """``sha256=<hex HMAC-SHA256 of body>`` keyed with the base64-decoded ``secret``."""
    key = base64.b64decode(secret)
    return "sha256=" + hmac.new(key, body, hashlib.sha256).hexdigest()


def notification_signature_valid(*, secret: str, body: bytes, signature: str) -> bool:
    """Whether ``signature`` (the Notification-Signature header) signs ``body``; constant
    time."""
    if not signature or not secret:
        return False
    try:
        expected = notification_signature(secret, body)
    except (binascii.Error, ValueError):
        return False
    return hmac.compare_digest(expected.encode(), signature.strip().encode())


# --- Reading events ----------------------------------------------------------------------------


def _text(value: Any, limit: int) -> str:
    return str(value).strip()[:limit] if isinstance(value, str | int) and value != "" else ""


def _moment(value: Any, name: str) -> datetime:
    if not isinstance(value, str):
        raise TrackingEventInvalid(f"{name} must be an ISO 8601 date-time.")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as error:
        raise TrackingEventInvalid(f"{name} is not an ISO 8601 date-time: {value[:40]}") from error
    if moment.tzinfo is None:
        raise TrackingEventInvalid(f"{name} must carry its UTC offset: {value[:40]}")
    return moment


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _booking_reference(raw: dict[str, Any]) -> str:
    for document in raw.get("documentReferences") or []:
        # The standard spells the type "BKG (Booking)"; carriers also send the bare code.
        kind = document.get("documentReferenceType") if isinstance(document, dict) else None
        if isinstance(kind, str) and kind.split(" ")[0] == "BKG":
            return _text(document.get("documentReferenceValue"), 35)
    if raw.get("documentTypeCode") == "BKG":
        return _text(raw.get("documentID"), 35)
    return ""


def parse_event(raw: Any) -> CarrierEvent:
    """One event of a push or of ``/v2/events``; raises TrackingEventInvalid saying what is
    wrong."""
    if not isinstance(raw, dict):
        raise TrackingEventInvalid("Each event must be a JSON object.")
    event_id = _text(raw.get("eventID"), 100)
    if not event_id:
        raise TrackingEventInvalid("An event must have an eventID.")
    event_type = raw.get("eventType")
    if event_type not in EVENT_TYPES:
        raise TrackingEventInvalid(
            f"Event {event_id}: eventType must be one of {', '.join(EVENT_TYPES)}."
        )
    classifier = raw.get("eventClassifierCode")
    if classifier not in CLASSIFIERS:
        raise TrackingEventInvalid(
            f"Event {event_id}: eventClassifierCode must be one of {', '.join(CLASSIFIERS)}."
        )
    code_field = CODE_FIELDS[event_type]
    code = _text(raw.get(code_field) or raw.get("eventTypeCode"), 4)
    if not code:
        raise TrackingEventInvalid(f"Event {event_id}: {code_field} is missing.")
    event_at = _moment(raw.get("eventDateTime"), "eventDateTime")
    created_raw = raw.get("eventCreatedDateTime")
    created_at = _moment(created_raw, "eventCreatedDateTime") if created_raw else None
    call = _mapping(raw.get("transportCall"))
    call_location = _mapping(call.get("location"))
    event_location = _mapping(raw.get("eventLocation"))
    vessel = call.get("vessel")
    vessel_name = (
        _text(_mapping(vessel).get("vesselName"), 50)
        if isinstance(vessel, dict)
        else _text(vessel, 50)
    )
    return CarrierEvent(
        event_id=event_id,
        event_type=event_type,
        event_code=code,
        classifier=classifier,
        event_at=event_at,
        created_at=created_at,
        equipment_reference=_text(raw.get("equipmentReference"), 15),
        empty=raw.get("emptyIndicatorCode") == "EMPTY",
        location=_text(
            event_location.get("UNLocationCode")
            or call.get("UNLocationCode")
            or call_location.get("UNLocationCode"),
            5,
        ).upper(),
        location_name=_text(
            event_location.get("locationName") or call_location.get("locationName"), 100
        ),
        vessel_name=vessel_name,
        voyage_number=_text(
            call.get("exportVoyageNumber")
            or call.get("carrierVoyageNumber")
            or call.get("importVoyageNumber"),
            50,
        ),
        carrier_booking_reference=_booking_reference(raw),
        payload=raw,
    )


def parse_events(raw: Any) -> list[CarrierEvent]:
    """A JSON array of events; raises TrackingEventInvalid for anything else."""
    if not isinstance(raw, list):
        raise TrackingEventInvalid("The body must be a JSON array of events.")
    return [parse_event(item) for item in raw]


# --- Calls -------------------------------------------------------------------------------------


def subscription_body(
    *, callback_url: str, secret: str, carrier_booking_reference: str
) -> dict[str, Any]:
    """The ``SunscriptionBodyWithSecret`` for one booking's events.

    The standard's ``eventType`` filter takes one value (its schema is an enum, although the
    endpoint's description speaks of comma-separated lists), and filters combine with AND: no
    single subscription can ask for transport and equipment events only. So it filters on the
    booking alone and every event type comes; shipment events are stored and mark nothing."""
    return {
        "callbackUrl": callback_url,
        "secret": secret,
        "carrierBookingReference": carrier_booking_reference,
    }


def subscribe(
    carrier: Any, *, callback_url: str, secret: str, carrier_booking_reference: str
) -> str:
    """Subscribe to a booking's events at ``carrier``; the carrier's subscriptionID.

    Raises CarrierUnavailable (try again later) or CarrierRefused."""
    response = client_for(carrier).request(
        "POST",
        SUBSCRIPTIONS_PATH,
        api=CarrierApi.TRACKING,
        json=subscription_body(
            callback_url=callback_url,
            secret=secret,
            carrier_booking_reference=carrier_booking_reference,
        ),
    )
    subscription_id = _text(_mapping(response.body).get("subscriptionID"), 100)
    if not subscription_id:
        raise CarrierUnavailable(
            f"{getattr(carrier, 'scac', carrier)}: the subscription answer has no subscriptionID"
        )
    return subscription_id


def unsubscribe(carrier: Any, *, subscription_id: str) -> None:
    """Stop a subscription; one the carrier no longer knows (404) counts as stopped."""
    try:
        client_for(carrier).request(
            "DELETE", f"{SUBSCRIPTIONS_PATH}/{subscription_id}", api=CarrierApi.TRACKING
        )
    except CarrierRefused as error:
        if "(404)" not in str(error):
            raise


def fetch_events(carrier: Any, *, carrier_booking_reference: str) -> list[CarrierEvent]:
    """The events the carrier has so far for one booking, every page of them (the standard's
    ``Next-Page`` cursor). Events it sends that the network cannot read are skipped (a push or
    the next poll may bring them right)."""
    client = client_for(carrier)
    params: dict[str, Any] = {"carrierBookingReference": carrier_booking_reference}
    events = []
    for _page in range(MAX_PAGES):
        response = client.request("GET", EVENTS_PATH, api=CarrierApi.TRACKING, params=params)
        for raw in response.body if isinstance(response.body, list) else []:
            try:
                events.append(parse_event(raw))
            except TrackingEventInvalid:
                continue
        cursor = {k.lower(): v for k, v in response.headers.items()}.get("next-page", "")
        if not cursor or cursor == params.get("cursor"):
            break
        params = {**params, "cursor": cursor}
    return events
