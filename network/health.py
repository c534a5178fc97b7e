"""``/healthz``: the state of the database, Redis and the Celery workers, as JSON."""

from __future__ import annotations

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache


def check_database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as error:  # any failure means "not ok"; the kind is in the message
        return f"error: {error.__class__.__name__}"
    return "ok"


def check_redis() -> str:
    import redis

    try:
        client = redis.Redis.from_url(
            settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1
        )
        client.ping()
    except Exception as error:
        return f"error: {error.__class__.__name__}"
    return "ok"


def check_workers(redis_state: str) -> tuple[str, int]:
    """Workers are alive when their heartbeat keys are in Redis (see ``network.celery``)."""
    if redis_state != "ok":
        return "unreachable: the broker is down", 0
    import redis

    from network.celery import HEARTBEAT_PREFIX

    try:
        client = redis.Redis.from_url(
            settings.CELERY_BROKER_URL, socket_connect_timeout=1, socket_timeout=1
        )
        alive = sum(1 for _key in client.scan_iter(match=f"{HEARTBEAT_PREFIX}*", count=100))
    except Exception as error:
        return f"error: {error.__class__.__name__}", 0
    if not alive:
        return "error: no worker answered", 0
    return "ok", alive


@never_cache
def healthz(request):
    database = check_database()
    redis_state = check_redis()
    workers, worker_count = check_workers(redis_state)
    healthy = database == "ok" and redis_state == "ok" and workers == "ok"
    return JsonResponse(
        {
            "status": "ok" if healthy else "error",
            "database": database,
            "redis": redis_state,
            "workers": workers,
            "worker_count": worker_count,
        },
        status=200 if healthy else 503,
    )
