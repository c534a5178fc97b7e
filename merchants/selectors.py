"""Reads of the merchant registry. Other apps ask here whether a merchant may trade."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Count, Min, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_scopes import scopes_disabled

from merchants.models import ApplicationStatus, MerchantApplication
from network.models import AuditEvent, Organization


def merchant_application(*, organization: Organization) -> MerchantApplication | None:
    with scopes_disabled():
        return MerchantApplication.objects.filter(organization=organization).first()


def merchant_can_trade(*, organization: Organization) -> bool:
    """True for an approved merchant that is not suspended: it may list, sell and book."""
    if organization.kind != Organization.Kind.MERCHANT:
        return False
    with scopes_disabled():
        return MerchantApplication.objects.filter(
            organization=organization, status=ApplicationStatus.APPROVED
        ).exists()


def approved_merchants() -> QuerySet[MerchantApplication]:
    """The public registry: approved merchants, as buyers see them."""
    with scopes_disabled():
        return (
            MerchantApplication.objects.filter(status=ApplicationStatus.APPROVED)
            .select_related("organization")
            .prefetch_related("brands")
            .order_by("organization__name")
        )


WAITING = [ApplicationStatus.SUBMITTED, ApplicationStatus.IN_REVIEW]


def review_queue(
    *, status: str = "", category: str = "", state: str = "", older_than_days: int | None = None
) -> QuerySet[MerchantApplication]:
    """The operators' queue, oldest submission first. ``status`` "" means waiting for review,
    "all" means every application that was ever submitted."""
    from datetime import timedelta

    from django.utils import timezone

    with scopes_disabled():
        queue = MerchantApplication.objects.select_related("organization", "reviewer")
    if status == "all":
        queue = queue.exclude(status=ApplicationStatus.DRAFT)
    elif status:
        queue = queue.filter(status=status)
    else:
        queue = queue.filter(status__in=WAITING)
    if category:
        queue = queue.filter(categories__contains=[category])
    if state:
        queue = queue.filter(state_of_incorporation=state)
    if older_than_days is not None:
        queue = queue.filter(submitted_at__lt=timezone.now() - timedelta(days=older_than_days))
    return queue.order_by("submitted_at", "pk")


def applications_waiting_count() -> int:
    """Applications submitted and not yet decided: the operators' review queue."""
    with scopes_disabled():
        return MerchantApplication.objects.filter(status__in=WAITING).count()


def review_counts() -> dict[str, int]:
    from django.db.models import Count

    with scopes_disabled():
        rows = MerchantApplication.objects.values("status").annotate(n=Count("pk"))
    return {row["status"]: row["n"] for row in rows}


HISTORY_LABELS = {
    "merchant_application.started": _("Application started"),
    "merchant_application.company_saved": _("Company details saved"),
    "merchant_application.contact_saved": _("Contact saved"),
    "merchant_application.business_saved": _("Business details saved"),
    "merchant_application.fulfilment_saved": _("Fulfilment saved"),
    "merchant_application.submit": _("Submitted"),
    "merchant_application.start_review": _("Review started"),
    "merchant_application.checklist_updated": _("Checklist updated"),
    "merchant_application.note_added": _("Note added"),
    "merchant_application.approve": _("Approved"),
    "merchant_application.request_changes": _("Changes requested"),
    "merchant_application.reject": _("Rejected"),
    "merchant_application.suspend": _("Suspended"),
    "merchant_application.reinstate": _("Reinstated"),
    "merchant.badge_awarded": _("Badge awarded"),
}


def application_history(*, application: MerchantApplication) -> list[AuditEvent]:
    """The application's audit trail, newest first, for the review page; each event carries a
    ``label`` in the reader's language."""
    from django.contrib.contenttypes.models import ContentType

    with scopes_disabled():
        events = list(
            AuditEvent.objects.filter(
                target_type=ContentType.objects.get_for_model(MerchantApplication),
                target_id=str(application.pk),
            ).select_related("actor")[:50]
        )
    for event in events:
        event.label = HISTORY_LABELS.get(event.action, event.action)
    return events


def review_queue_ages(
    *, buckets: Sequence[tuple[str, int, int | None]], now: datetime | None = None
) -> dict[str, Any]:
    """Applications waiting for review now: how many, how many past the review target, the
    oldest wait in days, and counts per [low, high) bucket of days waiting. One query."""
    now = now or timezone.now()
    waiting = Q(status__in=[ApplicationStatus.SUBMITTED, ApplicationStatus.IN_REVIEW])
    counts = {}
    for index, (_label, low, high) in enumerate(buckets):
        since = Q(submitted_at__lte=now - timedelta(days=low))
        if high is not None:
            since &= Q(submitted_at__gt=now - timedelta(days=high))
        counts[f"bucket_{index}"] = Count("pk", filter=since)
    target = now - timedelta(days=settings.MERCHANT_REVIEW_TARGET_DAYS)
    with scopes_disabled():
        result = MerchantApplication.objects.filter(waiting, submitted_at__isnull=False).aggregate(
            waiting=Count("pk"),
            overdue=Count("pk", filter=Q(submitted_at__lt=target)),
            oldest=Min("submitted_at"),
            **counts,
        )
    result["oldest_days"] = (now - result.pop("oldest")).days if result["oldest"] else None
    return result
