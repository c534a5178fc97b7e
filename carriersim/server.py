"""The HTTP face of the simulated carriers: routing, authentication, faults, the request log and
the control API."""

from __future__ import annotations

import base64
import binascii
import json
import logging
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, parse_qsl, urlsplit

from carriersim.carriers import Carriers, Refusal
from carriersim.schedules import (
    DEFAULT_LIMIT,
    DEFAULT_WEEKS,
    MAX_LIMIT,
    decode_cursor,
    encode_cursor,
    iso,
)

log = logging.getLogger("carriersim")

API_VERSIONS = {"/v2/bookings": "2.0.5", "/v1/": "1.0.3", "/v2/event": "2.2.0"}
REASONS = {
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
}
LOCODE = re.compile(r"^[A-Z]{2}[A-Z2-9]{3}$")


# A body of JSON ``null``, as Booking 2.0.5 answers an accepted PUT or PATCH (``None`` is no
# body at all).
JSON_NULL = object()


@dataclass
class Reply:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False  # close the connection without answering
    hold_seconds: float = 0.0  # wait this long, then drop


def error_reply(method: str, path: str, status: int, message: str, **headers: str) -> Reply:
    """A DCSA error: Booking's ``ErrorResponse``, or Track & Trace 2.2.0's ``Error`` (a text
    ``statusCode`` and sub-errors with ``reason`` and ``message``) on its endpoints."""
    if path.startswith("/v2/event"):
        return Reply(
            status,
            {
                "httpMethod": method,
                "requestUri": path,
                "statusCode": str(status),
                "statusCodeText": REASONS.get(status, "Error"),
                "errorDateTime": iso(datetime.now(UTC)),
                "errors": [{"reason": REASONS.get(status, "Error"), "message": message[:200]}],
            },
            headers,
        )
    return Reply(
        status,
        {
            "httpMethod": method,
            "requestUri": path,
            "statusCode": status,
            "statusCodeText": REASONS.get(status, "Error"),
            "statusCodeMessage": message[:200],
            "providerCorrelationReference": str(uuid.uuid4()),
            "errorDateTime": iso(datetime.now(UTC)),
            "errors": [
                {"errorCodeText": REASONS.get(status, "Error"), "errorCodeMessage": message[:200]}
            ],
        },
        headers,
    )


@dataclass
class Call:
    method: str
    path: str  # below the SCAC
    query: dict[str, list[str]]
    headers: Any
    raw: bytes

    def json(self) -> Any:
        if not self.raw:
            return None
        try:
            return json.loads(self.raw)
        except ValueError as error:
            raise Refusal(400, "The body is not JSON.") from error

    def param(self, name: str, default: str = "") -> str:
        return (self.query.get(name) or [default])[0]


def _paginate(items: list, call: Call, header: str) -> Reply:
    try:
        limit = int(call.param("limit", str(DEFAULT_LIMIT)))
    except ValueError:
        raise Refusal(400, "limit must be a whole number.") from None
    if not 1 <= limit <= MAX_LIMIT:
        raise Refusal(400, f"limit must be between 1 and {MAX_LIMIT}.")
    offset = 0
    if cursor := call.param("cursor"):
        decoded = decode_cursor(cursor)
        if decoded is None:
            raise Refusal(400, "The cursor is not one this carrier gave.")
        offset = decoded
    headers = {}
    if offset + limit < len(items):
        headers[header] = encode_cursor(offset + limit)
    return Reply(200, items[offset : offset + limit], headers)


