"""Money coming in: a buyer's transfer received for a purchase order becomes the buyer's credit
and is applied at once to the order's plans (deposits first, then what is due before shipment,
then the rest); what is left over stays the buyer's credit for its next order."""

from __future__ import annotations

from decimal import Decimal

from network.models import User
from orders.models import PurchaseOrder
from payments.ledger import (
    ZERO,
    buyer_account,
    credit,
    debit,
    in_english,
    ledger_post,
    money,
    network_account,
)
from payments.models import AccountKind, LedgerTransaction, TransactionKind
from payments.services.plans import funds_apply


def funds_receive(
    *,
    purchase_order: PurchaseOrder,
    amount: Decimal,
    key: str,
    memo: str = "",
    acting_user: User | None = None,
    from_suspense: bool = False,
) -> tuple[LedgerTransaction, Decimal]:
    """Record ``amount`` (USD) received from the purchase order's buyer (bank → buyer credit,
    or suspense → buyer credit when an operator matches a waiting entry), then apply the
    buyer's credit to the order. ``key`` makes it happen once (a bank entry's reference).
    Returns the receipt's transaction and the amount applied to the order."""
    amount = money(amount)
    assert amount > ZERO
    buyer = purchase_order.organization
    source = network_account(AccountKind.SUSPENSE if from_suspense else AccountKind.BANK)
    receipt = ledger_post(
        kind=TransactionKind.PAYMENT_MATCHED if from_suspense else TransactionKind.PAYMENT_RECEIVED,
        key=key,
        legs=[debit(source, amount), credit(buyer_account(buyer), amount)],
        buyer=buyer,
        purchase_order=purchase_order,
        memo=memo
        or in_english("Transfer received for purchase order %(number)s")
        % {"number": purchase_order.number},
        acting_user=acting_user,
    )
    applied = funds_apply(buyer=buyer, purchase_order=purchase_order, acting_user=acting_user)
    return receipt, applied
