"""Release: the buyer's money goes to the merchant when receipt is confirmed, or on its own some
days after the goods arrived with no claim open; the network's commission is deducted to the
cent, and both sides see the movement (ledger, webhook, mail)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import override_settings
from django.utils import timezone
from django_scopes import scopes_disabled

from network import services as network_services
from network.models import Notification, WebhookDelivery
from orders import services as order_services
from orders.models import MerchantOrder
from payments import ledger
from payments.models import (
    AccountKind,
    Claim,
    LedgerTransaction,
    PaymentPlan,
    Posting,
    TransactionKind,
)
from payments.services import release
from tests.payments.paying import pay
from tests.payments.trade import TOTAL, trade

pytestmark = pytest.mark.django_db


def commission() -> Decimal:
    return ledger.balance(ledger.network_account(AccountKind.COMMISSION))


def plan_of(world) -> PaymentPlan:
    with scopes_disabled():
        return PaymentPlan.objects.get(merchant_order=world.merchant_order)


def test_confirming_receipt_releases_escrow_less_commission(django_capture_on_commit_callbacks):
    world = trade(terms="prepaid", status="delivered")
    parties = ((world.merchant, world.merchant_user), (world.buyer, world.buyer_user))
    for organization, user in parties:
        network_services.webhook_endpoint_create(
            organization=organization,
            url=f"https://hooks.example/{organization.pk}",
            events=["funds.released"],
            acting_user=user,
        )
    assert world.escrow() == TOTAL
    with django_capture_on_commit_callbacks(execute=True):
        order_services.merchant_order_confirm_receipt(
            merchant_order=world.merchant_order, acting_user=world.buyer_user
        )
    # 5 % of 379.20 = 18.96
    assert world.escrow() == Decimal("0.00")
    assert world.owed_to_merchant() == Decimal("360.24")
    assert commission() == Decimal("18.96")
    with scopes_disabled():
        entry = LedgerTransaction.objects.get(kind=TransactionKind.FUNDS_RELEASED)
        legs = sorted((p.account.kind, p.amount) for p in entry.postings.all())
        hooks = list(WebhookDelivery.objects.filter(event="funds.released"))
        mails = list(Notification.objects.filter(kind="payments.funds_released"))
    assert legs == [
        ("commission", Decimal("-18.96")),
        ("escrow", Decimal("379.20")),
        ("merchant", Decimal("-360.24")),
    ]
    # Both parties see the movement.
    assert entry.organization_id == world.buyer.pk and entry.merchant_id == world.merchant.pk
    assert {h.organization_id for h in hooks} == {world.buyer.pk, world.merchant.pk}
    assert hooks[0].payload["paid_to_merchant_usd"] == "360.24"
    assert hooks[0].payload["commission_usd"] == "18.96"
    assert [m.recipient_id for m in mails] == [world.merchant_user.pk]
    assert "360.24" in mails[0].subject
    assert plan_of(world).released_at is not None


@pytest.mark.parametrize(
    ("percent", "gross", "fee"),
    [
        ("5", "379.20", "18.96"),
        ("2.5", "0.10", "0.00"),  # 0.0025 rounds down: no commission leg
        ("2.5", "0.30", "0.01"),  # 0.0075 rounds half up
        ("3", "1234.50", "37.04"),  # 37.035 rounds half up
        ("0", "100.00", "0.00"),
    ],
)
def test_commission_is_rounded_to_the_cent_half_up(percent, gross, fee):
    with override_settings(PAYMENTS_COMMISSION_PERCENT=Decimal(percent)):
        assert release.commission_of(Decimal(gross)) == Decimal(fee)


def test_a_claim_open_stops_the_release_at_receipt():
    world = trade(terms="prepaid", status="delivered")
    with scopes_disabled():
        Claim.objects.create(
            organization=world.buyer,
            merchant=world.merchant,
            merchant_order=world.merchant_order,
            number="CL-TEST-1",
            reason="damaged",
            description="Broken",
            amount_usd=Decimal("50.00"),
            respond_by=timezone.now() + timedelta(days=5),
        )
    order_services.merchant_order_confirm_receipt(
        merchant_order=world.merchant_order, acting_user=world.buyer_user
    )
    assert world.escrow() == TOTAL
    assert world.owed_to_merchant() == Decimal("0.00")
    assert release.releases_due() == 0
    assert world.escrow() == TOTAL


def test_auto_release_waits_the_set_days_after_arrival():
    world = trade(terms="prepaid", status="delivered")
    assert release.release_candidates() == []
    days = timedelta(days=14)
    with override_settings(PAYMENTS_RELEASE_AFTER_DAYS=14):
        assert release.releases_due(now=timezone.now() + days - timedelta(hours=1)) == 0
        assert release.releases_due(now=timezone.now() + days + timedelta(minutes=1)) == 1
        assert release.releases_due(now=timezone.now() + days + timedelta(days=1)) == 0
    assert world.escrow() == Decimal("0.00")
    assert world.owed_to_merchant() == Decimal("360.24")
    # Not confirmed by the buyer: the order stays as it was, the money is released.
    assert world.reload().status == "delivered"


def test_shipped_goods_not_arrived_are_not_released():
    world = trade(terms="prepaid", status="shipped")
    assert release.releases_due(now=timezone.now() + timedelta(days=90)) == 0
    assert world.escrow() == TOTAL


def test_net_terms_paid_after_receipt_are_released_once_received():
    world = trade(terms="net30", paid=False, status="closed")
    assert world.escrow() == Decimal("0.00")
    assert plan_of(world).released_at is None
    with scopes_disabled():
        assert not LedgerTransaction.objects.filter(kind=TransactionKind.FUNDS_RELEASED).exists()
    pay(world.purchase_order, "100.00")  # part paid: released as it arrives
    assert release.releases_due() == 1
    assert world.owed_to_merchant() == Decimal("95.00")
    assert plan_of(world).released_at is None
    pay(world.purchase_order)  # the rest
    assert world.escrow() == TOTAL - Decimal("100.00")
    assert release.releases_due() == 1
    assert world.escrow() == Decimal("0.00")
    assert world.owed_to_merchant() == Decimal("360.24")
    assert commission() == Decimal("18.96")
    assert plan_of(world).released_at is not None
    assert release.release_candidates() == []


def test_the_ledger_stays_balanced_through_release():
    trade(terms="deposit", status="closed")
    with scopes_disabled():
        assert sum(p.amount for p in Posting.objects.all()) == 0
        for entry in LedgerTransaction.objects.all():
            assert sum(p.amount for p in entry.postings.all()) == 0
        assert MerchantOrder.objects.get().status == "closed"
