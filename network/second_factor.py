"""The second factor operators and staff must pass in every session.

django-allauth records each authentication method a session used (password, a TOTP or recovery
code) in the session; a session passed its second factor when that record holds an ``mfa``
entry for its user."""

from __future__ import annotations

from allauth.account.authentication import get_authentication_records
from allauth.account.internal.flows.login import record_authentication
from allauth.mfa.models import Authenticator

from network.models import Organization


def second_factor_required(request) -> bool:
    """Whether the signed-in person must pass a second factor: members of an operator
    organisation, staff and superusers."""
    user = request.user
    if user.is_staff or user.is_superuser:
        return True
    return any(
        membership.organization.kind == Organization.Kind.OPERATOR
        for membership in getattr(request, "memberships", [])
    )


def session_passed_second_factor(request) -> bool:
    """Whether this session proved a second factor for its user (at login, when asked again,
    or by setting up TOTP)."""
    return any(
        record.get("method") == "mfa"
        for record in get_authentication_records(request, request.user)
    )


def has_totp(user) -> bool:
    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


def second_factor_record(request, *, authenticator: Authenticator) -> None:
    """Note in the session that its user just proved ``authenticator``, as allauth does when it
    accepts a code at login."""
    record_authentication(
        request, request.user, "mfa", id=authenticator.pk, type=authenticator.type
    )
