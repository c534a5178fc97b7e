"""Releasing escrow to the merchant: when the buyer confirms receipt, or on its own
``PAYMENTS_RELEASE_AFTER_DAYS`` after the goods arrived with no claim open. The network's
commission (``PAYMENTS_COMMISSION_PERCENT``, to the cent, half up) is deducted: one ledger
transaction takes the whole escrow balance, pays the rest to the merchant's account (paid out by
the weekly run) and the commission to the network.

A release locks the merchant order's payment plan first, as opening a claim does: whichever
comes second sees what the first did, so money under a claim is never released. Money reaching
escrow after a release (net terms paid after receipt) is released by the periodic task once it
arrives; the plan's ``released_at`` is set once everything it asks for is paid and released."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from network.models import User
from network.selectors import organization_staff
from network.services import audit, notification_send, webhook_emit
from network.shipments import order_shipments
from orders.models import MerchantOrder, MerchantOrderStatus, PurchaseOrder
from orders.selectors import arrived
from orders.services.common import _link
from payments.ledger import (
    ZERO,
    accounts_locked,
    balance,
    balances,
    credit,
    debit,
    escrow_account,
    in_english,
    ledger_post,
    merchant_account,
    money,
    network_account,
    network_books,
)
from payments.models import (
    OPEN_CLAIM_STATUSES,
    AccountKind,
    Claim,
    LedgerTransaction,
    PaymentPlan,
    TransactionKind,
)
from payments.services.plans import paid_amount

logger = logging.getLogger(__name__)

# Where a merchant order's goods may be once they left the merchant.
SENT_STATUSES = (
    MerchantOrderStatus.SHIPPED,
    MerchantOrderStatus.DELIVERED,
    MerchantOrderStatus.CLOSED,
)


def commission_of(amount: Decimal) -> Decimal:
    """The network's commission on ``amount`` released (to the cent, half up)."""
    return money(amount * Decimal(settings.PAYMENTS_COMMISSION_PERCENT) / 100)


def arrived_at(merchant_order: MerchantOrder) -> datetime | None:
    """When the goods reached the buyer: the last arrival of the shipments carrying the
    merchant order; without a shipment, its delivery to consolidation (or its closing). None
    while they have not arrived."""
    if merchant_order.status not in SENT_STATUSES:
        return None
    shipments = order_shipments(
        organization=merchant_order.buyer, merchant_order_ids=[merchant_order.pk]
    ).get(merchant_order.pk, [])
    return arrived_at_of(merchant_order, shipments)


def arrived_at_of(merchant_order: MerchantOrder, shipments: list) -> datetime | None:
    """``arrived_at`` from the merchant order's shipments, read beforehand (for many orders at
    once)."""
    if merchant_order.status not in SENT_STATUSES:
        return None
    if not arrived(merchant_order, shipments):
        return None
    fallback = merchant_order.delivered_at or merchant_order.closed_at or merchant_order.shipped_at
    if shipments:
        times = [s.arrived_at or fallback for s in shipments if s.arrived]
        return max((t for t in times if t is not None), default=fallback)
    return fallback


def has_open_claim(merchant_order: MerchantOrder) -> bool:
    with network_books():
        return Claim.objects.filter(
            merchant_order=merchant_order, status__in=OPEN_CLAIM_STATUSES
        ).exists()


def plan_locked(merchant_order: MerchantOrder) -> PaymentPlan | None:
    """The merchant order's payment plan, locked for the rest of the transaction (its row
    only): what a release and a claim both hold while they read the escrow and open claims.
    The caller holds the merchant order's lock already (``order_locked``)."""
    with network_books():
        return (
            PaymentPlan.objects.select_for_update(of=("self",))
            .select_related(
                "merchant_order__organization",
                "merchant_order__buyer",
                "merchant_order__purchase_order",
            )
            .filter(merchant_order=merchant_order)
            .first()
        )


def order_locked(merchant_order: MerchantOrder) -> PaymentPlan | None:
    """Lock the purchase order, the merchant order (the app's lock order, as the order
    services take it), then the payment plan; returns the plan (None for an order without
    one)."""
    with network_books():
        PurchaseOrder.objects.select_for_update(of=("self",)).filter(
            pk=merchant_order.purchase_order_id
        ).first()
        MerchantOrder.objects.select_for_update(of=("self",)).filter(pk=merchant_order.pk).first()
    return plan_locked(merchant_order)


def release_payload(entry: LedgerTransaction, *, gross: Decimal, fee: Decimal) -> dict[str, Any]:
    merchant_order = entry.merchant_order
    assert merchant_order is not None
    return {
        "merchant_order": merchant_order.number,
        "purchase_order": merchant_order.purchase_order.number,
        "released_usd": str(gross),
        "commission_usd": str(fee),
        "paid_to_merchant_usd": str(gross - fee),
        "currency": "USD",
        "released_at": entry.created_at,
    }


