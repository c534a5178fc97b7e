"""Read replicas: which reads may be answered by a streaming standby, and which never are.

``DATABASE_REPLICA_URLS`` adds the aliases ``replica1``, ``replica2``, … (see the settings).
Every write goes to ``default``, and so does every read, except in code that declared it
tolerates a few seconds of lag: the catalogue's browse and search, the dashboards, exports and
the API's list endpoints, marked with ``tolerating_lag`` (or its decorator ``tolerates_lag``,
or ``ToleratesLagMixin`` for class-based views). Even there:

* stock, capacity and allocations, seats and money (``PRIMARY_ONLY_APPS`` and
  ``PRIMARY_ONLY_MODELS``) are read on the primary;
* a person or integration that wrote within ``REPLICA_STICKY_SECONDS`` reads the primary
  (a cookie in a browser, a short-lived cache key per organisation for API keys), as does the
  rest of any request that wrote and any read inside a transaction;
* a replica is used only while it accepts connections and replays within
  ``REPLICA_MAX_LAG_SECONDS`` (checked at most every ``HEALTH_KEPT_SECONDS`` per process); a
  replica failing in the middle of a marked read has that read run again on the primary.

Without replicas (most installs, the test suite) the middleware passes requests straight on
and the router answers ``None`` at once: no query, no cache call."""

from __future__ import annotations

import contextlib
import contextvars
import logging
import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial, wraps
from typing import TypeVar

from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, DatabaseError, InterfaceError, OperationalError, connections
from django.template.response import SimpleTemplateResponse

logger = logging.getLogger(__name__)

T = TypeVar("T")

REPLICA_PREFIX = "replica"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# How long this process trusts a replica's last health check (reachable, lag under the limit).
HEALTH_KEPT_SECONDS = 3.0
# The cookie that keeps a browser on the primary after it wrote: the deadline, epoch seconds.
STICKY_COOKIE = "network_primary_until"

# Read on the primary even where lag is tolerated: the invariants one module owns, whose
# figures a person acts on at once (stock, capacity, seats, money).
PRIMARY_ONLY_APPS = frozenset({"payments"})  # ledger, payments, escrow, claims, payouts
PRIMARY_ONLY_MODELS = frozenset(
    {
        "catalog.Inventory",
        "catalog.InventoryLedger",
        "shipping.Sailing",  # space allocated and booked
        "shipping.ConsolidationContainer",
        "shipping.SpaceRequest",
        "training.Seminar",  # seats confirmed and on offer
        "training.Registration",
    }
)

# Whether a replica's replay is behind by more than the limit: the seconds since the last
# replayed commit, but nothing while it has replayed all it received (an idle primary writes no
# commits, so the last one may be old), and nothing on a server that is not a standby.
LAG_SQL = """
SELECT CASE
    WHEN NOT pg_is_in_recovery() THEN 0
    WHEN pg_last_wal_receive_lsn() IS NOT DISTINCT FROM pg_last_wal_replay_lsn() THEN 0
    ELSE COALESCE(
        EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()), 'Infinity'::float8
    )
END
"""


def replica_aliases() -> list[str]:
    """The configured replicas' aliases (``connections.settings``: tests swap it)."""
    return [alias for alias in connections.settings if alias.startswith(REPLICA_PREFIX)]


def primary_only(model) -> bool:
    """Whether ``model`` is always read on the primary."""
    meta = model._meta
    return meta.app_label in PRIMARY_ONLY_APPS or meta.label in PRIMARY_ONLY_MODELS


# --- The request's reads ------------------------------------------------------------------------

_UNRESOLVED = "?"


@dataclass(eq=False)
class RequestReads:
    """What the router knows of the request it serves (only while replicas are configured)."""

    request: object
    wrote: bool = False
    tolerates_lag: bool = False
    # The replica chosen for this request's lag-tolerant reads, None for the primary.
    alias: str | None = _UNRESOLVED


_reads: contextvars.ContextVar[RequestReads | None] = contextvars.ContextVar(
    "network_replica_reads", default=None
)


