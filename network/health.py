"""``/healthz``: the state of the database, the broker's Redis, the cache's Redis and the Celery
workers, as JSON; and the cache that lets pages render while its Redis is down."""

from __future__ import annotations

import logging
import secrets
import threading
import time

from django.conf import settings
from django.core.cache.backends.base import DEFAULT_TIMEOUT, BaseCache
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

# One request against a sliding window, in one step on the Redis server, so that concurrent
# processes cannot all read "19 of 20" and all pass. KEYS[1]: a sorted set of the requests
# counted, scored by the server's clock in milliseconds. ARGV: the limit, the period in
# milliseconds, a unique member. Returns -1 when the request is counted, else the milliseconds
# until the oldest counted request leaves the window.
SLIDING_WINDOW_SCRIPT = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local period = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', string.format('%.0f', now - period))
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('ZADD', KEYS[1], string.format('%.0f', now), ARGV[3])
  redis.call('PEXPIRE', KEYS[1], period)
  return -1
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return tonumber(oldest[2]) + period - now
"""


def check_database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as error:  # any failure means "not ok"; the kind is in the message
        return f"error: {error.__class__.__name__}"
    return "ok"


def _ping(url: str) -> str:
    import redis

    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
        client.ping()
    except Exception as error:
        return f"error: {error.__class__.__name__}"
    return "ok"


def check_redis() -> str:
    """The broker's Redis: without it no task is enqueued and no worker is seen."""
    return _ping(settings.CELERY_BROKER_URL)


def check_cache() -> str:
    """The cache's Redis (``REDIS_CACHE_URL``); "ok" for a cache that lives in the process."""
    location = settings.CACHES["default"].get("LOCATION")
    if not isinstance(location, str) or not location.startswith(("redis://", "rediss://", "unix:")):
        return "ok"
    return _ping(location)


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
            # Reported, not counted: pages render from the database while the cache is down
            # (DegradingRedisCache), so a load balancer must not take every web process out.
            "cache": check_cache(),
            "workers": workers,
            "worker_count": worker_count,
        },
        status=200 if healthy else 503,
    )


# --- Serving while Redis is down -----------------------------------------------------------------


_process_window_lock = threading.Lock()


def process_window_hit(store: BaseCache, key: str, *, limit: int, period: int) -> float | None:
    """Count one request against ``key`` in ``store`` if fewer than ``limit`` were counted in
    the last ``period`` seconds: None when counted, else the seconds until one may be. Exact
    within this process only (a lock serialises the read and the write): for a process-local
    cache, and for the Redis cache while Redis is unreachable."""
    with _process_window_lock:
        now = time.time()
        counted = [moment for moment in store.get(key, []) if moment > now - period]
        if len(counted) >= limit:
            return counted[0] + period - now
        counted.append(now)
        store.set(key, counted, period)
        return None


def sliding_window_hit(store: BaseCache, key: str, *, limit: int, period: int) -> float | None:
    """Count one request against ``key`` (see ``process_window_hit``): shared by every process
    on the Redis cache, per process on any other."""
    shared = getattr(store, "sliding_window_hit", None)
    if shared is not None:
        return shared(key, limit=limit, period=period)
    return process_window_hit(store, key, limit=limit, period=period)


class DegradingRedisCache(RedisCache):
    """Django's Redis cache, except that an unreachable Redis is a miss and a write that is not
    kept: rendering falls back to the database instead of failing the page."""

    def _degraded(self, operation: str, fallback):
        logger.warning("cache %s skipped: Redis is unreachable", operation)
        return fallback

    def sliding_window_hit(self, key: str, *, limit: int, period: int) -> float | None:
        """``process_window_hit`` for every process at once: one atomic script on Redis. While
        Redis is unreachable each process counts on its own, so a key gets at most ``limit``
        per process instead of the whole API refusing every key until Redis is back."""
        redis_key = self.make_and_validate_key(f"window:{key}")
        try:
            client = self._cache.get_client(redis_key, write=True)
            count = client.register_script(SLIDING_WINDOW_SCRIPT)  # EVALSHA, loaded on a miss
            wait_ms = count(keys=[redis_key], args=[limit, period * 1000, secrets.token_hex(8)])
        except RedisError:
            return self._degraded(
                "sliding_window_hit",
                process_window_hit(OUTAGE_WINDOWS, key, limit=limit, period=period),
            )
        return None if wait_ms < 0 else wait_ms / 1000

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


# Where ``DegradingRedisCache.sliding_window_hit`` counts while Redis is unreachable.
OUTAGE_WINDOWS = LocMemCache("network-sliding-windows", {"OPTIONS": {"MAX_ENTRIES": 10_000}})
