"""200 buyers, each on its own connection, check out one case of a SKU with 50 cases in stock
at once: exactly 50 orders are placed, stock and reservations add up, and every other buyer is
told plainly that the stock ran out — no deadlock, no server error."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Sum
from django_scopes import scope, scopes_disabled

from catalog.models import InventoryLedger, LedgerReason
from network.errors import DomainError
from network.models import Membership, Organization, Role, User
from orders import services
from orders.models import Cart, CartLine, MerchantOrder, PurchaseOrder, PurchaseOrderLine
from payments.models import BuyerCredit
from tests.orders.factories import checkout, merchant, sku, stock

pytestmark = [pytest.mark.concurrency, pytest.mark.django_db(transaction=True)]

BUYERS = 200
CONNECTIONS = 40
CASE = 6
CASES_IN_STOCK = 50


def _buyers(count: int, sku_id: int) -> list[tuple[Organization, User]]:
    organizations = Organization.objects.bulk_create(
        Organization(
            name=f"Store {n}", slug=f"store-{n}", kind=Organization.Kind.BUYER, country="CN"
        )
        for n in range(count)
    )
    users = []
    for n in range(count):
        user = User(email=f"buyer{n}@stores.example", full_name=f"Buyer {n}")
        user.set_unusable_password()
        users.append(user)
    users = User.objects.bulk_create(users)
    Membership.objects.bulk_create(
        Membership(organization=o, user=u, role=Role.BUYER)
        for o, u in zip(organizations, users, strict=True)
    )
    with scopes_disabled():
        # The operators granted every store net terms (the checkout's terms) for this order.
        BuyerCredit.objects.bulk_create(
            BuyerCredit(organization=o, limit_usd=Decimal("10000.00")) for o in organizations
        )
        carts = Cart.objects.bulk_create(Cart(organization=o) for o in organizations)
        CartLine.objects.bulk_create(
            CartLine(organization=o, cart=c, sku_id=sku_id, quantity=CASE)
            for o, c in zip(organizations, carts, strict=True)
        )
    return list(zip(organizations, users, strict=True))


def test_200_buyers_chasing_50_cases_get_exactly_50_orders():
    maple, owner = merchant()
    syrup = sku(
        maple,
        owner,
        code="MAPLE-LAST",
        moq=CASE,
        case_pack=CASE,
        tiers=((CASE, "8.50"),),
        on_hand=CASES_IN_STOCK * CASE,
    )
    buyers = _buyers(BUYERS, syrup.pk)
    barrier = threading.Barrier(CONNECTIONS, timeout=60)
    started = threading.local()

    def attempt(pair):
        organization, user = pair
        if not getattr(started, "yes", False):
            started.yes = True
            barrier.wait()  # the first 40 start together
        try:
            with scope(organization=organization):
                purchase_order = services.purchase_order_place_from_cart(
                    organization=organization,
                    checkout=checkout(),
                    idempotency_key=f"form:{organization.pk}",
                    acting_user=user,
                )
            return ("placed", purchase_order.number)
        except DomainError as error:
            return (error.code, error.message)
        except Exception as error:  # noqa: BLE001 - counted and reported below
            return ("server_error", repr(error))
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=CONNECTIONS) as pool:
        outcomes = list(pool.map(attempt, buyers))

    placed = [o for o in outcomes if o[0] == "placed"]
    refused = [o for o in outcomes if o[0] != "placed"]
    assert len(placed) == CASES_IN_STOCK
    assert {code for code, _ in refused} == {"insufficient_stock"}, refused[:3]
    assert {message for _, message in refused} == {
        "Not enough stock for 1 line: MAPLE-LAST: you asked for 6 units, 0 are available."
    }
    inventory = stock(syrup)
    assert (inventory.on_hand, inventory.reserved) == (CASES_IN_STOCK * CASE, CASES_IN_STOCK * CASE)
    with scopes_disabled():
        assert PurchaseOrder.objects.count() == CASES_IN_STOCK
        assert (
            PurchaseOrderLine.objects.aggregate(n=Sum("reserved_quantity"))["n"]
            == inventory.reserved
        )
        ledger = InventoryLedger.objects.filter(sku=syrup, reason=LedgerReason.RESERVED)
        assert ledger.count() == CASES_IN_STOCK
        # The ledger is a consistent history: each reservation starts where the last ended.
        assert sorted(ledger.values_list("reserved_before", flat=True)) == list(
            range(0, CASES_IN_STOCK * CASE, CASE)
        )
        # Every winner's cart was emptied and its order fanned out after commit.
        assert CartLine.objects.count() == BUYERS - CASES_IN_STOCK
        assert MerchantOrder.objects.count() == CASES_IN_STOCK
