"""Demo data of trade assurance. ``prepare`` runs before the orders' demo: the operators have
granted the demo buyers net terms up to a credit limit (the orders' demo places net-30 orders).
``seed`` then has the demo buyer place a prepaid and a deposit order and pay them by transfer:
the day's camt.053 of the collection account, imported by the demo operator, pays the prepaid
order in full and the deposit order's deposit only, and carries a transfer nobody can place,
waiting in the operators' queue."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from network.demo import DEMO_BUYER_SLUG, DEMO_MERCHANT_SLUG, demo_staff
from network.models import Membership, Organization, Role
from orders import services as order_services
from orders.demo import CHECKOUT, _orderable_skus, _staff_buyer
from orders.models import MerchantOrder, MerchantOrderStatus, PurchaseOrder
from payments import demo_claims
from payments.camt_samples import camt053, credit
from payments.demo_payouts import seed_payout_accounts
from payments.models import BankStatement, BuyerCredit, PaymentPlan, PayoutRun
from payments.services import plans
from payments.services.payouts import payout_run_execute
from payments.services.statements import statement_import

DEMO_CREDIT_LIMIT = Decimal("250000.00")
DEMO_STATEMENT_ID = "DEMO-STMT-0001"


def prepare() -> None:
    for buyer in Organization.objects.filter(kind=Organization.Kind.BUYER):
        BuyerCredit.objects.get_or_create(
            organization=buyer, defaults={"limit_usd": DEMO_CREDIT_LIMIT}
        )


def _operator():
    membership = (
        Membership.objects.filter(
            organization__kind=Organization.Kind.OPERATOR,
            role__in=[Role.OWNER, Role.ADMIN, Role.STAFF],
        )
        .select_related("user")
        .order_by("role", "pk")
        .first()
    )
    return membership.user if membership else None


def _place(store, buyer_user, terms: str, reference: str, items) -> PurchaseOrder:
    existing = PurchaseOrder.objects.filter(idempotency_key=f"demo-pay:{reference}").first()
    if existing is not None:
        return existing
    order = order_services.purchase_order_place(
        organization=store,
        items=items,
        checkout=order_services.Checkout(
            **{**CHECKOUT.__dict__, "payment_terms": terms, "buyer_reference": reference}
        ),
        idempotency_key=f"demo-pay:{reference}",
        acting_user=buyer_user,
    )
    order_services.purchase_order_fan_out(purchase_order_id=order.pk)
    return PurchaseOrder.objects.select_related("organization").get(pk=order.pk)


def seed() -> dict[str, int]:
    """The statement, the merchants' payout accounts, the claims, then one order's whole way
    from payment to payout."""
    summary = _seed_statement()
    summary.update(seed_payout_accounts())
    summary.update(demo_claims.seed())
    summary.update(_seed_paid_out())
    return summary


def _seed_paid_out() -> dict[str, int]:
    """The prepaid demo order, paid by the statement, is shipped, delivered and received: its
    escrow is released to the merchant less the commission, and this week's payout run pays it
    in a pain.001 file."""
    if PayoutRun.objects.exists():
        return {"payout_runs": 0}
    order = PurchaseOrder.objects.filter(idempotency_key="demo-pay:WL-PAY-PREPAID").first()
    store = Organization.objects.filter(slug=DEMO_BUYER_SLUG).first()
    if order is None or store is None:
        return {"payout_runs": 0}
    buyer_user = _staff_buyer(store)
    for merchant_order in MerchantOrder.objects.filter(purchase_order=order).select_related(
        "organization", "buyer", "purchase_order"
    ):
        staff = demo_staff(merchant_order.organization)
        if staff is None or buyer_user is None:
            continue
        if merchant_order.status == MerchantOrderStatus.PENDING:
            merchant_order = order_services.merchant_order_accept(
                merchant_order=merchant_order, acting_user=staff
            )
            merchant_order = order_services.merchant_order_pack(
                merchant_order=merchant_order, acting_user=staff
            )
            merchant_order = order_services.merchant_order_ship(
                merchant_order=merchant_order,
                carrier_name="UPS Freight",
                tracking_number="1ZDEMO0000000001",
                acting_user=staff,
            )
            merchant_order = order_services.merchant_order_mark_delivered(
                merchant_order=merchant_order, acting_user=staff
            )
            order_services.merchant_order_confirm_receipt(
                merchant_order=merchant_order, acting_user=buyer_user
            )
    run = payout_run_execute()
    return {"payout_runs": 1, "payouts": run.payout_count}


def _seed_statement() -> dict[str, int]:
    if BankStatement.objects.filter(message_id=DEMO_STATEMENT_ID).exists():
        return {"statements": 0}
    store = Organization.objects.filter(slug=DEMO_BUYER_SLUG).first()
    operator = _operator()
    if store is None or operator is None:
        return {"statements": 0}
    buyer_user = _staff_buyer(store)
    by_merchant = _orderable_skus()
    if buyer_user is None or len(by_merchant) < 2:
        return {"statements": 0}
    # The demo merchant's own login sees the money move: its order comes first.
    demo_merchant = Organization.objects.filter(slug=DEMO_MERCHANT_SLUG).first()
    merchants = sorted(by_merchant, key=lambda pk: pk != getattr(demo_merchant, "pk", None))
    first, second = merchants[:2]
    prepaid = _place(
        store,
        buyer_user,
        "prepaid",
        "WL-PAY-PREPAID",
        [(by_merchant[first][0].pk, by_merchant[first][0].moq * 2)],
    )
    deposit = _place(
        store,
        buyer_user,
        "deposit",
        "WL-PAY-DEPOSIT",
        [
            (by_merchant[first][-1].pk, by_merchant[first][-1].moq * 3),
            (by_merchant[second][0].pk, by_merchant[second][0].moq * 2),
        ],
    )
    deposit_due = sum(
        (p.deposit_usd for p in PaymentPlan.objects.filter(purchase_order=deposit)),
        Decimal("0.00"),
    )
    today = timezone.localdate().isoformat()
    data = camt053(
        [
            credit(
                prepaid.total_usd,
                reference=plans.purchase_order_payment(prepaid).reference,
                bank_reference="DEMOFT0001",
                booked=today,
            ),
            credit(
                deposit_due,
                text=f"DEPOSIT {plans.purchase_order_payment(deposit).reference} WL-PAY-DEPOSIT",
                bank_reference="DEMOFT0002",
                booked=today,
            ),
            credit(
                "1250.00",
                text="PAYMENT FOR SAMPLES INV 2291",
                party="NINGBO HARBOUR SUPPLY CO",
                bank_reference="DEMOFT0003",
                booked=today,
            ),
        ],
        message_id=DEMO_STATEMENT_ID,
    )
    with transaction.atomic():
        result = statement_import(data=data, filename="demo-camt053.xml", acting_user=operator)
    return {
        "statements": 1,
        "matched_entries": result.matched,
        "unmatched_entries": result.unmatched,
    }
