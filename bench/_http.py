"""HTTP load for the benchmarks: the app under gunicorn with several workers, and load from
separate client processes (never threads sharing the server's interpreter), so a figure is
what a client of the deployed app gets.

    with gunicorn(database_url, workers=4) as port:
        result = load(port, [Request("POST", "/api/v1/…", headers, body)] * 8, seconds=10)
        print(result.line("placement"))

A request's body and header values may hold ``{n}``: it is replaced by a number unique to the
request across all client processes (idempotency keys, references)."""

from __future__ import annotations

import contextlib
import http.client
import multiprocessing
import os
import socket
import subprocess
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from bench._common import ROOT


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    body: str = ""
    ok: tuple[int, ...] = (200, 201)


@dataclass
class LoadResult:
    seconds: float
    done: int
    failed: int
    latencies_ms: list[float]
    failures: list[str]

    @property
    def rate(self) -> float:
        return self.done / self.seconds if self.seconds else 0.0

    def percentile(self, fraction: float) -> float:
        ordered = sorted(self.latencies_ms)
        if not ordered:
            return 0.0
        return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]

    @classmethod
    def combined(cls, results: Sequence[LoadResult]) -> LoadResult:
        """The figures of several runs (rounds of one workload) as one."""
        return cls(
            seconds=sum(r.seconds for r in results),
            done=sum(r.done for r in results),
            failed=sum(r.failed for r in results),
            latencies_ms=[ms for r in results for ms in r.latencies_ms],
            failures=[text for r in results for text in r.failures],
        )

    def line(self, name: str) -> str:
        text = (
            f"{name}: {self.rate:.1f}/s ({self.done} in {self.seconds:.1f} s), "
            f"p50 {self.percentile(0.5):.1f} ms, p95 {self.percentile(0.95):.1f} ms"
        )
        if self.failed:
            text += f", {self.failed} failed (first: {self.failures[0][:300]})"
        return text


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def gunicorn(
    database_url: str,
    *,
    workers: int,
    app: str = "network.wsgi:application",
    environ: dict[str, str] | None = None,
) -> Iterator[int]:
    """The app under gunicorn on a free port (yielded) with ``workers`` sync workers, its
    settings from this process's environment plus ``database_url`` and ``environ``."""
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DJANGO_DEBUG": "false",
        "PYTHONPATH": str(ROOT),
        "LOG_LEVEL": "WARNING",
        **(environ or {}),
    }
    command = [str(ROOT / ".venv/bin/gunicorn"), app, "--bind", f"127.0.0.1:{port}"]
    command += ["--workers", str(workers), "--log-level", "warning", "--keep-alive", "30"]
    server = subprocess.Popen(command, cwd=ROOT, env=env)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("gunicorn did not start") from None
                time.sleep(0.2)
        yield port
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()


def _client(port: int, request: Request, index: int, clients: int, start: float, stop: float):
    """One client process: send ``request`` back to back on one keep-alive connection from
    ``start`` until ``stop`` (monotonic clock); (done, failed, latencies, first failures)."""
    while time.monotonic() < start:
        time.sleep(0.001)
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    done, failed, latencies, failures, n = 0, 0, [], [], index
    while time.monotonic() < stop:
        body = request.body.replace("{n}", str(n))
        headers = {key: value.replace("{n}", str(n)) for key, value in request.headers.items()}
        if body:
            headers.setdefault("Content-Type", "application/json")
        n += clients
        sent = time.monotonic()
        try:
            connection.request(request.method, request.path, body=body or None, headers=headers)
            response = connection.getresponse()
            payload = response.read()
        except (OSError, http.client.HTTPException) as error:
            failed += 1
            failures.append(f"{type(error).__name__}: {error}")
            connection.close()
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            continue
        if response.status in request.ok:
            done += 1
            latencies.append((time.monotonic() - sent) * 1000)
        else:
            failed += 1
            failures.append(f"{response.status} {payload[:300]!r}")
        del failures[10:]  # the first few say what went wrong
    connection.close()
    return done, failed, latencies, failures


def _started(barrier) -> None:
    barrier.wait()


def load(port: int, requests: Sequence[Request], *, seconds: float) -> LoadResult:
    """One client process per request, all sending for ``seconds``; their figures summed."""
    context = multiprocessing.get_context("spawn")
    clients = len(requests)
    # Every process up before the clock starts: on a busy machine starting one takes seconds.
    started = context.Barrier(clients + 1)
    with context.Pool(clients, initializer=_started, initargs=(started,)) as pool:
        started.wait()
        start = time.monotonic() + 0.2
        results = pool.starmap(
            _client,
            [(port, r, i, clients, start, start + seconds) for i, r in enumerate(requests)],
        )
    latencies = [ms for _d, _f, values, _t in results for ms in values]
    failures = [text for _d, _f, _l, values in results for text in values]
    return LoadResult(
        seconds=seconds,
        done=sum(done for done, _f, _l, _t in results),
        failed=sum(failed for _d, failed, _l, _t in results),
        latencies_ms=latencies,
        failures=failures,
    )
