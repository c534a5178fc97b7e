"""``manage.py carrier_check SCAC``: is the connection to a carrier set up and working?

Fetches a token and one page of point-to-point routes (Commercial Schedules) for the first
active lane, or USLAX → CNSHA, and prints one line: ``OK`` with what came back, or ``FAIL`` and
what went wrong (a missing variable, the credentials refused, the host unreachable, the status
the carrier answered). Exit code 0 or 1. Nothing secret is printed, and the carrier's
connection health (its circuit breaker) is left as it was."""

from __future__ import annotations

import time
from datetime import timedelta
from urllib.parse import urlsplit

import httpx
from django.core.management.base import BaseCommand
from django.utils import timezone

from shipping.carriers.http import (
    CarrierApi,
    CarrierClient,
    CarrierConnection,
    carrier_connection,
)
from shipping.errors import CarrierAuthFailed, CarrierRefused, CarrierUnavailable
from shipping.models import Lane

DEFAULT_LANE = ("USLAX", "CNSHA")
ROUTES_PATH = "/v1/point-to-point-routes"


class CheckFailed(Exception):
    pass


def _missing_variables(connection: CarrierConnection) -> list[str]:
    scac = connection.scac
    missing = []
    if not connection.api_url:
        missing.append(f"CARRIER_{scac}_API_URL")
    if connection.token_url:
        if not connection.client_id:
            missing.append(f"CARRIER_{scac}_CLIENT_ID")
        if not connection.client_secret:
            missing.append(f"CARRIER_{scac}_CLIENT_SECRET")
    return missing


def _lane() -> tuple[str, str]:
    lane = (
        Lane.objects.filter(is_active=True)
        .select_related("port_of_loading", "port_of_discharge")
        .first()
    )
    if lane is None:
        return DEFAULT_LANE
    return lane.port_of_loading.un_locode, lane.port_of_discharge.un_locode


def _unreachable(error: CarrierUnavailable, url: str) -> str:
    """Why a call never got an answer, naming the host (never the credentials)."""
    cause = error.__cause__
    parts = urlsplit(url)
    host = parts.hostname or url
    if parts.port:
        host = f"{host}:{parts.port}"
    if isinstance(cause, httpx.TimeoutException):
        return f"{host} did not answer in time ({type(cause).__name__})"
    if isinstance(cause, httpx.TransportError):
        return f"{host} is unreachable ({type(cause).__name__}: {cause})"
    return str(error)


def check(scac: str) -> str:
    """The ``OK …`` line for a working connection; raises CheckFailed with the ``FAIL …`` one."""
    connection = carrier_connection(scac)
    scac = connection.scac
    if missing := _missing_variables(connection):
        raise CheckFailed(f"FAIL {scac}: {', '.join(missing)} not set")
    client = CarrierClient(connection, breaker=False)
    started = time.monotonic()
    try:
        token = client.access_token(renew=True)
    except CarrierAuthFailed as error:
        raise CheckFailed(f"FAIL {scac}: token refused: {client.redact(str(error))}") from error
    except CarrierUnavailable as error:
        reason = _unreachable(error, connection.token_url)
        raise CheckFailed(f"FAIL {scac}: token: {client.redact(reason)}") from error
    token_seconds = time.monotonic() - started
    origin, destination = _lane()
    today = timezone.localdate()
    params = {
        "placeOfReceipt": origin,
        "placeOfDelivery": destination,
        "departureStartDate": today.isoformat(),
        "departureEndDate": (today + timedelta(weeks=6)).isoformat(),
        "limit": 20,
    }
    started = time.monotonic()
    try:
        response = client.get(ROUTES_PATH, api=CarrierApi.SCHEDULES, params=params)
    except CarrierRefused as error:
        raise CheckFailed(f"FAIL {scac}: {client.redact(str(error))[:300]}") from error
    except CarrierUnavailable as error:
        reason = _unreachable(error, connection.base_url(CarrierApi.SCHEDULES))
        raise CheckFailed(f"FAIL {scac}: schedules: {client.redact(reason)}") from error
    routes_seconds = time.monotonic() - started
    routes = response.body if isinstance(response.body, list) else []
    more = any(name.lower() == "next-page-cursor" for name in response.headers)
    return (
        f"OK {scac}: token {'received' if token else 'not needed'} in {token_seconds:.2f}s; "
        f"{len(routes)} point-to-point routes {origin}->{destination} in {routes_seconds:.2f}s"
        f"{' (more pages)' if more else ''}"
    )


class Command(BaseCommand):
    help = (
        "Check the connection to a carrier: a token and one page of point-to-point routes. "
        "Prints one line, OK or FAIL; exit code 0 or 1."
    )

    def add_arguments(self, parser):
        parser.add_argument("scac", help="The carrier's SCAC, e.g. MAEU.")

    def handle(self, *args, scac: str, **options):
        try:
            line = check(scac)
        except CheckFailed as failure:
            self.stdout.write(str(failure))
            raise SystemExit(1) from None
        self.stdout.write(line)
