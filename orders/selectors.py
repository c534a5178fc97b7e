"""Reads of wholesale ordering. Each list reads a fixed number of queries whatever its length.

Every read names whose rows it is (``visible_to``): a buyer reads its own purchase orders and
the merchant orders they were split into; a merchant reads its own merchant orders and only
their lines; operators read everything. ``access_<entity>`` fetches the one row a page or an API
view acts on, or raises ``RecordNotFound`` (a 404) for an organisation that is not its party."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, TypedDict, TypeVar

from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import (
    Aggregate,
    Count,
    DateField,
    DecimalField,
    Exists,
    Expression,
    F,
    FloatField,
    Func,
    Model,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, NullIf, TruncDate, TruncWeek
from django.utils import timezone
from django.utils.translation import gettext as _
from django_scopes import scopes_disabled

from catalog.landed_cost import LandedTotal, RouteCost, landed_costs, landed_total
from catalog.models import SKU, Category, ListingState, PriceTier, Product
from catalog.pricing import buyer_price_list_entries, price_day
from catalog.selectors import public_products
from merchants.models import MerchantApplication
from network.dashboards import Period
from network.models import Organization, WebhookEndpoint
from network.prepared import PreparedQuery
from network.selectors import exchange_rate_day, exchange_rates_in_force
from network.shipments import OrderShipment, order_shipments, tracking_urls
from network.tenancy import found
from orders.errors import QuotationExpired
from orders.models import (
    CartLine,
    DailySales,
    LineStatus,
    MerchantOrder,
    MerchantOrderSettings,
    MerchantOrderStatus,
    PriceSource,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseOrderStatus,
    ReceiptProblem,
    ReceiptProblemPhoto,
)
from orders.pricing import (  # noqa: F401  (list_unit_price and quote are re-exported)
    LinePrice,
    list_unit_price,
    price_lines,
    quote,
    wanted_of,
)

ModelT = TypeVar("ModelT", bound=Model)


def network_wide(model: type[ModelT]) -> QuerySet[ModelT]:
    """Every row of ``model``, whichever organisations share it: what the network's own figures
    (the operators' dashboards and the daily summary they read) add up."""
    # Operator-wide figures and the periodic summary count every organisation's orders.
    with scopes_disabled():
        return model._default_manager.all()


# --- What buyers may order ---------------------------------------------------------------------


def orderable_skus(sku_ids: Iterable[int]) -> QuerySet[SKU]:
    """The SKUs among ``sku_ids`` a buyer may order: of active listings of merchants in good
    standing (the catalogue's public SKUs)."""
    return SKU.objects.public().filter(pk__in={int(sku_id) for sku_id in sku_ids})


def skus_to_place(
    *, buyer: Organization, sku_ids: Iterable[int], webhook_event: str = ""
) -> dict[int, SKU]:
    """{SKU id: SKU} of the orderable SKUs among ``sku_ids`` with all that placing them reads,
    in one query: the product, the public tiers (prefetched as ``sku.tiers``),
    ``in_buyer_price_list`` (the buyer has a price-list entry in force for the product),
    ``minimum_order_usd`` (the merchant's minimum order value, None without one),
    ``usd_cny_rate`` (the operators' rate in force, None without one) and, with
    ``webhook_event``, ``buyer_hears_webhook`` (an active endpoint of the buyer subscribed to
    it). Every purchase order reads it: its SQL is compiled once per shape (``PreparedQuery``)."""
    ids = sorted({int(sku_id) for sku_id in sku_ids})
    if not ids:
        return {}
    found: list[Any] = _SKUS_TO_PLACE.run(
        shape=(len(ids), buyer.kind, webhook_event),
        buyer_id=buyer.pk,
        sku_ids=ids,
        prices_on=price_day(),
        rates_on=exchange_rate_day(),
    )
    found_skus: dict[int, SKU] = {}
    for sku in found:
        # As ``prefetch_related("tiers")`` leaves them, which the pricing reads.
        sku._prefetched_objects_cache = {
            "tiers": [
                PriceTier(pk=pk, sku_id=sku.pk, min_quantity=quantity, unit_price_usd=price)
                for pk, quantity, price in zip(
                    sku.tier_ids, sku.tier_quantities, sku.tier_prices, strict=True
                )
            ]
        }
        found_skus[sku.pk] = sku
    return found_skus


def _skus_to_place_query(
    shape: tuple[int, str, str],
    *,
    buyer_id: int,
    sku_ids: list[int],
    prices_on: date,
    rates_on: date,
) -> QuerySet[SKU]:
    _count, buyer_kind, webhook_event = shape
    buyer = Organization(pk=buyer_id, kind=buyer_kind)
    tiers = PriceTier.objects.filter(sku_id=OuterRef("pk")).order_by("min_quantity", "pk")
    skus = (
        orderable_skus(sku_ids)
        .select_related("product")
        .annotate(
            tier_ids=ArraySubquery(tiers.values("pk")),
            tier_quantities=ArraySubquery(tiers.values("min_quantity")),
            tier_prices=ArraySubquery(tiers.values("unit_price_usd")),
            in_buyer_price_list=Exists(
                buyer_price_list_entries(buyer=buyer, on=prices_on).filter(
                    product_id=OuterRef("product_id")
                )
            ),
            minimum_order_usd=Subquery(
                MerchantOrderSettings.objects.public()
                .filter(organization_id=OuterRef("organization_id"))
                .values("minimum_order_value_usd")[:1]
            ),
            usd_cny_rate=Subquery(exchange_rates_in_force(on=rates_on).values("rate")[:1]),
        )
    )
    if webhook_event:
        skus = skus.annotate(
            buyer_hears_webhook=Exists(
                WebhookEndpoint.objects.visible_to(buyer).filter(
                    organization=buyer, is_active=True, events__contains=[webhook_event]
                )
            )
        )
    return skus


_SKUS_TO_PLACE = PreparedQuery(
    _skus_to_place_query, buyer_id=int, sku_ids=[int], prices_on=date, rates_on=date
)


def minimum_order_values(merchant_ids: Iterable[int]) -> dict[int, Decimal]:
    """{merchant id: its minimum order value} for the merchants that set one (a public term)."""
    return dict(
        MerchantOrderSettings.objects.public()
        .filter(organization_id__in=list(merchant_ids))
        .values_list("organization_id", "minimum_order_value_usd")
    )


# --- Cart --------------------------------------------------------------------------------------


@dataclass
class CartItem:
    line: CartLine
    unit_price: Decimal | None
    list_price: Decimal | None
    line_total: Decimal
    saving: Decimal
    available: int
    issue: str = ""
    price_source: str = PriceSource.TIERS
    price_reference: str = ""
    # The line's quotation has expired: the buyer may go on at the list price.
    quotation_expired: bool = False
    # The estimated landed cost in China of one unit, by the cheaper route (None without).
    landed: RouteCost | None = None

    @property
    def sku(self) -> SKU:
        return self.line.sku

    @property
    def is_sample(self) -> bool:
        return self.line.is_sample

    @property
    def price_source_label(self) -> str:
        return str(PriceSource(self.price_source).label)

    @property
    def next_tier(self) -> tuple[int, Decimal] | None:
        """(quantity, unit price) of the next cheaper tier, to nudge the buyer; or None. A
        sample or a quotation has no public tiers to climb."""
        if self.price_source in (PriceSource.SAMPLE, PriceSource.QUOTATION):
            return None
        tiers = sorted(self.sku.tiers.all(), key=lambda t: t.min_quantity)
        return next(
            (
                (t.min_quantity, t.unit_price_usd)
                for t in tiers
                if t.min_quantity > self.line.quantity
            ),
            None,
        )


@dataclass
class CartGroup:
    merchant: Organization
    items: list[CartItem] = field(default_factory=list)
    subtotal: Decimal = Decimal("0.00")
    savings: Decimal = Decimal("0.00")
    minimum: Decimal | None = None

    @property
    def samples_only(self) -> bool:
        """Only samples from this merchant: its minimum order value does not apply."""
        return bool(self.items) and all(item.is_sample for item in self.items)

    @property
    def shortfall(self) -> Decimal | None:
        if self.minimum and not self.samples_only and self.subtotal < self.minimum:
            return self.minimum - self.subtotal
        return None


@dataclass
class CartView:
    groups: list[CartGroup]
    total: Decimal
    savings: Decimal
    problems: int
    # The totals in CNY at the operators' rate, with the landed estimate (None without a rate).
    cny: LandedTotal | None = None

    @property
    def line_count(self) -> int:
        return sum(len(g.items) for g in self.groups)

    @property
    def can_check_out(self) -> bool:
        return bool(self.groups) and not self.problems

    @property
    def line_ids(self) -> list[int]:
        return [item.line.pk for g in self.groups for item in g.items]


def cart_view(*, organization: Organization) -> CartView:
    """The cart grouped by merchant with each line's price (sample, quotation, price list or
    tiers), savings, every problem that would stop checkout (quantity rules, an expired
    quotation, a sample limit, stock, availability, minimum order value) and the CNY totals.
    A fixed number of queries: the lines with SKU, product, merchant and stock; the tiers; which
    listings are orderable; the merchants' minimums; the prices (``orders.pricing``); the CNY
    estimate in total and per line (``catalog.landed_cost``)."""
    lines = list(
        CartLine.objects.visible_to(organization)
        .filter(organization=organization)
        .select_related("sku__product", "sku__organization", "sku__inventory")
        .prefetch_related("sku__tiers")
        .order_by("sku__organization__name", "is_sample", "created_at", "pk")
    )
    if not lines:
        return CartView(groups=[], total=Decimal("0.00"), savings=Decimal("0.00"), problems=0)
    orderable = set(
        public_products()
        .filter(pk__in={line.sku.product_id for line in lines})
        .values_list("pk", flat=True)
    )
    minimums = minimum_order_values({line.sku.organization_id for line in lines})
    on_offer = [line for line in lines if line.sku.product_id in orderable]
    prices = dict(
        zip(
            [line.pk for line in on_offer],
            price_lines(buyer=organization, wanted=[wanted_of(line) for line in on_offer]),
            strict=True,
        )
    )
    groups: dict[int, CartGroup] = {}
    problems = 0
    for line in lines:
        sku = line.sku
        group = groups.setdefault(
            sku.organization_id,
            CartGroup(merchant=sku.organization, minimum=minimums.get(sku.organization_id)),
        )
        inventory = getattr(sku, "inventory", None)
        available = inventory.available if inventory is not None else 0
        price = prices.get(line.pk) or LinePrice()
        issue = ""
        if line.pk not in prices:
            issue = _("This product is no longer available to order.")
        elif price.refusal is not None:
            issue = price.refusal.message
        elif line.quantity > available:
            issue = _("Only %(available)s units are in stock now.") % {"available": available}
        line_total = (price.unit_price or Decimal("0")) * line.quantity
        saving = price.saving * line.quantity
        group.items.append(
            CartItem(
                line=line,
                unit_price=price.unit_price,
                list_price=price.list_price,
                line_total=line_total,
                saving=saving,
                available=available,
                issue=issue,
                price_source=price.source,
                price_reference=price.reference,
                quotation_expired=isinstance(price.refusal, QuotationExpired),
            )
        )
        group.subtotal += line_total
        group.savings += saving
        problems += bool(issue)
    problems += sum(1 for g in groups.values() if g.shortfall)
    ordered = list(groups.values())
    priced = [
        (item, item.unit_price) for g in ordered for item in g.items if item.unit_price is not None
    ]
    cny = (
        landed_total(lines=[(item.sku, price, item.line.quantity) for item, price in priced])
        if priced
        else None
    )
    if cny is not None and cny.estimated_lines:
        estimates = landed_costs(lines=[(item.sku, price) for item, price in priced], rate=cny.rate)
        for (item, _price), estimate in zip(priced, estimates, strict=True):
            item.landed = estimate.best if estimate is not None else None
    return CartView(
        groups=ordered,
        total=sum((g.subtotal for g in ordered), Decimal("0.00")),
        savings=sum((g.savings for g in ordered), Decimal("0.00")),
        problems=problems,
        cny=cny,
    )


def cart_count(*, organization: Organization) -> int:
    return CartLine.objects.visible_to(organization).filter(organization=organization).count()


def access_cart_line(*, organization: Organization, line_id: int) -> CartLine:
    """A line of ``organization``'s own cart."""
    return found(
        CartLine.objects.visible_to(organization).filter(organization=organization), pk=line_id
    )


def quantity_above_bound(*, sku_id: int | None, requested: int, most: int) -> str:
    """What to tell a buyer whose quantity is above what a quantity field accepts (``most``):
    how many units of the SKU are in stock when that is fewer, as for any quantity above the
    stock; otherwise the most one line may hold. One query."""
    sku = None
    if sku_id is not None:
        sku = orderable_skus([sku_id]).select_related("inventory").first()
    if sku is None:
        return _("Enter at most %(most)s units.") % {"most": most}
    inventory = getattr(sku, "inventory", None)
    available = inventory.available if inventory is not None else 0
    if available < most:
        return _(
            "Only %(available)s units of %(code)s are in stock; you asked for %(requested)s."
        ) % {"available": available, "code": sku.code, "requested": requested}
    return _("Order at most %(most)s units of %(code)s at a time.") % {
        "most": most,
        "code": sku.code,
    }


# --- Buyers ------------------------------------------------------------------------------------


def _merchant_orders_prefetch(organization: Organization) -> Prefetch:
    return Prefetch(
        "merchant_orders",
        queryset=MerchantOrder.objects.visible_to(organization)
        .select_related("organization")
        .order_by("number"),
    )


def purchase_orders_for_buyer(*, organization: Organization, status: str = "") -> QuerySet:
    """The buyer's purchase orders, newest first, with their merchant orders (two queries per
    page, plus the count)."""
    orders = PurchaseOrder.objects.visible_to(organization).filter(organization=organization)
    if status:
        orders = orders.filter(status=status)
    return (
        orders.select_related("placed_by")
        .annotate(line_count=Count("lines"))
        .prefetch_related(_merchant_orders_prefetch(organization))
        .order_by("-placed_at", "-pk")
    )


@dataclass
class MerchantPart:
    merchant_order: MerchantOrder | None
    merchant: Organization
    lines: list[PurchaseOrderLine]
    steps: list[dict]
    # Filled by ``with_receipt``: the shipments carrying it, the buyer's reports of problems,
    # and whether its goods have arrived (receipt can be confirmed or a problem reported).
    shipments: list[OrderShipment] = field(default_factory=list)
    problems: list[ReceiptProblem] = field(default_factory=list)
    goods_arrived: bool = False

    @property
    def subtotal(self) -> Decimal:
        return sum((line.line_total_usd for line in self.lines), Decimal("0.00"))


STEPS = [
    (MerchantOrderStatus.PENDING, "created_at"),
    (MerchantOrderStatus.ACCEPTED, "accepted_at"),
    (MerchantOrderStatus.PACKED, "packed_at"),
    (MerchantOrderStatus.SHIPPED, "shipped_at"),
    (MerchantOrderStatus.DELIVERED, "delivered_at"),
    (MerchantOrderStatus.CLOSED, "closed_at"),
]


def timeline(merchant_order: MerchantOrder | None) -> list[dict]:
    """The merchant order's progress as steps: label, done, when, and the current step."""
    labels = {
        MerchantOrderStatus.PENDING: _("Received by the merchant"),
        MerchantOrderStatus.ACCEPTED: _("Accepted"),
        MerchantOrderStatus.PACKED: _("Packed"),
        MerchantOrderStatus.SHIPPED: _("Shipped"),
        MerchantOrderStatus.DELIVERED: _("Delivered to consolidation"),
        MerchantOrderStatus.CLOSED: _("Closed"),
    }
    if merchant_order is None:
        return [
            {"label": _("Being sent to the merchant"), "done": False, "at": None, "current": True}
        ]
    steps = [
        {
            "label": labels[status],
            "done": getattr(merchant_order, stamp) is not None,
            "at": getattr(merchant_order, stamp),
            "current": False,
        }
        for status, stamp in STEPS
    ]
    if merchant_order.status in (MerchantOrderStatus.REJECTED, MerchantOrderStatus.CANCELLED):
        steps = [s for s in steps if s["done"]]
        steps.append(
            {
                "label": merchant_order.get_status_display(),
                "done": True,
                "at": merchant_order.ended_at,
                "current": True,
                "ended": True,
            }
        )
        return steps
    done = [s for s in steps if s["done"]]
    if done:
        done[-1]["current"] = True
    return steps


def with_tracking_urls(merchant_orders: Iterable[MerchantOrder | None]) -> None:
    """Set ``tracking_url`` on each merchant order: its carrier's tracking page for its
    tracking number, or "" (one query for all of them, none when nothing is tracked)."""
    present = [mo for mo in merchant_orders if mo is not None]
    urls = tracking_urls((mo.carrier_name, mo.tracking_number) for mo in present)
    for mo in present:
        mo.tracking_url = urls.get((mo.carrier_name, mo.tracking_number), "")


def purchase_order_parts(purchase_order: PurchaseOrder) -> list[MerchantPart]:
    """The order's lines grouped by merchant, with each merchant order's timeline and tracking
    page (two queries: the lines with their merchants, the merchant orders; a third for the
    carriers when a part has a tracking number). Read as the purchase order's buyer sees it:
    every merchant's part."""
    buyer = purchase_order.organization
    lines = list(
        PurchaseOrderLine.objects.visible_to(buyer)
        .filter(purchase_order=purchase_order)
        .select_related("merchant")
        .order_by("merchant__name", "pk")
    )
    merchant_orders = {
        mo.organization_id: mo
        for mo in MerchantOrder.objects.visible_to(buyer).filter(purchase_order=purchase_order)
    }
    with_tracking_urls(merchant_orders.values())
    grouped: dict[int, list[PurchaseOrderLine]] = defaultdict(list)
    merchants: dict[int, Organization] = {}
    for line in lines:
        grouped[line.merchant_id].append(line)
        merchants[line.merchant_id] = line.merchant
    parts = []
    for merchant_id, merchant_lines in grouped.items():
        merchant_order = merchant_orders.get(merchant_id)
        if merchant_order is not None:
            merchant_order.organization = merchants[merchant_id]
        parts.append(
            MerchantPart(
                merchant_order=merchant_order,
                merchant=merchants[merchant_id],
                lines=merchant_lines,
                steps=timeline(merchant_order),
            )
        )
    return parts


def access_purchase_order(*, organization: Organization, reference: str) -> PurchaseOrder:
    """The purchase order numbered ``reference``, if ``organization`` is its buyer or an
    operator."""
    return found(
        PurchaseOrder.objects.visible_to(organization).select_related("placed_by", "organization"),
        number=reference,
    )


# --- Merchants ---------------------------------------------------------------------------------


def merchant_orders_for_merchant(*, organization: Organization, status: str = "") -> QuerySet:
    """The merchant's incoming orders, newest first, with buyer, purchase order and line count
    (one query per page, plus the count)."""
    orders = MerchantOrder.objects.visible_to(organization).filter(organization=organization)
    if status:
        orders = orders.filter(status=status)
    return (
        orders.select_related("buyer", "purchase_order")
        .annotate(line_count=Count("lines"))
        .order_by("-created_at", "-pk")
    )


def merchant_order_counts(*, organization: Organization) -> dict[str, int]:
    rows = (
        MerchantOrder.objects.visible_to(organization)
        .filter(organization=organization)
        .order_by()
        .values_list("status")
        .annotate(n=Count("pk"))
    )
    return dict(rows)


def access_merchant_order(*, organization: Organization, reference: str) -> MerchantOrder:
    """The merchant order numbered ``reference``, if ``organization`` is its buyer, its merchant
    or an operator."""
    return found(
        MerchantOrder.objects.visible_to(organization).select_related(
            "buyer", "purchase_order", "purchase_order__placed_by", "organization"
        ),
        number=reference,
    )


def merchant_order_lines(merchant_order: MerchantOrder) -> list[PurchaseOrderLine]:
    """The lines of this merchant order only (never another merchant's)."""
    return list(
        PurchaseOrderLine.objects.visible_to(merchant_order.organization)
        .filter(merchant_order=merchant_order, merchant_id=merchant_order.organization_id)
        .order_by("pk")
    )


def merchant_order_settings(*, organization: Organization) -> MerchantOrderSettings:
    """The merchant's own order terms (unsaved defaults when it has set none)."""
    settings_row = (
        MerchantOrderSettings.objects.visible_to(organization)
        .filter(organization=organization)
        .first()
    )
    return settings_row or MerchantOrderSettings(organization=organization)


# --- Operators ---------------------------------------------------------------------------------


def all_purchase_orders(
    *, organization: Organization, status: str = "", query: str = ""
) -> QuerySet:
    """Every purchase order ``organization`` sees (an operator: the whole network's), newest
    first, with buyer and merchant orders."""
    orders = PurchaseOrder.objects.visible_to(organization)
    if status:
        orders = orders.filter(status=status)
    if query:
        orders = orders.filter(
            Q(number__iexact=query)
            | Q(buyer_reference__iexact=query)
            | Q(organization__name__icontains=query)
            | Q(merchant_orders__number__iexact=query)
        ).distinct()
    return (
        orders.select_related("organization")
        .annotate(line_count=Count("lines", distinct=True))
        .prefetch_related(_merchant_orders_prefetch(organization))
        .order_by("-placed_at", "-pk")
    )


def network_order_counts(*, organization: Organization) -> dict[str, int]:
    """Purchase orders ``organization`` sees (an operator: the network's) by status."""
    return dict(
        PurchaseOrder.objects.visible_to(organization)
        .order_by()
        .values_list("status")
        .annotate(n=Count("pk"))
    )


# --- Dashboards --------------------------------------------------------------------------------
# Aggregates in SQL over a date range; each function is one query whatever the number of orders.


class Percentile(Aggregate):
    """PostgreSQL's continuous percentile of the expression (``fraction`` between 0 and 1)."""

    function = "PERCENTILE_CONT"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, expression: Expression | str, *, fraction: float, **extra: Any) -> None:
        super().__init__(expression, fraction=float(fraction), **extra)


