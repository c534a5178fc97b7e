"""Payment plans: what a buyer owes for each merchant order, and when, from the purchase order's
terms; the buyer's credit applied to what is due; the checks orders ask for (credit limit at
placing, paid before shipping).

- prepaid: everything before the merchant ships;
- deposit: ``PAYMENTS_DEPOSIT_PERCENT`` at order, the balance before shipment;
- net 30 / net 60: nothing before shipment, everything within 30 / 60 days of it, within the
  buyer's credit limit.

What has been paid into a plan is read from the ledger: the escrow account's credits from the
buyer's funds, less what went back to the buyer's credit when the order shrank or ended."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from stdnum.iso7064 import mod_97_10

from network.models import Organization, User
from orders.models import (
    MerchantOrder,
    MerchantOrderStatus,
    PaymentTerms,
    PurchaseOrder,
    PurchaseOrderStatus,
)
from payments.errors import CreditLimitExceeded, PaymentOutstanding
from payments.ledger import (
    ZERO,
    accounts_locked,
    balance,
    buyer_account,
    credit,
    debit,
    escrow_account,
    in_english,
    ledger_post,
    money,
    network_books,
)
from payments.models import (
    BuyerCredit,
    PaymentPlan,
    PlanKind,
    Posting,
    PurchaseOrderPayment,
    TransactionKind,
)

# Merchant orders whose plan takes no more money: the escrow went back to the buyer's credit.
ENDED = (MerchantOrderStatus.REJECTED, MerchantOrderStatus.CANCELLED)
NET_DAYS = {PlanKind.NET_30: 30, PlanKind.NET_60: 60}
# Ledger movements into (credit) or back out of (debit) an escrow account that count as paid.
PAID_KINDS = (TransactionKind.FUNDS_APPLIED, TransactionKind.ORDER_ENDED)


# --- Payment references ------------------------------------------------------------------------


def reference_for(purchase_order_number: str) -> str:
    """The ISO 11649 creditor reference of a purchase order: ``RF`` + two check digits + the
    order number (letters and digits), e.g. ``RF75PO7K3M9Q2X``. A mistyped reference fails its
    check digits instead of matching another order."""
    body = "".join(ch for ch in purchase_order_number.upper() if ch.isalnum())[:21]
    return "RF" + mod_97_10.calc_check_digits(body + "RF") + body


def purchase_order_payment(purchase_order: PurchaseOrder) -> PurchaseOrderPayment:
    """The purchase order's payment reference row, made on first use."""
    with network_books():
        payment, _created = PurchaseOrderPayment.objects.get_or_create(
            purchase_order=purchase_order,
            defaults={
                "organization_id": purchase_order.organization_id,
                "reference": reference_for(purchase_order.number),
            },
        )
    return payment


# --- Amounts -----------------------------------------------------------------------------------