class ReplicaReadsMiddleware:
    """Gives the router the request; after a request that wrote, keeps its author on the
    primary for ``REPLICA_STICKY_SECONDS``. Does nothing while no replica is configured."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not replica_aliases():
            return self.get_response(request)
        reads = RequestReads(request=request)
        token = _reads.set(reads)
        try:
            response = self.get_response(request)
        finally:
            _reads.reset(token)
        # Raw SQL bypasses the router, so a successful unsafe request counts as a write too.
        if reads.wrote or (request.method not in SAFE_METHODS and response.status_code < 400):
            _remember_write(request, response)
        return response


def _sticky_cache_key(api_key) -> str:
    return f"replica:primary-until:{api_key.organization_id}"


def _remember_write(request, response) -> None:
    seconds = settings.REPLICA_STICKY_SECONDS
    if seconds <= 0:
        return
    deadline = time.time() + seconds
    api_key = getattr(request, "api_key", None)
    if api_key is not None:  # no cookies: the organisation's integrations share the window
        cache.set(_sticky_cache_key(api_key), deadline, timeout=math.ceil(seconds))
    else:
        response.set_cookie(
            STICKY_COOKIE,
            f"{deadline:.3f}",
            max_age=math.ceil(seconds),
            httponly=True,
            samesite="Lax",
            secure=settings.SESSION_COOKIE_SECURE,
        )


def _wrote_recently(request) -> bool:
    """Whether the request's author wrote within the sticky window (one cache read for an
    API key, none for a browser)."""
    api_key = getattr(request, "api_key", None)
    if api_key is not None:
        deadline = cache.get(_sticky_cache_key(api_key))
    else:
        deadline = request.COOKIES.get(STICKY_COOKIE)
    if deadline is None:
        return False
    try:
        deadline = float(deadline)
    except (TypeError, ValueError):
        return False
    now = time.time()
    # A deadline further out than a window could reach was not set here: ignored.
    return now < deadline <= now + settings.REPLICA_STICKY_SECONDS


def _read_alias(reads: RequestReads) -> str | None:
    if reads.alias == _UNRESOLVED:
        reads.alias = None if _wrote_recently(reads.request) else _choose_replica()
    return reads.alias


def reads_from_replica() -> bool:
    """Whether the lag-tolerant reads running now are answered by a replica (deciding it, if
    not yet decided): what a cache of their results must know, see ``replica_cache_seconds``."""
    reads = _reads.get()
    if reads is None or not reads.tolerates_lag or reads.wrote:
        return False
    return _read_alias(reads) is not None


def replica_cache_seconds() -> int:
    """How long a result read on a replica may be kept: it can be ``REPLICA_MAX_LAG_SECONDS``
    old when read, and whoever wrote reads the primary for ``REPLICA_STICKY_SECONDS``, so kept
    for the difference it never hides a write from its author once the window ends."""
    return max(0, math.floor(settings.REPLICA_STICKY_SECONDS - settings.REPLICA_MAX_LAG_SECONDS))


# A cache of lag-tolerant results (kept under a version that a write bumps) keeps what it read
# on a replica apart, and briefly: a replica behind the bump would otherwise store its older
# rows under the new version, for the writer and everyone else to read back.


def cache_variant() -> str:
    """What to append to such a cache key: nothing on the primary."""
    return ":replica" if reads_from_replica() else ""


def cache_seconds(seconds: int) -> int:
    """How long to keep such a result: ``seconds``, or less if it was read on a replica."""
    return min(seconds, replica_cache_seconds()) if reads_from_replica() else seconds


# --- Replica health -----------------------------------------------------------------------------

# alias -> (time.monotonic() of the check, healthy)
_health: dict[str, tuple[float, bool]] = {}


def forget_replica_health() -> None:
    """Check every replica again at its next use (tests, and after a replica failed)."""
    _health.clear()


def _choose_replica() -> str | None:
    healthy = [alias for alias in replica_aliases() if _healthy(alias)]
    return random.choice(healthy) if healthy else None


def _healthy(alias: str) -> bool:
    now = time.monotonic()
    seen = _health.get(alias)
    if seen is not None and now - seen[0] < HEALTH_KEPT_SECONDS:
        return seen[1]
    healthy = _check(alias)
    _health[alias] = (now, healthy)
    return healthy


def _check(alias: str) -> bool:
    try:
        with connections[alias].cursor() as cursor:
            cursor.execute(LAG_SQL)
            (lag,) = cursor.fetchone()
    except DatabaseError as error:
        logger.warning("Replica %s is unreachable; reading from the primary: %s", alias, error)
        _close(alias)
        return False
    if lag > settings.REPLICA_MAX_LAG_SECONDS:
        logger.warning(
            "Replica %s is %.1f s behind (limit %s s); reading from the primary.",
            alias,
            lag,
            settings.REPLICA_MAX_LAG_SECONDS,
        )
        return False
    return True


def _close(alias: str) -> None:
    with contextlib.suppress(DatabaseError):  # already broken: the next use connects afresh
        connections[alias].close()


# --- Marking code that tolerates lag ------------------------------------------------------------


def _render(response):
    # A template response renders after the view returns, outside its mark: render it inside.
    if isinstance(response, SimpleTemplateResponse) and not response.is_rendered:
        response.render()
    return response


def tolerating_lag(call: Callable[[], T], *, armed: bool = True) -> T:
    """``call()``, with its reads of a safe (GET/HEAD) request answered by a replica where the
    rules above allow. A replica that fails meanwhile is left aside and ``call()`` runs again
    on the primary, so the visitor gets the page rather than a 500. (``armed=False``: the
    caller switches the replica on itself, with ``tolerate_lag_from_here``.)"""
    reads = _reads.get()
    if reads is None or reads.tolerates_lag or reads.request.method not in SAFE_METHODS:
        return call()
    reads.tolerates_lag = armed
    try:
        try:
            return _render(call())
        except (OperationalError, InterfaceError) as error:
            failed = reads.alias
            if failed in (None, _UNRESOLVED):
                raise
            logger.warning("Replica %s failed; reading from the primary: %s", failed, error)
            _health[failed] = (time.monotonic(), False)
            _close(failed)
            reads.alias = None
            return _render(call())
    finally:
        reads.tolerates_lag = False


def tolerate_lag_from_here() -> None:
    """Inside ``tolerating_lag(..., armed=False)``: the reads from here on tolerate lag."""
    reads = _reads.get()
    if reads is not None and reads.request.method in SAFE_METHODS:
        reads.tolerates_lag = True


def tolerates_lag(view):
    """Decorate a page view whose reads may be a few seconds behind (put it innermost, under
    the permission decorators, which then read the primary)."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        return tolerating_lag(partial(view, request, *args, **kwargs))

    return wrapped


