"""API authentication, scope checks and throttling. Kept apart from ``network.api`` because
DRF imports these classes while ``rest_framework.views`` itself is being imported."""

from __future__ import annotations

from django.conf import settings
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.throttling import SimpleRateThrottle

from network.models import ApiKey


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


class ApiKeyRateThrottle(SimpleRateThrottle):
    """Requests per API key (``API_KEY_RATE``); 429 with ``Retry-After`` past it."""

    scope = "api_key"

    def get_rate(self):
        return settings.API_KEY_RATE

    def get_cache_key(self, request, view):
        if not isinstance(request.auth, ApiKey):
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.auth.pk}
