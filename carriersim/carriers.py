"""The simulated carriers' state: tokens, bookings with the DCSA lifecycle, tracking events and
their subscriptions, and what the control API changes. Every method takes the lock; pushes
leave through the ``Pusher`` after it."""

from __future__ import annotations

import base64
import binascii
import copy
import json
import os
import random
import secrets
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from carriersim.pushes import Pusher
from carriersim.schedules import ScheduleBook, iso

# What a CreateBooking must hold (the required properties of DCSA's ``Booking`` less the
# statuses the carrier sets).
CREATE_BOOKING_REQUIRED = (
    "receiptTypeAtOrigin",
    "deliveryTypeAtDestination",
    "cargoMovementTypeAtOrigin",
    "cargoMovementTypeAtDestination",
    "isEquipmentSubstitutionAllowed",
    "shipmentLocations",
    "requestedEquipments",
    "documentParties",
)
OPEN_REQUEST = ("RECEIVED", "UPDATE_RECEIVED", "PENDING_UPDATE")
CONFIRMED = ("CONFIRMED", "PENDING_AMENDMENT")

# The tracking timeline of a confirmed booking: (event type, code, classifier, where).
TIMELINE = (
    ("EQUIPMENT", "GTIN", "ACT", "POL"),
    ("EQUIPMENT", "LOAD", "ACT", "POL"),
    ("TRANSPORT", "DEPA", "ACT", "POL"),
    ("TRANSPORT", "ARRI", "EST", "POD"),
    ("TRANSPORT", "ARRI", "ACT", "POD"),
    ("EQUIPMENT", "DISC", "ACT", "POD"),
    ("EQUIPMENT", "GTOT", "ACT", "POD"),
)
OWNER_CODES = {"MAEU": "MSKU", "CMDU": "CMAU"}
MAX_CONTAINERS_TRACKED = 10


