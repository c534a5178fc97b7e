"""The demo pays two of the demo buyer's orders through an imported camt.053 — a prepaid order
in full, a deposit order's deposit only — and leaves one transfer in the operators' queue; a
second run changes nothing."""

from __future__ import annotations

import pytest
from django_scopes import scopes_disabled

from network.demo import DEMO_BUYER_SLUG, DEMO_MERCHANT_SLUG
from network.models import Organization, Role
from orders.models import MerchantOrder, PurchaseOrder
from payments import demo
from payments.models import BankEntry, BankStatement, Payout
from payments.selectors_bank import order_payment
from tests.factories import OrganizationFactory, member, operator
from tests.orders.factories import merchant, sku

pytestmark = pytest.mark.django_db


def test_the_demo_pays_one_order_in_full_one_in_part_and_queues_one_transfer():
    with scopes_disabled():
        assert demo.seed()["statements"] == 0  # no demo buyer yet
        store = OrganizationFactory(
            name="Hangzhou Westlake Global Store", slug=DEMO_BUYER_SLUG, kind="buyer"
        )
        member(store, Role.BUYER)
        operator()
        for name in ("Great Lakes Maple Co.", "Driftless Cheese Makers"):
            organization, owner = merchant(name)
            sku(organization, owner, code=f"{name[:4].upper()}-1", on_hand=5000)
        # The demo merchant's login (not the first merchant by name) is the one whose order is
        # paid, shipped, released and paid out.
        Organization.objects.filter(pk=organization.pk).update(slug=DEMO_MERCHANT_SLUG)
        demo.prepare()
        first = demo.seed()
        assert (first["statements"], first["matched_entries"], first["unmatched_entries"]) == (
            1,
            2,
            1,
        )
        assert demo.seed()["statements"] == 0
        prepaid = PurchaseOrder.objects.get(buyer_reference="WL-PAY-PREPAID")
        deposit = PurchaseOrder.objects.get(buyer_reference="WL-PAY-DEPOSIT")
        assert order_payment(prepaid, organization=store).owed == 0
        part = order_payment(deposit, organization=store)
        assert 0 < part.paid < part.total and part.due_before_shipment > 0
        assert BankStatement.objects.count() == 1
        assert BankEntry.objects.filter(status="unmatched").count() == 1
        assert Organization.objects.get(pk=store.pk).kind == "buyer"
        paid_out = MerchantOrder.objects.get(purchase_order=prepaid)
        assert paid_out.organization.slug == DEMO_MERCHANT_SLUG
        assert paid_out.status == "closed"
        assert Payout.objects.get(organization=paid_out.organization).amount_usd > 0
