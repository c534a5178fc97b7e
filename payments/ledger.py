"""The double-entry ledger: the one way money moves.

``ledger_post`` writes one transaction with its postings (debit +, credit −) in one INSERT; the
database refuses, at the end of that statement, postings that do not sum to zero or that take a
never-negative account below zero, and at commit a transaction with fewer than two postings
(``payments/migrations/0002_ledger_rules.py``). Postings are never updated or deleted. The same
``key`` posts once: a retried task or a second import finds the first transaction.

Callers lock what they move money out of (``accounts_locked``) before reading its balance, so two
movements of one account never both see the same funds."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django_scopes import scopes_disabled

from network.models import Organization, User
from orders.models import MerchantOrder, PurchaseOrder
from payments.models import (
    DEBIT_NORMAL,
    AccountKind,
    LedgerAccount,
    LedgerTransaction,
    Posting,
)

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def network_books() -> AbstractContextManager[None]:
    """The payments app's one door past the tenant guard. Money is the network's own books:
    a movement touches the network's accounts and two parties' at once (a buyer's escrow paid
    to a merchant less the network's commission), and its periodic work (statements, release,
    claims' deadlines, payout runs) is operator-wide. Pages and the API read payments rows
    through ``visible_to`` like any private row; services and tasks open this scope."""
    # The network's own books: operator-wide by nature (see above).
    return scopes_disabled()


class Unbalanced(ValueError):
    """Postings that do not sum to zero (a programming error, never user input)."""


def money(value: Decimal | int | str) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


# --- Accounts ----------------------------------------------------------------------------------


def _account(**fields: Any) -> LedgerAccount:
    with network_books():
        try:
            with transaction.atomic():
                account, _created = LedgerAccount.objects.get_or_create(**fields)
        except IntegrityError:  # created by a concurrent transaction meanwhile
            account = LedgerAccount.objects.get(**fields)
    return account


def network_account(kind: str) -> LedgerAccount:
    """One of the network's own accounts (bank, suspense, commission, payouts in transit,
    refunds)."""
    assert kind in (
        AccountKind.BANK,
        AccountKind.SUSPENSE,
        AccountKind.COMMISSION,
        AccountKind.PAYOUTS_IN_TRANSIT,
        AccountKind.REFUNDS,
    ), kind
    return _account(kind=kind, organization=None)


def buyer_account(buyer: Organization) -> LedgerAccount:
    """The buyer's money with the network not applied to any order: its credit."""
    return _account(kind=AccountKind.BUYER, organization=buyer)


def merchant_account(merchant: Organization) -> LedgerAccount:
    """Released funds owed to the merchant, paid out by the weekly run."""
    return _account(kind=AccountKind.MERCHANT, organization=merchant)


def escrow_account(merchant_order: MerchantOrder) -> LedgerAccount:
    """The buyer's money held for one merchant order."""
    return _account(
        kind=AccountKind.ESCROW,
        merchant_order=merchant_order,
        organization_id=merchant_order.organization_id,
        buyer_id=merchant_order.buyer_id,
    )


def accounts_locked(accounts: Iterable[LedgerAccount]) -> list[LedgerAccount]:
    """Lock the accounts (primary-key order, so two movements never deadlock) for the rest of
    the transaction; returns them in that order."""
    ids = sorted({account.pk for account in accounts})
    with network_books():
        return list(LedgerAccount.objects.select_for_update().filter(pk__in=ids).order_by("pk"))


# --- Balances ----------------------------------------------------------------------------------


def _signed(account: LedgerAccount, total: Decimal) -> Decimal:
    return money(total if account.kind in DEBIT_NORMAL else -total)


def balance(account: LedgerAccount) -> Decimal:
    """What the account holds, as a positive figure for its kind (money in the bank; what the
    network owes a buyer or a merchant or holds in escrow; commission earned)."""
    with network_books():
        total = Posting.objects.filter(account=account).aggregate(total=Sum("amount"))["total"]
    return _signed(account, total or ZERO)


def buyer_balance(buyer: Organization) -> Decimal:
    """``balance(buyer_account(buyer))`` without opening the account: pages show a buyer's
    credit on a GET, and opening it is a write (its own short transaction) on every view."""
    with network_books():
        total = Posting.objects.filter(
            account__kind=AccountKind.BUYER, account__organization=buyer
        ).aggregate(total=Sum("amount"))["total"]
    return _signed(LedgerAccount(kind=AccountKind.BUYER), total or ZERO)


def balances(accounts: Sequence[LedgerAccount]) -> dict[int, Decimal]:
    """{account id: balance} in one query."""
    with network_books():
        rows = (
            Posting.objects.filter(account__in=[a.pk for a in accounts])
            .values("account")
            .annotate(total=Sum("amount"))
        )
        totals = {row["account"]: row["total"] for row in rows}
    return {a.pk: _signed(a, totals.get(a.pk) or ZERO) for a in accounts}


# --- Posting -----------------------------------------------------------------------------------


def ledger_post(
    *,
    kind: str,
    key: str,
    legs: Sequence[tuple[LedgerAccount, Decimal]],
    buyer: Organization | None = None,
    merchant: Organization | None = None,
    purchase_order: PurchaseOrder | None = None,
    merchant_order: MerchantOrder | None = None,
    memo: str = "",
    acting_user: User | None = None,
) -> LedgerTransaction:
    """Post one balanced transaction: ``legs`` are (account, signed amount) pairs, debit
    positive, credit negative, summing to zero; zero legs are dropped. ``key`` is unique: a
    second call with the same key returns the first transaction and posts nothing. Must run
    inside the caller's database transaction."""
    legs = [(account, money(amount)) for account, amount in legs if money(amount) != ZERO]
    if len(legs) < 2 or sum((amount for _a, amount in legs), ZERO) != ZERO:
        raise Unbalanced(f"{kind} {key}: {[(a.kind, str(m)) for a, m in legs]}")
    with network_books():
        existing = LedgerTransaction.objects.filter(idempotency_key=key[:120]).first()
    if existing is not None:
        return existing
    entry = LedgerTransaction(
        kind=kind,
        idempotency_key=key[:120],
        organization=buyer,
        merchant=merchant,
        purchase_order=purchase_order,
        merchant_order=merchant_order,
        memo=memo[:200],
        created_by=acting_user,
    )
    entry.save()
    Posting.objects.bulk_create(
        Posting(
            transaction=entry,
            account=account,
            amount=amount,
            organization=buyer,
            merchant=merchant,
        )
        for account, amount in legs
    )
    return entry


def in_english(message: str) -> str:
    """A transaction's description is kept in English, the books' language of record, whoever
    made the movement and in whatever language: pages show each movement's translated kind and
    figures beside it, never this text."""
    return message


def debit(account: LedgerAccount, amount: Decimal) -> tuple[LedgerAccount, Decimal]:
    return account, money(amount)


def credit(account: LedgerAccount, amount: Decimal) -> tuple[LedgerAccount, Decimal]:
    return account, -money(amount)
