"""What the carrier process's tests share: an authorised client per carrier, a valid booking
request, and a local server that receives the process's pushes."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from tests.carrier_process import CLIENT_ID, CLIENT_SECRET


class CarrierApi:
    """httpx against one simulated carrier, with a bearer token."""

    def __init__(self, server, scac: str) -> None:
        self.scac = scac
        self.server = server
        self.http = httpx.Client(base_url=server.url(scac), timeout=10)
        self.token = self.fetch_token()

    def fetch_token(self) -> str:
        response = self.http.post(
            "/oauth2/token",
            data={
                "grant_type": "client_credentials",
                "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET,
            },
        )
        assert response.status_code == 200, response.text
        return response.json()["access_token"]

    def call(self, method: str, path: str, **kwargs) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.token}", **kwargs.pop("headers", {})}
        return self.http.request(method, path, headers=headers, **kwargs)

    def book(self, body: dict) -> str:
        response = self.call("POST", "/v2/bookings", json=body)
        assert response.status_code == 202, response.text
        return response.json()["carrierBookingRequestReference"]

    def booking(self, reference: str) -> dict:
        response = self.call("GET", f"/v2/bookings/{reference}")
        assert response.status_code == 200, response.text
        return response.json()


@pytest.fixture
def maersk(carrier_server):
    api = CarrierApi(carrier_server, "MAEU")
    yield api
    api.http.close()


def create_booking(*, units: int = 1, departure: str = "2030-03-02") -> dict:
    """A DCSA CreateBooking for one lane, as the network sends it."""
    weight = {"value": 18000 * units, "unit": "KGM"}
    contact = {"name": "Dana Whitfield", "email": "dana@maple.example"}
    return {
        "receiptTypeAtOrigin": "CY",
        "deliveryTypeAtDestination": "CY",
        "cargoMovementTypeAtOrigin": "FCL",
        "cargoMovementTypeAtDestination": "FCL",
        "serviceContractReference": "SC-2030-001",
        "freightPaymentTermCode": "PRE",
        "vessel": {"name": "Maersk Elba", "vesselIMONumber": "9456771"},
        "carrierServiceCode": "TP6",
        "carrierExportVoyageNumber": "3009AE",
        "expectedDepartureDate": departure,
        "carrierCode": "MAEU",
        "carrierCodeListProvider": "NMFTA",
        "isPartialLoadAllowed": False,
        "isExportDeclarationRequired": True,
        "bookingChannelReference": "BK-2030-000123",
        "isEquipmentSubstitutionAllowed": False,
        "references": [{"type": "CR", "value": "BK-2030-000123"}],
        "documentParties": {
            "bookingAgent": {
                "partyName": "Global US Merchants Network",
                "partyContactDetails": [contact],
            },
            "shipper": {"partyName": "Great Lakes Maple Co."},
            "consignee": {"partyName": "Shanghai Sweet Foods Ltd."},
        },
        "partyContactDetails": [contact],
        "shipmentLocations": [
            {"location": {"UNLocationCode": "USLAX"}, "locationTypeCode": "POL"},
            {"location": {"UNLocationCode": "CNSHA"}, "locationTypeCode": "POD"},
        ],
        "requestedEquipments": [
            {
                "ISOEquipmentCode": "42G1",
                "units": units,
                "isShipperOwned": False,
                "cargoGrossWeight": weight,
                "commodities": [{"commodityType": "Maple syrup", "cargoGrossWeight": weight}],
            }
        ],
    }


class Receiver:
    """A local HTTP server recording every push: (path, headers, raw body)."""

    def __init__(self) -> None:
        received = self.received = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                received.append((self.path, dict(self.headers), raw))
                self.send_response(404 if self.path == "/missing" and len(received) <= 2 else 204)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait_for(self, count: int, *, seconds: float = 10) -> list[tuple[str, dict, bytes]]:
        """The first ``count`` pushes, once they have arrived."""
        deadline = time.monotonic() + seconds
        while len(self.received) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        assert len(self.received) >= count, f"{len(self.received)} pushes, wanted {count}"
        return self.received[:count]

    def bodies(self) -> list:
        return [json.loads(raw) for _path, _headers, raw in self.received]


@pytest.fixture
def receiver():
    receiving = Receiver()
    yield receiving
    receiving.server.shutdown()
    receiving.server.server_close()