class DaysBetween(Func):
    """The interval of a datetime subtraction, in (fractional) days."""

    template = "(EXTRACT(EPOCH FROM %(expressions)s) / 86400.0)"
    output_field = FloatField()


# Lines that count as sold: everything but what the merchant rejected or was cancelled.
SOLD_LINES = ~Q(status__in=[LineStatus.REJECTED, LineStatus.CANCELLED])


def sold_lines(
    *, period: Period, buyer: Organization | None = None, merchant: Organization | None = None
) -> QuerySet[PurchaseOrderLine]:
    """Sold purchase order lines whose purchase order was placed in ``period``, network-wide or
    of one buyer (the lines it bought) or one merchant (the lines it sold)."""
    lines: QuerySet[PurchaseOrderLine]
    if buyer is not None:
        lines = PurchaseOrderLine.objects.visible_to(buyer).filter(organization=buyer)
    elif merchant is not None:
        lines = PurchaseOrderLine.objects.visible_to(merchant)
    else:
        lines = network_wide(PurchaseOrderLine)
    if merchant is not None:
        lines = lines.filter(merchant=merchant)
    return lines.filter(
        SOLD_LINES,
        purchase_order__placed_at__gte=period.start_at,
        purchase_order__placed_at__lt=period.end_at,
    )


