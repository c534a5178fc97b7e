"""Per-request context: the person's language and time zone, the active organisation and its
tenant scope, and the operators' second factor."""

from __future__ import annotations

import zoneinfo

from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone, translation
from django_scopes import scope

from network.models import Membership, Organization


class ApiKeyMiddleware:
    """Authenticate ``/api/`` requests that carry an API key: the request then acts as the key's
    creator within the key's organisation (and nothing else). A wrong or revoked key is a 401
    at once, never a silent fall-back to the session."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.api_key = None
        raw_key = _api_key_from(request)
        if raw_key is not None:
            from network.services import api_key_authenticate

            api_key = api_key_authenticate(raw_key)
            if api_key is None or not api_key.created_by.is_active:
                return JsonResponse(
                    {
                        "code": "invalid_api_key",
                        "message": "The API key is not valid.",
                        "fields": {},
                    },
                    status=401,
                    headers={"WWW-Authenticate": 'Bearer realm="api"'},
                )
            request.api_key = api_key
            request.user = api_key.created_by
            request._dont_enforce_csrf_checks = True
        return self.get_response(request)


def _api_key_from(request) -> str | None:
    if not request.path.startswith("/api/"):
        return None
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    return request.headers.get("X-Api-Key") or None


class UserPreferencesMiddleware:
    """Activate the signed-in person's time zone, and their language unless chosen otherwise."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            try:
                timezone.activate(zoneinfo.ZoneInfo(user.time_zone))
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                timezone.deactivate()
            if settings.LANGUAGE_COOKIE_NAME not in request.COOKIES:
                translation.activate(user.language)
                request.LANGUAGE_CODE = user.language
        else:
            timezone.deactivate()
        return self.get_response(request)


class ActiveOrganizationMiddleware:
    """Set ``request.organization`` and ``request.membership`` from the session's choice and run
    the request inside that organisation's tenant scope.

    A person with one membership always has it active; with several, the session remembers the
    one picked in the switcher. Anonymous requests run in an empty scope, so a tenant-owned query
    made for them returns nothing rather than everything."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.organization = None
        request.membership = None
        request.memberships = []
        user = getattr(request, "user", None)
        api_key = getattr(request, "api_key", None)
        if api_key is not None:
            # A key acts in its own organisation only, with its creator's role there.
            active = (
                Membership.objects.select_related("organization")
                .filter(user=user, organization=api_key.organization)
                .first()
            )
            if active is None:
                return JsonResponse(
                    {
                        "code": "invalid_api_key",
                        "message": "The API key's creator no longer belongs to its organisation.",
                        "fields": {},
                    },
                    status=401,
                )
            request.membership, request.organization = active, active.organization
            request.memberships = [active]
            with scope(organization=request.organization):
                return self.get_response(request)
        if user is not None and user.is_authenticated:
            memberships = list(
                Membership.objects.select_related("organization")
                .filter(user=user)
                .exclude(organization__status=Organization.Status.CLOSED)
                .order_by("organization__name")
            )
            request.memberships = memberships
            wanted = request.session.get("active_organization_id")
            active = next((m for m in memberships if m.organization_id == wanted), None)
            if active is None and memberships:
                active = memberships[0]
                request.session["active_organization_id"] = active.organization_id
            if active is not None:
                request.membership = active
                request.organization = active.organization
        with scope(organization=request.organization):
            return self.get_response(request)


class OperatorMFAMiddleware:
    """Operators must use a second factor: until they set up TOTP they can reach only the pages
    that set it up (and log out)."""

    ALLOWED_PREFIXES = (
        "/accounts/",
        "/static/",
        "/healthz",
        "/i18n/",
        "/jsi18n/",
        "/api/schema/",
        "/api/docs/",
        "/api/redoc/",
    )

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        membership = getattr(request, "membership", None)
        if (
            membership is not None
            and membership.organization.kind == Organization.Kind.OPERATOR
            and not request.path.startswith(self.ALLOWED_PREFIXES)
            and not _has_totp(request.user)
        ):
            if request.path.startswith("/api/"):
                return JsonResponse(
                    {
                        "code": "mfa_required",
                        "message": "Operators must set up two-factor authentication first.",
                        "fields": {},
                    },
                    status=403,
                )
            return redirect(reverse("mfa_activate_totp") + "?required=1")
        return self.get_response(request)


def _has_totp(user) -> bool:
    from allauth.mfa.models import Authenticator

    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
