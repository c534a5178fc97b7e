"""What the moderation pages read: access to one report, appeal, brand or authorisation
(``access_*``: the row, or RecordNotFound for an organisation that is not one of its parties),
the operators' queue and counts, a merchant's brands and takedowns, and the public transparency
figures."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import (
    Aggregate,
    Case,
    Count,
    DurationField,
    F,
    IntegerField,
    Min,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django_scopes import scopes_disabled

from catalog.models import Product
from merchants.models import Strike
from moderation.models import Appeal, Brand, BrandGrant, ListingReport
from network.models import Organization, User
from network.selectors import user_is_operator
from network.tenancy import RecordNotFound, found

# --- One record --------------------------------------------------------------------------------


def access_listing_report(
    *, organization: Organization | None, pk: int, user: User | None = None
) -> ListingReport:
    """The report, if ``organization`` is its reporter's organisation, the listed merchant or an
    operator, or ``user`` is the person who filed it."""
    reports = ListingReport.objects.visible_to(organization)
    if user is not None and user.is_authenticated:
        reports = reports | ListingReport.objects.of_reporter(user)
    return found(
        reports.select_related(
            "product", "merchant", "reporter", "decided_by", "matched_brand", "strike"
        ),
        pk=pk,
    )


def access_appeal(*, organization: Organization | None, pk: int) -> Appeal:
    """The appeal, if ``organization`` is the merchant that filed it or an operator."""
    return found(
        Appeal.objects.visible_to(organization).select_related("report", "organization"), pk=pk
    )


def access_brand(*, organization: Organization | None, pk: int) -> Brand:
    """The brand, if ``organization`` owns it or is an operator."""
    return found(Brand.objects.visible_to(organization).select_related("owner"), pk=pk)


def access_brand_grant(*, organization: Organization | None, pk: int) -> BrandGrant:
    """The authorisation, if ``organization`` is its reseller, the brand's owner or an
    operator."""
    return found(
        BrandGrant.objects.visible_to(organization).select_related("brand", "reseller"), pk=pk
    )


# --- Lists and figures -------------------------------------------------------------------------


def _active_strikes(now: datetime, organization: Organization) -> Coalesce:
    return Coalesce(
        Subquery(
            Strike.objects.visible_to(organization)
            .filter(
                organization=OuterRef("merchant"),
                revoked_at__isnull=True,
                expires_at__gt=now,
                created_at__gt=now - timedelta(days=365),
            )
            .values("organization")
            .annotate(n=Count("pk"))
            .values("n")[:1]
        ),
        0,
    )


def moderation_queue(*, organization: Organization) -> QuerySet[ListingReport]:
    """Open reports, brand owners' reports first, then merchants with the most active strikes,
    then the oldest (all of them for operators). Fixed queries: one, whatever the number of
    reports."""
    now = timezone.now()
    return (
        ListingReport.objects.visible_to(organization)
        .filter(status__in=[ListingReport.Status.OPEN, ListingReport.Status.INFO_REQUESTED])
        .annotate(
            from_owner=Case(
                When(source=ListingReport.Source.BRAND_OWNER, then=Value(1)),
                default=Value(0),
                output_field=IntegerField(),
            ),
            merchant_strikes=_active_strikes(now, organization),
        )
        .select_related("product", "merchant", "reporter", "matched_brand")
        .order_by("-from_owner", "-merchant_strikes", "status", "created_at", "pk")
    )


# The operators' home page counts what waits for them, inside their request's scope (the guard
# shows operators every report, appeal and brand).


def reports_to_moderate_count() -> int:
    """Open reports, and those waiting for the reporter's information (the moderation queue)."""
    return ListingReport.objects.filter(
        status__in=[ListingReport.Status.OPEN, ListingReport.Status.INFO_REQUESTED]
    ).count()


def appeals_pending_count() -> int:
    return Appeal.objects.filter(status=Appeal.Status.PENDING).count()


def brands_to_verify_count() -> int:
    return Brand.objects.filter(status=Brand.Status.PENDING).count()


def appeals_pending(*, organization: Organization) -> QuerySet[Appeal]:
    return (
        Appeal.objects.visible_to(organization)
        .filter(status=Appeal.Status.PENDING)
        .select_related("report", "report__product", "report__decided_by", "organization")
        .order_by("created_at", "pk")
    )


def reports_of_reporter(*, user: User) -> QuerySet[ListingReport]:
    return (
        ListingReport.objects.of_reporter(user)
        .select_related("product")
        .order_by("-created_at", "-pk")
    )


def report_for_viewer(
    *, organization: Organization | None, report_id: int, user: User
) -> ListingReport:
    """The report page's report: for its reporter and operators only (the listed merchant is a
    party too, but learns only the decision, on its listing's page). RecordNotFound for
    anybody else."""
    report = access_listing_report(organization=organization, pk=report_id, user=user)
    if report.reporter_id != user.pk and not user_is_operator(user):
        raise RecordNotFound(
            _("%(record)s not found.") % {"record": capfirst(ListingReport._meta.verbose_name)}
        )
    return report


def takedowns_of_merchant(
    *, organization: Organization, product: Product | None = None
) -> list[ListingReport]:
    """The merchant's takedowns (of one product when given) with ``appeal_or_none``, for the
    appeal form on its pages. Pages show only the decision, never the reporter."""
    reports = ListingReport.objects.visible_to(organization).filter(
        merchant=organization, status=ListingReport.Status.TAKEN_DOWN, strike__isnull=False
    )
    if product is not None:
        reports = reports.filter(product=product)
    reports = list(reports.select_related("product").order_by("-decided_at"))
    appeals = {
        a.report_id: a for a in Appeal.objects.visible_to(organization).filter(report__in=reports)
    }
    for report in reports:
        report.appeal_or_none = appeals.get(report.pk)
    return reports


