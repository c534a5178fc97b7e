"""Reads of the platform core."""

from __future__ import annotations

from datetime import date

from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet
from django.utils import timezone

from network.models import (
    ApiKey,
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
from network.tenancy import found


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
    return (
        Invitation.objects.visible_to(organization)
        .filter(status=Invitation.Status.PENDING)
        .select_related("invited_by")
    )


def access_invitation(*, organization: Organization, pk: int) -> Invitation:
    """The invitation ``pk`` if ``organization`` sent it; otherwise ``RecordNotFound``."""
    return found(Invitation.objects.visible_to(organization).select_related("organization"), pk=pk)


def user_notifications(*, user: User) -> QuerySet[Notification]:
    """The person's own notifications, whichever organisation's business they were about."""
    return Notification.objects.addressed_to(user).order_by("-created_at")


def user_unread_notification_count(*, user: User) -> int:
    return Notification.objects.addressed_to(user).filter(read_at__isnull=True).count()


def access_notification(*, user: User, pk: int | str) -> Notification:
    """One of the person's own notifications; anyone else's is ``RecordNotFound``."""
    return found(Notification.objects.addressed_to(user), pk=pk)


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
    return exchange_rates_in_force(base=base, quote=quote, on=on).first()


def exchange_rates_in_force(
    *, base: str = "USD", quote: str = "CNY", on: date | None = None
) -> QuerySet[ExchangeRate]:
    """The rates for ``base`` → ``quote`` dated on or before ``on`` (today), the one in force
    first (for a subquery)."""
    return ExchangeRate.objects.filter(
        base=base, quote=quote, effective_date__lte=on or exchange_rate_day()
    ).order_by("-effective_date", "-created_at")


def api_keys_of(*, organization: Organization) -> QuerySet[ApiKey]:
    return ApiKey.objects.visible_to(organization).select_related("created_by")


def access_api_key(*, organization: Organization, pk: int) -> ApiKey:
    """The API key ``pk`` if it is ``organization``'s; otherwise ``RecordNotFound``, exactly as
    for an id that does not exist."""
    return found(api_keys_of(organization=organization).select_related("organization"), pk=pk)


def webhook_endpoints_of(*, organization: Organization) -> QuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.visible_to(organization)


def access_webhook_endpoint(*, organization: Organization, pk: int) -> WebhookEndpoint:
    """The endpoint ``pk`` if it is ``organization``'s; otherwise ``RecordNotFound``, exactly as
    for an id that does not exist."""
    return found(
        webhook_endpoints_of(organization=organization).select_related("organization"), pk=pk
    )


def webhook_deliveries_of(*, endpoint: WebhookEndpoint) -> QuerySet[WebhookDelivery]:
    return (
        WebhookDelivery.objects.visible_to(endpoint.organization)
        .filter(endpoint=endpoint)
        .select_related("endpoint")
    )


def access_webhook_delivery(*, organization: Organization, pk: int) -> WebhookDelivery:
    """The webhook delivery ``pk`` if it is ``organization``'s; otherwise ``RecordNotFound``."""
    return found(WebhookDelivery.objects.visible_to(organization).select_related("endpoint"), pk=pk)
