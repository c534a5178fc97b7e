"""Version numbers for what buyers see of the public marketplace, so cached pages are never
stale and a change invalidates only what it touched.

Three kinds of version live in the default cache (Redis in production), without expiry:

* **the browse version** (``public_listings_version()``): the browse page's rendered results
  and facet counts are kept under it. Facet counts and result pages depend on many listings at
  once, so any change to what a listing contributes to them bumps it: a listing appearing or
  leaving (published, paused, held, taken down, restored), its title, prices, category, brand,
  images or SKUs, and its *in stock* flag turning on or off. A reservation that leaves a
  product in stock does not: the browse page shows only the flag.
* **one version per product** (``network:product-version:<id>``): the product page's data is
  kept under it. Every change to the product bumps it, stock counts included, so a buyer never
  sees a stale price or quantity.
* **the every-product version**: bumped with the browse version by changes that reach every
  listing at once (a merchant's standing or badges, a category, an exchange rate): product
  pages are kept under it too.

Writes call ``products_changed(product_ids, browse=...)`` for the products they touched, or
``public_listings_changed()`` when everything may have changed. Each bumps its versions now
(so the request itself and tests see it) and again when the surrounding transaction commits
(so a page rendered by another request between the two, from data not yet committed, is
never reused).

The anonymous browse page (the same HTML for every visitor) is also kept in each process's
memory, and served from there while the browse version this process read at most a quarter of
a second ago is the one it was rendered for (``recent_public_listings_version``): a change
made in this process shows at once, one made in another process at most that much later, and
the page costs no round trip to the cache.

When a version is missing (first use, or evicted) it starts again from a value no earlier
entry can carry: the clock in nanoseconds for the browse counter (far above any value it held
before), a fresh random number for the others (which are compared for equality only)."""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Callable, Iterable

from django.core.cache import cache
from django.core.signals import setting_changed
from django.db import transaction

logger = logging.getLogger(__name__)

PUBLIC_LISTINGS_KEY = "network:public-listings-version"
EVERY_PRODUCT_KEY = "network:every-product-version"


def product_version_key(product_id: int) -> str:
    return f"network:product-version:{int(product_id)}"


def _token() -> int:
    return secrets.randbits(62)


# --- The browse version ------------------------------------------------------------------------


# The browse version as this process last read it: (time.monotonic() of the read, version).
_recent_version: tuple[float, int] | None = None


def _forget_recent_version(**kwargs) -> None:
    global _recent_version
    _recent_version = None


def _restart() -> int:
    _forget_recent_version()
    value = time.time_ns()
    cache.set(PUBLIC_LISTINGS_KEY, value, timeout=None)
    return value


def public_listings_version() -> int:
    """The current version of the browse page (one cache read)."""
    value = cache.get(PUBLIC_LISTINGS_KEY)
    if value is None:
        cache.add(PUBLIC_LISTINGS_KEY, time.time_ns(), timeout=None)
        value = cache.get(PUBLIC_LISTINGS_KEY)
        if value is None:  # evicted again at once
            value = _restart()
    return int(value)


def recent_public_listings_version(*, max_age: float) -> int:
    """The browse version as this process read it at most ``max_age`` seconds ago (no round
    trip to the cache), else read now. A change made in this process is seen at once; one
    made in another process at most ``max_age`` seconds later."""
    global _recent_version
    now = time.monotonic()
    if _recent_version is not None and now - _recent_version[0] < max_age:
        return _recent_version[1]
    version = public_listings_version()
    _recent_version = (now, version)
    return version


def _bump_browse() -> None:
    _forget_recent_version()
    try:
        cache.incr(PUBLIC_LISTINGS_KEY)
    except ValueError:  # missing: start again above every earlier value
        _restart()
    except Exception:  # the cache is down: nothing can be read from it either
        logger.exception("Could not change the public listings version")


def _bump_everything() -> None:
    _bump_browse()
    _set_tokens([EVERY_PRODUCT_KEY])


def _set_tokens(keys: list[str]) -> None:
    try:
        cache.set_many({key: _token() for key in keys}, timeout=None)
    except Exception:  # the cache is down: nothing can be read from it either
        logger.exception("Could not change the versions of %s", keys[:5])


# Summaries of the public listings kept beside the versions (``catalog.facets``): called with
# the product ids whenever ``products_changed`` is told the browse page may have changed.
_browse_summaries: list[Callable[[list[int]], None]] = []


def register_browse_summary(refresh: Callable[[list[int]], None]) -> None:
    """Have ``refresh(product_ids)`` called by every ``products_changed(..., browse=True)``,
    before the versions are bumped (so a page rendered for the new version sees it)."""
    if refresh not in _browse_summaries:
        _browse_summaries.append(refresh)


def public_listings_changed() -> None:
    """Record that anything buyers see may have changed: the browse page and every product
    page are rendered afresh."""
    _bump_everything()
    transaction.on_commit(_bump_everything)


def products_changed(product_ids: Iterable[int], *, browse: bool) -> None:
    """Record that these products changed: their product pages are rendered afresh, and with
    ``browse`` the browse page too (pass it when the change could alter a browse result or a
    facet count: a listing's state, title, price, category, brand, images, SKUs or its
    in-stock flag)."""
    ids = sorted(set(product_ids))
    keys = [product_version_key(pk) for pk in ids]
    if not keys and not browse:
        return
    if browse and ids:
        for refresh in _browse_summaries:
            refresh(ids)

    def bump() -> None:
        if keys:
            _set_tokens(keys)
        if browse:
            _bump_browse()

    bump()
    transaction.on_commit(bump)


# --- Entries kept under versions ---------------------------------------------------------------


def public_listings_cached(key: str) -> tuple[object | None, int]:
    """(value stored under ``key`` for the current browse version or None, the current
    version), in one round trip to the cache."""
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


def _version_of(key: str) -> int:
    """The version stored under ``key``, set to a fresh one if missing."""
    cache.add(key, _token(), timeout=None)
    value = cache.get(key)
    if value is None:  # evicted again at once, or the cache is down
        value = _token()
        cache.set(key, value, timeout=None)
    return int(value)


def product_cached(product_id: int, key: str) -> tuple[object | None, tuple[int, int]]:
    """(value stored under ``key`` for the product's current version or None, that version),
    in one round trip to the cache."""
    product_key = product_version_key(product_id)
    found = cache.get_many([EVERY_PRODUCT_KEY, product_key, key])
    every, own = found.get(EVERY_PRODUCT_KEY), found.get(product_key)
    if every is None or own is None:
        return None, (_version_of(EVERY_PRODUCT_KEY), _version_of(product_key))
    versions = (int(every), int(own))
    entry = found.get(key)
    if isinstance(entry, tuple) and len(entry) == 2 and entry[0] == versions:
        return entry[1], versions
    return None, versions


def product_cache(key: str, value: object, *, versions: tuple[int, int], timeout: int) -> None:
    """Keep ``value`` under ``key`` for this version of its product (read it back with
    ``product_cached``; a change to the product, or to every product, makes it a miss)."""
    cache.set(key, (versions, value), timeout)


def _caches_changed(*, setting: str, **kwargs) -> None:
    if setting == "CACHES":  # another cache holds other versions
        _forget_recent_version()


setting_changed.connect(_caches_changed, dispatch_uid="network-cache-recent-version")
