"""Reads of payouts: what a merchant is owed, holds in escrow and was paid; its movements (the
statement); its payout account; the operators' payout runs."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import QuerySet, Sum
from django.utils import timezone

from network.errors import DomainError
from network.models import Organization
from network.tenancy import RecordNotFound
from payments.ledger import ZERO, money
from payments.models import (
    AccountKind,
    LedgerTransaction,
    MerchantBankAccount,
    Payout,
    PayoutRun,
    Posting,
)


@dataclass(frozen=True)
class MerchantMoney:
    owed: Decimal  # released, not yet paid out
    held: Decimal  # the buyers' money in escrow for its orders
    in_transit: Decimal  # paid out, not yet debited by the bank
    paid: Decimal  # paid out and debited


def merchant_money(*, organization: Organization) -> MerchantMoney:
    """The merchant's figures, from its postings and payouts (three queries)."""
    totals = {
        row["account__kind"]: row["total"]
        for row in Posting.objects.visible_to(organization)
        .filter(
            account__organization=organization,
            account__kind__in=[AccountKind.MERCHANT, AccountKind.ESCROW],
        )
        .values("account__kind")
        .annotate(total=Sum("amount"))
        .order_by()
    }
    payouts = {
        row["status"]: row["total"]
        for row in Payout.objects.visible_to(organization)
        .filter(organization=organization, kind=Payout.Kind.MERCHANT)
        .values("status")
        .annotate(total=Sum("amount_usd"))
        .order_by()
    }
    return MerchantMoney(
        owed=money(-(totals.get(AccountKind.MERCHANT) or ZERO)),
        held=money(-(totals.get(AccountKind.ESCROW) or ZERO)),
        in_transit=money(payouts.get(Payout.Status.SENT) or ZERO),
        paid=money(payouts.get(Payout.Status.PAID) or ZERO),
    )


@dataclass
class Movement:
    """One ledger transaction as the merchant sees it: what it did to the escrow of its
    orders, to what it is owed, and what reached its bank."""

    created_at: datetime
    kind: str
    kind_label: str
    memo: str
    merchant_order: str
    purchase_order: str
    held: Decimal = ZERO
    commission: Decimal = ZERO
    owed: Decimal = ZERO
    paid: Decimal = ZERO
    balance: Decimal = ZERO
    postings: list = field(default_factory=list, repr=False)


def _movement_rows(organization: Organization, transactions: list[LedgerTransaction]) -> list:
    postings: dict[int, list[Posting]] = defaultdict(list)
    for posting in (
        Posting.objects.visible_to(organization)
        .filter(transaction__in=[t.pk for t in transactions])
        .select_related("account")
    ):
        postings[posting.transaction_id].append(posting)
    rows = []
    for entry in transactions:
        row = Movement(
            created_at=entry.created_at,
            kind=entry.kind,
            kind_label=str(entry.get_kind_display()),
            memo=entry.memo,
            merchant_order=entry.merchant_order.number if entry.merchant_order_id else "",
            purchase_order=entry.purchase_order.number if entry.purchase_order_id else "",
        )
        for posting in postings[entry.pk]:
            account = posting.account
            if account.kind == AccountKind.ESCROW and account.organization_id == organization.pk:
                row.held -= posting.amount
            elif (
                account.kind == AccountKind.MERCHANT and account.organization_id == organization.pk
            ):
                row.owed -= posting.amount
            elif account.kind == AccountKind.COMMISSION:
                row.commission -= posting.amount
            elif account.kind == AccountKind.BANK and entry.kind == "payout_settled":
                row.paid -= posting.amount
        rows.append(row)
    return rows


def _merchant_transactions(organization: Organization) -> QuerySet[LedgerTransaction]:
    return (
        LedgerTransaction.objects.visible_to(organization)
        .filter(merchant=organization)
        .select_related("merchant_order", "purchase_order")
    )


def merchant_recent_movements(*, organization: Organization, limit: int = 15) -> list[Movement]:
    """The merchant's latest movements, newest first (two queries)."""
    transactions = list(_merchant_transactions(organization).order_by("-created_at", "-pk")[:limit])
    return _movement_rows(organization, transactions)


class StatementPeriodInvalid(DomainError):
    code = "statement_period_invalid"
    status = 400


def statement_period(start: date | None, end: date | None) -> tuple[date, date]:
    """The period asked for, by default the last 30 days up to today."""
    today = timezone.localdate()
    end = end or today
    start = start or end - timedelta(days=30)
    if start > end:
        start, end = end, start
    return start, end


@dataclass(frozen=True)
class Statement:
    organization: Organization
    start: date
    end: date
    opening: Decimal
    closing: Decimal
    movements: list[Movement]


def merchant_statement(*, organization: Organization, start: date, end: date) -> Statement:
    """Every movement of the merchant from ``start`` to ``end`` (whole days, inclusive), oldest
    first, with the running balance of what it is owed."""
    zone = timezone.get_current_timezone()
    since = datetime.combine(start, time.min, tzinfo=zone)
    until = datetime.combine(end + timedelta(days=1), time.min, tzinfo=zone)
    opening = -(
        Posting.objects.visible_to(organization)
        .filter(
            account__kind=AccountKind.MERCHANT,
            account__organization=organization,
            transaction__created_at__lt=since,
        )
        .aggregate(total=Sum("amount"))["total"]
        or ZERO
    )
    transactions = list(
        _merchant_transactions(organization)
        .filter(created_at__gte=since, created_at__lt=until)
        .order_by("created_at", "pk")
    )
    rows = _movement_rows(organization, transactions)
    running = money(opening)
    for row in rows:
        running += row.owed
        row.balance = running
    return Statement(
        organization=organization,
        start=start,
        end=end,
        opening=money(opening),
        closing=running,
        movements=rows,
    )


def merchant_payouts(*, organization: Organization) -> QuerySet[Payout]:
    return (
        Payout.objects.visible_to(organization)
        .filter(organization=organization, kind=Payout.Kind.MERCHANT)
        .select_related("run", "bank_account")
        .order_by("-created_at", "-pk")
    )


def bank_account_active(*, organization: Organization) -> MerchantBankAccount | None:
    return (
        MerchantBankAccount.objects.visible_to(organization)
        .filter(organization=organization, status=MerchantBankAccount.Status.ACTIVE)
        .first()
    )


def bank_account_pending(*, organization: Organization) -> MerchantBankAccount | None:
    return (
        MerchantBankAccount.objects.visible_to(organization)
        .filter(organization=organization, status=MerchantBankAccount.Status.PENDING)
        .first()
    )


def payout_runs(*, organization: Organization) -> QuerySet[PayoutRun]:
    """Every run, newest week first (operators)."""
    return PayoutRun.objects.visible_to(organization).order_by("-week")


def access_payout_run(*, organization: Organization, pk: int) -> PayoutRun:
    run = PayoutRun.objects.visible_to(organization).filter(pk=pk).first()
    if run is None:
        raise RecordNotFound("payout run")
    return run


def payouts_of_run(*, organization: Organization, run: PayoutRun) -> QuerySet[Payout]:
    return (
        Payout.objects.visible_to(organization)
        .filter(run=run)
        .select_related("organization", "claim", "bank_account", "bank_entry")
        .order_by("kind", "pk")
    )
