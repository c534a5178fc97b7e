"""The ledger's rules hold whatever the code asks: the database refuses postings that do not
balance, that overdraw an account, that change history, or a transaction without postings."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django_scopes import scopes_disabled
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from network.models import Organization
from payments import ledger
from payments.models import AccountKind, LedgerTransaction, Posting, TransactionKind
from tests.factories import OrganizationFactory

pytestmark = pytest.mark.django_db

amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99999.99"), places=2)


def _buyer() -> Organization:
    return OrganizationFactory(kind=Organization.Kind.BUYER)


def _receive(buyer: Organization, amount: Decimal, key: str) -> LedgerTransaction:
    bank = ledger.network_account(AccountKind.BANK)
    return ledger.ledger_post(
        kind=TransactionKind.PAYMENT_RECEIVED,
        key=key,
        legs=[ledger.debit(bank, amount), ledger.credit(ledger.buyer_account(buyer), amount)],
        buyer=buyer,
    )


def _raw_posting(transaction_id: int, account_id: int, amount: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO payments_posting (transaction_id, account_id, amount) VALUES (%s, %s, %s)",
            [transaction_id, account_id, amount],
        )


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(receipts=st.lists(amounts, min_size=1, max_size=5), spend=st.data())
def test_every_transaction_sums_to_zero_and_balances_come_from_postings(receipts, spend):
    """Money in, then some of it applied: every transaction's postings sum to zero, the whole
    ledger sums to zero, and the buyer's credit is what came in less what was applied."""
    with transaction.atomic(), scopes_disabled():
        buyer = _buyer()
        for n, amount in enumerate(receipts):
            _receive(buyer, amount, key=f"in:{buyer.pk}:{n}")
        received = sum(receipts, Decimal("0"))
        applied = spend.draw(st.decimals(min_value=0, max_value=received, places=2))
        merchant = OrganizationFactory(kind=Organization.Kind.MERCHANT)
        if applied:
            ledger.ledger_post(
                kind=TransactionKind.FUNDS_RELEASED,
                key=f"out:{buyer.pk}",
                legs=[
                    ledger.debit(ledger.buyer_account(buyer), applied),
                    ledger.credit(ledger.merchant_account(merchant), applied),
                ],
                buyer=buyer,
                merchant=merchant,
            )
        for entry in LedgerTransaction.objects.filter(organization=buyer):
            assert sum(p.amount for p in entry.postings.all()) == 0
        assert sum(p.amount for p in Posting.objects.all()) == 0
        assert ledger.balance(ledger.buyer_account(buyer)) == received - applied
        assert ledger.balance(ledger.merchant_account(merchant)) == applied
        transaction.set_rollback(True)


def test_the_same_key_posts_once():
    with scopes_disabled():
        buyer = _buyer()
        first = _receive(buyer, Decimal("100.00"), key="stmt:1")
        again = _receive(buyer, Decimal("100.00"), key="stmt:1")
        assert again.pk == first.pk
        assert ledger.balance(ledger.buyer_account(buyer)) == Decimal("100.00")


def test_the_code_refuses_unbalanced_legs():
    with scopes_disabled():
        buyer = _buyer()
        bank = ledger.network_account(AccountKind.BANK)
        with pytest.raises(ledger.Unbalanced):
            ledger.ledger_post(
                kind=TransactionKind.PAYMENT_RECEIVED,
                key="bad",
                legs=[
                    ledger.debit(bank, Decimal("10")),
                    ledger.credit(ledger.buyer_account(buyer), Decimal("9.99")),
                ],
            )
        assert not LedgerTransaction.objects.filter(idempotency_key="bad").exists()


def test_the_database_refuses_postings_that_do_not_balance():
    """Past the code, straight in SQL: one INSERT of two legs that do not sum to zero."""
    with scopes_disabled():
        buyer = _buyer()
        entry = _receive(buyer, Decimal("50.00"), key="in")
        bank = ledger.network_account(AccountKind.BANK)
        account = ledger.buyer_account(buyer)
        with pytest.raises(IntegrityError, match="does not balance"), transaction.atomic():
            _raw_posting(entry.pk, bank.pk, "5.00")
        assert ledger.balance(account) == Decimal("50.00")


def test_the_database_refuses_money_from_nowhere():
    """Paying a merchant from a buyer account that holds nothing overdraws it: refused."""
    with scopes_disabled():
        buyer, merchant = _buyer(), OrganizationFactory(kind=Organization.Kind.MERCHANT)
        with pytest.raises(IntegrityError, match="below zero"), transaction.atomic():
            ledger.ledger_post(
                kind=TransactionKind.FUNDS_RELEASED,
                key="nowhere",
                legs=[
                    ledger.debit(ledger.buyer_account(buyer), Decimal("10.00")),
                    ledger.credit(ledger.merchant_account(merchant), Decimal("10.00")),
                ],
            )
        assert ledger.balance(ledger.merchant_account(merchant)) == Decimal("0.00")


def test_postings_are_never_changed_or_deleted():
    with scopes_disabled():
        buyer = _buyer()
        _receive(buyer, Decimal("20.00"), key="in")
        posting = Posting.objects.filter(account__kind=AccountKind.BUYER).get()
        with pytest.raises(IntegrityError, match="never changed"), transaction.atomic():
            Posting.objects.filter(pk=posting.pk).update(amount=Decimal("-30.00"))
        with pytest.raises(IntegrityError, match="never changed"), transaction.atomic():
            Posting.objects.filter(pk=posting.pk).delete()


@pytest.mark.django_db(transaction=True)
def test_a_transaction_without_postings_is_refused_at_commit():
    refused = pytest.raises(IntegrityError, match="fewer than two postings")
    with scopes_disabled(), refused, transaction.atomic():
        LedgerTransaction.objects.create(
            kind=TransactionKind.PAYMENT_RECEIVED, idempotency_key="empty"
        )
