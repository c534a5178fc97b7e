"""Messages in the header: a "Messages" link with the person's unread count."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _


def _unread(request: HttpRequest) -> int:
    from deals.services.messages import unread_count_cached

    organization = getattr(request, "organization", None)
    if organization is None or not request.user.is_authenticated:
        return 0
    return unread_count_cached(organization=organization, user=request.user)


def register() -> None:
    from network.models import Organization
    from network.navigation import NavEntry, register

    kinds = (Organization.Kind.BUYER, Organization.Kind.MERCHANT, Organization.Kind.OPERATOR)
    register(NavEntry(_("Messages"), "deals:threads", kinds, order=48, badge=_unread))
