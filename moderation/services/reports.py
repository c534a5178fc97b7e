"""Reports against listings: anyone signed in reports a public listing, the reporter adds what
the operators ask for, and the operators decide (take down with a strike, dismiss, ask for more)
or take a listing down on their own finding."""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.errors import CatalogPermissionDenied, ModerationRefused, ReportRejected
from catalog.models import ListingState, Product, localized_lazy
from catalog.services import product_take_down
from merchants.selectors import merchant_can_trade
from merchants.services import strike_issue
from moderation.models import Brand, ListingReport, ReportReason
from moderation.services.common import _check_evidence, _require_operator, _require_reason
from moderation.services.rules import _snapshot, protected_brand_named
from network.cache import products_changed
from network.models import Membership, Organization, User
from network.services import audit, notification_send


def _report_source(product: Product, organization: Organization | None) -> str:
    if organization is not None:
        if organization.kind == Organization.Kind.BUYER:
            return ListingReport.Source.BUYER
        if Brand.objects.public().filter(owner=organization).exists():
            return ListingReport.Source.BRAND_OWNER
    return ListingReport.Source.PUBLIC


def _rate_limited(user: User) -> bool:
    key = f"catalog:reports:{user.pk}:{timezone.now():%Y%m%d%H}"
    cache.add(key, 0, timeout=3600)
    return cache.incr(key) > settings.LISTING_REPORTS_PER_HOUR


@transaction.atomic
def report_create(
    *,
    product: Product,
    reason: str,
    details: str = "",
    evidence: UploadedFile | None = None,
    reporter_organization: Organization | None,
    acting_user: User,
) -> ListingReport:
    """Report a public listing. Anyone signed in may report (buyers, brand owners, the
    public); the merchant cannot report its own listing. Raises ReportRejected."""
    if not acting_user.is_authenticated:
        raise CatalogPermissionDenied(_("Sign in to report a listing."))
    if reason not in ReportReason.values:
        raise ValidationError({"reason": _("Choose a reason.")})
    # The listing as its merchant holds it now (only an active, so public, listing is
    # reported: checked below). Every report on it names that merchant as a party.
    listed = Product.objects.visible_to(product.organization)
    product = listed.select_related("organization").get(pk=product.pk)
    reports = ListingReport.objects.visible_to(product.organization)
    if (
        reporter_organization is not None and reporter_organization.pk == product.organization_id
    ) or Membership.objects.filter(organization=product.organization, user=acting_user).exists():
        raise ReportRejected(_("You cannot report your own organisation's listing."))
    if product.state != ListingState.ACTIVE:
        raise ReportRejected(_("This listing is not on sale; there is nothing to report."))
    if reports.filter(
        product=product,
        reporter=acting_user,
        status__in=[ListingReport.Status.OPEN, ListingReport.Status.INFO_REQUESTED],
    ).exists():
        raise ReportRejected(
            _("You have already reported this listing; its status is on your reports page.")
        )
    if _rate_limited(acting_user):
        raise ReportRejected(
            _("You have sent %(n)s reports in the last hour; try again later.")
            % {"n": settings.LISTING_REPORTS_PER_HOUR}
        )
    report = ListingReport(
        product=product,
        merchant=product.organization,
        reporter=acting_user,
        reporter_organization=reporter_organization,
        source=_report_source(product, reporter_organization),
        reason=reason,
        details=(details or "").strip(),
        matched_brand=protected_brand_named(product.brand),
        snapshot=_snapshot(product),
    )
    if evidence is not None:
        _check_evidence(evidence)
        report.evidence_name = (getattr(evidence, "name", "") or "evidence")[:200]
        report.evidence.save("evidence", evidence, save=False)
    report.full_clean()
    report.save()
    audit(
        actor=acting_user,
        organization=reporter_organization,
        action="listing_report.created",
        target=report,
        changes={"product": product.pk, "reason": reason, "source": report.source},
    )
    return report


@transaction.atomic
def report_add_information(
    *, report: ListingReport, details: str, evidence: UploadedFile | None = None, acting_user: User
) -> ListingReport:
    """The reporter answers an operator's request for information; the report is open again."""
    report = ListingReport.objects.visible_to(report.merchant).select_for_update().get(pk=report.pk)
    if report.reporter_id != acting_user.pk:
        raise CatalogPermissionDenied(_("Only the reporter can add to this report."))
    if report.status != ListingReport.Status.INFO_REQUESTED:
        raise ModerationRefused(_("The operators have not asked for more information."))
    details = (details or "").strip()
    if not details and evidence is None:
        raise ValidationError({"details": _("Add the information the operators asked for.")})
    if details:
        # Part of the stored text, read in any zone: so in UTC, and saying so.
        stamp = timezone.now().strftime("%Y-%m-%d %H:%M UTC")
        report.details = f"{report.details}\n\n[{stamp}] {details}".strip()
    if evidence is not None:
        _check_evidence(evidence)
        report.evidence_name = (getattr(evidence, "name", "") or "evidence")[:200]
        report.evidence.save("evidence", evidence, save=False)
    report.status = ListingReport.Status.OPEN
    report.save()
    audit(
        actor=acting_user,
        organization=report.reporter_organization,
        action="listing_report.information_added",
        target=report,
    )
    return report


