"""A release racing a claim never pays out claimed money: the buyer confirming receipt (which
releases escrow) and the buyer opening a claim, at the same moment on two connections, end either
with the claim open and the escrow whole, or with the escrow released and the claim refused."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from django.db import connection
from django_scopes import scopes_disabled

from network.errors import DomainError
from orders import services as order_services
from payments.models import Claim, LedgerTransaction, Posting, TransactionKind
from payments.services import claims, release
from tests.payments.trade import TOTAL, photo, trade

pytestmark = [pytest.mark.concurrency, pytest.mark.django_db(transaction=True)]

ROUNDS = 6


def _race(world) -> tuple[object, object]:
    barrier = threading.Barrier(2, timeout=60)

    def confirm():
        try:
            barrier.wait()
            return order_services.merchant_order_confirm_receipt(
                merchant_order=world.merchant_order, acting_user=world.buyer_user
            )
        except DomainError as error:
            return error
        finally:
            connection.close()

    def claim():
        try:
            barrier.wait()
            return claims.claim_open(
                merchant_order=world.merchant_order,
                reason="damaged",
                description="Broken bottles.",
                amount_usd=str(TOTAL),
                photos=[photo()],
                acting_user=world.buyer_user,
            )
        except DomainError as error:
            return error
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=2) as pool:
        confirmed, claimed = pool.submit(confirm), pool.submit(claim)
        return confirmed.result(), claimed.result()


def test_a_release_racing_a_claim_never_pays_out_claimed_money():
    outcomes = set()
    for n in range(ROUNDS):
        world = trade(
            status="delivered", merchant_name=f"Maple Farm {n}", buyer_name=f"Westlake Store {n}"
        )
        _confirmed, claimed = _race(world)
        world.reload()
        assert world.merchant_order.status == "closed"  # receipt stands either way
        if isinstance(claimed, Claim):
            outcomes.add("claim first")
            assert world.escrow() == TOTAL
            assert world.owed_to_merchant() == Decimal("0.00")
            # Nothing more is released while the claim is open.
            assert release.releases_due() == 0
            assert world.escrow() == TOTAL
        else:
            outcomes.add("release first")
            assert "Nothing is held in escrow" in claimed.message
            assert world.escrow() == Decimal("0.00")
            assert world.owed_to_merchant() == Decimal("360.24")
    with scopes_disabled():
        assert sum(p.amount for p in Posting.objects.all()) == 0
        released = LedgerTransaction.objects.filter(kind=TransactionKind.FUNDS_RELEASED).count()
        open_claims = Claim.objects.filter(status="awaiting_merchant").count()
    assert released + open_claims == ROUNDS
    assert outcomes  # which came first is the scheduler's choice; both are safe