class ToleratesLagMixin:
    """For class-based views (Django's and DRF's) whose reads may be a few seconds behind. A
    DRF view authenticates and checks permissions on the primary first (``initial``)."""

    def dispatch(self, request, *args, **kwargs):
        from rest_framework.views import APIView

        return tolerating_lag(
            partial(super().dispatch, request, *args, **kwargs),  # type: ignore[misc]
            armed=not isinstance(self, APIView),
        )

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)  # type: ignore[misc]
        tolerate_lag_from_here()


# --- The router ---------------------------------------------------------------------------------


class ReplicaRouter:
    """``DATABASE_ROUTERS``: reads as described above, writes and migrations on ``default``."""

    def db_for_read(self, model, **hints):
        reads = _reads.get()
        if reads is None or not reads.tolerates_lag:
            return None
        if reads.wrote or primary_only(model) or connections[DEFAULT_DB_ALIAS].in_atomic_block:
            return DEFAULT_DB_ALIAS
        return _read_alias(reads) or DEFAULT_DB_ALIAS

    def db_for_write(self, model, **hints):
        reads = _reads.get()
        if reads is not None:
            reads.wrote = True
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        ours = (DEFAULT_DB_ALIAS, REPLICA_PREFIX)
        if (obj1._state.db or "").startswith(ours) and (obj2._state.db or "").startswith(ours):
            return True
        return None

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        if db == DEFAULT_DB_ALIAS:
            return True
        if db.startswith(REPLICA_PREFIX):
            return False  # a standby replays the primary's schema
        return None
