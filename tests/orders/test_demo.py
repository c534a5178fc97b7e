"""The demo: purchase orders in every state and a cart for the demo buyer, from the catalogue's
demo listings; a second run changes nothing; without listings it does nothing."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django_scopes import scopes_disabled

from catalog.models import SKU
from network.demo import DEMO_BUYER_SLUG
from network.models import Organization, Role
from orders import demo
from orders.models import CartLine, PurchaseOrder, PurchaseOrderLine
from payments import demo as payments_demo
from tests.factories import OrganizationFactory, member
from tests.orders.factories import merchant, sku

pytestmark = pytest.mark.django_db


def _demo_store() -> Organization:
    """The demo buyer with a buyer, granted net terms by the operators first."""
    store = OrganizationFactory(
        name="Hangzhou Westlake Global Store",
        slug=DEMO_BUYER_SLUG,
        kind=Organization.Kind.BUYER,
    )
    member(store, Role.BUYER)
    payments_demo.prepare()
    return store


def _three_merchants() -> None:
    for name in ("Great Lakes Maple Co.", "Driftless Cheese Makers", "Cascadia Botanicals"):
        organization, owner = merchant(name)
        sku(organization, owner, code=f"{name[:4].upper()}-1", on_hand=5000)


def test_demo_orders_cover_every_state_and_are_idempotent():
    with scopes_disabled():
        assert demo.seed() == {"purchase_orders": 0}  # no demo buyer yet
        store = _demo_store()
        assert demo.seed() == {"purchase_orders": 0}  # no listings yet
        _three_merchants()
        first = demo.seed()
        second = demo.seed()
        statuses = set(PurchaseOrder.objects.values_list("status", flat=True))
        assert first["purchase_orders"] == 8 and second == {"purchase_orders": 0}
        assert statuses == {
            "placed",
            "partly_accepted",
            "in_fulfilment",
            "shipped",
            "completed",
            "cancelled",
        }
        assert CartLine.objects.filter(organization=store).count() == 3


def test_the_demo_orders_a_sample_and_keeps_one_in_the_cart():
    with scopes_disabled():
        store = _demo_store()
        _three_merchants()
        offered = SKU.objects.order_by("pk").first()
        SKU.objects.filter(pk=offered.pk).update(
            sample_price_usd=Decimal("5.00"), sample_limit_per_buyer=3
        )
        assert demo.seed()["purchase_orders"] == 8
        sample = PurchaseOrderLine.objects.get(is_sample=True)
        assert (sample.sku_id, sample.quantity, sample.unit_price_usd) == (
            offered.pk,
            1,
            Decimal("5.00"),
        )
        assert sample.purchase_order.buyer_reference == "WL-DEMO-01"
        assert CartLine.objects.filter(organization=store, is_sample=True, sku=offered).exists()
