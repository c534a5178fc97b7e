"""A version number for everything buyers see of the public marketplace.

Pages that show public listings (the catalogue's browse page) cache what they render under a
key that includes ``public_listings_version()``. Every write that changes what buyers may see
(a listing published, paused or taken down, a price, stock or image change on an active
listing, a merchant approved, suspended or reinstated) calls ``public_listings_changed()``:
the next request reads a new version, misses the cache and renders from the database, so a
change shows at once and nothing stale is ever served after the write has committed.

The counter lives in the default cache (Redis in production) without expiry. When it is
missing (first use, or evicted) it starts again from the clock in nanoseconds, far above any
value it held before, so an old entry can never be mistaken for a current one."""

from __future__ import annotations

import logging
import time

from django.core.cache import cache
from django.db import transaction

logger = logging.getLogger(__name__)

PUBLIC_LISTINGS_KEY = "network:public-listings-version"


def _restart() -> int:
    value = time.time_ns()
    cache.set(PUBLIC_LISTINGS_KEY, value, timeout=None)
    return value


def public_listings_version() -> int:
    """The current version of the public listings (one cache read)."""
    value = cache.get(PUBLIC_LISTINGS_KEY)
    if value is None:
        cache.add(PUBLIC_LISTINGS_KEY, time.time_ns(), timeout=None)
        value = cache.get(PUBLIC_LISTINGS_KEY)
        if value is None:  # evicted again at once
            value = _restart()
    return int(value)


def _bump() -> None:
    try:
        cache.incr(PUBLIC_LISTINGS_KEY)
    except ValueError:  # missing: start again above every earlier value
        _restart()
    except Exception:  # the cache is down: nothing can be read from it either
        logger.exception("Could not change the public listings version")


def public_listings_changed() -> None:
    """Record that what buyers see has changed. Bumps the version now (so this request and
    tests see it) and again when the surrounding transaction commits (so a page rendered by
    another request between the two, from data not yet committed, is never reused)."""
    _bump()
    transaction.on_commit(_bump)


def public_listings_cached(key: str) -> tuple[object | None, int]:
    """(value stored under ``key`` for the current version or None, the current version), in
    one round trip to the cache."""
    found = cache.get_many([PUBLIC_LISTINGS_KEY, key])
    version = found.get(PUBLIC_LISTINGS_KEY)
    if version is None:
        return None, public_listings_version()
    entry = found.get(key)
    if isinstance(entry, tuple) and len(entry) == 2 and entry[0] == version:
        return entry[1], int(version)
    return None, int(version)


def public_listings_cache(key: str, value: object, *, version: int, timeout: int) -> None:
    """Keep ``value`` under ``key`` for this version of the public listings (read it back with
    ``public_listings_cached``; a later version makes it a miss)."""
    cache.set(key, (version, value), timeout)
