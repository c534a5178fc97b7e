"""An API key's rate limit holds across processes on the real Redis: many processes and threads
sending at once with one key get exactly the limit through; past it the answer is 429 with an
accurate ``Retry-After``; with Redis unreachable each process still counts on its own."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from network.health import DegradingRedisCache
from network.models import Organization, Role
from network.services import api_key_create
from tests.factories import OrganizationFactory, member

ROOT = Path(__file__).resolve().parents[2]
PROCESSES = 4
THREADS = 6
ATTEMPTS = 8  # per thread: 4 × 6 × 8 = 192 requests against a limit of 20

# One process sending with one key from THREADS threads at once, as gunicorn's workers do; it
# starts when the test writes a line to its stdin and prints how many requests passed.
HAMMER = f"""
import sys, threading
import django

django.setup()
from network.api_auth import ApiKeyRateThrottle
from network.models import ApiKey


class Request:
    auth = ApiKey(pk=int(sys.argv[1]))


passed = []
ready = threading.Barrier({THREADS} + 1)


def send():
    ready.wait()
    passed.append(sum(ApiKeyRateThrottle().allow_request(Request, None) for _ in range({ATTEMPTS})))


threads = [threading.Thread(target=send) for _ in range({THREADS})]
for thread in threads:
    thread.start()
print("ready", flush=True)
sys.stdin.readline()
ready.wait()
for thread in threads:
    thread.join()
print(sum(passed), flush=True)
"""


def _real_redis_cache(settings, prefix: str) -> None:
    settings.CACHES = {
        "default": {
            "BACKEND": "network.health.DegradingRedisCache",
            "LOCATION": settings.REDIS_URL,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 2},
            "KEY_PREFIX": prefix,
        }
    }


@pytest.mark.concurrency
def test_concurrent_processes_with_one_key_get_exactly_the_limit_through(settings):
    prefix = f"rate-test-{uuid.uuid4().hex}"
    env = {
        **os.environ,
        "REDIS_URL": settings.REDIS_URL,
        "CACHE_KEY_PREFIX": prefix,
        "API_KEY_RATE": "20/min",
    }
    senders = [
        subprocess.Popen(
            [sys.executable, "-c", HAMMER, "7"],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(PROCESSES)
    ]
    try:
        for sender in senders:
            assert sender.stdout.readline().strip() == "ready"
        for sender in senders:
            sender.stdin.write("go\n")
            sender.stdin.flush()
        passed = [int(sender.communicate(timeout=120)[0].strip()) for sender in senders]
    finally:
        for sender in senders:
            if sender.poll() is None:
                sender.kill()
                sender.wait()
        DegradingRedisCache(settings.REDIS_URL, {"KEY_PREFIX": prefix}).delete_many(
            ["window:throttle:api_key:7", "throttle_api_key_7"]
        )
    assert sum(passed) == 20, passed


@pytest.mark.django_db
def test_past_the_limit_the_answer_is_429_with_the_seconds_until_one_passes(client, settings):
    _real_redis_cache(settings, f"rate-test-{uuid.uuid4().hex}")
    settings.API_KEY_RATE = "3/min"
    store = OrganizationFactory(name="Hangzhou Westlake Global Store", kind=Organization.Kind.BUYER)
    _key, raw = api_key_create(
        organization=store,
        name="Stock sync",
        scopes=["orders:read"],
        acting_user=member(store, Role.ADMIN),
    )

    def read():
        return client.get("/api/v1/orders/purchase-orders/", HTTP_AUTHORIZATION=f"Bearer {raw}")

    assert [read().status_code for _ in range(3)] == [200, 200, 200]
    refused = read()
    assert refused.status_code == 429
    assert refused.json()["code"] == "throttled"
    assert 1 <= int(refused["Retry-After"]) <= 60


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_with_redis_unreachable_each_process_counts_on_its_own(caplog):
    unreachable = DegradingRedisCache(
        f"redis://127.0.0.1:{_closed_port()}/0",
        {"OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1}},
    )
    key = f"outage-{uuid.uuid4().hex}"
    answers = [unreachable.sliding_window_hit(key, limit=2, period=60) for _ in range(3)]
    assert answers[:2] == [None, None]
    assert 59 < answers[2] <= 60
    assert "cache sliding_window_hit skipped: Redis is unreachable" in caplog.text