def _week(field: str) -> TruncWeek:
    return TruncWeek(field, output_field=DateField())


def gmv_by_week(*, period: Period, buyer: Organization | None = None) -> list[dict]:
    """Per week: GMV, purchase orders, and GMV bought by buyers registered in China. Network-wide
    (no ``buyer``), the days the daily summary covers are read from it."""
    if buyer is not None:
        return list(
            sold_lines(period=period, buyer=buyer)
            .annotate(week=_week("purchase_order__placed_at"))
            .values("week")
            .annotate(
                gmv=Sum("line_total_usd"),
                purchase_orders=Count("purchase_order", distinct=True),
                gmv_china=Coalesce(
                    Sum("line_total_usd", filter=Q(organization__country="CN")),
                    Value(Decimal("0.00")),
                ),
            )
            .order_by("week")
        )
    summarised, live = summary_split(period)
    parts: list[QuerySet[Any, dict[str, Any]]] = []
    if summarised is not None:
        parts.append(
            daily_sales(period=summarised)
            .values(week=_week("day"))
            .annotate(
                gmv=Sum("gmv_usd"),
                gmv_china=Coalesce(
                    Sum("gmv_usd", filter=Q(buyer_country="CN")), Value(Decimal("0.00"))
                ),
            )
            .order_by()
        )
    if live is not None:
        parts.append(
            sold_lines(period=live)
            .values(week=_week("purchase_order__placed_at"))
            .annotate(
                gmv=Sum("line_total_usd"),
                gmv_china=Coalesce(
                    Sum("line_total_usd", filter=Q(organization__country="CN")),
                    Value(Decimal("0.00")),
                ),
            )
            .order_by()
        )
    # A purchase order is cancelled exactly when none of its lines is sold.
    orders = (
        network_wide(PurchaseOrder)
        .filter(placed_at__gte=period.start_at, placed_at__lt=period.end_at)
        .exclude(status=PurchaseOrderStatus.CANCELLED)
        .values(week=_week("placed_at"))
        .annotate(purchase_orders=Count("pk"))
        .order_by()
    )
    weeks = _merge(parts, key=("week",), sums=("gmv", "gmv_china"))
    for row in orders:
        weeks.setdefault(
            (row["week"],),
            {"week": row["week"], "gmv": Decimal("0.00"), "gmv_china": Decimal("0.00")},
        )["purchase_orders"] = row["purchase_orders"]
    return sorted(
        ({"purchase_orders": 0, **row} for row in weeks.values()), key=lambda row: row["week"]
    )