def brands_of_owner(*, organization: Organization) -> list[Brand]:
    return list(
        Brand.objects.visible_to(organization)
        .filter(owner=organization)
        .prefetch_related(
            Prefetch(
                "grants",
                queryset=BrandGrant.objects.visible_to(organization)
                .select_related("reseller")
                .order_by("-expires_at"),
            )
        )
    )


def brands_to_verify(*, organization: Organization) -> QuerySet[Brand]:
    return (
        Brand.objects.visible_to(organization)
        .filter(status=Brand.Status.PENDING)
        .select_related("owner")
        .order_by("created_at")
    )


class Median(Aggregate):
    """PostgreSQL's median of a column (NULLs, i.e. undecided reports, are skipped)."""

    function = "percentile_cont"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"


@dataclass
class Transparency:
    reports_received: int
    automatic_reviews: int
    operator_findings: int
    takedowns: int
    dismissed: int
    open: int
    median_hours_to_decision: float | None
    appeals: int
    appeals_overturned: int


def transparency_figures(*, since: datetime | None = None) -> Transparency:
    """Public figures of counterfeit policing (since ``since``, or ever): two queries."""
    # Network-wide counts for the public transparency page: every report and appeal is counted,
    # none leaves this function.
    with scopes_disabled():
        return _transparency_figures(since)


def _transparency_figures(since: datetime | None) -> Transparency:
    reports = ListingReport.objects.all()
    if since is not None:
        reports = reports.filter(created_at__gte=since)
    people = Q(
        source__in=[
            ListingReport.Source.BUYER,
            ListingReport.Source.BRAND_OWNER,
            ListingReport.Source.PUBLIC,
        ]
    )
    counts = reports.aggregate(
        received=Count("pk", filter=people),
        automatic=Count("pk", filter=Q(source=ListingReport.Source.AUTOMATIC)),
        by_operators=Count("pk", filter=Q(source=ListingReport.Source.OPERATOR)),
        takedowns=Count("pk", filter=Q(status=ListingReport.Status.TAKEN_DOWN)),
        dismissed=Count("pk", filter=Q(status=ListingReport.Status.DISMISSED)),
        open=Count(
            "pk",
            filter=Q(status__in=[ListingReport.Status.OPEN, ListingReport.Status.INFO_REQUESTED]),
        ),
        median=Median(F("decided_at") - F("created_at"), output_field=DurationField()),
    )
    appeals = Appeal.objects.all()
    if since is not None:
        appeals = appeals.filter(created_at__gte=since)
    appeal_counts = appeals.aggregate(
        n=Count("pk"), overturned=Count("pk", filter=Q(status=Appeal.Status.OVERTURNED))
    )
    median = counts["median"]
    return Transparency(
        reports_received=counts["received"],
        automatic_reviews=counts["automatic"],
        operator_findings=counts["by_operators"],
        takedowns=counts["takedowns"],
        dismissed=counts["dismissed"],
        open=counts["open"],
        median_hours_to_decision=round(median.total_seconds() / 3600, 1)
        if median is not None
        else None,
        appeals=appeal_counts["n"],
        appeals_overturned=appeal_counts["overturned"],
    )


def strike_history(*, organization: Organization) -> list[Organization]:
    """Merchants with strikes (that ``organization``, an operator, sees), most active strikes
    first, each with ``strike_list`` (newest first) and ``active_strikes``. Two queries."""
    now = timezone.now()
    strikes = list(
        Strike.objects.visible_to(organization).select_related("organization", "issued_by")
    )
    merchants: dict[int, Organization] = {}
    lists: dict[int, list[Strike]] = {}
    active: dict[int, int] = {}
    for strike in strikes:
        merchants.setdefault(strike.organization_id, strike.organization)
        lists.setdefault(strike.organization_id, []).append(strike)
        active.setdefault(strike.organization_id, 0)
        if strike.is_active(now) and strike.created_at > now - timedelta(days=365):
            active[strike.organization_id] += 1
    for pk, merchant in merchants.items():
        merchant.strike_list = sorted(lists[pk], key=lambda s: s.created_at, reverse=True)  # type: ignore[attr-defined]
        merchant.active_strikes = active[pk]  # type: ignore[attr-defined]
    return sorted(merchants.values(), key=lambda o: (-active[o.pk], o.name.lower(), o.pk))


def moderation_queue_ages(
    *,
    organization: Organization,
    buckets: list[tuple[str, int, int | None]],
    now: datetime | None = None,
) -> dict[str, int | None]:
    """Listing reports waiting for an operator now (open or waiting for more information): how
    many, how many from brand owners, the oldest wait in days, and counts per [low, high)
    bucket of days waiting (that ``organization``, an operator, sees). One query."""
    now = now or timezone.now()
    counts = {}
    for index, (_label, low, high) in enumerate(buckets):
        since = Q(created_at__lte=now - timedelta(days=low))
        if high is not None:
            since &= Q(created_at__gt=now - timedelta(days=high))
        counts[f"bucket_{index}"] = Count("pk", filter=since)
    result = (
        ListingReport.objects.visible_to(organization)
        .filter(status__in=[ListingReport.Status.OPEN, ListingReport.Status.INFO_REQUESTED])
        .aggregate(
            waiting=Count("pk"),
            from_brand_owners=Count("pk", filter=Q(source=ListingReport.Source.BRAND_OWNER)),
            oldest=Min("created_at"),
            **counts,
        )
    )
    oldest = result.pop("oldest")
    result["oldest_days"] = (now - oldest).days if oldest else None
    return result