class Router:
    def __init__(self, carriers: Carriers) -> None:
        self.carriers = carriers

    # --- the carriers' APIs -------------------------------------------------------------------

    def carrier_call(self, scac: str, call: Call) -> Reply:
        carriers = self.carriers
        if call.path == "/oauth2/token":
            if call.method != "POST":
                return error_reply(call.method, call.path, 405, "Use POST.")
            form = dict(parse_qsl(call.raw.decode("latin-1")))
            authorization = call.headers.get("Authorization", "")
            if authorization.lower().startswith("basic "):
                try:
                    basic = base64.b64decode(authorization[6:]).decode()
                except (binascii.Error, UnicodeDecodeError):
                    basic = ""
                client_id, _, secret = basic.partition(":")
                form.setdefault("client_id", client_id)
                form.setdefault("client_secret", secret)
            try:
                token = carriers.issue_token(scac, form, call.headers.get("Consumer-Key", ""))
            except Refusal as refusal:
                return Reply(refusal.status, {"error": refusal.message})
            return Reply(200, token, {"Cache-Control": "no-store"})
        carriers.check_token(
            scac, call.headers.get("Authorization", ""), call.headers.get("Consumer-Key", "")
        )
        if carriers.draws_failure():
            return error_reply(
                call.method, call.path, 503, "Temporarily unavailable.", **{"Retry-After": "1"}
            )
        carriers.tick()
        parts = call.path.strip("/").split("/")
        if parts[:2] == ["v2", "bookings"]:
            return self.bookings(scac, call, parts[2:])
        if parts[:2] == ["v1", "point-to-point-routes"] and len(parts) == 2:
            return self.point_to_point(scac, call)
        if parts[:2] == ["v2", "events"] and len(parts) == 2 and call.method == "GET":
            filters = {
                key: values if len(values) > 1 else values[0]
                for key, values in call.query.items()
                if key not in ("limit", "cursor", "sort")
            }
            if "eventType" in filters and isinstance(filters["eventType"], str):
                filters["eventType"] = filters["eventType"].split(",")
            return _paginate(carriers.events_for(scac, filters), call, "Next-Page")
        if parts[:2] == ["v2", "event-subscriptions"]:
            return self.subscriptions(scac, call, parts[2:])
        return error_reply(call.method, call.path, 404, "No such resource.")

    def bookings(self, scac: str, call: Call, rest: list[str]) -> Reply:
        carriers = self.carriers
        if not rest:
            if call.method != "POST":
                return error_reply(call.method, call.path, 405, "Use POST.")
            reference = carriers.booking_create(scac, call.json())
            return Reply(202, {"carrierBookingRequestReference": reference})
        if len(rest) != 1:
            return error_reply(call.method, call.path, 404, "No such resource.")
        reference = rest[0]
        if call.method == "GET":
            amended = call.param("amendedContent").lower() == "true"
            return Reply(200, carriers.booking_get(scac, reference, amended=amended))
        if call.method == "PUT":
            carriers.booking_update(scac, reference, call.json())
            return Reply(202, JSON_NULL)
        if call.method == "PATCH":
            carriers.booking_cancel(scac, reference, call.json())
            return Reply(202, JSON_NULL)
        return error_reply(call.method, call.path, 405, "Use GET, PUT or PATCH.")

    def point_to_point(self, scac: str, call: Call) -> Reply:
        if call.method != "GET":
            return error_reply(call.method, call.path, 405, "Use GET.")
        origin = call.param("placeOfReceipt").upper()
        destination = call.param("placeOfDelivery").upper()
        if not LOCODE.match(origin) or not LOCODE.match(destination):
            raise Refusal(400, "placeOfReceipt and placeOfDelivery must be UN/LOCODEs.")
        try:
            start_text = call.param("departureStartDate")
            start = date.fromisoformat(start_text) if start_text else datetime.now(UTC).date()
            end_text = call.param("departureEndDate")
            end = (
                date.fromisoformat(end_text) if end_text else start + timedelta(weeks=DEFAULT_WEEKS)
            )
        except ValueError:
            raise Refusal(400, "Dates are written YYYY-MM-DD.") from None
        if end < start:
            raise Refusal(400, "departureEndDate is before departureStartDate.")
        routes = self.carriers.routes(scac, origin, destination, start, end)
        return _paginate(routes, call, "Next-Page-Cursor")

    def subscriptions(self, scac: str, call: Call, rest: list[str]) -> Reply:
        carriers = self.carriers
        if not rest:
            if call.method == "POST":
                return Reply(201, carriers.subscribe(scac, call.json()))
            if call.method == "GET":
                return _paginate(carriers.subscription_list(scac), call, "Next-Page")
            return error_reply(call.method, call.path, 405, "Use GET or POST.")
        if len(rest) != 1:
            return error_reply(call.method, call.path, 404, "No such resource.")
        if call.method == "GET":
            return Reply(200, carriers.subscription(scac, rest[0]))
        if call.method == "DELETE":
            carriers.unsubscribe(scac, rest[0])
            return Reply(204)
        return error_reply(call.method, call.path, 405, "Use GET or DELETE.")

    # --- the control API ----------------------------------------------------------------------

    def control(self, call: Call) -> Reply:
        carriers = self.carriers
        name = call.path.strip("/")
        scac = call.param("scac").upper()
        if call.method == "GET" and name == "requests":
            with carriers.lock:
                return Reply(200, list(carriers.requests.get(scac, [])))
        if call.method == "GET" and name == "bookings":
            return Reply(200, carriers.booking_list(scac))
        if call.method == "GET" and name == "config":
            return Reply(200, carriers.settings.__dict__)
        if call.method != "POST":
            return Reply(404, {"error": "unknown control call"})
        body = call.json() or {}
        if not isinstance(body, dict):
            raise Refusal(400, "The body must be a JSON object.")
        if name == "reset":
            carriers.reset()
        elif name == "config":
            with carriers.lock:
                carriers.settings.update(body)
        elif name == "faults":
            carriers.add_fault(body)
        elif name == "expire-tokens":
            carriers.expire_tokens()
        elif name == "advance":
            scac = str(body.get("scac") or "").upper()
            if not carriers.knows(scac):
                raise Refusal(400, f"Unknown carrier {scac!r}.")
            return Reply(200, carriers.advance(scac, body.get("carrierBookingReference")))
        elif name == "schedules":
            carriers.change_schedule(body)
        else:
            return Reply(404, {"error": "unknown control call"})
        return Reply(200, {"ok": True})

    # --- dispatch -----------------------------------------------------------------------------

    def dispatch(self, method: str, target: str, headers: Any, raw: bytes) -> tuple[Reply, str]:
        """The reply and the SCAC it was made for ("" for the control API)."""
        split = urlsplit(target)
        query = parse_qs(split.query, keep_blank_values=True)
        segments = split.path.split("/", 2)  # "", first, rest
        first = segments[1] if len(segments) > 1 else ""
        rest = "/" + segments[2] if len(segments) > 2 else "/"
        if first == "_sim":
            call = Call(method, rest, query, headers, raw)
            try:
                return self.control(call), ""
            except (Refusal, ValueError, TypeError, KeyError) as error:
                message = error.message if isinstance(error, Refusal) else str(error)
                return Reply(400, {"error": message}), ""
        scac = first.upper()
        if not self.carriers.knows(scac):
            return error_reply(method, split.path, 404, f"No carrier {first!r} here."), ""
        call = Call(method, rest, query, headers, raw)
        fault = self.carriers.take_fault(scac, method, rest)
        if fault and fault["kind"] == "drop":
            reply = Reply(0, drop=True)
        elif fault and fault["kind"] == "status":
            extra = {"Retry-After": str(fault["retry_after"])} if fault["retry_after"] else {}
            reply = error_reply(method, rest, fault["status"], "Fault injected.", **extra)
        else:
            try:
                reply = self.carrier_call(scac, call)
            except Refusal as refusal:
                reply = error_reply(method, rest, refusal.status, refusal.message)
            if fault:  # timeout_after_receipt: the call took effect, the answer never comes
                reply = Reply(0, drop=True, hold_seconds=fault["hold_seconds"])
        self._log(scac, call, reply)
        return reply, scac

    def _log(self, scac: str, call: Call, reply: Reply) -> None:
        if call.path == "/oauth2/token":
            form = dict(parse_qsl(call.raw.decode("latin-1")))
            body: Any = {k: form[k] for k in ("grant_type", "client_id", "scope") if k in form}
        else:
            try:
                body = json.loads(call.raw) if call.raw else None
            except ValueError:
                body = call.raw.decode("utf-8", "replace")[:2000]
        self.carriers.record(
            scac,
            {
                "method": call.method,
                "path": call.path,
                "query": {k: v[0] if len(v) == 1 else v for k, v in call.query.items()},
                "status": reply.status,
                "body": body,
                "api_version": call.headers.get("API-Version", ""),
                "at": iso(datetime.now(UTC)),
            },
        )


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: CarrierServer

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        reply, _scac = self.server.router.dispatch(self.command, self.path, self.headers, raw)
        if reply.drop:
            if reply.hold_seconds:
                time.sleep(reply.hold_seconds)
            self.close_connection = True
            log.info("%s %s dropped", self.command, self.path)
            return
        if reply.body is JSON_NULL:
            payload = b"null"
        else:
            payload = b"" if reply.body is None else json.dumps(reply.body).encode()
        self.send_response(reply.status)
        if payload:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        for prefix, version in API_VERSIONS.items():
            if prefix in self.path:
                self.send_header("API-Version", version)
                break
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        if payload:
            self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve  # noqa: N815

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        log.info("%s %s", self.address_string(), format % args)


class CarrierServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], carriers: Carriers) -> None:
        super().__init__(address, Handler)
        self.router = Router(carriers)
        host, port = self.server_address[:2]
        carriers.base_url = f"http://{host}:{port}"
        self._ticker = threading.Thread(target=self._tick, args=(carriers,), daemon=True)
        self._ticker.start()

    @staticmethod
    def _tick(carriers: Carriers) -> None:
        while True:
            time.sleep(0.2)
            try:
                carriers.tick()
            except Exception:  # a broken tick must not stop time
                log.exception("tick failed")
