"""Whatever is released and however much of it the bank has debited, a payout run moves
money without making or losing any: each merchant is paid exactly what it was owed, and what is
in transit is what was sent and not yet debited."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db import transaction
from django.db.models import Sum
from django_scopes import scopes_disabled
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from network.models import Organization
from payments import ledger
from payments.models import AccountKind, LedgerTransaction, Payout, Posting
from payments.services.payouts import payout_match_debit, payout_run_execute
from tests.factories import OrganizationFactory, member
from tests.payments.payouts_factories import confirmed_account, owed, release, statement_debit

pytestmark = pytest.mark.django_db

amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("50000.00"), places=2)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    releases=st.lists(st.lists(amounts, max_size=4), min_size=1, max_size=3),
    settled=st.lists(st.booleans(), min_size=3, max_size=3),
)
def test_a_run_pays_exactly_what_is_owed_and_the_ledger_stays_balanced(releases, settled):
    with transaction.atomic(), scopes_disabled():
        merchants = []
        for n, amounts_released in enumerate(releases):
            merchant = OrganizationFactory(kind=Organization.Kind.MERCHANT, name=f"M{n}")
            confirmed_account(merchant, member(merchant))
            for amount in amounts_released:
                release(merchant, amount)
            merchants.append(merchant)

        run = payout_run_execute(week=datetime.date(2026, 12, 7))

        payouts = {p.organization_id: p for p in Payout.objects.filter(run=run)}
        for merchant, amounts_released in zip(merchants, releases, strict=True):
            assert owed(merchant) == Decimal("0.00")
            expected = sum(amounts_released, Decimal("0.00"))
            if expected:
                assert payouts[merchant.pk].amount_usd == expected
            else:
                assert merchant.pk not in payouts
        debited = Decimal("0.00")
        for payout, settle in zip(payouts.values(), settled, strict=False):
            if settle:
                assert payout_match_debit(statement_debit(payout)) is True
                debited += payout.amount_usd
        sent = sum((p.amount_usd for p in payouts.values()), Decimal("0.00"))
        in_transit = ledger.balance(ledger.network_account(AccountKind.PAYOUTS_IN_TRANSIT))
        assert in_transit == sent - debited
        for entry in LedgerTransaction.objects.all():
            assert sum(p.amount for p in entry.postings.all()) == 0
        assert Posting.objects.aggregate(total=Sum("amount"))["total"] in (None, 0)
        transaction.set_rollback(True)
