"""The one role check for pages and the one permission class for the API."""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from rest_framework.permissions import BasePermission

from network.errors import PermissionDenied as DomainPermissionDenied
from network.models import Membership, Organization, Role, User
from network.selectors import user_is_operator


def membership_allows(membership, *, role: str = Role.VIEWER, kinds=None) -> bool:
    """True when the membership's organisation is of one of ``kinds`` and its role is at least
    ``role``."""
    if membership is None:
        return False
    if kinds and membership.organization.kind not in kinds:
        return False
    return membership.has_role(role)


def membership_administers_network(membership: Membership) -> bool:
    """Owners and admins of an active operator organisation run the network: they may use the
    admin (after their second factor, as every operator)."""
    organization = membership.organization
    return (
        organization.kind == Organization.Kind.OPERATOR
        and organization.status == Organization.Status.ACTIVE
        and membership.has_role(Role.ADMIN)
    )


def user_administers_network(user) -> bool:
    """Whether ``user`` is an owner or admin of an active operator organisation (one query,
    remembered on the user object for the rest of the request)."""
    if not (user and user.is_authenticated and user.is_active):
        return False
    if not hasattr(user, "_administers_network"):
        memberships = Membership.objects.filter(
            user=user, organization__kind=Organization.Kind.OPERATOR
        ).select_related("organization")
        user._administers_network = any(map(membership_administers_network, memberships))
    return user._administers_network


def admin_allows(request) -> bool:
    """Who may open the admin: active staff (Django's own rule) and the network's
    administrators. Uses the memberships the request already holds, so it costs no query."""
    user = request.user
    if not (user.is_authenticated and user.is_active):
        return False
    return user.is_staff or any(
        membership_administers_network(m) for m in getattr(request, "memberships", [])
    )


def organization_required(*, role: str = Role.VIEWER, kinds=None):
    """Decorate a page view: anonymous people go to log in; people without an organisation go
    to create one; members of the wrong kind or below ``role`` get 403."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if request.membership is None:
                messages.info(request, _("Create or join an organisation first."))
                return redirect("organization_create")
            if not membership_allows(request.membership, role=role, kinds=kinds):
                raise PermissionDenied(_("Your role in this organisation does not allow this."))
            return view(request, *args, **kwargs)

        def allows(request) -> bool:
            """Whether this request would be let in (neither sent away nor refused): what the
            header's navigation asks before it shows a link to the view."""
            return request.user.is_authenticated and membership_allows(
                getattr(request, "membership", None), role=role, kinds=kinds
            )

        wrapped.required_role = role
        wrapped.required_kinds = kinds
        wrapped.allows = allows
        return wrapped

    return decorator


class IsOrganizationMember(BasePermission):
    """API access for members of the active organisation. A view narrows it with
    ``required_role`` (default viewer, or staff for unsafe methods) and ``organization_kinds``."""

    message = "You are not a member of an organisation allowed to do this."

    def has_permission(self, request, view) -> bool:
        membership = getattr(request, "membership", None)
        if membership is None and hasattr(request, "_request"):
            membership = getattr(request._request, "membership", None)
        safe = request.method in ("GET", "HEAD", "OPTIONS")
        role = getattr(view, "required_role", None) or (Role.VIEWER if safe else Role.STAFF)
        return membership_allows(
            membership, role=role, kinds=getattr(view, "organization_kinds", None)
        )


def require_member(
    *,
    organization: Organization,
    user: User | None,
    role: str,
    kinds: tuple[str, ...] | None = None,
    error: type[DomainPermissionDenied] = DomainPermissionDenied,
    message: str | None = None,
    known: Membership | None = None,
) -> Membership:
    """The acting person's membership of ``organization`` if it has at least ``role`` (and the
    organisation is of one of ``kinds``); otherwise ``error``. The one role check services make
    before they act for an organisation. ``known``: that membership as the caller already read
    it in this request (the request's own), used instead of reading it again."""
    membership = None
    if user is not None and user.is_authenticated:
        if (
            known is not None
            and known.user_id == user.pk
            and known.organization_id == organization.pk
        ):
            membership = known
        else:
            membership = Membership.objects.filter(organization=organization, user=user).first()
    if (
        membership is None
        or not membership.has_role(role)
        or (kinds is not None and organization.kind not in kinds)
    ):
        raise error(
            message or _("Your role in %(org)s does not allow this.") % {"org": organization.name}
        )
    return membership


def require_operator(
    user: User | None,
    *,
    error: type[DomainPermissionDenied] = DomainPermissionDenied,
    message: str | None = None,
) -> None:
    """Refuse with ``error`` unless ``user`` belongs to a network operator organisation."""
    if not user_is_operator(user):
        raise error(message or _("Only network operators can do this."))