def active_buyers_by_week(*, period: Period) -> list[dict]:
    orders = (
        network_wide(PurchaseOrder)
        .filter(placed_at__gte=period.start_at, placed_at__lt=period.end_at)
        .exclude(status=PurchaseOrderStatus.CANCELLED)
    )
    return list(
        orders.annotate(week=_week("placed_at"))
        .values("week")
        .annotate(buyers=Count("organization", distinct=True))
        .order_by("week")
    )


def active_buyer_totals(*, period: Period) -> dict[str, int]:
    """Buyer organisations: registered, active in ``period``, and first ordering in it."""
    placed = (
        network_wide(PurchaseOrder)
        .filter(organization=OuterRef("pk"))
        .exclude(status=PurchaseOrderStatus.CANCELLED)
    )
    in_period = placed.filter(placed_at__gte=period.start_at, placed_at__lt=period.end_at)
    before = placed.filter(placed_at__lt=period.start_at)
    return Organization.objects.filter(kind=Organization.Kind.BUYER).aggregate(
        registered=Count("pk"),
        active=Count("pk", filter=Exists(in_period)),
        new=Count("pk", filter=Exists(in_period) & ~Exists(before)),
    )


def merchant_funnel(*, period: Period) -> dict[str, int]:
    """Of the merchants who submitted an application in ``period``: how many were approved,
    have published a listing, and have received a merchant order since."""
    listed = network_wide(Product).filter(
        Q(published_at__isnull=False) | Q(state=ListingState.ACTIVE),
        organization=OuterRef("organization"),
    )
    ordered = network_wide(MerchantOrder).filter(organization=OuterRef("organization"))
    return (
        network_wide(MerchantApplication)
        .filter(submitted_at__gte=period.start_at, submitted_at__lt=period.end_at)
        .aggregate(
            applied=Count("pk"),
            approved=Count("pk", filter=Q(approved_at__isnull=False)),
            listed=Count("pk", filter=Q(approved_at__isnull=False) & Exists(listed)),
            ordered=Count(
                "pk", filter=Q(approved_at__isnull=False) & Exists(listed) & Exists(ordered)
            ),
        )
    )


