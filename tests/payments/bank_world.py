"""A buyer's purchase orders waiting to be paid by transfer, for the bank statement tests."""

from __future__ import annotations

from decimal import Decimal

from django_scopes import scopes_disabled

from orders.models import PurchaseOrder
from payments.ledger import balance, buyer_account, escrow_account, network_account
from payments.models import AccountKind
from payments.services import plans
from payments.services.statements import statement_import
from tests.orders.factories import buyer, fan_out, merchant, merchant_order_of, place, sku

# 24 bottles at US$7.90 = US$189.60 (the 12+ tier is 8.50, the 48+ tier 7.90: 24 → 8.50 → 204)
QUANTITY = 24


def ordered(terms: str = "prepaid", *, name: str = "Hangzhou Westlake Global Store", maple=None):
    """A purchase order on ``terms``, fanned out to one merchant: (order, buyer org, user,
    merchant org, merchant owner)."""
    store, user = buyer(name)
    maple, owner = maple or merchant()
    syrup = sku(maple, owner)
    order = place(store, user, [(syrup, QUANTITY)], payment_terms=terms)
    fan_out(order)
    with scopes_disabled():
        order = PurchaseOrder.objects.select_related("organization").get(pk=order.pk)
    return order, store, user, maple, owner


def reference(order: PurchaseOrder) -> str:
    return plans.purchase_order_payment(order).reference


def imported(data: bytes, operator_user, filename: str = "statement.xml"):
    with scopes_disabled():
        return statement_import(data=data, filename=filename, acting_user=operator_user)


def buyer_credit(store) -> Decimal:
    return balance(buyer_account(store))


def escrow(order, maple) -> Decimal:
    return balance(escrow_account(merchant_order_of(order, maple)))


def suspense() -> Decimal:
    return balance(network_account(AccountKind.SUSPENSE))


def bank() -> Decimal:
    return balance(network_account(AccountKind.BANK))
