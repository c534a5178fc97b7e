"""What payments answers and does when orders asks or tells (``orders.payment_hooks``), each in
the transaction of the order's own change."""

from __future__ import annotations

from decimal import Decimal

from network.models import Organization, User
from orders.models import MerchantOrder, ReceiptProblem
from payments.services import claims, plans, release


def check_placement(*, buyer: Organization, payment_terms: str, total_usd: Decimal) -> None:
    plans.check_placement(buyer=buyer, payment_terms=payment_terms, total_usd=total_usd)


def check_shipment(*, merchant_order: MerchantOrder) -> None:
    plans.check_shipment(merchant_order=merchant_order)


def merchant_order_event(
    *, merchant_order: MerchantOrder, event: str, acting_user: User | None
) -> None:
    if event == "created":
        plans.plan_create(merchant_order)
    elif event == "accepted":
        plans.plan_resize(merchant_order, acting_user=acting_user)
    elif event == "shipped":
        plans.plan_shipped(merchant_order)
    elif event == "received":
        release.release_on_receipt(merchant_order=merchant_order, acting_user=acting_user)
    elif event == "ended":
        plans.plan_end(merchant_order, acting_user=acting_user)


def problem_reported(*, problem: ReceiptProblem, acting_user: User) -> None:
    claims.claim_open_from_problem(problem=problem, acting_user=acting_user)