def gmv_by_category(*, period: Period, buyer: Organization | None = None) -> list[dict]:
    """GMV and units per top-level category of the products ordered, largest first.
    Network-wide (no ``buyer``), the days the daily summary covers are read from it."""
    top_level = Coalesce("sku__product__category__parent", "sku__product__category")
    parts: list[QuerySet[Any, dict[str, Any]]] = []
    if buyer is not None:
        parts.append(
            _by_category(sold_lines(period=period, buyer=buyer), top_level, "line_total_usd")
        )
    else:
        summarised, live = summary_split(period)
        if summarised is not None:
            parts.append(
                daily_sales(period=summarised)
                .values(category_pk=F("category"))
                .annotate(gmv=Sum("gmv_usd"), units=Sum("units"))
                .order_by()
            )
        if live is not None:
            parts.append(_by_category(sold_lines(period=live), top_level, "line_total_usd"))
    rows = _merge(parts, key=("category_pk",), sums=("gmv", "units"))
    categories = Category.objects.in_bulk([pk for (pk,) in rows if pk is not None]) if rows else {}
    named = [
        {
            **row,
            "name": categories[row["category_pk"]].name
            if row["category_pk"] in categories
            else _("Uncategorised"),
        }
        for row in rows.values()
    ]
    return sorted(named, key=lambda row: (-row["gmv"], row["name"]))


