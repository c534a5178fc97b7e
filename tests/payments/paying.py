"""Paying orders in tests: the buyer's transfer received for a purchase order, as a matched bank
entry would record it, and applied to its merchant orders' plans."""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.db import transaction
from django_scopes import scopes_disabled

from orders.models import PurchaseOrder
from payments.services import collection, plans


def owed(purchase_order: PurchaseOrder) -> Decimal:
    """What the purchase order's plans still want (every plan's total less what is paid)."""
    order_plans = plans.plans_of([purchase_order])
    paid = plans.paid_amounts(order_plans)
    return sum(
        (
            max(plan.total_usd - paid[plan.pk], Decimal("0"))
            for plan in order_plans
            if plan.merchant_order.status not in plans.ENDED
        ),
        Decimal("0.00"),
    )


def pay(purchase_order: PurchaseOrder, amount: Decimal | str | None = None) -> Decimal:
    """Receive ``amount`` (default: everything still owed) for the purchase order; returns the
    amount applied to its plans."""
    value = owed(purchase_order) if amount is None else Decimal(amount)
    if value <= 0:
        return Decimal("0.00")
    with transaction.atomic(), scopes_disabled():
        _receipt, applied = collection.funds_receive(
            purchase_order=purchase_order, amount=value, key=f"test:{uuid.uuid4().hex}"
        )
    return applied