def escrow_release(plan: PaymentPlan, *, acting_user: User | None) -> LedgerTransaction | None:
    """Release what the plan's escrow holds to the merchant, less commission, unless a claim is
    open on the merchant order. ``plan`` must be locked (``plan_locked``). Returns the
    release's transaction, or None when nothing moved."""
    merchant_order = plan.merchant_order
    if has_open_claim(merchant_order):
        return None
    merchant = merchant_order.organization
    escrow = escrow_account(merchant_order)
    payable = merchant_account(merchant)
    commission = network_account(AccountKind.COMMISSION)
    accounts_locked([escrow, payable, commission])
    gross = balance(escrow)
    entry = None
    if gross > ZERO:
        fee = commission_of(gross)
        with network_books():
            earlier = LedgerTransaction.objects.filter(
                merchant_order=merchant_order, kind=TransactionKind.FUNDS_RELEASED
            ).count()
        entry = ledger_post(
            kind=TransactionKind.FUNDS_RELEASED,
            key=f"release:{merchant_order.pk}:{earlier + 1}",
            legs=[debit(escrow, gross), credit(payable, gross - fee), credit(commission, fee)],
            buyer=merchant_order.buyer,
            merchant=merchant,
            purchase_order=merchant_order.purchase_order,
            merchant_order=merchant_order,
            memo=in_english("Order %(number)s released: US$%(gross)s less US$%(fee)s commission")
            % {"number": merchant_order.number, "gross": gross, "fee": fee},
            acting_user=acting_user,
        )
        audit(
            actor=acting_user,
            organization=merchant,
            action="payments.funds_released",
            target=merchant_order,
            changes={"released": str(gross), "commission": str(fee)},
        )
        payload = release_payload(entry, gross=gross, fee=fee)
        for organization in (merchant, merchant_order.buyer):
            webhook_emit(organization=organization, event="funds.released", payload=payload)
        _notify_released(merchant_order, gross=gross, fee=fee)
    if plan.released_at is None and paid_amount(plan) >= plan.total_usd:
        plan.released_at = timezone.now()
        plan.save(update_fields=["released_at"])
    return entry


def _notify_released(merchant_order: MerchantOrder, *, gross: Decimal, fee: Decimal) -> None:
    context = {
        "number": merchant_order.number,
        "purchase_order": merchant_order.purchase_order.number,
        "buyer": merchant_order.buyer.name,
        "merchant": merchant_order.organization.name,
        "gross": f"{gross:,.2f}",
        "fee": f"{fee:,.2f}",
        "net": f"{gross - fee:,.2f}",
        "percent": settings.PAYMENTS_COMMISSION_PERCENT,
    }
    for user in organization_staff(organization=merchant_order.organization):
        notification_send(
            email=user.email,
            recipient=user,
            organization=merchant_order.organization,
            kind="payments.funds_released",
            template="payments/email/funds_released",
            context=context,
            link=_link("orders:merchant_order_detail", merchant_order.number),
        )


def release_on_receipt(*, merchant_order: MerchantOrder, acting_user: User | None) -> None:
    """The buyer confirmed receipt (in that transaction): the escrow goes to the merchant, less
    commission, unless a claim is open (then the claim's decision releases what is left)."""
    plan = plan_locked(merchant_order)
    if plan is not None:
        escrow_release(plan, acting_user=acting_user)


# --- Release without the buyer -----------------------------------------------------------------


def release_candidates(*, now: datetime | None = None) -> list[int]:
    """Merchant orders whose escrow is due to the merchant: the goods arrived
    ``PAYMENTS_RELEASE_AFTER_DAYS`` ago (or the buyer confirmed receipt and money arrived
    since), no claim open, something held."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.PAYMENTS_RELEASE_AFTER_DAYS)
    with network_books():
        open_claims = Claim.objects.filter(
            merchant_order=OuterRef("merchant_order"), status__in=OPEN_CLAIM_STATUSES
        )
        plans = list(
            PaymentPlan.objects.filter(
                released_at__isnull=True, merchant_order__status__in=SENT_STATUSES
            )
            .exclude(Exists(open_claims))
            .select_related("merchant_order__buyer")
            .order_by("pk")
        )
        accounts = {plan.pk: escrow_account(plan.merchant_order) for plan in plans}
        held = balances(list(accounts.values()))
    due = []
    for plan in plans:
        if held[accounts[plan.pk].pk] <= ZERO:
            continue
        merchant_order = plan.merchant_order
        if merchant_order.status == MerchantOrderStatus.CLOSED:
            due.append(merchant_order.pk)
            continue
        arrival = arrived_at(merchant_order)
        if arrival is not None and arrival <= cutoff:
            due.append(merchant_order.pk)
    return due


def releases_due(*, now: datetime | None = None) -> int:
    """Release every merchant order due (each in its own transaction); returns how many."""
    released = 0
    for pk in release_candidates(now=now):
        with transaction.atomic(), network_books():
            plan = order_locked(MerchantOrder.objects.get(pk=pk))
            if plan is not None and escrow_release(plan, acting_user=None) is not None:
                released += 1
    if released:
        logger.info("released escrow of %s merchant orders", released)
    return released


@shared_task(name="payments.tasks.release_due", acks_late=True)
def release_due() -> int:
    """Beat: release escrow whose goods arrived long enough ago without a claim."""
    return releases_due()