def _by_category(
    lines: QuerySet[PurchaseOrderLine], top_level: Expression, amount: str
) -> QuerySet[PurchaseOrderLine, dict[str, Any]]:
    return (
        lines.values(category_pk=top_level)
        .annotate(gmv=Sum(amount), units=Sum("quantity"))
        .order_by()
    )


def gmv_by_merchant_state(*, period: Period) -> list[dict]:
    """GMV per US state of the selling merchant's registered address, largest first; the days
    the daily summary covers are read from it."""
    summarised, live = summary_split(period)
    parts: list[QuerySet[Any, dict[str, Any]]] = []
    if summarised is not None:
        parts.append(
            daily_sales(period=summarised)
            .values(state=F("merchant__merchant_application__state"), merchant_pk=F("merchant"))
            .annotate(gmv=Sum("gmv_usd"))
            .order_by()
        )
    if live is not None:
        parts.append(
            sold_lines(period=live)
            .values(state=F("merchant__merchant_application__state"), merchant_pk=F("merchant"))
            .annotate(gmv=Sum("line_total_usd"))
            .order_by()
        )
    # Per (state, merchant) from SQL, then per state: at most a row per merchant.
    by_merchant = _merge(parts, key=("state", "merchant_pk"), sums=("gmv",))
    states: dict[str, dict] = {}
    for row in by_merchant.values():
        state = states.setdefault(
            row["state"], {"state": row["state"], "gmv": Decimal("0.00"), "merchants": 0}
        )
        state["gmv"] += row["gmv"]
        state["merchants"] += 1
    return sorted(states.values(), key=lambda row: (-row["gmv"], row["state"] or ""))


