"""``/metrics`` for Prometheus: HTTP requests, Celery tasks and queue depths.

HTTP metrics are counted in the web process. Under gunicorn with several workers,
``PROMETHEUS_MULTIPROC_DIR`` makes each process write its values to a shared folder and a
scrape sums them (``network/gunicorn_config.py`` empties the folder at start and marks dead
workers). Without it (``runserver``, one process) the process's own registry is served.

Celery task counts and queue depths live in Redis, not in a process: workers count their
tasks there (``HINCRBY``), and each scrape reads the counts and the queue lengths, so every web
replica reports the same figures for all workers.

The endpoint needs ``Authorization: Bearer $METRICS_TOKEN``; without ``METRICS_TOKEN`` it is
switched off (404). A token rather than an address allow-list because behind a proxy every
request comes from the proxy's address, and a forwarded-for header can be forged.
"""

from __future__ import annotations

import hmac
import logging
import os

from django.conf import settings
from django.http import HttpResponse, HttpResponseNotFound
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

logger = logging.getLogger(__name__)

TASK_COUNTS_KEY = "network:metrics:celery-tasks"
# Redis transport of kombu: a queue is a list under its name, plus one list per priority step.
PRIORITY_SUFFIXES = ("", "\x06\x163", "\x06\x166", "\x06\x169")
KNOWN_METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}

HTTP_REQUESTS = Counter(
    "http_requests",
    "HTTP requests answered, by method, URL pattern and status code.",
    ["method", "route", "status"],
)
HTTP_LATENCY = Histogram(
    "http_request_duration_seconds",
    "Time to answer an HTTP request, by method and URL pattern.",
    ["method", "route"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)


def observe_request(*, method: str, route: str, status: int, seconds: float) -> None:
    method = method if method in KNOWN_METHODS else "OTHER"
    HTTP_REQUESTS.labels(method=method, route=route, status=str(status)).inc()
    HTTP_LATENCY.labels(method=method, route=route).observe(seconds)


# --- Celery, kept in Redis ---------------------------------------------------------------------

_redis = None


def _redis_client():
    global _redis
    if _redis is None:
        import redis

        _redis = redis.Redis.from_url(
            settings.CELERY_BROKER_URL, socket_timeout=1, socket_connect_timeout=1
        )
    return _redis


def count_task(task_name: str, state: str) -> None:
    """Add one to the count of ``task_name`` in ``state``; a Redis outage loses the count only."""
    import redis

    try:
        _redis_client().hincrby(TASK_COUNTS_KEY, f"{task_name}|{state}", 1)
    except redis.RedisError:
        logger.warning("could not count task %s as %s: Redis is unreachable", task_name, state)


def queue_names() -> list[str]:
    routed = {route["queue"] for route in settings.CELERY_TASK_ROUTES.values()}
    return sorted(routed | {settings.CELERY_TASK_DEFAULT_QUEUE})


class RedisCollector:
    """Read at each scrape: task counts by name and state, and messages waiting per queue."""

    def collect(self):
        import redis

        up = GaugeMetricFamily("celery_broker_up", "1 when the Celery broker (Redis) answers.")
        tasks = CounterMetricFamily(
            "celery_tasks", "Celery tasks by name and state.", labels=["task", "state"]
        )
        depth = GaugeMetricFamily(
            "celery_queue_length", "Messages waiting in a Celery queue.", labels=["queue"]
        )
        unacked = GaugeMetricFamily(
            "celery_unacked_messages", "Messages taken by workers and not yet acknowledged."
        )
        try:
            client = _redis_client()
            counts = client.hgetall(TASK_COUNTS_KEY)
            pipeline = client.pipeline(transaction=False)
            names = queue_names()
            for name in names:
                for suffix in PRIORITY_SUFFIXES:
                    pipeline.llen(name + suffix)
            pipeline.hlen("unacked")
            lengths = pipeline.execute()
        except redis.RedisError:
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        for field, value in sorted(counts.items()):
            task_name, _, state = field.decode().rpartition("|")
            tasks.add_metric([task_name, state], int(value))
        per_queue = len(PRIORITY_SUFFIXES)
        for index, name in enumerate(names):
            depth.add_metric([name], sum(lengths[index * per_queue : (index + 1) * per_queue]))
        unacked.add_metric([], lengths[-1])
        yield from (up, tasks, depth, unacked)


def registry() -> CollectorRegistry:
    """A registry for one scrape: every process's HTTP metrics plus what Redis holds."""
    from prometheus_client import REGISTRY

    scrape = CollectorRegistry(auto_describe=False)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.MultiProcessCollector(scrape)
    else:
        scrape.register(_Delegate(REGISTRY))
    scrape.register(RedisCollector())
    return scrape


class _Delegate:
    def __init__(self, source):
        self.source = source

    def collect(self):
        return self.source.collect()


def _authorized(request) -> bool:
    token = settings.METRICS_TOKEN
    header = request.headers.get("Authorization", "")
    if not header.lower().startswith("bearer "):
        return False
    return hmac.compare_digest(header[7:].strip().encode(), token.encode())


@csrf_exempt
@never_cache
def metrics_view(request):
    if not settings.METRICS_TOKEN:
        return HttpResponseNotFound()
    if not _authorized(request):
        return HttpResponse(status=401, headers={"WWW-Authenticate": 'Bearer realm="metrics"'})
    return HttpResponse(generate_latest(registry()), content_type=CONTENT_TYPE_LATEST)