def plan_amounts(kind: str, total: Decimal) -> tuple[Decimal, Decimal]:
    """(deposit, due before shipment) of a plan of ``kind`` for ``total``."""
    if kind == PlanKind.DEPOSIT:
        percent = Decimal(settings.PAYMENTS_DEPOSIT_PERCENT)
        deposit = (total * percent / 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        return deposit, total
    if kind == PlanKind.PREPAID:
        return ZERO, total
    return ZERO, ZERO


def paid_amounts(plans: Sequence[PaymentPlan]) -> dict[int, Decimal]:
    """{plan id: what the buyer has paid into it} in one query."""
    ids = {plan.merchant_order_id: plan.pk for plan in plans}
    with network_books():
        rows = (
            Posting.objects.filter(
                account__merchant_order__in=list(ids),
                transaction__kind__in=PAID_KINDS,
            )
            .values("account__merchant_order")
            .annotate(total=Sum("amount"))
        )
        paid = {ids[row["account__merchant_order"]]: -row["total"] for row in rows}
    return {plan.pk: money(paid.get(plan.pk, ZERO)) for plan in plans}


def paid_amount(plan: PaymentPlan) -> Decimal:
    return paid_amounts([plan])[plan.pk]


def pre_shipment_outstanding(plan: PaymentPlan, paid: Decimal | None = None) -> Decimal:
    paid = paid_amount(plan) if paid is None else paid
    return max(plan.pre_shipment_usd - paid, ZERO)


# --- Plans -------------------------------------------------------------------------------------


def plan_create(merchant_order: MerchantOrder) -> PaymentPlan:
    """The merchant order's plan from its purchase order's terms (made once), then the buyer's
    credit applied to the purchase order."""
    purchase_order = merchant_order.purchase_order
    kind = PlanKind(purchase_order.payment_terms)
    total = merchant_order.subtotal_usd
    deposit, pre_shipment = plan_amounts(kind, total)
    with network_books():
        plan, _created = PaymentPlan.objects.get_or_create(
            merchant_order=merchant_order,
            defaults={
                "organization_id": merchant_order.buyer_id,
                "merchant_id": merchant_order.organization_id,
                "purchase_order": purchase_order,
                "kind": kind,
                "total_usd": total,
                "deposit_usd": deposit,
                "pre_shipment_usd": pre_shipment,
            },
        )
    purchase_order_payment(purchase_order)
    escrow_account(merchant_order)
    funds_apply(buyer=merchant_order.buyer, purchase_order=purchase_order)
    return plan


def _plan_locked(merchant_order: MerchantOrder) -> PaymentPlan | None:
    with network_books():
        return PaymentPlan.objects.select_for_update().filter(merchant_order=merchant_order).first()


def _return_to_credit(
    plan: PaymentPlan, amount: Decimal, *, key: str, memo: str, acting_user: User | None
) -> None:
    """Move ``amount`` of the plan's escrow back to the buyer's credit."""
    if amount <= ZERO:
        return
    merchant_order = plan.merchant_order
    escrow, buyer = escrow_account(merchant_order), buyer_account(merchant_order.buyer)
    accounts_locked([escrow, buyer])
    amount = min(amount, balance(escrow))
    if amount <= ZERO:
        return
    ledger_post(
        kind=TransactionKind.ORDER_ENDED,
        key=key,
        legs=[debit(escrow, amount), credit(buyer, amount)],
        buyer=merchant_order.buyer,
        merchant=merchant_order.organization,
        purchase_order=merchant_order.purchase_order,
        merchant_order=merchant_order,
        memo=memo,
        acting_user=acting_user,
    )


def plan_resize(merchant_order: MerchantOrder, *, acting_user: User | None) -> None:
    """The merchant accepted only some lines: the plan follows the smaller subtotal, and what
    was paid beyond it goes back to the buyer's credit."""
    plan = _plan_locked(merchant_order)
    if plan is None or plan.total_usd == merchant_order.subtotal_usd:
        return
    plan.total_usd = merchant_order.subtotal_usd
    plan.deposit_usd, plan.pre_shipment_usd = plan_amounts(plan.kind, plan.total_usd)
    plan.save(update_fields=["total_usd", "deposit_usd", "pre_shipment_usd"])
    excess = paid_amount(plan) - plan.total_usd
    _return_to_credit(
        plan,
        excess,
        key=f"resize:{merchant_order.pk}:{plan.total_usd}",
        memo=in_english("Order %(number)s accepted in part: the difference is your credit")
        % {"number": merchant_order.number},
        acting_user=acting_user,
    )


def plan_end(merchant_order: MerchantOrder, *, acting_user: User | None) -> None:
    """A merchant order rejected, cancelled or expired: its escrow goes back to the buyer's
    credit, for the next order."""
    plan = _plan_locked(merchant_order)
    if plan is None:
        return
    _return_to_credit(
        plan,
        paid_amount(plan),
        key=f"ended:{merchant_order.pk}",
        memo=in_english("Order %(number)s ended: its payment is your credit")
        % {"number": merchant_order.number},
        acting_user=acting_user,
    )


def plan_shipped(merchant_order: MerchantOrder) -> None:
    """Net terms run from shipment: the plan's due date is set."""
    plan = _plan_locked(merchant_order)
    if plan is None or plan.kind not in NET_DAYS:
        return
    shipped = timezone.localdate(merchant_order.shipped_at or timezone.now())
    plan.due_on = shipped + timedelta(days=NET_DAYS[PlanKind(plan.kind)])
    plan.save(update_fields=["due_on"])


# --- Applying the buyer's funds ----------------------------------------------------------------


def _open_plans(purchase_order: PurchaseOrder) -> list[PaymentPlan]:
    with network_books():
        return list(
            # Only the plan rows: the merchant orders joined in are locked by orders first.
            PaymentPlan.objects.select_for_update(of=("self",))
            .filter(purchase_order=purchase_order, released_at__isnull=True)
            .exclude(merchant_order__status__in=ENDED)
            .select_related("merchant_order")
            .order_by("pk")
        )


def funds_apply(
    *, buyer: Organization, purchase_order: PurchaseOrder, acting_user: User | None = None
) -> Decimal:
    """Apply the buyer's credit to the purchase order's plans: first every deposit, then what is
    due before shipment, then the rest; what is left stays the buyer's credit. Returns the
    amount applied. Each plan's share is one ledger transaction (buyer credit → escrow)."""
    plans = _open_plans(purchase_order)
    if not plans:
        return ZERO
    buyer_funds = buyer_account(buyer)
    escrows = {plan.pk: escrow_account(plan.merchant_order) for plan in plans}
    accounts_locked([buyer_funds, *escrows.values()])
    available = balance(buyer_funds)
    if available <= ZERO:
        return ZERO
    paid = paid_amounts(plans)
    applied: dict[int, Decimal] = {plan.pk: ZERO for plan in plans}
    for level in ("deposit_usd", "pre_shipment_usd", "total_usd"):
        for plan in plans:
            want = getattr(plan, level) - paid[plan.pk] - applied[plan.pk]
            share = min(max(want, ZERO), available)
            applied[plan.pk] += share
            available -= share
    now = timezone.now()
    for plan in plans:
        amount = applied[plan.pk]
        if amount <= ZERO:
            continue
        merchant_order = plan.merchant_order
        ledger_post(
            kind=TransactionKind.FUNDS_APPLIED,
            key=f"apply:{plan.pk}:{uuid.uuid4().hex}",
            legs=[debit(buyer_funds, amount), credit(escrows[plan.pk], amount)],
            buyer=buyer,
            merchant=merchant_order.organization,
            purchase_order=purchase_order,
            merchant_order=merchant_order,
            memo=in_english("Paid into escrow for order %(number)s")
            % {"number": merchant_order.number},
            acting_user=acting_user,
        )
        if paid[plan.pk] + amount >= plan.total_usd:
            plan.paid_at = now
            plan.save(update_fields=["paid_at"])
    return sum(applied.values(), ZERO)


# --- Checks orders ask for ---------------------------------------------------------------------


def credit_exposure(buyer: Organization) -> Decimal:
    """What the buyer owes on open net-terms orders: each plan's unpaid part, and the whole of a
    net-terms purchase order not yet split into merchant orders."""
    return credit_exposures([buyer])[buyer.pk]


def credit_exposures(buyers: Sequence[Organization]) -> dict[int, Decimal]:
    """{buyer id: what ``credit_exposure`` says it owes}, for many buyers in three queries."""
    net = [PaymentTerms.NET_30, PaymentTerms.NET_60]
    buyer_ids = [buyer.pk for buyer in buyers]
    with network_books():
        plans = list(
            PaymentPlan.objects.filter(organization__in=buyer_ids, kind__in=net).exclude(
                merchant_order__status__in=ENDED
            )
        )
        unsplit = dict(
            PurchaseOrder.objects.filter(
                organization__in=buyer_ids, payment_terms__in=net, fanned_out_at__isnull=True
            )
            .exclude(status=PurchaseOrderStatus.CANCELLED)
            .order_by()
            .values("organization")
            .annotate(total=Sum("total_usd"))
            .values_list("organization", "total")
        )
    paid = paid_amounts(plans)
    owed = dict.fromkeys(buyer_ids, ZERO)
    for plan in plans:
        owed[plan.organization_id] += max(plan.total_usd - paid[plan.pk], ZERO)
    return {pk: money(owed[pk] + (unsplit.get(pk) or ZERO)) for pk in buyer_ids}


def credit_limit(buyer: Organization, *, lock: bool = False) -> Decimal:
    with network_books():
        rows = BuyerCredit.objects.filter(organization=buyer)
        row = (rows.select_for_update() if lock else rows).first()
    return row.limit_usd if row else ZERO


def _credit_limit_locked(buyer: Organization) -> Decimal:
    """The buyer's limit, its row locked; the row is made (at zero) the first time."""
    with network_books():
        row = BuyerCredit.objects.filter(organization=buyer).select_for_update().first()
        if row is None:
            BuyerCredit.objects.get_or_create(organization=buyer)
            row = BuyerCredit.objects.filter(organization=buyer).select_for_update().get()
    return row.limit_usd


def check_placement(*, buyer: Organization, payment_terms: str, total_usd: Decimal) -> None:
    """Refuse a net-terms order that takes the buyer over its credit limit
    (``credit_limit_exceeded``); the limit row is locked so two orders at once cannot both fit
    in the same room."""
    if payment_terms not in (PaymentTerms.NET_30, PaymentTerms.NET_60):
        return
    limit = _credit_limit_locked(buyer)
    exposure = credit_exposure(buyer)
    if exposure + total_usd > limit:
        raise CreditLimitExceeded(
            _(
                "Net terms are open to you up to US$%(limit)s; you owe US$%(owed)s on open "
                "net-terms orders, so this order of US$%(total)s does not fit. Pay by transfer "
                "before shipment, or ask the network for a higher limit."
            )
            % {"limit": f"{limit:,.2f}", "owed": f"{exposure:,.2f}", "total": f"{total_usd:,.2f}"},
            limit_usd=str(limit),
            owed_usd=str(exposure),
        )


def check_shipment(*, merchant_order: MerchantOrder) -> None:
    """Refuse to ship a merchant order whose pre-shipment amount is unpaid
    (``payment_outstanding``). Orders placed before trade assurance (no plan) ship as before."""
    plan = _plan_locked(merchant_order)
    if plan is None:
        return
    outstanding = pre_shipment_outstanding(plan)
    if outstanding > ZERO:
        raise PaymentOutstanding(
            _(
                "The buyer has not paid this order yet: US$%(outstanding)s of US$%(due)s is due "
                "before shipment. Ship once the payment is in escrow; you will be told."
            )
            % {
                "outstanding": f"{outstanding:,.2f}",
                "due": f"{plan.pre_shipment_usd:,.2f}",
            },
            outstanding_usd=str(outstanding),
        )


def plans_of(purchase_orders: Iterable[PurchaseOrder]) -> list[PaymentPlan]:
    with network_books():
        return list(
            PaymentPlan.objects.filter(purchase_order__in=list(purchase_orders))
            .select_related("merchant_order")
            .order_by("pk")
        )
