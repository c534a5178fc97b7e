"""Per-request context: the person's language and time zone, the active organisation and its
tenant scope, and the operators' second factor."""

from __future__ import annotations

import zoneinfo

from django.conf import settings
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.views import redirect_to_login
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_scopes import scope

from network.models import Membership, Organization
from network.second_factor import (
    has_totp,
    second_factor_required,
    session_passed_second_factor,
)


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
    """Activate the signed-in person's time zone, and their language unless chosen otherwise.
    Runs after ``ActiveOrganizationMiddleware``: a buyer's default zone comes from their
    memberships, which it has loaded."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            try:
                zone = user.time_zone_name(getattr(request, "memberships", None))
                timezone.activate(zoneinfo.ZoneInfo(zone))
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
            # A key acts in its own organisation only, with its creator's role there (read with
            # the key by ``api_key_authenticate``).
            active = api_key.creator_membership
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
    """Operators and staff must pass a second factor in every session, whichever way they
    signed in: until they set up TOTP they can reach only the pages that set it up, and a
    session that signed in without its code is asked for one before anything else.

    API-key requests carry no session; a key acting for an operator organisation works while
    its creator has TOTP set up (keys are made from a session that passed the second factor)."""

    ALLOWED_PREFIXES = (
        "/static/",
        "/healthz",
        "/i18n/",
        "/jsi18n/",
        "/api/schema/",
        "/api/docs/",
        "/api/redoc/",
    )
    # The account pages a session may use before its second factor: signing out, confirming
    # the password or the code again, and setting up TOTP. Not the ones that change the
    # password, the email address or the second factor itself.
    ALLOWED_ACCOUNT_PAGES = frozenset(
        {
            "account_login",
            "account_logout",
            "account_reauthenticate",
            "account_confirm_email",
            "mfa_authenticate",
            "mfa_reauthenticate",
            "mfa_activate_totp",
        }
    )

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if self._is_exempt(request):
            return self.get_response(request)
        if getattr(request, "api_key", None) is not None:
            if _acts_for_operator(request) and not has_totp(request.user):
                return _mfa_refused(_("Operators must set up two-factor authentication first."))
            return self.get_response(request)
        if not second_factor_required(request):
            return self.get_response(request)
        if not has_totp(request.user):
            if request.path.startswith("/api/"):
                return _mfa_refused(_("Operators must set up two-factor authentication first."))
            return redirect(reverse("mfa_activate_totp") + "?required=1")
        if not session_passed_second_factor(request):
            if request.path.startswith("/api/"):
                return _mfa_refused(
                    _("Sign in with your two-factor authentication code to use this.")
                )
            return redirect_to_login(
                request.get_full_path(), reverse("mfa_reauthenticate"), REDIRECT_FIELD_NAME
            )
        return self.get_response(request)

    def _is_exempt(self, request) -> bool:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return True
        if request.path.startswith(self.ALLOWED_PREFIXES):
            return True
        if request.path.startswith("/accounts/"):
            try:
                url_name = resolve(request.path_info).url_name
            except Resolver404:
                return True
            return url_name in self.ALLOWED_ACCOUNT_PAGES
        return False


def _acts_for_operator(request) -> bool:
    membership = getattr(request, "membership", None)
    return membership is not None and membership.organization.kind == Organization.Kind.OPERATOR


def _mfa_refused(message: str) -> JsonResponse:
    return JsonResponse({"code": "mfa_required", "message": message, "fields": {}}, status=403)
