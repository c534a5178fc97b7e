"""Reads of the platform core."""

from __future__ import annotations

from django.db.models import QuerySet

from network.models import ExchangeRate, Invitation, Membership, Notification, Organization, User


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


def exchange_rate_latest(*, base: str = "USD", quote: str = "CNY") -> ExchangeRate | None:
    """The newest rate operators set for ``base`` → ``quote`` (None before any is set)."""
    return (
        ExchangeRate.objects.filter(base=base, quote=quote)
        .order_by("-effective_date", "-created_at")
        .first()
    )
