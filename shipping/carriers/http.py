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

import functools
import logging
import os
import random
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

import certifi
import httpx
from django.conf import settings
from django.core.cache import cache
from django.db.models import Case, F, QuerySet, Value, When
from django.utils import timezone

from shipping.errors import (
    CarrierAuthFailed,
    CarrierCircuitOpen,
    CarrierOutcomeUnknown,
    CarrierRefused,
    CarrierUnavailable,
)
from shipping.models import Carrier


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


# Methods the standards make safe to send again: a retry cannot create a second booking.
REPEATABLE_METHODS = frozenset({"GET", "HEAD", "PUT", "PATCH", "DELETE"})
# Answers to a request that was not safe to repeat which leave open whether the carrier acted
# on it (a gateway or the carrier timed out or failed behind the answer).
OUTCOME_UNKNOWN_STATUSES = frozenset({500, 502, 504})
# Transport failures that happen before any byte of the request reaches the carrier.
NOT_SENT_ERRORS = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)

logger = logging.getLogger("shipping.carriers")
sleep = time.sleep  # what waiting between attempts calls; tests replace it


def retry_after_seconds(value: str | None, *, now: datetime | None = None) -> float | None:
    """The wait a ``Retry-After`` header asks for (delay-seconds or an HTTP-date), or ``None``
    when it is absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max((moment - (now or timezone.now())).total_seconds(), 0.0)


class CarrierClient:
    """Calls one carrier's APIs: base URL, bearer token (renewed once on a 401), ``Consumer-Key``
    and ``API-Version`` headers, timeouts; answers 2xx/3xx as a ``CarrierResponse``, raises
    ``CarrierRefused`` for a 4xx and ``CarrierUnavailable`` when the carrier cannot be reached or
    answers 5xx/429.

    A request safe to repeat (``REPEATABLE_METHODS``, the token request) is tried again within
    the call after a 5xx, a 429 or a transport failure, waiting with exponential backoff and
    full jitter, or what ``Retry-After`` asks. Any other request (a new booking) is sent once:
    when it may have reached the carrier without an answer, ``CarrierOutcomeUnknown``.

    Each call's outcome is kept on the carrier's row (``Carrier.consecutive_failures`` …): after
    ``CARRIER_BREAKER_THRESHOLD`` failed calls in a row the carrier is not called for
    ``CARRIER_BREAKER_COOLDOWN`` seconds (``CarrierCircuitOpen``); then one trial call closes
    the circuit again or re-opens it."""

    def __init__(
        self,
        connection: CarrierConnection,
        *,
        http: httpx.Client | None = None,
        sleep: Callable[[float], object] | None = None,
        breaker: bool = True,
    ) -> None:
        self.connection = connection
        self.http = http or httpx.Client(verify=tls_context())
        self._sleep = sleep
        self.breaker = breaker

    def __repr__(self) -> str:
        return f"<CarrierClient {self.connection!r}>"

    # --- waiting and wording -------------------------------------------------------------------

    @staticmethod
    def _timeout() -> httpx.Timeout:
        return httpx.Timeout(
            float(settings.CARRIER_READ_TIMEOUT), connect=float(settings.CARRIER_CONNECT_TIMEOUT)
        )

    def _pause(self, seconds: float) -> None:
        (self._sleep or sleep)(seconds)

    @staticmethod
    def _backoff(attempt: int) -> float:
        """Full jitter: anywhere between nothing and the exponential step for ``attempt``."""
        step = float(settings.CARRIER_RETRY_BASE_SECONDS) * 2 ** (attempt - 1)
        return random.uniform(0, min(step, float(settings.CARRIER_RETRY_MAX_SECONDS)))  # noqa: S311

    def redact(self, text: str) -> str:
        """``text`` with every secret of the connection (and the cached token) blanked out."""
        connection = self.connection
        secrets = [
            connection.client_secret,
            connection.consumer_key,
            connection.notification_secret,
            str(cache.get(self._token_cache_key()) or ""),
        ]
        for secret in secrets:
            if len(secret) >= 4:
                text = text.replace(secret, "[secret]")
        return text

    # --- one exchange, with retries ------------------------------------------------------------

    def _send(
        self, method: str, url: str, *, what: str, repeatable: bool, **kwargs: Any
    ) -> httpx.Response:
        """Send one request, again while it is safe to and the carrier is failing; the answer
        (2xx–4xx) or ``CarrierUnavailable``."""
        scac = self.connection.scac
        attempts = max(int(settings.CARRIER_RETRY_ATTEMPTS), 1) if repeatable else 1
        attempt = 0
        while True:
            attempt += 1
            try:
                response = self.http.request(method, url, timeout=self._timeout(), **kwargs)
            except httpx.TransportError as error:
                problem = f"{scac}: {what} failed ({type(error).__name__})"
                if attempt < attempts:
                    wait = self._backoff(attempt)
                    logger.warning(
                        "%s; attempt %s of %s, again in %.1fs", problem, attempt, attempts, wait
                    )
                    self._pause(wait)
                    continue
                if not repeatable and not isinstance(error, NOT_SENT_ERRORS):
                    raise CarrierOutcomeUnknown(
                        f"{problem}: the carrier may have received it"
                    ) from error
                raise CarrierUnavailable(problem) from error
            status = response.status_code
            if status < 500 and status != 429:
                return response
            problem = f"{scac}: {what} answered {status}"
            asked = retry_after_seconds(response.headers.get("Retry-After"))
            if attempt < attempts:
                wait = self._backoff(attempt) if asked is None else asked
                if wait <= float(settings.CARRIER_RETRY_AFTER_MAX_SECONDS):
                    logger.warning(
                        "%s; attempt %s of %s, again in %.1fs", problem, attempt, attempts, wait
                    )
                    self._pause(wait)
                    continue
                problem += f" and asks to wait {asked:.0f}s"
            if not repeatable and status in OUTCOME_UNKNOWN_STATUSES:
                raise CarrierOutcomeUnknown(f"{problem}: the carrier may have received it")
            raise CarrierUnavailable(problem)

    # --- token -------------------------------------------------------------------------------

    def _token_cache_key(self) -> str:
        return f"carrier-token:{self.connection.scac}:{self.connection.client_id}"

    def access_token(self, *, renew: bool = False) -> str:
        """The OAuth 2.0 client-credentials token, cached until shortly before it expires.

        Raises CarrierAuthFailed when the token endpoint refuses the credentials."""
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
        # Asking for a token twice creates nothing at the carrier: safe to repeat.
        response = self._send(
            "POST",
            connection.token_url,
            what="the token request",
            repeatable=True,
            data=form,
            headers=headers,
        )
        if response.status_code >= 400:
            raise CarrierAuthFailed(
                f"{connection.scac}: the token endpoint refused the credentials "
                f"({response.status_code}); check {_variable(connection.scac, 'CLIENT_ID')} "
                f"and {_variable(connection.scac, 'CLIENT_SECRET')}"
            )
        try:
            data = response.json()
        except ValueError:
            data = {}
        token = str(data.get("access_token") or "") if isinstance(data, dict) else ""
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
        method = method.upper()
        self._admit()
        try:
            response = self._exchange(method, path, api=api, json=json, params=params)
        except CarrierUnavailable as error:
            message = self.redact(str(error))
            self._record_failure(message)
            logger.warning("%s", message)
            if message != str(error):
                raise type(error)(message) from None
            raise
        self._record_success()
        body: Any = None
        if response.content:
            try:
                body = response.json()
            except ValueError:
                body = None
        if response.status_code >= 400:
            detail = str(body)[:200] if body is not None else ""
            raise CarrierRefused(
                self.redact(
                    f"{connection.scac} refused {method} {path} ({response.status_code}): {detail}"
                )
            )
        return CarrierResponse(
            status=response.status_code, body=body, headers=dict(response.headers)
        )

    def _exchange(
        self, method: str, path: str, *, api: CarrierApi, json: Any, params: dict[str, Any] | None
    ) -> httpx.Response:
        connection = self.connection
        url = connection.base_url(api) + path
        renewed = False
        token = self.access_token()
        while True:
            headers = {"Accept": "application/json", "API-Version": API_MAJOR_VERSION[api]}
            if connection.consumer_key:
                headers["Consumer-Key"] = connection.consumer_key
            if token:
                headers["Authorization"] = f"Bearer {token}"
            response = self._send(
                method,
                url,
                what=f"{method} {path}",
                repeatable=method in REPEATABLE_METHODS,
                json=json,
                params=params,
                headers=headers,
            )
            if response.status_code != 401:
                return response
            if renewed or not connection.token_url:
                raise CarrierAuthFailed(
                    f"{connection.scac}: {method} {path} answered 401 with a fresh token"
                    if renewed
                    else f"{connection.scac}: {method} {path} answered 401"
                )
            # The token expired or was revoked early: a 401 means nothing was done, so the
            # request (even a new booking) goes once more with a new token.
            logger.info("%s: %s %s answered 401; renewing the token", connection.scac, method, path)
            token = self.access_token(renew=True)
            renewed = True

    # --- the circuit breaker -------------------------------------------------------------------

    def _carrier_rows(self) -> QuerySet[Carrier]:
        return Carrier.objects.filter(scac=self.connection.scac)

    def _admit(self) -> None:
        """Refuse at once while the carrier's circuit is open; once the cool-down is over, let
        exactly one call through as the trial (the others are refused until it ends)."""
        if not self.breaker:
            return
        now = timezone.now()
        open_until = self._carrier_rows().values_list("circuit_open_until", flat=True).first()
        if open_until is None:
            return
        if open_until <= now:
            cooldown = timedelta(seconds=float(settings.CARRIER_BREAKER_COOLDOWN))
            claimed = (
                self._carrier_rows()
                .filter(circuit_open_until=open_until)
                .update(circuit_open_until=now + cooldown)
            )
            if claimed:
                return
            open_until = now + cooldown
        raise CarrierCircuitOpen(
            f"{self.connection.scac}: calls are paused until "
            f"{open_until.astimezone(UTC):%H:%M:%S} UTC after repeated failures"
        )

    def _record_failure(self, message: str) -> None:
        if not self.breaker:
            return
        now = timezone.now()
        threshold = max(int(settings.CARRIER_BREAKER_THRESHOLD), 1)
        reopen = now + timedelta(seconds=float(settings.CARRIER_BREAKER_COOLDOWN))
        self._carrier_rows().update(
            consecutive_failures=F("consecutive_failures") + 1,
            last_error=message[:300],
            last_error_at=now,
            circuit_open_until=Case(
                When(consecutive_failures__gte=threshold - 1, then=Value(reopen)),
                default=F("circuit_open_until"),
            ),
        )

    def _record_success(self) -> None:
        if self.breaker:
            self._carrier_rows().update(
                consecutive_failures=0, circuit_open_until=None, last_success_at=timezone.now()
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


@functools.cache
def tls_context() -> ssl.SSLContext:
    """The process's one TLS context for carriers, with the authorities httpx would trust
    (``SSL_CERT_FILE`` or ``SSL_CERT_DIR`` when set, else certifi's): building one reads the
    whole bundle, about 20 ms of CPU that every call to a carrier paid when each client built
    its own. A context is safe to share between connections and threads."""
    if os.environ.get("SSL_CERT_FILE"):
        return ssl.create_default_context(cafile=os.environ["SSL_CERT_FILE"])
    if os.environ.get("SSL_CERT_DIR"):
        return ssl.create_default_context(capath=os.environ["SSL_CERT_DIR"])
    return ssl.create_default_context(cafile=certifi.where())


def client_for(carrier: Carrier | str) -> CarrierClient:
    """The HTTP client of ``carrier`` (a ``Carrier`` row or a SCAC)."""
    scac = carrier if isinstance(carrier, str) else carrier.scac
    return CarrierClient(carrier_connection(scac))
