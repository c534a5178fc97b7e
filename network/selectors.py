"""Reads of the platform core."""

from __future__ import annotations

from datetime import date

from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet
from django.utils import timezone

from network.models import (
    ExchangeRate,
    Invitation,
    Membership,
    Notification,
    Organization,
    Role,
    User,
    WebhookDelivery,
    WebhookEndpoint,
)


def operator_memberships() -> QuerySet[Membership]:
    """Members (staff or above) of active operator organisations: the network's operators."""
    return Membership.objects.filter(
        organization__kind=Organization.Kind.OPERATOR,
        organization__status=Organization.Status.ACTIVE,
        role__in=[Role.OWNER, Role.ADMIN, Role.STAFF],
    )


def organization_staff(*, organization: Organization) -> list[User]:
    """The people who do an organisation's work (staff or above, not viewers or buyers-only
    roles): who is told when something needs acting on."""
    return [
        m.user
        for m in Membership.objects.filter(
            organization=organization, role__in=[Role.OWNER, Role.ADMIN, Role.STAFF]
        ).select_related("user")
    ]


def user_is_operator(user: User | AnonymousUser | None) -> bool:
    if user is None or isinstance(user, AnonymousUser) or not user.is_authenticated:
        return False
    return operator_memberships().filter(user=user).exists()


def organization_members(*, organization: Organization) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(organization=organization)
        .select_related("user")
        .order_by("user__email")
    )


def organization_pending_invitations(*, organization: Organization) -> QuerySet[Invitation]:
    return Invitation.objects.filter(
        organization=organization, status=Invitation.Status.PENDING
    ).select_related("invited_by")


def user_notifications(*, user: User) -> QuerySet[Notification]:
    return Notification.objects.filter(recipient=user).order_by("-created_at")


def user_unread_notification_count(*, user: User) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def exchange_rate_day() -> date:
    """Today in the network's time zone (``TIME_ZONE``): a rate applies from the start of its
    date there, the same moment for every viewer."""
    return timezone.localdate(timezone=timezone.get_default_timezone())


def exchange_rate_in_force(
    *, base: str = "USD", quote: str = "CNY", on: date | None = None
) -> ExchangeRate | None:
    """The rate in force for ``base`` → ``quote`` on ``on`` (default: today): the latest one
    dated on or before that day. A rate dated later is scheduled and not yet used. None before
    any rate applies."""
    return (
        ExchangeRate.objects.filter(
            base=base, quote=quote, effective_date__lte=on or exchange_rate_day()
        )
        .order_by("-effective_date", "-created_at")
        .first()
    )


def webhook_endpoints_of(*, organization: Organization) -> QuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.filter(organization=organization)


def access_webhook_endpoint(*, organization: Organization, pk: int) -> WebhookEndpoint | None:
    """The endpoint ``pk`` if it is ``organization``'s; None for another's, exactly as for an id
    that does not exist."""
    return webhook_endpoints_of(organization=organization).filter(pk=pk).first()


def webhook_deliveries_of(*, endpoint: WebhookEndpoint) -> QuerySet[WebhookDelivery]:
    return WebhookDelivery.objects.filter(
        organization=endpoint.organization_id, endpoint=endpoint
    ).select_related("endpoint")