def _merge(
    parts: Iterable[Iterable[dict[str, Any]]], *, key: tuple[str, ...], sums: tuple[str, ...]
) -> dict[tuple, dict]:
    """Rows of already-aggregated queries added up by ``key`` (summary days + live days)."""
    merged: dict[tuple, dict] = {}
    for part in parts:
        for row in part:
            k = tuple(row[name] for name in key)
            if k not in merged:
                merged[k] = dict(row)
            else:
                for name in sums:
                    merged[k][name] += row[name] or 0
    return merged


# --- The daily summary -------------------------------------------------------------------------


def summary_split(period: Period) -> tuple[Period | None, Period | None]:
    """(the part of ``period`` to read from the daily summary, the part to read live): the
    summary holds whole days before the day of its last refresh."""
    refreshed = (
        network_wide(DailySales)
        .order_by("-refreshed_at")
        .values_list("refreshed_at", flat=True)
        .first()
    )
    if refreshed is None:
        return None, period
    cutoff = timezone.localdate(refreshed)
    summarised = (
        Period(start=period.start, end=min(period.end, cutoff - timedelta(days=1)))
        if period.start < cutoff
        else None
    )
    live = Period(start=max(period.start, cutoff), end=period.end) if period.end >= cutoff else None
    return summarised, live


def daily_sales(*, period: Period) -> QuerySet[DailySales]:
    return network_wide(DailySales).filter(day__gte=period.start, day__lte=period.end)


def daily_sales_rows(*, since: date) -> QuerySet:
    """Sold lines placed on or after ``since`` summed per day, merchant, top-level category and
    buyer country: the rows of the daily summary, computed in one query."""
    lines = network_wide(PurchaseOrderLine).filter(
        SOLD_LINES, purchase_order__placed_at__gte=_day_start(since)
    )
    return (
        lines.values(
            day_placed=TruncDate("purchase_order__placed_at"),
            merchant_pk=F("merchant"),
            category_pk=Coalesce("sku__product__category__parent", "sku__product__category"),
            country=F("organization__country"),
        )
        .annotate(gmv=Sum("line_total_usd"), units=Sum("quantity"), line_count=Count("pk"))
        .order_by()
    )


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def order_to_shipment(*, period: Period, buckets: Sequence[tuple[str, int, int | None]]) -> dict:
    """For merchant orders shipped in ``period``: how many, the median and 90th percentile of
    days from the purchase order's placing to shipment, and counts per [low, high) bucket."""
    shipped = network_wide(MerchantOrder).filter(
        shipped_at__gte=period.start_at, shipped_at__lt=period.end_at
    )
    days = DaysBetween(F("shipped_at") - F("purchase_order__placed_at"))
    counts = {}
    for index, (_label, low, high) in enumerate(buckets):
        within = Q(days__gte=low) if high is None else Q(days__gte=low, days__lt=high)
        counts[f"bucket_{index}"] = Count("pk", filter=within)
    return shipped.annotate(days=days).aggregate(
        shipped=Count("pk"),
        median=Percentile("days", fraction=0.5),
        p90=Percentile("days", fraction=0.9),
        **counts,
    )


def merchant_sales_by_week(*, merchant: Organization, period: Period) -> list[dict]:
    return list(
        sold_lines(period=period, merchant=merchant)
        .annotate(week=_week("purchase_order__placed_at"))
        .values("week")
        .annotate(
            sales=Sum("line_total_usd"),
            orders=Count("purchase_order", distinct=True),
            units=Sum("quantity"),
        )
        .order_by("week")
    )


def merchant_sales_totals(*, merchant: Organization, period: Period) -> dict:
    return sold_lines(period=period, merchant=merchant).aggregate(
        sales=Coalesce(Sum("line_total_usd"), Value(Decimal("0.00"))),
        orders=Count("purchase_order", distinct=True),
        units=Sum("quantity"),
        buyers=Count("organization", distinct=True),
    )


def merchant_top_products(*, merchant: Organization, period: Period, limit: int = 50) -> list[dict]:
    return list(
        sold_lines(period=period, merchant=merchant)
        .values("sku_code", "product_title")
        .annotate(
            sales=Sum("line_total_usd"),
            units=Sum("quantity"),
            orders=Count("purchase_order", distinct=True),
        )
        .order_by("-sales", "sku_code")[:limit]
    )


