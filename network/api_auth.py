"""API authentication, scope checks and throttling. Kept apart from ``network.api`` because
DRF imports these classes while ``rest_framework.views`` itself is being imported."""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.throttling import BaseThrottle

from network.health import sliding_window_hit
from network.models import ApiKey

PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


class ApiKeyAuthentication:
    """``Authorization: Bearer gumn_…`` (or ``X-Api-Key``). The key was already checked by
    ``ApiKeyMiddleware`` (so the request runs in its organisation's tenant scope); this hands
    DRF the acting user and the key, and skips CSRF, which only applies to cookies."""

    def authenticate(self, request):
        api_key = getattr(request._request, "api_key", None)
        if api_key is None:
            return None
        return (request._request.user, api_key)

    def authenticate_header(self, request):
        return 'Bearer realm="api"'


class HasApiScope(BasePermission):
    """A request made with an API key needs the view's scope for its method:
    ``api_scopes = {"read": "catalog:read", "write": "catalog:write"}``. Views without
    ``api_scopes`` are closed to keys. Browser sessions are not limited by scopes."""

    message = "This API key does not have the scope this endpoint needs."

    def has_permission(self, request, view) -> bool:
        api_key = request.auth if isinstance(request.auth, ApiKey) else None
        if api_key is None:
            return True
        scopes = getattr(view, "api_scopes", None) or {}
        needed = scopes.get("read" if request.method in SAFE_METHODS else "write")
        return bool(needed) and needed in api_key.scopes


def parse_rate(rate: str) -> tuple[int, int]:
    """``"1200/min"`` → (1200, 60): DRF's rate strings (period ``s``, ``m``, ``h`` or ``d``)."""
    count, period = rate.split("/")
    return int(count), PERIODS[period[0]]


class ApiKeyRateThrottle(BaseThrottle):
    """At most ``API_KEY_RATE`` requests per API key in any sliding period, counted in one
    atomic step on Redis so that every web process shares the count; 429 with ``Retry-After``
    (the seconds until the oldest counted request leaves the period) past it. While Redis is
    unreachable each process counts on its own (see ``DegradingRedisCache``)."""

    def __init__(self) -> None:
        self.retry_after: float | None = None

    def allow_request(self, request, view) -> bool:
        if not isinstance(request.auth, ApiKey):
            return True
        limit, period = parse_rate(settings.API_KEY_RATE)
        self.retry_after = sliding_window_hit(
            cache, f"throttle:api_key:{request.auth.pk}", limit=limit, period=period
        )
        return self.retry_after is None

    def wait(self) -> float | None:
        return self.retry_after
