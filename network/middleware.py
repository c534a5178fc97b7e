"""Per-request context: the person's language and time zone, the active organisation and its
tenant scope, and the operators' second factor."""

from __future__ import annotations

import zoneinfo

from django.conf import settings
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone, translation
from django_scopes import scope

from network.models import Membership, Organization


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

    ALLOWED_PREFIXES = ("/accounts/", "/static/", "/healthz", "/i18n/", "/jsi18n/")

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
            return redirect(reverse("mfa_activate_totp") + "?required=1")
        return self.get_response(request)


def _has_totp(user) -> bool:
    from allauth.mfa.models import Authenticator

    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