def _notify_reporter(report: ListingReport) -> None:
    if report.reporter is None:
        return
    notification_send(
        email=report.reporter.email,
        recipient=report.reporter,
        organization=report.reporter_organization,
        kind="catalog.report_decided",
        template="catalog/email/report_decided",
        context={
            "report": report.pk,
            "product": localized_lazy(
                report.snapshot.get("title_en", ""), report.snapshot.get("title_zh_hans", "")
            ),
            # A lazy label: rendered in the reporter's language, not the operator's.
            "status": ListingReport.Status(report.status).label,
            "reason": report.decision_reason,
        },
        link=settings.SITE_URL + reverse("catalog:report", args=[report.pk]),
    )


DECISIONS = ("take_down", "dismiss", "request_info")


@transaction.atomic
def report_decide(
    *, report: ListingReport, decision: str, reason: str, acting_user: User
) -> ListingReport:
    """Operators: decide an open report, with a reason on record.

    ``take_down`` hides the listing at once, tells the merchant and issues a strike (three
    active strikes within twelve months suspend the merchant); the listing's other open reports
    are closed with it. ``dismiss`` closes the report (a listing held by the rules is
    published). ``request_info`` asks the reporter for more."""
    operators = _require_operator(acting_user)
    if decision not in DECISIONS:
        raise ModerationRefused(_("Unknown decision."))
    reason = _require_reason(reason)
    report = (
        ListingReport.objects.visible_to(operators)
        .select_for_update(of=("self",))
        .select_related("product", "merchant", "reporter")
        .get(pk=report.pk)
    )
    if not report.is_open:
        raise ModerationRefused(_("This report is already decided."))
    if decision == "request_info" and report.reporter_id is None:
        raise ModerationRefused(_("The listing rules raised this review; there is nobody to ask."))
    now = timezone.now()
    before = report.status
    product = report.product
    if decision == "take_down":
        current = Product.objects.visible_to(operators).get(pk=product.pk).state
        if current != ListingState.TAKEN_DOWN:
            product_take_down(product=product, reason=reason, acting_user=acting_user)
        report.strike = strike_issue(
            organization=report.merchant,
            reason=reason,
            source=f"listing-report:{report.pk}",
            acting_user=acting_user,
        )
        report.status = ListingReport.Status.TAKEN_DOWN
    elif decision == "dismiss":
        report.status = ListingReport.Status.DISMISSED
    else:
        report.status = ListingReport.Status.INFO_REQUESTED
    report.decision_reason = reason
    report.decided_by = acting_user
    report.decided_at = now if decision != "request_info" else None
    report.save()
    audit(
        actor=acting_user,
        organization=report.merchant,
        action=f"listing_report.{decision}",
        target=report,
        changes={"status": [before, report.status], "reason": reason},
    )
    if decision == "take_down":
        others = list(
            ListingReport.objects.visible_to(operators)
            .select_for_update(of=("self",))
            .filter(
                product=product,
                status__in=[ListingReport.Status.OPEN, ListingReport.Status.INFO_REQUESTED],
            )
            .exclude(pk=report.pk)
            .select_related("reporter")
        )
        for other in others:
            other.status = ListingReport.Status.TAKEN_DOWN
            other.decision_reason = reason
            other.decided_by = acting_user
            other.decided_at = now
            other.save()
            _notify_reporter(other)
    elif decision == "dismiss":
        _release_if_cleared(product, operators=operators, acting_user=acting_user)
    _notify_reporter(report)
    return report


@transaction.atomic
def listing_take_down(
    *, product: Product, category: str, reason: str, acting_user: User
) -> ListingReport:
    """Operators: take a listing down on their own finding (from the product page). It is put
    on record as a report by the operator and decided at once, so it hides the listing, tells
    the merchant, issues a strike and can be appealed like any other takedown."""
    operators = _require_operator(acting_user)
    if category not in ReportReason.values:
        raise ValidationError({"category": _("Choose a reason.")})
    reason = _require_reason(reason)
    product = (
        Product.objects.visible_to(operators).select_related("organization").get(pk=product.pk)
    )
    if product.state == ListingState.TAKEN_DOWN:
        raise ModerationRefused(_("This listing is already taken down."))
    report = ListingReport.objects.create(
        product=product,
        merchant=product.organization,
        reporter=acting_user,
        source=ListingReport.Source.OPERATOR,
        reason=category,
        details=reason,
        matched_brand=protected_brand_named(product.brand),
        snapshot=_snapshot(product),
    )
    return report_decide(
        report=report, decision="take_down", reason=reason, acting_user=acting_user
    )


def _release_if_cleared(product: Product, *, operators: Organization, acting_user: User) -> None:
    """A listing held by the rules is published once its last open review is dismissed."""

    product = Product.objects.visible_to(operators).select_for_update().get(pk=product.pk)
    if product.state != ListingState.IN_REVIEW:
        return
    if (
        ListingReport.objects.visible_to(operators)
        .filter(
            product=product,
            status__in=[ListingReport.Status.OPEN, ListingReport.Status.INFO_REQUESTED],
        )
        .exists()
    ):
        return
    product.state = (
        ListingState.ACTIVE
        if merchant_can_trade(organization=product.organization)
        else ListingState.PAUSED
    )
    product.published_at = product.published_at or timezone.now()
    product.save(update_fields=["state", "published_at", "updated_at"])
    products_changed([product.pk], browse=True)
    audit(
        actor=acting_user,
        organization=product.organization,
        action="product.review_cleared",
        target=product,
        changes={"state": [ListingState.IN_REVIEW, product.state]},
    )
