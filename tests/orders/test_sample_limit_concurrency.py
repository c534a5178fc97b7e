"""Eight requests of one buyer, each on its own connection, order one sample of a SKU that
allows three per buyer at once: exactly three are placed and the others are told the limit is
reached (the limit is counted again under the SKU's stock-row lock)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Sum
from django_scopes import scope, scopes_disabled

from catalog.models import SKU
from network.errors import DomainError
from orders import services
from orders.models import PurchaseOrderLine
from tests.orders.factories import buyer, checkout, merchant, sku

pytestmark = [pytest.mark.concurrency, pytest.mark.django_db(transaction=True)]

REQUESTS = 8
LIMIT = 3


def test_concurrent_sample_orders_stop_at_the_limit():
    maple, owner = merchant()
    syrup = sku(maple, owner, code="MAPLE-500")
    with scopes_disabled():
        SKU.objects.filter(pk=syrup.pk).update(
            sample_price_usd=Decimal("6.00"), sample_limit_per_buyer=LIMIT
        )
    store, wang = buyer()
    barrier = threading.Barrier(REQUESTS, timeout=60)

    def attempt(n: int) -> str:
        barrier.wait()
        try:
            with scope(organization=store):
                services.purchase_order_place(
                    organization=store,
                    items=[services.OrderItem(sku_id=syrup.pk, quantity=1, is_sample=True)],
                    checkout=checkout(),
                    idempotency_key=f"sample-{n}",
                    acting_user=wang,
                )
            return "placed"
        except DomainError as error:
            return error.code
        except Exception as error:  # noqa: BLE001 - counted and reported below
            return f"server_error {error!r}"
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=REQUESTS) as pool:
        outcomes = list(pool.map(attempt, range(REQUESTS)))

    assert sorted(outcomes) == ["placed"] * LIMIT + ["sample_limit_reached"] * (REQUESTS - LIMIT)
    with scopes_disabled():
        ordered = PurchaseOrderLine.objects.filter(is_sample=True).aggregate(n=Sum("quantity"))
    assert ordered["n"] == LIMIT
