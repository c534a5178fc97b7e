"""Reads of the merchant registry. Other apps ask here whether a merchant may trade.

An application, its documents and brand claims are the applicant organisation's and the
operators'; review notes are the operators' alone; approved profiles are public."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Exists, Min, Prefetch, Q, QuerySet, Value
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_scopes import scopes_disabled

from merchants.models import (
    ApplicationStatus,
    BrandClaim,
    MerchantApplication,
    MerchantDocument,
    ReviewNote,
)
from network.models import AuditEvent, Organization
from network.tenancy import found


def merchant_application(*, organization: Organization) -> MerchantApplication | None:
    """The organisation's own application; None before it has started one."""
    return (
        MerchantApplication.objects.visible_to(organization)
        .filter(organization=organization)
        .first()
    )


def merchant_can_trade(*, organization: Organization) -> bool:
    """True for an approved merchant that is not suspended: it may list, sell and book."""
    if organization.kind != Organization.Kind.MERCHANT:
        return False
    return _approved_application(organization).exists()


def merchant_can_trade_expression(*, organization: Organization) -> Exists | Value:
    """``merchant_can_trade`` as a boolean column, for a write path that reads another row
    anyway and should not spend a round trip on this one."""
    if organization.kind != Organization.Kind.MERCHANT:
        return Value(False)
    return Exists(_approved_application(organization))


def _approved_application(organization: Organization) -> QuerySet[MerchantApplication]:
    return MerchantApplication.objects.visible_to(organization).filter(
        organization=organization, status=ApplicationStatus.APPROVED
    )


def _public_profiles() -> QuerySet[MerchantApplication]:
    return (
        MerchantApplication.objects.public()
        .select_related("organization")
        .prefetch_related(Prefetch("brands", queryset=BrandClaim.objects.public()))
    )


def approved_merchants() -> QuerySet[MerchantApplication]:
    """The public registry: approved merchants, as buyers see them."""
    return _public_profiles().order_by("organization__name")


def merchant_profile(*, slug: str) -> MerchantApplication:
    """An approved merchant's public profile by its organisation's slug, or RecordNotFound."""
    return found(_public_profiles(), organization__slug=slug)


# --- Access for a request ----------------------------------------------------------------------


def access_merchant_application(*, organization: Organization, pk: int) -> MerchantApplication:
    """The application, if ``organization`` is the applicant or an operator."""
    return found(
        MerchantApplication.objects.visible_to(organization).select_related(
            "organization", "reviewer"
        ),
        pk=pk,
    )


def access_merchant_document(*, organization: Organization, pk: int) -> MerchantDocument:
    """A KYC document, if ``organization`` is the applicant that uploaded it or an operator."""
    return found(
        MerchantDocument.objects.visible_to(organization).select_related(
            "application__organization"
        ),
        pk=pk,
    )


def access_brand_claim(*, organization: Organization, pk: int) -> BrandClaim:
    """A claimed brand, if ``organization`` is the applicant that claimed it or an operator."""
    return found(
        BrandClaim.objects.visible_to(organization).select_related("application__organization"),
        pk=pk,
    )


def review_notes(
    *, organization: Organization, application: MerchantApplication
) -> QuerySet[ReviewNote]:
    """The operators' internal notes on an application, oldest first; nothing for anyone but
    an operator (the applicant never sees them)."""
    return (
        ReviewNote.objects.visible_to(organization)
        .filter(application=application)
        .select_related("author")
        .order_by("created_at", "pk")
    )


# --- The operators' review ---------------------------------------------------------------------

WAITING = [ApplicationStatus.SUBMITTED, ApplicationStatus.IN_REVIEW]


def review_queue(
    *,
    organization: Organization,
    status: str = "",
    category: str = "",
    state: str = "",
    older_than_days: int | None = None,
) -> QuerySet[MerchantApplication]:
    """The operators' queue, oldest submission first. ``status`` "" means waiting for review,
    "all" means every application that was ever submitted."""
    queue = MerchantApplication.objects.visible_to(organization).select_related(
        "organization", "reviewer"
    )
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
    """Applications submitted and not yet decided: the operators' review queue, counted through
    the guard of the operator's request."""
    return MerchantApplication.objects.filter(status__in=WAITING).count()


def review_counts(*, organization: Organization) -> dict[str, int]:
    """How many applications ``organization`` (an operator) sees in each status."""
    rows = (
        MerchantApplication.objects.visible_to(organization)
        .values("status")
        .annotate(n=Count("pk"))
        .order_by()
    )
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
    ``label`` in the reader's language. Every event about an application is recorded for its
    applicant organisation, the operators' decisions included."""
    events = list(
        AuditEvent.objects.visible_to(application.organization)
        .filter(
            target_type=ContentType.objects.get_for_model(MerchantApplication),
            target_id=str(application.pk),
        )
        .select_related("actor")[:50]
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
    # Operator-wide figure: the operators' dashboard counts every applicant's waiting application.
    with scopes_disabled():
        result = MerchantApplication.objects.filter(waiting, submitted_at__isnull=False).aggregate(
            waiting=Count("pk"),
            overdue=Count("pk", filter=Q(submitted_at__lt=target)),
            oldest=Min("submitted_at"),
            **counts,
        )
    result["oldest_days"] = (now - result.pop("oldest")).days if result["oldest"] else None
    return result
