"""The carrier process (``python -m carriersim``) as pytest fixtures.

``carrier_process``: one process per test session (per xdist worker), on a free port, stopped
when the session ends. ``carrier_server``: the same process, reset for one test, answering at
once, accepting everything and never failing, with the network's ``CARRIER_<SCAC>_*``
environment pointing at it for MAEU and CMDU::

    def test_booking_confirmed(carrier_server, ...):
        carrier_server.config(delay=3600)          # a slow carrier
        ...
        carrier_server.advance("MAEU")             # it decides now
        assert carrier_server.bookings("MAEU")[0]["bookingStatus"] == "CONFIRMED"
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

SCACS = ("MAEU", "CMDU")
# One client id per test process: each xdist worker has a carrier process of its own, and the
# network caches its tokens in the shared Redis under the client id.
CLIENT_ID = f"network-tests-{os.getpid()}"
CLIENT_SECRET = "carrier-tests-client-secret"  # noqa: S105 - a test credential
LISTENING = re.compile(r"carrier simulator listening on (http://\S+)")
START_SECONDS = 20

# What a test gets unless it says otherwise: decisions at once, no rejection, no failure,
# tracking events only when advanced.
QUIET = {"delay": 0, "rejection_rate": 0, "failure_rate": 0, "event_interval": 0}


def _notification_secret() -> str:
    from tests.shipping.factories import NOTIFICATION_SECRET

    return NOTIFICATION_SECRET


def credentials_env() -> dict[str, str]:
    """The credentials the process accepts, and the network uses, for every carrier."""
    env = {}
    for scac in SCACS:
        env[f"CARRIER_{scac}_CLIENT_ID"] = CLIENT_ID
        env[f"CARRIER_{scac}_CLIENT_SECRET"] = CLIENT_SECRET
        env[f"CARRIER_{scac}_NOTIFICATION_SECRET"] = _notification_secret()
    return env


class CarrierProcess:
    """A running ``python -m carriersim`` and its control API."""

    def __init__(self, base_url: str, log_path: Path) -> None:
        self.base_url = base_url
        self.log_path = log_path
        self.http = httpx.Client(base_url=base_url, timeout=10)

    def url(self, scac: str) -> str:
        return f"{self.base_url}/{scac.upper()}"

    def token_url(self, scac: str) -> str:
        return f"{self.url(scac)}/oauth2/token"

    def _control(self, name: str, body: dict | None = None):
        response = self.http.post(f"/_sim/{name}", json=body or {})
        assert response.status_code == 200, f"/_sim/{name}: {response.text}"
        return response.json()

    def reset(self) -> None:
        self._control("reset")

    def config(self, **values) -> None:
        """Change delay, rejection_rate, failure_rate, event_interval (or booking_callback)."""
        self._control("config", values)

    def fault(self, **fault) -> None:
        """Make the next call(s) matching scac/method/path fail: kind "status" (with status,
        retry_after), "timeout_after_receipt" (hold_seconds) or "drop"; count calls."""
        self._control("faults", fault)

    def expire_tokens(self) -> None:
        self._control("expire-tokens")

    def advance(self, scac: str, reference: str | None = None) -> dict:
        body: dict = {"scac": scac}
        if reference:
            body["carrierBookingReference"] = reference
        return self._control("advance", body)

    def change_schedule(self, **change) -> None:
        """``scac`` with ``voyage`` and ``etd_shift_hours``, or with ``omit_voyage``."""
        self._control("schedules", change)

    def requests(self, scac: str) -> list[dict]:
        return self.http.get("/_sim/requests", params={"scac": scac}).json()

    def bookings(self, scac: str) -> list[dict]:
        return self.http.get("/_sim/bookings", params={"scac": scac}).json()

    def network_env(self) -> dict[str, str]:
        """The ``CARRIER_<SCAC>_*`` variables that point the network at this process."""
        env = credentials_env()
        for scac in SCACS:
            env[f"CARRIER_{scac}_API_URL"] = self.url(scac)
            env[f"CARRIER_{scac}_TOKEN_URL"] = self.token_url(scac)
        return env


def start_carrier_process(log_path: Path, *extra: str) -> tuple[subprocess.Popen, str]:
    """Start the process on a free port; its URL once it listens."""
    env = {**os.environ, **credentials_env(), "PYTHONUNBUFFERED": "1"}
    command = [sys.executable, "-m", "carriersim", "--host", "127.0.0.1", "--port", "0"]
    command += ["--carriers", ",".join(SCACS), "--seed", "tests", *extra]
    log = log_path.open("w")
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
        command,
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
        cwd=Path(__file__).resolve().parents[1],
    )
    log.close()
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if found := LISTENING.search(log_path.read_text()):
            return process, found.group(1)
        if process.poll() is not None:
            break
        time.sleep(0.05)
    process.kill()
    raise RuntimeError(f"the carrier process did not start:\n{log_path.read_text()[-2000:]}")


@pytest.fixture(scope="session")
def carrier_process(tmp_path_factory):
    """One carrier process for this session (each xdist worker has its own)."""
    log_path = tmp_path_factory.mktemp("carriers") / "carriers.log"
    process, base_url = start_carrier_process(log_path)
    running = CarrierProcess(base_url, log_path)
    yield running
    running.http.close()
    process.kill()
    process.wait(timeout=10)


def _forget_cached_tokens() -> None:
    """Tokens the network cached from an earlier test's process state are not reused."""
    from django.core.cache import cache

    from shipping.carriers.http import CarrierClient, carrier_connection

    for scac in SCACS:
        cache.delete(CarrierClient(carrier_connection(scac))._token_cache_key())


@pytest.fixture
def carrier_server(carrier_process, monkeypatch):
    """The carrier process, reset and quiet, with the network configured to use it."""
    carrier_process.reset()
    carrier_process.config(**QUIET)
    for name, value in carrier_process.network_env().items():
        monkeypatch.setenv(name, value)
    _forget_cached_tokens()
    yield carrier_process
    _forget_cached_tokens()
