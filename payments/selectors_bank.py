"""What the buyer owes and has paid, per purchase order; the operators' reconciliation queue and
credit limits. Private rows are read through ``visible_to``; the operators' lists are
network-wide."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet

from network.models import Organization
from orders.models import MerchantOrder, PurchaseOrder, PurchaseOrderStatus
from payments.ledger import ZERO, balances, buyer_balance
from payments.models import (
    AccountKind,
    BankEntry,
    BankStatement,
    BuyerCredit,
    LedgerAccount,
    PaymentPlan,
    PurchaseOrderPayment,
)
from payments.services import plans


@dataclass
class PlanLine:
    plan: PaymentPlan
    merchant_order: MerchantOrder
    paid: Decimal
    held: Decimal
    ended: bool
    released: bool

    @property
    def due_before_shipment(self) -> Decimal:
        return ZERO if self.ended else max(self.plan.pre_shipment_usd - self.paid, ZERO)

    @property
    def owed(self) -> Decimal:
        return ZERO if self.ended else max(self.plan.total_usd - self.paid, ZERO)

    @property
    def may_ship(self) -> bool:
        return self.due_before_shipment <= ZERO

    @property
    def due_on(self) -> date | None:
        return self.plan.due_on


@dataclass
class OrderPayment:
    purchase_order: PurchaseOrder
    reference: str
    lines: list[PlanLine] = field(default_factory=list)

    @property
    def total(self) -> Decimal:
        return sum((line.plan.total_usd for line in self.lines if not line.ended), ZERO)

    @property
    def paid(self) -> Decimal:
        return sum((line.paid for line in self.lines), ZERO)

    @property
    def owed(self) -> Decimal:
        return sum((line.owed for line in self.lines), ZERO)

    @property
    def due_before_shipment(self) -> Decimal:
        return sum((line.due_before_shipment for line in self.lines), ZERO)

    @property
    def next_due_on(self) -> date | None:
        dates = [line.due_on for line in self.lines if line.owed > ZERO and line.due_on]
        return min(dates) if dates else None


def collection_account() -> dict[str, str]:
    return dict(settings.PAYMENTS_COLLECTION_ACCOUNT)


def order_payments(
    purchase_orders: list[PurchaseOrder], *, organization: Organization
) -> list[OrderPayment]:
    """Each purchase order's reference and, per merchant order, what is paid, held and owed,
    as ``organization`` sees them (a merchant: its own merchant orders, and no reference) — in
    a fixed number of queries whatever the number of orders and merchants."""
    if not purchase_orders:
        return []
    all_plans = list(
        PaymentPlan.objects.visible_to(organization)
        .filter(purchase_order__in=purchase_orders)
        .select_related("merchant_order__organization")
        .order_by("pk")
    )
    paid = plans.paid_amounts(all_plans)
    escrows = {
        account.merchant_order_id: account
        for account in LedgerAccount.objects.visible_to(organization).filter(
            kind=AccountKind.ESCROW,
            merchant_order__in=[plan.merchant_order_id for plan in all_plans],
        )
    }
    held = balances(list(escrows.values()))
    refs = dict(
        PurchaseOrderPayment.objects.visible_to(organization)
        .filter(purchase_order__in=purchase_orders)
        .values_list("purchase_order_id", "reference")
    )
    result = []
    for order in purchase_orders:
        payment = OrderPayment(purchase_order=order, reference=refs.get(order.pk, ""))
        for plan in all_plans:
            if plan.purchase_order_id != order.pk:
                continue
            escrow = escrows.get(plan.merchant_order_id)
            payment.lines.append(
                PlanLine(
                    plan=plan,
                    merchant_order=plan.merchant_order,
                    paid=paid[plan.pk],
                    held=held[escrow.pk] if escrow else ZERO,
                    ended=plan.merchant_order.status in plans.ENDED,
                    released=plan.released_at is not None,
                )
            )
        result.append(payment)
    return result


def order_payment(purchase_order: PurchaseOrder, *, organization: Organization) -> OrderPayment:
    return order_payments([purchase_order], organization=organization)[0]


@dataclass
class Credit:
    balance: Decimal  # the buyer's money not applied to an order
    limit: Decimal  # net terms granted
    exposure: Decimal  # owed on open net-terms orders

    @property
    def available(self) -> Decimal:
        return max(self.limit - self.exposure, ZERO)


def buyer_credit(organization: Organization) -> Credit:
    return Credit(
        balance=buyer_balance(organization),
        limit=plans.credit_limit(organization),
        exposure=plans.credit_exposure(organization),
    )


def buyer_purchase_orders(*, organization: Organization) -> QuerySet[PurchaseOrder]:
    return (
        PurchaseOrder.objects.visible_to(organization)
        .filter(organization=organization, fanned_out_at__isnull=False)
        .exclude(status=PurchaseOrderStatus.CANCELLED, payment_plans__isnull=True)
        .distinct()
        .order_by("-placed_at", "-pk")
    )


def buyer_received(*, organization: Organization, limit: int = 20) -> list[BankEntry]:
    return list(
        BankEntry.objects.visible_to(organization)
        .filter(organization=organization)
        .select_related("purchase_order")
        .order_by("-booking_date", "-pk")[:limit]
    )


def buyer_purchase_order(*, organization: Organization, number: str) -> PurchaseOrder | None:
    """The purchase order ``number`` if ``organization`` is its buyer (operators see any)."""
    orders = PurchaseOrder.objects.visible_to(organization).select_related("organization")
    if organization.kind != Organization.Kind.OPERATOR:
        orders = orders.filter(organization=organization)
    return orders.filter(number=number).first()


# --- Operators ---------------------------------------------------------------------------------


def unmatched_entries(*, organization: Organization) -> list[BankEntry]:
    """The queue (operators: ``organization`` is theirs, and they see every entry)."""
    return list(
        BankEntry.objects.visible_to(organization)
        .filter(status=BankEntry.Status.UNMATCHED)
        .select_related("statement")
        .order_by("booking_date", "pk")
    )


def recent_entries(*, organization: Organization, limit: int = 30) -> list[BankEntry]:
    return list(
        BankEntry.objects.visible_to(organization)
        .exclude(status=BankEntry.Status.UNMATCHED)
        .select_related("purchase_order", "organization", "decided_by")
        .order_by("-created_at", "-pk")[:limit]
    )


def recent_statements(*, organization: Organization, limit: int = 20) -> list[BankStatement]:
    return list(
        BankStatement.objects.visible_to(organization)
        .select_related("uploaded_by")
        .order_by("-uploaded_at", "-pk")[:limit]
    )


def unmatched_entry(*, organization: Organization, pk: int) -> BankEntry | None:
    return BankEntry.objects.visible_to(organization).filter(pk=pk).first()


def purchase_order_by_number(*, organization: Organization, number: str) -> PurchaseOrder | None:
    return (
        PurchaseOrder.objects.visible_to(organization)
        .select_related("organization")
        .filter(number=number.strip().upper())
        .first()
    )


@dataclass
class CreditRow:
    organization: Organization
    limit: Decimal
    exposure: Decimal
    updated_at: object = None

    @property
    def available(self) -> Decimal:
        return max(self.limit - self.exposure, ZERO)


CREDIT_PAGE_SIZE = 50


def buyer_credit_page(
    *, organization: Organization, query: str = "", page: str | None = None
) -> Page:
    """One page of buyers (by name) with its net-terms limit and what it owes on net terms
    (operators); ``object_list`` holds ``CreditRow``. Three queries whatever the page size."""
    buyers = Organization.objects.filter(kind=Organization.Kind.BUYER).order_by("name", "pk")
    if query:
        buyers = buyers.filter(name__icontains=query)
    buyer_page = Paginator(buyers, CREDIT_PAGE_SIZE).get_page(page)
    buyers_list = list(buyer_page.object_list)
    limits = {
        row.organization_id: row
        for row in BuyerCredit.objects.visible_to(organization).filter(organization__in=buyers_list)
    }
    exposures = plans.credit_exposures(buyers_list)
    rows = []
    for buyer in buyers_list:
        row = limits.get(buyer.pk)
        rows.append(
            CreditRow(
                organization=buyer,
                limit=row.limit_usd if row else ZERO,
                exposure=exposures[buyer.pk],
                updated_at=row.updated_at if row else None,
            )
        )
    buyer_page.object_list = rows
    return buyer_page
