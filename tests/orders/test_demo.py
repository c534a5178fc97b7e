"""The demo: purchase orders in every state and a cart for the demo buyer, from the catalogue's
demo listings; a second run changes nothing; without listings it does nothing."""

from __future__ import annotations

import pytest
from django_scopes import scopes_disabled

from network.demo import DEMO_BUYER_SLUG
from network.models import Organization, Role
from orders import demo
from orders.models import CartLine, PurchaseOrder
from payments import demo as payments_demo
from tests.factories import OrganizationFactory, member
from tests.orders.factories import merchant, sku

pytestmark = pytest.mark.django_db


def test_demo_orders_cover_every_state_and_are_idempotent():
    with scopes_disabled():
        assert demo.seed() == {"purchase_orders": 0}  # no demo buyer yet
        store = OrganizationFactory(
            name="Hangzhou Westlake Global Store",
            slug=DEMO_BUYER_SLUG,
            kind=Organization.Kind.BUYER,
        )
        member(store, Role.BUYER)
        payments_demo.prepare()  # the operators grant the demo store net terms first
        assert demo.seed() == {"purchase_orders": 0}  # no listings yet
        for name in ("Great Lakes Maple Co.", "Driftless Cheese Makers", "Cascadia Botanicals"):
            organization, owner = merchant(name)
            sku(organization, owner, code=f"{name[:4].upper()}-1", on_hand=5000)
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
