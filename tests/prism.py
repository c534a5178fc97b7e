"""Stoplight Prism in front of a carrier: every request a test sends to it is checked against a
published DCSA standard (../shared/standards/), and so is every response the carrier gives.

    base_url = prism_proxy("dcsa-booking-2.0.5.yaml", "http://127.0.0.1:8123/MAEU")

starts ``prism proxy --errors`` for that standard and upstream (``prism mock --errors`` when the
upstream is ``None``), once per test process (each xdist worker has its own, on a free port), and
stops it when the run ends. Prism answers a request that breaks the standard with a 422 (a mock
with the standard's own 400) and a response that breaks it with a 500, both naming the violations
(``validation`` in the body, or the ``sl-violations`` header); any such answer to a request made
with httpx fails the test at once, with the violations in its message. Without the standards
folder beside the repository the test is skipped, saying where the standard was looked for.

Prism passes every header through to the upstream untouched (the Booking standard declares no
security scheme, so ``Authorization`` and ``Consumer-Key`` are neither checked nor removed). A
token endpoint is no part of the standards: point ``CARRIER_<SCAC>_TOKEN_URL`` at the carrier
itself, not at Prism."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

REPOSITORY = Path(__file__).resolve().parents[1]
STANDARDS_DIR = REPOSITORY.parent / "shared" / "standards"
PRISM = REPOSITORY / "node_modules" / ".bin" / "prism"

BOOKING_SPEC = "dcsa-booking-2.0.5.yaml"
SCHEDULES_SPEC = "dcsa-commercial-schedules-1.0.3.yaml"
TRACKING_SPEC = "dcsa-tnt-2.2.0.yaml"

# Prism reads and compiles the whole standard before it listens: 1.3 s to 2.8 s for each of the
# three standards on two cores (measured), several times that on a loaded machine.
START_DEADLINE_SECONDS = 60.0
_LISTENING = re.compile(r"Prism is listening on (http://\S+)")


def spec_path(spec_name: str) -> Path:
    """The standard ``spec_name``; skips the test when it is not beside the repository."""
    path = STANDARDS_DIR / spec_name
    if not path.is_file():
        pytest.skip(f"the standard {spec_name} is not at {path}")
    return path


@dataclass
class PrismServer:
    """One running ``prism proxy`` (or ``prism mock``) process."""

    spec_name: str
    upstream_url: str | None
    process: subprocess.Popen
    log_path: Path
    base_url: str
    started_in_seconds: float

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            # Prism was started in a process group of its own (node may fork): end all of it.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)


def start_prism(spec_name: str, upstream_url: str | None, *, log_dir: Path) -> PrismServer:
    """Start Prism for ``spec_name`` on a free port and return once it listens (or fail, with
    its output, if it exits or has not listened within ``START_DEADLINE_SECONDS``)."""
    path = spec_path(spec_name)
    if not PRISM.exists():
        pytest.fail(f"Prism is not installed at {PRISM}: run `npm install` in the repository")
    command = [str(PRISM), "proxy" if upstream_url else "mock", "--errors"]
    command += ["--host", "127.0.0.1", "--port", "0", str(path)]
    if upstream_url:
        command.append(upstream_url)
    log_path = log_dir / f"prism-{os.getpid()}-{len(list(log_dir.iterdir()))}.log"
    started = time.monotonic()
    with log_path.open("wb") as log_file:
        # Output goes to a file, never a pipe: Prism logs every request, and a pipe nobody
        # reads would fill up and stall it.
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env={**os.environ, "NO_COLOR": "1", "FORCE_COLOR": "0"},
        )
    deadline = started + START_DEADLINE_SECONDS
    while True:
        if match := _LISTENING.search(log_path.read_text(errors="replace")):
            return PrismServer(
                spec_name=spec_name,
                upstream_url=upstream_url,
                process=process,
                log_path=log_path,
                base_url=match.group(1).rstrip("/"),
                started_in_seconds=time.monotonic() - started,
            )
        if process.poll() is not None or time.monotonic() > deadline:
            server = PrismServer(spec_name, upstream_url, process, log_path, "", 0.0)
            server.stop()
            pytest.fail(
                f"Prism did not start for {spec_name} ({' '.join(command)}), "
                f"exit status {process.returncode}:\n{server.log()[-3000:]}"
            )
        time.sleep(0.05)


@dataclass
class PrismServers:
    """The Prism processes of this test process, one per standard and upstream, each started
    the first time a test asks for it."""

    log_dir: Path
    servers: dict[tuple[str, str | None], PrismServer] = field(default_factory=dict)

    def get(self, spec_name: str, upstream_url: str | None = None) -> PrismServer:
        key = (spec_name, upstream_url.rstrip("/") if upstream_url else None)
        server = self.servers.get(key)
        if server is None or server.process.poll() is not None:
            server = self.servers[key] = start_prism(*key, log_dir=self.log_dir)
        return server

    def stop_all(self) -> None:
        for server in self.servers.values():
            server.stop()
        self.servers.clear()


def prism_violations(response: httpx.Response) -> list[str]:
    """The violations Prism reports in ``response``: a 422 ("Invalid request") or 500
    ("Request/Response not valid") of its own, or the ``sl-violations`` header it adds to an
    answer it took from the standard's examples; empty when Prism found nothing wrong."""
    reported: list = []
    if header := response.headers.get("sl-violations"):
        with contextlib.suppress(ValueError):
            reported = json.loads(header)
    if not reported and response.headers.get("content-type", "").startswith(
        "application/problem+json"
    ):
        with contextlib.suppress(ValueError):
            problem = json.loads(response.read())
            if "stoplight.io/prism/errors" in str(problem.get("type", "")):
                reported = problem.get("validation") or [
                    {"location": [], "message": problem.get("detail", "")}
                ]
    return [
        f"{'.'.join(map(str, item.get('location', []))) or '(request)'}: {item.get('message')}"
        for item in reported
        if isinstance(item, dict)
    ]


@pytest.fixture(scope="session")
def prism_servers(tmp_path_factory):
    servers = PrismServers(log_dir=tmp_path_factory.mktemp("prism"))
    yield servers
    servers.stop_all()


@pytest.fixture
def prism_proxy(prism_servers, monkeypatch) -> Callable[..., str]:
    """``prism_proxy(spec_name, upstream_url=None) -> base_url``: the base URL of Prism
    validating against ``../shared/standards/<spec_name>``, proxying to ``upstream_url`` (or
    mocking the standard when it is ``None``). While the test runs, an answer in which Prism
    reports violations fails it."""
    watched: dict[str, str] = {}

    def proxy(spec_name: str, upstream_url: str | None = None) -> str:
        server = prism_servers.get(spec_name, upstream_url)
        watched[server.base_url] = spec_name
        return server.base_url

    original_send = httpx.Client.send

    def send(client, request, *args, **kwargs):
        response = original_send(client, request, *args, **kwargs)
        url = str(request.url)
        for base_url, spec_name in watched.items():
            if url.startswith(base_url + "/") and (violations := prism_violations(response)):
                pytest.fail(
                    f"Prism found {request.method} {url} not valid against {spec_name} "
                    f"(answered {response.status_code}):\n  " + "\n  ".join(violations),
                    pytrace=False,
                )
        return response

    monkeypatch.setattr(httpx.Client, "send", send)
    return proxy