class Refusal(Exception):
    """A call the carrier answers with a 4xx."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class Settings:
    delay: float = 0.0
    rejection_rate: float = 0.0
    failure_rate: float = 0.0
    event_interval: float = 0.0
    token_ttl: int = 3600
    seed: str | None = None
    booking_callback: str = ""

    def update(self, values: dict) -> None:
        for name in ("delay", "rejection_rate", "failure_rate", "event_interval"):
            if name in values:
                value = float(values[name])
                if value < 0 or (name.endswith("rate") and value > 1):
                    raise Refusal(400, f"{name} out of range: {value}")
                setattr(self, name, value)
        if "token_ttl" in values:
            self.token_ttl = int(values["token_ttl"])
        if "booking_callback" in values:
            self.booking_callback = str(values["booking_callback"] or "")


@dataclass
class BookingRecord:
    scac: str
    request_reference: str
    state: dict
    received_at: float
    due_at: float | None = None  # when the pending request, amendment or cancellation is decided
    amended: dict | None = None
    confirmed_at: float | None = None
    timeline_step: int = 0
    containers: list[str] = field(default_factory=list)
    eta: datetime | None = None

    @property
    def reference(self) -> str:
        return self.state.get("carrierBookingReference") or self.request_reference

    def pending(self) -> bool:
        return (
            self.state["bookingStatus"] in ("RECEIVED", "UPDATE_RECEIVED")
            or self.state.get("amendedBookingStatus") == "AMENDMENT_RECEIVED"
            or self.state.get("bookingCancellationStatus") == "CANCELLATION_RECEIVED"
        )


def _now() -> datetime:
    return datetime.now(UTC)


def container_number(owner: str, serial: int) -> str:
    """An ISO 6346 container number with its check digit."""
    values = {}
    value = 10
    for letter in "ABCDEFGHIJKLMNOPQRSTUVWXYZ":
        if value % 11 == 0:
            value += 1
        values[letter] = value
        value += 1
    text = f"{owner}{serial % 10**6:06d}"
    total = sum(
        (values[char] if char.isalpha() else int(char)) * 2**position
        for position, char in enumerate(text)
    )
    return f"{text}{total % 11 % 10}"


class Carriers:
    def __init__(self, *, scacs: list[str], settings: Settings, pusher: Pusher) -> None:
        self.scacs = [scac.upper() for scac in scacs]
        self.defaults = copy.copy(settings)
        self.pusher = pusher
        self.lock = threading.RLock()
        self.base_url = ""
        self.reset()

    # --- set-up -------------------------------------------------------------------------------

    def reset(self) -> None:
        with self.lock:
            self.settings = copy.copy(self.defaults)
            seed = self.settings.seed
            self.random = random.Random(seed) if seed is not None else random.SystemRandom()
            self.schedules = ScheduleBook(seed or "carriersim")
            self.tokens: dict[str, tuple[str, float]] = {}
            self.faults: list[dict] = []
            self.requests: dict[str, list[dict]] = {scac: [] for scac in self.scacs}
            self.bookings: dict[str, dict[str, BookingRecord]] = {s: {} for s in self.scacs}
            self.events: dict[str, list[dict]] = {scac: [] for scac in self.scacs}
            self.subscriptions: dict[str, dict[str, dict]] = {scac: {} for scac in self.scacs}
            self.pusher.forget()

    def knows(self, scac: str) -> bool:
        return scac in self.scacs

    def _uuid(self) -> str:
        return str(uuid.UUID(int=self.random.getrandbits(128), version=4))

    # --- credentials --------------------------------------------------------------------------

    @staticmethod
    def _env(scac: str, name: str) -> str:
        return os.environ.get(f"CARRIER_{scac}_{name}", "").strip()

    def issue_token(self, scac: str, form: dict[str, str], consumer_key: str) -> dict:
        if form.get("grant_type") != "client_credentials":
            raise Refusal(400, "unsupported_grant_type")
        expected_id = self._env(scac, "CLIENT_ID")
        expected_secret = self._env(scac, "CLIENT_SECRET")
        if expected_id and not secrets.compare_digest(form.get("client_id", ""), expected_id):
            raise Refusal(401, "invalid_client")
        if expected_secret and not secrets.compare_digest(
            form.get("client_secret", ""), expected_secret
        ):
            raise Refusal(401, "invalid_client")
        self.check_consumer_key(scac, consumer_key)
        token = secrets.token_urlsafe(24)
        with self.lock:
            ttl = self.settings.token_ttl
            self.tokens[token] = (scac, time.monotonic() + ttl)
        return {"access_token": token, "token_type": "Bearer", "expires_in": ttl}

    def check_consumer_key(self, scac: str, consumer_key: str) -> None:
        expected = self._env(scac, "CONSUMER_KEY")
        if expected and not secrets.compare_digest(consumer_key, expected):
            raise Refusal(401, "The Consumer-Key header is missing or wrong.")

    def check_token(self, scac: str, authorization: str, consumer_key: str) -> None:
        scheme, _, token = authorization.partition(" ")
        with self.lock:
            issued = self.tokens.get(token.strip()) if scheme.lower() == "bearer" else None
        if issued is None or issued[0] != scac or issued[1] < time.monotonic():
            raise Refusal(401, "A live bearer token is required.")
        self.check_consumer_key(scac, consumer_key)

    def expire_tokens(self) -> None:
        with self.lock:
            self.tokens.clear()

    # --- the control API's views --------------------------------------------------------------

    def record(self, scac: str, entry: dict) -> None:
        with self.lock:
            self.requests.setdefault(scac, []).append(entry)

    def add_fault(self, fault: dict) -> None:
        kind = fault.get("kind", "status")
        if kind not in ("status", "timeout_after_receipt", "drop"):
            raise Refusal(400, f"unknown fault kind {kind!r}")
        with self.lock:
            self.faults.append(
                {
                    "scac": str(fault.get("scac") or "").upper(),
                    "method": str(fault.get("method") or "").upper(),
                    "path": str(fault.get("path") or ""),
                    "kind": kind,
                    "status": int(fault.get("status") or 503),
                    "retry_after": fault.get("retry_after"),
                    "hold_seconds": float(fault.get("hold_seconds") or 30),
                    "count": int(fault.get("count") or 1),
                }
            )

    def take_fault(self, scac: str, method: str, path: str) -> dict | None:
        """The first fault set for this call, used up by one."""
        with self.lock:
            for fault in self.faults:
                if (
                    fault["scac"] in ("", scac)
                    and fault["method"] in ("", method)
                    and path.startswith(fault["path"])
                ):
                    fault["count"] -= 1
                    if fault["count"] <= 0:
                        self.faults.remove(fault)
                    return dict(fault)
        return None

    def draws_failure(self) -> bool:
        with self.lock:
            return self.random.random() < self.settings.failure_rate

    def booking_list(self, scac: str) -> list[dict]:
        with self.lock:
            return [
                copy.deepcopy(record.state)
                | ({"amendedBooking": copy.deepcopy(record.amended)} if record.amended else {})
                for record in self.bookings.get(scac, {}).values()
            ]

    # --- bookings -----------------------------------------------------------------------------

    def _find(self, scac: str, reference: str) -> BookingRecord:
        records = self.bookings.get(scac, {})
        if reference in records:
            return records[reference]
        for record in records.values():
            if record.state.get("carrierBookingReference") == reference:
                return record
        raise Refusal(404, f"No booking {reference}.")

    @staticmethod
    def _check_request(body: Any) -> dict:
        if not isinstance(body, dict):
            raise Refusal(400, "The body must be a JSON object.")
        missing = [name for name in CREATE_BOOKING_REQUIRED if name not in body]
        if missing:
            raise Refusal(400, "Missing required properties: " + ", ".join(missing))
        return body

    def booking_create(self, scac: str, body: Any) -> str:
        request = self._check_request(body)
        with self.lock:
            reference = self._uuid()
            state = {
                key: value
                for key, value in copy.deepcopy(request).items()
                if key not in ("carrierBookingReference", "bookingStatus")
            }
            state["carrierBookingRequestReference"] = reference
            state["bookingStatus"] = "RECEIVED"
            record = BookingRecord(
                scac=scac, request_reference=reference, state=state, received_at=time.time()
            )
            self.bookings[scac][reference] = record
            self._await_decision(record)
            self._notify(record)
            if self.settings.delay <= 0:
                self._decide(record)
        return reference

    def booking_update(self, scac: str, reference: str, body: Any) -> None:
        request = self._check_request(body)
        with self.lock:
            record = self._find(scac, reference)
            status = record.state["bookingStatus"]
            references = {
                key: record.state[key]
                for key in ("carrierBookingRequestReference", "carrierBookingReference")
                if key in record.state
            }
            if status in OPEN_REQUEST:
                kept = {k: v for k, v in record.state.items() if k == "feedbacks"}
                record.state = copy.deepcopy(request) | references | kept
                record.state["bookingStatus"] = "UPDATE_RECEIVED"
            elif status in CONFIRMED:
                if record.state.get("bookingCancellationStatus") == "CANCELLATION_RECEIVED":
                    raise Refusal(409, "A cancellation of this booking is being processed.")
                record.amended = copy.deepcopy(request) | references
                record.amended["bookingStatus"] = status
                record.amended["amendedBookingStatus"] = "AMENDMENT_RECEIVED"
                record.state["amendedBookingStatus"] = "AMENDMENT_RECEIVED"
            else:
                raise Refusal(409, f"A booking that is {status} cannot be changed.")
            self._await_decision(record)
            self._notify(record)
            if self.settings.delay <= 0:
                self._decide(record)

    def booking_cancel(self, scac: str, reference: str, body: Any) -> None:
        if not isinstance(body, dict):
            raise Refusal(400, "The body must be a JSON object.")
        with self.lock:
            record = self._find(scac, reference)
            state = record.state
            status = state["bookingStatus"]
            if body.get("bookingStatus") == "CANCELLED":
                if status not in OPEN_REQUEST:
                    raise Refusal(409, f"A booking that is {status} cannot be cancelled this way.")
                state["bookingStatus"] = "CANCELLED"
                record.due_at = None
            elif body.get("amendedBookingStatus") == "AMENDMENT_CANCELLED":
                if state.get("amendedBookingStatus") != "AMENDMENT_RECEIVED":
                    raise Refusal(409, "No amendment of this booking is awaiting a decision.")
                state["amendedBookingStatus"] = "AMENDMENT_CANCELLED"
                record.amended = None
                record.due_at = None
            elif body.get("bookingCancellationStatus") == "CANCELLATION_RECEIVED":
                if status not in CONFIRMED:
                    raise Refusal(409, f"A booking that is {status} cannot be cancelled this way.")
                state["bookingCancellationStatus"] = "CANCELLATION_RECEIVED"
                self._await_decision(record)
            else:
                raise Refusal(400, "Nothing to cancel: see CancelBookingRequest.")
            if reason := str(body.get("reason") or "").strip():
                self._feedback(record, "INFO", "INFORMATIONAL_MESSAGE", f"Reason given: {reason}")
            self._notify(record)
            if record.due_at is not None and self.settings.delay <= 0:
                self._decide(record)

    def booking_get(self, scac: str, reference: str, *, amended: bool = False) -> dict:
        with self.lock:
            record = self._find(scac, reference)
            if amended:
                if record.amended is None:
                    raise Refusal(404, "This booking has no amendment.")
                return copy.deepcopy(record.amended)
            return copy.deepcopy(record.state)

    def _await_decision(self, record: BookingRecord) -> None:
        record.due_at = time.time() + self.settings.delay

    def _feedback(self, record: BookingRecord, severity: str, code: str, message: str) -> None:
        record.state.setdefault("feedbacks", []).append(
            {"severity": severity, "code": code, "message": message}
        )

    def _declined(self) -> bool:
        return self.random.random() < self.settings.rejection_rate

    def _decide(self, record: BookingRecord) -> None:
        """Settle what is pending on ``record``: a request, an amendment or a cancellation."""
        state = record.state
        record.due_at = None
        if state["bookingStatus"] in ("RECEIVED", "UPDATE_RECEIVED"):
            if self._declined():
                state["bookingStatus"] = "REJECTED"
                self._feedback(
                    record,
                    "ERROR",
                    "PROPERTY_VALUE_MUST_CHANGE",
                    "No space available on the requested vessel.",
                )
            else:
                self._confirm(record)
        elif state.get("amendedBookingStatus") == "AMENDMENT_RECEIVED":
            if self._declined():
                state["amendedBookingStatus"] = "AMENDMENT_DECLINED"
                self._feedback(
                    record, "ERROR", "PROPERTY_VALUE_MUST_CHANGE", "No additional equipment."
                )
                if record.amended is not None:
                    record.amended["amendedBookingStatus"] = "AMENDMENT_DECLINED"
            else:
                amended = record.amended or {}
                kept = {
                    key: state[key]
                    for key in ("transportPlan", "shipmentCutOffTimes", "feedbacks")
                    if key in state
                }
                record.state = state = copy.deepcopy(amended) | kept
                state["amendedBookingStatus"] = "AMENDMENT_CONFIRMED"
                state["confirmedEquipments"] = self._confirmed_equipments(state)
                record.amended = None
        elif state.get("bookingCancellationStatus") == "CANCELLATION_RECEIVED":
            if self._declined():
                state["bookingCancellationStatus"] = "CANCELLATION_DECLINED"
                self._feedback(
                    record, "WARN", "INFORMATIONAL_MESSAGE", "The cargo is already at the terminal."
                )
            else:
                state["bookingCancellationStatus"] = "CANCELLATION_CONFIRMED"
                state["bookingStatus"] = "CANCELLED"
        else:
            return
        self._notify(record)

    @staticmethod
    def _confirmed_equipments(state: dict) -> list[dict]:
        return [
            {"ISOEquipmentCode": item["ISOEquipmentCode"], "units": int(item.get("units") or 1)}
            for item in state.get("requestedEquipments") or []
            if item.get("ISOEquipmentCode")
        ]

    def _ports(self, state: dict) -> tuple[str, str]:
        where = {
            item.get("locationTypeCode"): (item.get("location") or {}).get("UNLocationCode", "")
            for item in state.get("shipmentLocations") or []
        }
        origin = where.get("POL") or where.get("PRE") or ""
        return origin, where.get("POD") or where.get("PDE") or ""

    def _confirm(self, record: BookingRecord) -> None:
        state = record.state
        state["bookingStatus"] = "CONFIRMED"
        state["carrierBookingReference"] = f"{record.scac}{self.random.randrange(10**8, 10**9)}"
        state["confirmedEquipments"] = self._confirmed_equipments(state)
        origin, destination = self._ports(state)
        try:
            departure = date.fromisoformat(state.get("expectedDepartureDate") or "")
        except ValueError:
            departure = _now().date() + timedelta(days=7)
        etd = datetime.combine(departure, datetime.min.time(), tzinfo=UTC) + timedelta(hours=18)
        record.eta = etd + self.schedules.transit(record.scac, origin, destination)
        leg: dict = {
            "transportPlanStage": "MNC",
            "transportPlanStageSequenceNumber": 1,
            "loadLocation": {"UNLocationCode": origin},
            "dischargeLocation": {"UNLocationCode": destination},
            "plannedDepartureDate": departure.isoformat(),
            "plannedArrivalDate": record.eta.date().isoformat(),
            "modeOfTransport": "VESSEL",
        }
        vessel = state.get("vessel") or {}
        if vessel.get("name"):
            leg["vesselName"] = vessel["name"]
        if vessel.get("vesselIMONumber"):
            leg["vesselIMONumber"] = vessel["vesselIMONumber"]
        if state.get("carrierExportVoyageNumber"):
            leg["carrierExportVoyageNumber"] = state["carrierExportVoyageNumber"]
        if state.get("carrierServiceCode"):
            leg["carrierServiceCode"] = state["carrierServiceCode"]
        state["transportPlan"] = [leg]
        state["shipmentCutOffTimes"] = [
            {"cutOffDateTimeCode": code, "cutOffDateTime": iso(etd - timedelta(days=days))}
            for code, days in (("DCO", 4), ("VCO", 3), ("FCO", 2))
        ]
        record.confirmed_at = time.time()
        owner = OWNER_CODES.get(record.scac, f"{record.scac[:3]}U")
        units = sum(item["units"] for item in state["confirmedEquipments"]) or 1
        record.containers = [
            container_number(owner, self.random.randrange(10**6))
            for _ in range(min(units, MAX_CONTAINERS_TRACKED))
        ]
        self._feedback(record, "INFO", "INFORMATIONAL_MESSAGE", "Booking confirmed.")

    def _notify(self, record: BookingRecord) -> None:
        """Push the booking's full state to the network, signed with the carrier's secret."""
        callback = self.settings.booking_callback
        if not callback:
            return

        state = record.state
        data: dict = {
            key: state[key]
            for key in (
                "bookingStatus",
                "amendedBookingStatus",
                "bookingCancellationStatus",
                "carrierBookingRequestReference",
                "carrierBookingReference",
                "feedbacks",
            )
            if state.get(key)
        }
        data["booking"] = copy.deepcopy(state)
        if record.amended is not None:
            data["amendedBooking"] = copy.deepcopy(record.amended)
        notification = {
            "specversion": "1.0",
            "id": self._uuid(),
            "source": f"{self.base_url}/{record.scac}",
            "type": "org.dcsa.booking.v2",
            "time": iso(_now()),
            "datacontenttype": "application/json",
            "subscriptionReference": f"{record.scac}-booking-notifications",
            "data": data,
        }
        self.pusher.send(
            callback.replace("{scac}", record.scac),
            json.dumps(notification).encode(),
            key=self._env(record.scac, "NOTIFICATION_SECRET").encode(),
            headers={"API-Version": "2.0.5"},
        )

    # --- time passing -------------------------------------------------------------------------

    def tick(self) -> None:
        """Decide what is due and emit the tracking events whose time has come."""
        now = time.time()
        with self.lock:
            interval = self.settings.event_interval
            for scac, records in self.bookings.items():
                for record in list(records.values()):
                    if record.due_at is not None and record.due_at <= now and record.pending():
                        self._decide(record)
                    while (
                        interval > 0
                        and self._tracking(record)
                        and now >= record.confirmed_at + (record.timeline_step + 1) * interval
                    ):
                        self._emit_next(scac, record)

    def advance(self, scac: str, reference: str | None = None) -> dict:
        """Decide pending bookings now; bookings already confirmed emit their next event."""
        decided, emitted = 0, 0
        with self.lock:
            records = (
                [self._find(scac, reference)]
                if reference
                else list(self.bookings.get(scac, {}).values())
            )
            for record in records:
                if record.pending():
                    self._decide(record)
                    decided += 1
                elif self._tracking(record):
                    emitted += len(self._emit_next(scac, record))
        return {"decided": decided, "events": emitted}

    @staticmethod
    def _tracking(record: BookingRecord) -> bool:
        return (
            record.confirmed_at is not None
            and record.state["bookingStatus"] in CONFIRMED
            and record.timeline_step < len(TIMELINE)
        )

    # --- tracking -----------------------------------------------------------------------------

    def _emit_next(self, scac: str, record: BookingRecord) -> list[dict]:
        event_type, code, classifier, where = TIMELINE[record.timeline_step]
        record.timeline_step += 1
        state = record.state
        origin, destination = self._ports(state)
        port = origin if where == "POL" else destination
        now = _now()
        vessel = state.get("vessel") or {}
        voyage = state.get("carrierExportVoyageNumber") or ""
        service = state.get("carrierServiceCode") or ""
        transport_call = {
            "transportCallID": f"{service or 'SVC'}-{voyage}-{port}",
            "carrierVoyageNumber": voyage,
            "importVoyageNumber": voyage,
            "UNLocationCode": port,
            "modeOfTransport": "VESSEL",
            "location": {"UNLocationCode": port},
        }
        # Track & Trace 2.2 allows five characters for these two.
        if 0 < len(service) <= 5:
            transport_call["carrierServiceCode"] = service
        if 0 < len(voyage) <= 5:
            transport_call["exportVoyageNumber"] = voyage
        if vessel.get("name"):
            transport_call["vessel"] = vessel["name"]
        base = {
            "eventCreatedDateTime": iso(now),
            "eventType": event_type,
            "eventClassifierCode": classifier,
            "documentReferences": [
                {
                    "documentReferenceType": "BKG (Booking)",
                    "documentReferenceValue": state["carrierBookingReference"],
                }
            ],
        }
        if event_type == "TRANSPORT":
            moment = record.eta if classifier == "EST" and record.eta else now
            emitted = [
                base
                | {
                    "eventID": self._uuid(),
                    "eventDateTime": iso(moment),
                    "transportEventTypeCode": code,
                    "transportCall": transport_call,
                }
            ]
        else:
            emitted = [
                base
                | {
                    "eventID": self._uuid(),
                    "eventDateTime": iso(now),
                    "equipmentEventTypeCode": code,
                    "equipmentReference": container,
                    "ISOEquipmentCode": self._equipment_code(state),
                    "emptyIndicatorCode": "LADEN",
                    "eventLocation": {"UNLocationCode": port},
                    "transportCall": transport_call,
                }
                for container in record.containers
            ]
        for event in emitted:
            self.events[scac].append(
                {
                    "event": event,
                    "booking": state["carrierBookingReference"],
                    "vessel_imo": vessel.get("vesselIMONumber", ""),
                }
            )
        self._push_events(scac, emitted, record)
        return emitted

    @staticmethod
    def _equipment_code(state: dict) -> str:
        equipments = state.get("confirmedEquipments") or [{}]
        return equipments[0].get("ISOEquipmentCode") or "42G1"

    @staticmethod
    def _matches(filters: dict, event: dict, booking: str, vessel_imo: str) -> bool:
        def one_of(name: str, value: str) -> bool:
            wanted = filters.get(name)
            if not wanted:
                return True
            return value in (wanted if isinstance(wanted, list) else [wanted])

        call = event.get("transportCall") or {}
        return (
            one_of("carrierBookingReference", booking)
            and one_of("bookingReference", booking)
            and one_of("eventType", event["eventType"])
            and one_of("transportEventTypeCode", event.get("transportEventTypeCode", ""))
            and one_of("equipmentEventTypeCode", event.get("equipmentEventTypeCode", ""))
            and one_of("equipmentReference", event.get("equipmentReference", ""))
            and one_of("vesselIMONumber", vessel_imo)
            and one_of("carrierVoyageNumber", call.get("carrierVoyageNumber", ""))
            and one_of("exportVoyageNumber", call.get("exportVoyageNumber", ""))
            and one_of("carrierServiceCode", call.get("carrierServiceCode", ""))
            and one_of("UNLocationCode", call.get("UNLocationCode", ""))
        )

    def _push_events(self, scac: str, emitted: list[dict], record: BookingRecord) -> None:

        booking = record.state["carrierBookingReference"]
        imo = (record.state.get("vessel") or {}).get("vesselIMONumber", "")
        for subscription in self.subscriptions[scac].values():
            matching = [
                event
                for event in emitted
                if self._matches(subscription["filters"], event, booking, imo)
            ]
            if matching:
                self.pusher.send(
                    subscription["callbackUrl"],
                    json.dumps(matching).encode(),
                    key=subscription["key"],
                    headers={"API-Version": "2.2.0"},
                )

    def events_for(self, scac: str, filters: dict) -> list[dict]:
        with self.lock:
            return [
                copy.deepcopy(item["event"])
                for item in self.events.get(scac, [])
                if self._matches(filters, item["event"], item["booking"], item["vessel_imo"])
            ]

    def subscribe(self, scac: str, body: Any) -> dict:
        if not isinstance(body, dict) or not body.get("callbackUrl"):
            raise Refusal(400, "callbackUrl is required.")
        if not str(body["callbackUrl"]).startswith(("http://", "https://")):
            raise Refusal(400, "callbackUrl must be an http(s) URL.")
        try:
            key = base64.b64decode(str(body.get("secret") or ""), validate=True)
        except (binascii.Error, ValueError) as error:
            raise Refusal(400, "secret must be base64.") from error
        if not key:
            raise Refusal(400, "secret is required.")
        filters = {k: v for k, v in body.items() if k not in ("callbackUrl", "secret")}
        with self.lock:
            subscription_id = self._uuid()
            self.subscriptions[scac][subscription_id] = {
                "subscriptionID": subscription_id,
                "callbackUrl": body["callbackUrl"],
                "filters": filters,
                "key": key,
            }
        return self.subscription(scac, subscription_id)

    def subscription(self, scac: str, subscription_id: str) -> dict:
        with self.lock:
            found = self.subscriptions.get(scac, {}).get(subscription_id)
            if found is None:
                raise Refusal(404, f"No subscription {subscription_id}.")
            return {
                "subscriptionID": found["subscriptionID"],
                "callbackUrl": found["callbackUrl"],
                **copy.deepcopy(found["filters"]),
            }

    def subscription_list(self, scac: str) -> list[dict]:
        with self.lock:
            names = list(self.subscriptions.get(scac, {}))
        return [self.subscription(scac, name) for name in names]

    def unsubscribe(self, scac: str, subscription_id: str) -> None:
        with self.lock:
            if self.subscriptions.get(scac, {}).pop(subscription_id, None) is None:
                raise Refusal(404, f"No subscription {subscription_id}.")

    # --- schedules ----------------------------------------------------------------------------

    def routes(self, scac: str, origin: str, destination: str, start: date, end: date) -> list:
        with self.lock:
            return [
                sailing.point_to_point()
                for sailing in self.schedules.sailings(scac, origin, destination, start, end)
            ]

    def change_schedule(self, body: dict) -> None:
        scac = str(body.get("scac") or "").upper()
        if not self.knows(scac):
            raise Refusal(400, f"Unknown carrier {scac!r}.")
        with self.lock:
            if body.get("omit_voyage"):
                self.schedules.omit(scac, str(body["omit_voyage"]))
            elif body.get("voyage"):
                self.schedules.shift(scac, str(body["voyage"]), float(body["etd_shift_hours"]))
            else:
                raise Refusal(400, "Give voyage and etd_shift_hours, or omit_voyage.")
