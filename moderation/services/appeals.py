"""The merchant's one appeal of a takedown, decided by an operator other than the one who took
the listing down; overturning it revokes the strike and restores the listing."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.errors import CatalogPermissionDenied, ModerationRefused
from catalog.models import ListingState, Product, localized_lazy
from catalog.services import product_restore
from merchants.services import strike_revoke
from moderation.models import Appeal, ListingReport
from moderation.services.common import _require_operator, _require_reason
from network.models import Membership, Role, User
from network.permissions import require_member
from network.services import audit, notification_send


@transaction.atomic
def appeal_file(*, report: ListingReport, statement: str, acting_user: User) -> Appeal:
    """The merchant appeals a takedown, once. Raises ModerationRefused otherwise."""
    require_member(
        organization=report.merchant,
        user=acting_user,
        role=Role.STAFF,
        error=CatalogPermissionDenied,
    )
    report = ListingReport.objects.visible_to(report.merchant).select_for_update().get(pk=report.pk)
    if report.status != ListingReport.Status.TAKEN_DOWN or report.strike_id is None:
        raise ModerationRefused(_("Only a takedown can be appealed."))
    if Appeal.objects.visible_to(report.merchant).filter(report=report).exists():
        raise ModerationRefused(_("A takedown can be appealed only once."))
    statement = (statement or "").strip()
    if not statement:
        raise ValidationError({"statement": _("Say why the takedown is wrong.")})
    appeal = Appeal.objects.create(
        report=report, organization=report.merchant, statement=statement, filed_by=acting_user
    )
    audit(
        actor=acting_user,
        organization=report.merchant,
        action="appeal.filed",
        target=appeal,
        changes={"report": report.pk},
    )
    return appeal


OUTCOMES = ("uphold", "overturn")


@transaction.atomic
def appeal_decide(*, appeal: Appeal, outcome: str, reason: str, acting_user: User) -> Appeal:
    """Operators: decide an appeal. The operator who took the listing down may not decide it.
    Overturning revokes the strike and restores the listing (paused, for the merchant)."""
    operators = _require_operator(acting_user)
    if outcome not in OUTCOMES:
        raise ModerationRefused(_("Unknown decision."))
    reason = _require_reason(reason)
    appeal = (
        Appeal.objects.visible_to(operators)
        .select_for_update(of=("self",))
        .select_related("report", "report__strike", "report__product", "organization")
        .get(pk=appeal.pk)
    )
    if appeal.status != Appeal.Status.PENDING:
        raise ModerationRefused(_("This appeal is already decided."))
    if appeal.report.decided_by_id == acting_user.pk:
        raise ModerationRefused(
            _("You took this listing down; another operator must decide the appeal.")
        )
    appeal.status = Appeal.Status.UPHELD if outcome == "uphold" else Appeal.Status.OVERTURNED
    appeal.decision_reason = reason
    appeal.decided_by = acting_user
    appeal.decided_at = timezone.now()
    appeal.save()
    if outcome == "overturn":
        if appeal.report.strike is not None:
            strike_revoke(strike=appeal.report.strike, acting_user=acting_user)
        state = Product.objects.visible_to(operators).get(pk=appeal.report.product_id).state
        if state == ListingState.TAKEN_DOWN:
            product_restore(product=appeal.report.product, acting_user=acting_user)
    audit(
        actor=acting_user,
        organization=appeal.organization,
        action=f"appeal.{appeal.status}",
        target=appeal,
        changes={"reason": reason},
    )
    for membership in Membership.objects.filter(
        organization=appeal.organization, role__in=[Role.OWNER, Role.ADMIN]
    ).select_related("user"):
        notification_send(
            email=membership.user.email,
            recipient=membership.user,
            organization=appeal.organization,
            kind="catalog.appeal_decided",
            template="catalog/email/appeal_decided",
            context={
                "product": localized_lazy(
                    appeal.report.snapshot.get("title_en", ""),
                    appeal.report.snapshot.get("title_zh_hans", ""),
                ),
                "status": Appeal.Status(appeal.status).label,
                "reason": reason,
            },
            link=settings.SITE_URL
            + reverse("catalog:product_edit", args=[appeal.report.product_id]),
        )
    return appeal
