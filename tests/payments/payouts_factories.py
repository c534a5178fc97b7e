"""Payout test data: a merchant with a confirmed payout account, and released funds put on a
merchant's account directly (as the release of an order's escrow would)."""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.db import transaction
from django_scopes import scopes_disabled

from payments import ledger
from payments.models import (
    AccountKind,
    BankEntry,
    BankStatement,
    MerchantBankAccount,
    Payout,
    TransactionKind,
)
from payments.services import bank_accounts
from tests.orders.factories import merchant

ROUTING = "021000021"  # a valid ABA routing number (JPMorgan Chase, New York)
ACCOUNT = "123456789012"


def register(organization, user, *, account_number: str = ACCOUNT) -> MerchantBankAccount:
    with scopes_disabled():
        return bank_accounts.bank_account_register(
            organization=organization,
            holder_name=organization.name,
            bank_name="Chase",
            routing_number=ROUTING,
            account_number=account_number,
            account_type="checking",
            acting_user=user,
        )


def link_token(account: MerchantBankAccount) -> str:
    return bank_accounts.confirmation_link(account).rstrip("/").rsplit("/", 1)[1]


def confirmed_account(organization, owner, **kwargs) -> MerchantBankAccount:
    """Register an account and confirm it by the link mailed to the owners."""
    account = register(organization, owner, **kwargs)
    with scopes_disabled():
        return bank_accounts.bank_account_confirm_link(token=link_token(account), acting_user=owner)


def paid_merchant(name: str = "Great Lakes Maple Co.", **kwargs):
    """A merchant, its owner and its confirmed payout account."""
    organization, owner = merchant(name, **kwargs)
    return organization, owner, confirmed_account(organization, owner)


def release(merchant_org, amount: Decimal | str, *, memo: str = "Released") -> None:
    """Put ``amount`` on the merchant's account as released funds (Dr bank / Cr merchant)."""
    amount = Decimal(amount)
    with transaction.atomic(), scopes_disabled():
        ledger.ledger_post(
            kind=TransactionKind.FUNDS_RELEASED,
            key=f"test-release:{uuid.uuid4().hex}",
            legs=[
                ledger.debit(ledger.network_account(AccountKind.BANK), amount),
                ledger.credit(ledger.merchant_account(merchant_org), amount),
            ],
            merchant=merchant_org,
            memo=memo,
        )


def owed(merchant_org) -> Decimal:
    return ledger.balance(ledger.merchant_account(merchant_org))


def statement_debit(
    payout: Payout,
    *,
    amount: Decimal | None = None,
    end_to_end_id: str | None = None,
    remittance: str = "",
) -> BankEntry:
    """The debit of ``payout`` as the bank's statement reports it (waiting to be matched): its
    amount and end-to-end id unless told otherwise."""
    with scopes_disabled():
        statement, _created = BankStatement.objects.get_or_create(
            message_id="STMT-DEBITS",
            defaults={"kind": BankStatement.Kind.CAMT053, "sha256": "0" * 64},
        )
        return BankEntry.objects.create(
            statement=statement,
            bank_reference=f"DEBIT-{uuid.uuid4().hex[:12]}",
            direction=BankEntry.Direction.DEBIT,
            amount=payout.amount_usd if amount is None else amount,
            currency="USD",
            end_to_end_id=payout.end_to_end_id if end_to_end_id is None else end_to_end_id,
            remittance=remittance,
            status=BankEntry.Status.UNMATCHED,
        )
