"""Reads of wholesale ordering. Each list reads a fixed number of queries whatever its length.

A buyer reads its own purchase orders (tenant-scoped) and, through them, the merchant orders
they were split into; a merchant reads its own merchant orders and only their lines, filtered
here explicitly because the lines belong to the buyer's tenant; operators read everything."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils.translation import gettext as _
from django_scopes import scopes_disabled

from catalog.selectors import public_products
from network.models import Organization
from orders.errors import QuantityNotAllowed
from orders.models import (
    CartLine,
    MerchantOrder,
    MerchantOrderSettings,
    MerchantOrderStatus,
    PurchaseOrder,
    PurchaseOrderLine,
)
from orders.services import minimum_order_values, quote

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

    @property
    def sku(self):
        return self.line.sku

    @property
    def next_tier(self):
        """(quantity, unit price) of the next cheaper tier, to nudge the buyer; or None."""
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
    def shortfall(self) -> Decimal | None:
        if self.minimum and self.subtotal < self.minimum:
            return self.minimum - self.subtotal
        return None


@dataclass
class CartView:
    groups: list[CartGroup]
    total: Decimal
    savings: Decimal
    problems: int

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
    """The cart grouped by merchant with tier prices, savings, and every problem that would
    stop checkout (quantity rules, stock, availability, minimum order value). Four queries: the
    lines with SKU, product, merchant and stock; the tiers; which listings are orderable; the
    merchants' minimums."""
    lines = list(
        CartLine.objects.filter(organization=organization)
        .select_related("sku__product", "sku__organization", "sku__inventory")
        .prefetch_related("sku__tiers")
        .order_by("sku__organization__name", "created_at", "pk")
    )
    if not lines:
        return CartView(groups=[], total=Decimal("0.00"), savings=Decimal("0.00"), problems=0)
    with scopes_disabled():
        orderable = set(
            public_products()
            .filter(pk__in={line.sku.product_id for line in lines})
            .values_list("pk", flat=True)
        )
    minimums = minimum_order_values({line.sku.organization_id for line in lines})
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
        unit_price = list_price = None
        issue = ""
        if sku.product_id not in orderable:
            issue = _("This product is no longer available to order.")
        else:
            try:
                unit_price, list_price = quote(sku=sku, quantity=line.quantity)
            except QuantityNotAllowed as error:
                issue = error.message
            else:
                if line.quantity > available:
                    issue = _("Only %(available)s units are in stock now.") % {
                        "available": available
                    }
        line_total = (unit_price or Decimal("0")) * line.quantity
        saving = (
            ((list_price - unit_price) * line.quantity)
            if unit_price and list_price
            else Decimal("0")
        )
        group.items.append(
            CartItem(
                line=line,
                unit_price=unit_price,
                list_price=list_price,
                line_total=line_total,
                saving=saving,
                available=available,
                issue=issue,
            )
        )
        group.subtotal += line_total
        group.savings += saving
        problems += bool(issue)
    problems += sum(1 for g in groups.values() if g.shortfall)
    ordered = list(groups.values())
    return CartView(
        groups=ordered,
        total=sum((g.subtotal for g in ordered), Decimal("0.00")),
        savings=sum((g.savings for g in ordered), Decimal("0.00")),
        problems=problems,
    )


def cart_count(*, organization: Organization) -> int:
    return CartLine.objects.filter(organization=organization).count()


# --- Buyers ------------------------------------------------------------------------------------


def _merchant_orders_prefetch() -> Prefetch:
    with scopes_disabled():
        return Prefetch(
            "merchant_orders",
            queryset=MerchantOrder.objects.select_related("organization").order_by("number"),
        )


def purchase_orders_for_buyer(*, organization: Organization, status: str = "") -> QuerySet:
    """The buyer's purchase orders, newest first, with their merchant orders (two queries per
    page, plus the count)."""
    orders = PurchaseOrder.objects.filter(organization=organization)
    if status:
        orders = orders.filter(status=status)
    return (
        orders.select_related("placed_by")
        .annotate(line_count=Count("lines"))
        .prefetch_related(_merchant_orders_prefetch())
        .order_by("-placed_at", "-pk")
    )


@dataclass
class MerchantPart:
    merchant_order: MerchantOrder | None
    merchant: Organization
    lines: list[PurchaseOrderLine]
    steps: list[dict]

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


def purchase_order_parts(purchase_order: PurchaseOrder) -> list[MerchantPart]:
    """The order's lines grouped by merchant, with each merchant order's timeline (two queries:
    the lines with their merchants, the merchant orders)."""
    with scopes_disabled():
        lines = list(
            PurchaseOrderLine.objects.filter(purchase_order=purchase_order)
            .select_related("merchant")
            .order_by("merchant__name", "pk")
        )
        merchant_orders = {
            mo.organization_id: mo
            for mo in MerchantOrder.objects.filter(purchase_order=purchase_order)
        }
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


def purchase_order_for_buyer(*, organization: Organization, number: str) -> PurchaseOrder | None:
    return (
        PurchaseOrder.objects.filter(organization=organization, number=number)
        .select_related("placed_by", "organization")
        .first()
    )


# --- Merchants ---------------------------------------------------------------------------------


def merchant_orders_for_merchant(*, organization: Organization, status: str = "") -> QuerySet:
    """The merchant's incoming orders, newest first, with buyer, purchase order and line count
    (one query per page, plus the count)."""
    orders = MerchantOrder.objects.filter(organization=organization)
    if status:
        orders = orders.filter(status=status)
    return (
        orders.select_related("buyer", "purchase_order")
        .annotate(line_count=Count("lines"))
        .order_by("-created_at", "-pk")
    )


def merchant_order_counts(*, organization: Organization) -> dict[str, int]:
    rows = (
        MerchantOrder.objects.filter(organization=organization)
        .order_by()
        .values_list("status")
        .annotate(n=Count("pk"))
    )
    return dict(rows)


def merchant_order_for_merchant(*, organization: Organization, number: str) -> MerchantOrder | None:
    return (
        MerchantOrder.objects.filter(organization=organization, number=number)
        .select_related("buyer", "purchase_order", "purchase_order__placed_by", "organization")
        .first()
    )


def merchant_order_lines(merchant_order: MerchantOrder) -> list[PurchaseOrderLine]:
    """The lines of this merchant order only (never another merchant's)."""
    with scopes_disabled():
        return list(
            PurchaseOrderLine.objects.filter(
                merchant_order=merchant_order, merchant_id=merchant_order.organization_id
            ).order_by("pk")
        )


def merchant_order_settings(*, organization: Organization) -> MerchantOrderSettings:
    settings_row = MerchantOrderSettings.objects.filter(organization=organization).first()
    return settings_row or MerchantOrderSettings(organization=organization)


# --- Operators ---------------------------------------------------------------------------------


def all_purchase_orders(*, status: str = "", query: str = "") -> QuerySet:
    """Every purchase order of the network, newest first, with buyer and merchant orders."""
    with scopes_disabled():
        orders = PurchaseOrder.objects.all()
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
            .prefetch_related(_merchant_orders_prefetch())
            .order_by("-placed_at", "-pk")
        )


def purchase_order_any(*, number: str) -> PurchaseOrder | None:
    with scopes_disabled():
        return (
            PurchaseOrder.objects.filter(number=number)
            .select_related("placed_by", "organization")
            .first()
        )


def network_order_counts() -> dict[str, int]:
    with scopes_disabled():
        return dict(PurchaseOrder.objects.order_by().values_list("status").annotate(n=Count("pk")))
