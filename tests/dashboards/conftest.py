"""A small network with figures that can be worked out by hand, in March 2026.

Purchase orders (tier prices: syrup 8.50 from 12, 7.90 from 48; fish oil 8.50 from 6):

- PO1, Mon 2 March, Hangzhou store (CN): 48 syrup = 379.20 + 12 fish oil = 102.00
- PO2, Wed 11 March, Seattle Trading (US): 12 syrup = 102.00
- PO3, Tue 10 March, Hangzhou store: 6 fish oil = 51.00, rejected by the merchant

GMV 583.20, of which 481.20 bought from China (82.5%); Michigan 481.20, Florida 102.00.
PO1's maple part ships 3 days after placing, its fish-oil part 7 days after."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.db.models import F
from django_scopes import scopes_disabled

from catalog.models import Category, Inventory, Product
from merchants.models import ApplicationStatus, MerchantApplication
from network.dashboards import Period
from network.models import Organization, Role
from orders import services
from orders.models import MerchantOrder, PurchaseOrder
from payments.models import BuyerCredit
from tests.catalog import factories as catalog_factories
from tests.factories import OrganizationFactory, member, operator
from tests.orders.factories import buyer, fan_out, merchant, merchant_order_of, place, sku

MARCH = Period(start=date(2026, 3, 1), end=date(2026, 3, 31))


def at(day: int, hour: int = 9) -> datetime:
    return datetime(2026, 3, day, hour, tzinfo=UTC)


def placed_on(purchase_order, when: datetime) -> None:
    with scopes_disabled():
        PurchaseOrder.objects.filter(pk=purchase_order.pk).update(placed_at=when)
        MerchantOrder.objects.filter(purchase_order=purchase_order).update(created_at=when)


def _ship(merchant_order, owner, when: datetime) -> None:
    services.merchant_order_accept(merchant_order=merchant_order, acting_user=owner)
    services.merchant_order_pack(merchant_order=merchant_order, acting_user=owner)
    services.merchant_order_ship(
        merchant_order=merchant_order,
        carrier_name="Maersk",
        tracking_number="1Z999",
        acting_user=owner,
    )
    with scopes_disabled():
        MerchantOrder.objects.filter(pk=merchant_order.pk).update(shipped_at=when)


@pytest.fixture
def network(db):
    maple, maple_owner = merchant("Great Lakes Maple Co.")
    vitamins, vitamins_owner = catalog_factories.merchant("Sunbelt Vitamins", state="FL")
    applicant, _applicant_owner = catalog_factories.merchant(
        "Late Applicant Foods", state="TX", status=ApplicationStatus.SUBMITTED
    )
    syrup = sku(maple, maple_owner, code="MAPLE-500")
    fish_oil = sku(
        vitamins,
        vitamins_owner,
        code="OMEGA-3",
        title="Omega-3 fish oil, 120 capsules",
        moq=6,
        tiers=((6, "8.50"), (48, "7.90")),
    )
    with scopes_disabled():
        Product.objects.filter(pk=fish_oil.product_id).update(
            category=Category.objects.get(slug="fish-oil")
        )
        for organization, day in ((maple, 2), (vitamins, 3), (applicant, 20)):
            MerchantApplication.objects.filter(organization=organization).update(
                submitted_at=at(day, 8),
                approved_at=at(day + 1) if organization != applicant else None,
            )
    store, wang = buyer("Hangzhou Westlake Global Store")
    seattle = OrganizationFactory(
        name="Seattle Trading", kind=Organization.Kind.BUYER, country="US"
    )
    seattle_buyer = member(seattle, Role.BUYER)
    with scopes_disabled():  # the operators granted Seattle net terms, as buyer() does
        BuyerCredit.objects.create(organization=seattle, limit_usd=Decimal("1000000.00"))

    po1 = place(store, wang, [(syrup, 48), (fish_oil, 12)], buyer_reference="HZ-1")
    fan_out(po1)
    po2 = place(seattle, seattle_buyer, [(syrup, 12)], buyer_reference="SEA-1")
    fan_out(po2)
    po3 = place(store, wang, [(fish_oil, 6)], buyer_reference="HZ-2")
    fan_out(po3)
    placed_on(po1, at(2))
    placed_on(po2, at(11))
    placed_on(po3, at(10))
    _ship(merchant_order_of(po1, maple), maple_owner, at(5))
    _ship(merchant_order_of(po1, vitamins), vitamins_owner, at(9))
    services.merchant_order_reject(
        merchant_order=merchant_order_of(po3, vitamins),
        reason="Out of stock.",
        acting_user=vitamins_owner,
    )
    with scopes_disabled():
        # 20 available (PO2's 12 units stay reserved), below the alert level of 24.
        Inventory.objects.filter(sku=syrup).update(
            on_hand=F("reserved") + 20, low_stock_threshold=24
        )
        for po in (po1, po2, po3):
            po.refresh_from_db()
    return {
        "maple": maple,
        "maple_owner": maple_owner,
        "maple_viewer": member(maple, Role.VIEWER),
        "vitamins": vitamins,
        "vitamins_owner": vitamins_owner,
        "store": store,
        "wang": wang,
        "store_viewer": member(store, Role.VIEWER),
        "seattle": seattle,
        "seattle_buyer": seattle_buyer,
        "operator": operator(),
        "po1": po1,
        "po2": po2,
        "po3": po3,
        "syrup": syrup,
        "fish_oil": fish_oil,
    }
