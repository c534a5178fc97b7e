"""The escrow panel: what the network holds, what moved through escrow in the range, the claim
rate; each organisation sees its own money only."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from django_scopes import scopes_disabled

from network.dashboards import Period
from network.models import Organization
from payments import ledger
from payments.dashboard import escrow_figures, escrow_panel
from payments.models import Claim, TransactionKind
from tests.factories import OrganizationFactory
from tests.orders.factories import buyer, fan_out, merchant, merchant_order_of, place, sku
from tests.payments.paying import pay

pytestmark = pytest.mark.django_db


@pytest.fixture
def paid_order():
    store, wang = buyer()
    maple, owner = merchant()
    syrup = sku(maple, owner)
    purchase_order = place(store, wang, [(syrup, 48)], payment_terms="prepaid")
    fan_out(purchase_order)
    pay(purchase_order)
    return store, maple, merchant_order_of(purchase_order, maple)


def _release(merchant_order, amount: Decimal) -> None:
    with scopes_disabled():
        ledger.ledger_post(
            kind=TransactionKind.FUNDS_RELEASED,
            key=f"release:{merchant_order.pk}",
            legs=[
                ledger.debit(ledger.escrow_account(merchant_order), amount),
                ledger.credit(ledger.merchant_account(merchant_order.organization), amount),
            ],
            buyer=merchant_order.buyer,
            merchant=merchant_order.organization,
            merchant_order=merchant_order,
        )


def test_escrow_held_paid_in_released_and_claim_rate(paid_order):
    store, maple, merchant_order = paid_order
    total = merchant_order.subtotal_usd  # 48 × 7.90
    assert total == Decimal("379.20")
    operators = OrganizationFactory(kind=Organization.Kind.OPERATOR)
    period = Period.last_days(7)
    figures = escrow_figures(operators, period)
    assert (figures["held"], figures["paid_in"], figures["released"]) == (total, total, 0)
    _release(merchant_order, Decimal("100.00"))
    with scopes_disabled():
        Claim.objects.create(
            organization=store,
            merchant=maple,
            merchant_order=merchant_order,
            number="CL-TEST-1",
            reason="short",
            description="Two cases missing.",
            amount_usd=Decimal("50.00"),
            respond_by=timezone.now() + timedelta(days=5),
        )
    for viewer in (operators, maple, store):
        figures = escrow_figures(viewer, period)
        assert figures["held"] == total - Decimal("100.00")
        assert figures["released"] == Decimal("100.00")
        assert figures["claims"] == 1
    # Nothing was shipped in the range: no rate to speak of, and no division by zero.
    assert escrow_figures(maple, period)["claim_rate"] == 0.0
    panel = escrow_panel(maple, period)
    assert panel.figures[0].value == "US$279.20"


def test_another_merchants_and_buyers_escrow_is_not_counted(paid_order):
    other_buyer = OrganizationFactory(kind=Organization.Kind.BUYER)
    other_merchant = OrganizationFactory(kind=Organization.Kind.MERCHANT)
    period = Period.last_days(7)
    for outsider in (other_buyer, other_merchant):
        figures = escrow_figures(outsider, period)
        assert (figures["held"], figures["paid_in"], figures["claims"]) == (0, 0, 0)
