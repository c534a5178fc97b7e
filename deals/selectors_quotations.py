"""Reading requests for quotation and quotations: the buyer sees its own requests and every
quotation on them; a merchant sees the requests open to it and only its own quotations."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from catalog.models import SKU, Product
from catalog.selectors import category_tree
from deals.models import (
    Quotation,
    QuotationLine,
    QuotationRequest,
    QuotationRequestFile,
    QuotationRequestStatus,
    QuotationStatus,
    QuotationTier,
)
from network.models import Organization
from network.tenancy import RecordNotFound, found

CENT = Decimal("0.01")


def merchant_category_ids(merchant: Organization) -> set[int]:
    """The categories of the merchant's public listings and every category above them: a
    request in any of these is in a category where the merchant sells."""
    listed = set(
        Product.objects.public().filter(organization=merchant).values_list("category_id", flat=True)
    )
    if not listed:
        return set()
    tree = category_tree()
    ids: set[int] = set()
    for category_id in listed:
        node = tree.nodes.get(category_id)
        if node is not None:
            ids.update(c.pk for c in tree.ancestors(node))
    return ids


def requests_open_to(queryset: QuerySet, merchant: Organization) -> QuerySet:
    """The requests of ``queryset`` a merchant may read: open ones in its categories or about
    its own products, and every one it has quoted on (whatever their status)."""
    if merchant.kind != Organization.Kind.MERCHANT:
        return queryset.none()
    categories = merchant_category_ids(merchant)
    matching = Q(product__organization=merchant)
    if categories:
        matching |= Q(category_id__in=categories) | Q(product__category_id__in=categories)
    quoted = Quotation.objects.visible_to(merchant).filter(merchant=merchant).values("request_id")
    return queryset.filter(
        (Q(status=QuotationRequestStatus.OPEN) & matching) | Q(pk__in=quoted)
    ).exclude(buyer=merchant)


def quotation_requests_visible(
    *, organization: Organization, status: str = ""
) -> QuerySet[QuotationRequest]:
    """A buyer's own requests; a merchant's open-to-it requests; every request for operators.
    Newest first, ``status`` one status or "" for all."""
    if organization.kind == Organization.Kind.MERCHANT:
        requests = QuotationRequest.objects.open_to(organization)
    else:
        requests = QuotationRequest.objects.visible_to(organization)
    if status in QuotationRequestStatus.values:
        requests = requests.filter(status=status)
    return requests.select_related("buyer", "product", "category", "destination_port").order_by(
        "-created_at", "-pk"
    )


def access_quotation_request(*, organization: Organization, number: str) -> QuotationRequest:
    """One request by number: the buyer's own, one open to a merchant (or quoted on by it), or
    any for operators; ``not_found`` otherwise."""
    if organization.kind == Organization.Kind.MERCHANT:
        requests = QuotationRequest.objects.open_to(organization)
    else:
        requests = QuotationRequest.objects.visible_to(organization)
    return found(
        requests.select_related("buyer", "product", "category", "destination_port", "created_by"),
        number=number,
    )


def quotation_request_files(rfq: QuotationRequest) -> list[QuotationRequestFile]:
    """The request's files, for anyone ``access_quotation_request`` let through: a merchant
    reaches them through the request it may read, not as a party to the files."""
    # The files' manager knows only the buyer as a party; the caller has checked access.
    return list(QuotationRequestFile.objects._unguarded().filter(request=rfq).order_by("pk"))


def files_of_requests(rfqs: list[QuotationRequest]) -> list[QuotationRequestFile]:
    """The files of requests already let through (one query for a list of them)."""
    # As above: access to each request was checked by the caller.
    files = QuotationRequestFile.objects._unguarded().filter(request__in=[r.pk for r in rfqs])
    return list(files.select_related("request").order_by("pk"))


def access_quotation_request_file(
    *, organization: Organization, number: str, file_id: int
) -> QuotationRequestFile:
    rfq = access_quotation_request(organization=organization, number=number)
    upload = next((f for f in quotation_request_files(rfq) if f.pk == file_id), None)
    if upload is None:
        raise RecordNotFound(str(QuotationRequestFile._meta.verbose_name))
    return upload


def _with_lines(quotations: QuerySet[Quotation], organization: Organization) -> QuerySet:
    lines = (
        QuotationLine.objects.visible_to(organization)
        .select_related("sku__product")
        .prefetch_related(
            Prefetch(
                "tiers",
                queryset=QuotationTier.objects.visible_to(organization).order_by("min_quantity"),
            )
        )
    )
    return quotations.select_related("merchant", "buyer", "request").prefetch_related(
        Prefetch("lines", queryset=lines)
    )


def quotations_of_request(*, organization: Organization, rfq: QuotationRequest) -> list[Quotation]:
    """The quotations on a request ``organization`` may see: all of them for the buyer and
    operators, only its own for a merchant. Withdrawn ones last."""
    quotations = Quotation.objects.visible_to(organization).filter(request=rfq)
    return list(_with_lines(quotations, organization).order_by("created_at", "pk"))


def quotations_visible(*, organization: Organization, status: str = "") -> QuerySet[Quotation]:
    """The quotations ``organization`` made (merchant) or received (buyer), newest first."""
    quotations = Quotation.objects.visible_to(organization)
    if status in QuotationStatus.values:
        quotations = quotations.filter(status=status)
    return _with_lines(quotations, organization).order_by("-created_at", "-pk")


def access_quotation(*, organization: Organization, number: str) -> Quotation:
    return found(
        _with_lines(Quotation.objects.visible_to(organization), organization), number=number
    )


def requests_quoted_by(*, merchant: Organization, rfqs: list[QuotationRequest]) -> set[int]:
    """The ids of those requests the merchant has a standing or past quotation on."""
    quotations = Quotation.objects.visible_to(merchant).filter(
        merchant=merchant, request__in=[r.pk for r in rfqs]
    )
    return set(
        quotations.exclude(status=QuotationStatus.WITHDRAWN).values_list("request_id", flat=True)
    )


def quotable_skus(*, merchant: Organization) -> QuerySet[SKU]:
    """The merchant's SKUs a quotation may name: those of its public listings."""
    return (
        SKU.objects.public()
        .filter(organization=merchant)
        .select_related("product")
        .order_by("product__title_en", "code")
    )


