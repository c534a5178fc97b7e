"""Reads of the merchant registry. Other apps ask here whether a merchant may trade."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from django_scopes import scopes_disabled

from merchants.models import ApplicationStatus, MerchantApplication
from network.models import Organization


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


def application_history(*, application: MerchantApplication):
    """The application's audit trail, newest first, for the review page; each event carries a
    ``label`` in the reader's language."""
    from django.contrib.contenttypes.models import ContentType

    from network.models import AuditEvent

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
