"""``/healthz``: the state of the database, Redis and the Celery workers, as JSON; and the cache
that lets pages render while Redis is down."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)


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


# --- Serving while Redis is down -----------------------------------------------------------------


class DegradingRedisCache(RedisCache):
    """Django's Redis cache, except that an unreachable Redis is a miss and a write that is not
    kept: rendering falls back to the database instead of failing the page."""

    def _degraded(self, operation: str, fallback):
        logger.warning("cache %s skipped: Redis is unreachable", operation)
        return fallback

    def get(self, key, default=None, version=None):
        try:
            return super().get(key, default, version)
        except RedisError:
            return self._degraded("get", default)

    def get_many(self, keys, version=None):
        try:
            return super().get_many(keys, version)
        except RedisError:
            return self._degraded("get_many", {})

    def has_key(self, key, version=None):
        try:
            return super().has_key(key, version)
        except RedisError:
            return self._degraded("has_key", False)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        try:
            return super().set(key, value, timeout, version)
        except RedisError:
            return self._degraded("set", None)

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        try:
            return super().add(key, value, timeout, version)
        except RedisError:
            return self._degraded("add", False)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        try:
            return super().set_many(data, timeout, version)
        except RedisError:
            return self._degraded("set_many", list(data))

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        try:
            return super().touch(key, timeout, version)
        except RedisError:
            return self._degraded("touch", False)

    def delete(self, key, version=None):
        try:
            return super().delete(key, version)
        except RedisError:
            return self._degraded("delete", False)

    def delete_many(self, keys, version=None):
        try:
            return super().delete_many(keys, version)
        except RedisError:
            return self._degraded("delete_many", None)

    def incr(self, key, delta=1, version=None):
        try:
            return super().incr(key, delta, version)
        except RedisError:
            return self._degraded("incr", delta)

    def clear(self):
        try:
            return super().clear()
        except RedisError:
            return self._degraded("clear", False)