def merchant_pipeline(*, merchant: Organization, period: Period) -> dict[str, dict]:
    """Merchant orders received in ``period`` by their status now: count and value."""
    rows = (
        MerchantOrder.objects.visible_to(merchant)
        .filter(
            organization=merchant, created_at__gte=period.start_at, created_at__lt=period.end_at
        )
        .values("status")
        .annotate(orders=Count("pk"), value=Sum("subtotal_usd"))
        .order_by()
    )
    return {row["status"]: row for row in rows}


def buyer_spend_by_merchant(*, buyer: Organization, period: Period) -> list[dict]:
    display = Coalesce(
        NullIf("merchant__merchant_application__dba", Value("")),
        NullIf("merchant__merchant_application__legal_name", Value("")),
        "merchant__name",
    )
    return list(
        sold_lines(period=period, buyer=buyer)
        .values(merchant_name=display)
        .annotate(
            spend=Sum("line_total_usd"),
            savings=Sum(
                (F("list_unit_price_usd") - F("unit_price_usd")) * F("quantity"),
                output_field=DecimalField(max_digits=14, decimal_places=2),
            ),
            purchase_orders=Count("purchase_order", distinct=True),
        )
        .order_by("-spend", "merchant_name")
        .values("merchant_name", "spend", "savings", "purchase_orders")
    )


class OpenPurchaseOrder(TypedDict):
    number: str
    buyer_reference: str
    placed_at: datetime
    status: str
    merchant_count: int
    total_usd: Decimal


def open_purchase_orders(
    *, buyer: Organization, statuses: Iterable[str], limit: int = 100
) -> list[OpenPurchaseOrder]:
    return list(
        PurchaseOrder.objects.visible_to(buyer)
        .filter(organization=buyer, status__in=statuses)
        .order_by("-placed_at", "-pk")
        .values("number", "buyer_reference", "placed_at", "status", "merchant_count", "total_usd")[
            :limit
        ]
    )


# --- Shipments and receipt ---------------------------------------------------------------------


def receipt_problems_of(
    *, organization: Organization, merchant_order_ids: Iterable[int]
) -> dict[int, list[ReceiptProblem]]:
    """{merchant order id: its receipt problems, newest first, with their photos} as
    ``organization`` (buyer, merchant or operator) sees them: two queries."""
    ids = [pk for pk in merchant_order_ids if pk]
    if not ids:
        return {}
    problems: dict[int, list[ReceiptProblem]] = defaultdict(list)
    for problem in (
        ReceiptProblem.objects.visible_to(organization)
        .filter(merchant_order_id__in=ids)
        .select_related("reported_by")
        .prefetch_related(
            Prefetch("photos", queryset=ReceiptProblemPhoto.objects.visible_to(organization))
        )
        .order_by("-created_at", "-pk")
    ):
        problems[problem.merchant_order_id].append(problem)
    return dict(problems)


def arrived(merchant_order: MerchantOrder, shipments: Sequence[OrderShipment]) -> bool:
    """Whether the goods have arrived for the buyer: on a shipment, once it arrived; without
    one, once delivered to consolidation (the rule ``services.receipt`` applies)."""
    if merchant_order.status not in (
        MerchantOrderStatus.SHIPPED,
        MerchantOrderStatus.DELIVERED,
        MerchantOrderStatus.CLOSED,
    ):
        return False
    if shipments:
        return any(shipment.arrived for shipment in shipments)
    return merchant_order.status != MerchantOrderStatus.SHIPPED


def with_receipt(parts: Sequence[MerchantPart], *, organization: Organization) -> None:
    """Give each part its shipments, receipt problems and whether its goods arrived (a fixed
    number of queries for all the parts)."""
    ids = [part.merchant_order.pk for part in parts if part.merchant_order is not None]
    shipments = order_shipments(organization=organization, merchant_order_ids=ids)
    problems = receipt_problems_of(organization=organization, merchant_order_ids=ids)
    for part in parts:
        if part.merchant_order is None:
            continue
        part.shipments = shipments.get(part.merchant_order.pk, [])
        part.problems = problems.get(part.merchant_order.pk, [])
        part.goods_arrived = arrived(part.merchant_order, part.shipments)


def receipt_problems_for_operators(
    *, organization: Organization, status: str = ""
) -> QuerySet[ReceiptProblem]:
    """Every receipt problem of the network, newest first, with its orders and photos (for
    the operators' list: a fixed number of queries per page)."""
    problems = ReceiptProblem.objects.visible_to(organization)
    if status:
        problems = problems.filter(status=status)
    return (
        problems.select_related(
            "organization", "merchant", "merchant_order__purchase_order", "reported_by"
        )
        .prefetch_related(
            Prefetch("photos", queryset=ReceiptProblemPhoto.objects.visible_to(organization))
        )
        .order_by("-created_at", "-pk")
    )


def access_receipt_photo(
    *, organization: Organization, merchant_order: MerchantOrder, photo_id: int
) -> ReceiptProblemPhoto:
    """A photo of a receipt problem of ``merchant_order``, if ``organization`` is the buyer,
    the merchant or an operator."""
    return found(
        ReceiptProblemPhoto.objects.visible_to(organization).filter(
            problem__merchant_order=merchant_order
        ),
        pk=photo_id,
    )