# --- Comparing ---------------------------------------------------------------------------------


def tier_price(tiers: list[QuotationTier], quantity: int) -> Decimal | None:
    """The unit price of ``quantity`` units on these tiers: the highest tier it reaches (the
    first tier below it)."""
    ordered = sorted(tiers, key=lambda t: t.min_quantity)
    if not ordered:
        return None
    price = ordered[0].unit_price_usd
    for tier in ordered:
        if quantity >= tier.min_quantity:
            price = tier.unit_price_usd
    return price


@dataclass
class ComparedLine:
    line: QuotationLine
    unit_price: Decimal
    total: Decimal


@dataclass
class ComparedQuotation:
    quotation: Quotation
    lines: list[ComparedLine]
    unit_price_at_requested: Decimal | None
    total: Decimal
    expired: bool
    acceptable: bool
    best_total: bool = False
    best_unit_price: bool = False
    fastest: bool = False
    notes: list[str] = field(default_factory=list)


def quotation_expired(quotation: Quotation, *, today=None) -> bool:
    return quotation.valid_until < (today or timezone.localdate())


def quotation_compared(quotation: Quotation, rfq: QuotationRequest) -> ComparedQuotation:
    lines = []
    total = Decimal("0")
    for line in quotation.lines.all():
        tiers = list(line.tiers.all())
        unit = tier_price(tiers, line.quantity) or Decimal("0")
        lines.append(ComparedLine(line=line, unit_price=unit, total=(unit * line.quantity)))
        total += unit * line.quantity
    first = lines[0].line if lines else None
    at_requested = tier_price(list(first.tiers.all()), rfq.quantity) if first else None
    expired = quotation_expired(quotation)
    return ComparedQuotation(
        quotation=quotation,
        lines=lines,
        unit_price_at_requested=at_requested,
        total=total.quantize(CENT),
        expired=expired,
        acceptable=(
            quotation.status == QuotationStatus.SUBMITTED
            and rfq.status == QuotationRequestStatus.OPEN
            and not expired
        ),
    )


def quotations_compared(
    *, organization: Organization, rfq: QuotationRequest
) -> list[ComparedQuotation]:
    """The request's quotations side by side (withdrawn ones left out), with the lowest total,
    the lowest unit price at the requested quantity and the shortest lead time marked among
    those still standing."""
    compared = [
        quotation_compared(q, rfq)
        for q in quotations_of_request(organization=organization, rfq=rfq)
        if q.status != QuotationStatus.WITHDRAWN
    ]
    standing = [c for c in compared if not c.expired and c.quotation.status != "declined"]
    if len(standing) > 1:
        min(standing, key=lambda c: c.total).best_total = True
        priced = [c for c in standing if c.unit_price_at_requested is not None]
        if priced:
            min(priced, key=lambda c: c.unit_price_at_requested or 0).best_unit_price = True
        min(standing, key=lambda c: c.quotation.lead_time_days).fastest = True
    return compared


def merchants_reached(rfq: QuotationRequest) -> list[Organization]:
    """The merchants a new request is open to: approved ones with an active listing in its
    category or below it, and the merchant of the product it is about."""
    tree = category_tree()
    category_id = rfq.category_id or (rfq.product.category_id if rfq.product else None)
    matching = Q(pk__in=[])
    if category_id is not None:
        matching |= Q(category_id__in=tree.descendant_ids(category_id))
    if rfq.product_id is not None:
        matching |= Q(pk=rfq.product_id)
    merchant_ids = set(
        Product.objects.public().filter(matching).values_list("organization_id", flat=True)
    )
    merchant_ids.discard(rfq.buyer_id)
    return list(Organization.objects.filter(pk__in=merchant_ids).order_by("pk"))
