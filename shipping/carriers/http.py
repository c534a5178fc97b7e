"""The HTTP connection to a carrier's DCSA APIs (Booking 2, Commercial Schedules 1, Track &
Trace 2), configured per carrier from the environment at call time:

    CARRIER_<SCAC>_API_URL          base URL of the carrier's APIs (required to go live)
    CARRIER_<SCAC>_SCHEDULES_URL    base URL of Commercial Schedules, if hosted elsewhere
    CARRIER_<SCAC>_TRACKING_URL     base URL of Track & Trace, if hosted elsewhere
    CARRIER_<SCAC>_TOKEN_URL        OAuth 2.0 token endpoint (client credentials)
    CARRIER_<SCAC>_CLIENT_ID        OAuth client id
    CARRIER_<SCAC>_CLIENT_SECRET    OAuth client secret            (or …_CLIENT_SECRET_FILE)
    CARRIER_<SCAC>_SCOPE            OAuth scope, if the carrier wants one
    CARRIER_<SCAC>_CONSUMER_KEY     Maersk's Consumer-Key header   (or …_CONSUMER_KEY_FILE)
    CARRIER_<SCAC>_NOTIFICATION_SECRET  signs the booking notifications the carrier pushes
                                        (or …_NOTIFICATION_SECRET_FILE)

Every secret may instead be read from the file named by the same variable with ``_FILE``
appended (a mounted secret). Secrets never appear in a log line, an error or a ``repr``."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

import httpx
from django.core.cache import cache

from shipping.errors import CarrierRefused, CarrierUnavailable


class CarrierApi(StrEnum):
    BOOKING = "booking"
    SCHEDULES = "schedules"
    TRACKING = "tracking"


# The major version each API is spoken in, sent as the ``API-Version`` header.
API_MAJOR_VERSION = {CarrierApi.BOOKING: "2", CarrierApi.SCHEDULES: "1", CarrierApi.TRACKING: "2"}


def _variable(scac: str, name: str) -> str:
    return f"CARRIER_{scac.upper()}_{name}"


def carrier_setting(scac: str, name: str) -> str:
    """``CARRIER_<SCAC>_<NAME>`` from the environment, or the content of the file named by
    ``CARRIER_<SCAC>_<NAME>_FILE``; empty when neither is set."""
    variable = _variable(scac, name)
    value = os.environ.get(variable, "").strip()
    if value:
        return value
    path = os.environ.get(f"{variable}_FILE", "").strip()
    if not path:
        return ""
    try:
        return Path(path).read_text().strip()
    except OSError as error:
        raise CarrierUnavailable(
            f"{variable}_FILE names {path}, which cannot be read ({error.strerror})."
        ) from error


@dataclass(frozen=True)
class CarrierConnection:
    """Where and how to reach one carrier. Secrets are kept out of ``repr``."""

    scac: str
    api_url: str = ""
    schedules_url: str = ""
    tracking_url: str = ""
    token_url: str = ""
    client_id: str = ""
    scope: str = ""
    client_secret: str = field(default="", repr=False)
    consumer_key: str = field(default="", repr=False)
    notification_secret: str = field(default="", repr=False)

    @property
    def configured(self) -> bool:
        return bool(self.api_url)

    def base_url(self, api: CarrierApi) -> str:
        specific = {
            CarrierApi.SCHEDULES: self.schedules_url,
            CarrierApi.TRACKING: self.tracking_url,
        }.get(api)
        return (specific or self.api_url).rstrip("/")


def carrier_connection(scac: str) -> CarrierConnection:
    """The connection settings of the carrier ``scac``, read from the environment now."""

    def get(name: str) -> str:
        return carrier_setting(scac, name)

    return CarrierConnection(
        scac=scac.upper(),
        api_url=get("API_URL"),
        schedules_url=get("SCHEDULES_URL"),
        tracking_url=get("TRACKING_URL"),
        token_url=get("TOKEN_URL"),
        client_id=get("CLIENT_ID"),
        scope=get("SCOPE"),
        client_secret=get("CLIENT_SECRET"),
        consumer_key=get("CONSUMER_KEY"),
        notification_secret=get("NOTIFICATION_SECRET"),
    )


@dataclass(frozen=True)
class CarrierResponse:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


CONNECT_TIMEOUT_SECONDS = float(os.environ.get("CARRIER_CONNECT_TIMEOUT") or "5")
READ_TIMEOUT_SECONDS = float(os.environ.get("CARRIER_READ_TIMEOUT") or "20")


class CarrierClient:
    """Calls one carrier's APIs: base URL, bearer token, ``Consumer-Key`` and ``API-Version``
    headers, timeouts; answers 2xx/3xx as a ``CarrierResponse``, raises ``CarrierRefused`` for
    a 4xx and ``CarrierUnavailable`` when the carrier cannot be reached or answers 5xx/429."""

    def __init__(
        self,
        connection: CarrierConnection,
        *,
        http: httpx.Client | None = None,
    ) -> None:
        self.connection = connection
        self.http = http or httpx.Client(
            timeout=httpx.Timeout(READ_TIMEOUT_SECONDS, connect=CONNECT_TIMEOUT_SECONDS)
        )

    # --- token -------------------------------------------------------------------------------

    def _token_cache_key(self) -> str:
        return f"carrier-token:{self.connection.scac}:{self.connection.client_id}"

    def access_token(self, *, renew: bool = False) -> str:
        """The OAuth 2.0 client-credentials token, cached until shortly before it expires."""
        connection = self.connection
        if not connection.token_url:
            return ""
        key = self._token_cache_key()
        if not renew and (token := cache.get(key)):
            return str(token)
        form = {"grant_type": "client_credentials", "client_id": connection.client_id}
        form["client_secret"] = connection.client_secret
        if connection.scope:
            form["scope"] = connection.scope
        headers = {"Accept": "application/json"}
        if connection.consumer_key:
            headers["Consumer-Key"] = connection.consumer_key
        try:
            response = self.http.post(connection.token_url, data=form, headers=headers)
        except httpx.HTTPError as error:
            raise CarrierUnavailable(
                f"{connection.scac}: the token endpoint cannot be reached ({type(error).__name__})"
            ) from error
        if response.status_code >= 500 or response.status_code == 429:
            raise CarrierUnavailable(
                f"{connection.scac}: the token endpoint answered {response.status_code}"
            )
        if response.status_code >= 400:
            raise CarrierRefused(
                f"{connection.scac}: the token endpoint refused the credentials "
                f"({response.status_code})"
            )
        data = response.json()
        token = str(data.get("access_token") or "")
        if not token:
            raise CarrierUnavailable(f"{connection.scac}: the token endpoint sent no access_token")
        expires_in = int(data.get("expires_in") or 300)
        cache.set(key, token, timeout=max(expires_in - 30, 1))
        return token

    # --- calls -------------------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        *,
        api: CarrierApi = CarrierApi.BOOKING,
        json: Any = None,
        params: dict[str, Any] | None = None,
    ) -> CarrierResponse:
        connection = self.connection
        if not connection.configured:
            raise CarrierUnavailable(
                f"No connection is configured for {connection.scac}: set "
                f"{_variable(connection.scac, 'API_URL')}."
            )
        headers = {"Accept": "application/json", "API-Version": API_MAJOR_VERSION[api]}
        if connection.consumer_key:
            headers["Consumer-Key"] = connection.consumer_key
        if token := self.access_token():
            headers["Authorization"] = f"Bearer {token}"
        url = connection.base_url(api) + path
        try:
            response = self.http.request(method, url, json=json, params=params, headers=headers)
        except httpx.HTTPError as error:
            raise CarrierUnavailable(
                f"{connection.scac}: {method} {path} failed ({type(error).__name__})"
            ) from error
        body: Any = None
        if response.content:
            try:
                body = response.json()
            except ValueError:
                body = None
        if response.status_code >= 500 or response.status_code == 429:
            raise CarrierUnavailable(
                f"{connection.scac}: {method} {path} answered {response.status_code}"
            )
        if response.status_code >= 400:
            detail = str(body)[:200] if body is not None else ""
            raise CarrierRefused(
                f"{connection.scac} refused {method} {path} ({response.status_code}): {detail}"
            )
        return CarrierResponse(
            status=response.status_code, body=body, headers=dict(response.headers)
        )

    def get(self, path: str, **kwargs: Any) -> CarrierResponse:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> CarrierResponse:
        return self.request("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> CarrierResponse:
        return self.request("PUT", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> CarrierResponse:
        return self.request("PATCH", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> CarrierResponse:
        return self.request("DELETE", path, **kwargs)


def client_for(carrier) -> CarrierClient:
    """The HTTP client of ``carrier`` (a ``Carrier`` row or a SCAC)."""
    scac = carrier if isinstance(carrier, str) else carrier.scac
    return CarrierClient(carrier_connection(scac))
