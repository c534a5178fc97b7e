"""A bulk stock change takes the same statements for one row or hundreds: one locking read of
every named row, one statement that updates them and writes their ledger rows, one audit row —
through the service and through the API."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_scopes import scopes_disabled

from catalog import stock
from catalog.inventory import inventory_bulk_change
from catalog.models import SKU, Inventory, InventoryLedger
from network import services as network_services
from network.models import ApiScope, Notification
from network.tenancy import acting_for
from tests.catalog.factories import merchant, product

pytestmark = pytest.mark.django_db

ROWS = 250


@pytest.fixture
def maple():
    """A merchant with ``ROWS`` SKUs of one product, 100 units each, and an API key."""
    organization, owner = merchant()
    listing = product(organization, owner, code="BULK-0", image=False, publish=False)
    with scopes_disabled():
        Inventory.objects.filter(sku__product=listing).update(on_hand=100)
        skus = SKU.objects.bulk_create(
            SKU(organization=organization, product=listing, code=f"BULK-{n}", moq=1)
            for n in range(1, ROWS)
        )
        stock.stock_seed([(sku, 100, 0) for sku in skus])
    _key, raw = network_services.api_key_create(
        organization=organization, name="ERP", scopes=list(ApiScope.values), acting_user=owner
    )
    return organization, owner, f"Bearer {raw}"


def _rows(count: int, quantity: int) -> list[dict]:
    return [{"sku": f"BULK-{n}", "quantity": quantity} for n in range(count)]


def _on_hand(organization) -> set[int]:
    with scopes_disabled():
        return set(
            Inventory.objects.filter(organization=organization).values_list("on_hand", flat=True)
        )


def test_the_service_takes_the_same_statements_for_one_row_or_hundreds(
    maple, django_assert_num_queries
):
    organization, owner, _key = maple
    for count, quantity in ((1, 90), (ROWS, 80)):
        # savepoint (the service's transaction), membership (the role check), the locking
        # SELECT … FOR UPDATE of every named row, the UPDATE of the rows with the ledger's
        # INSERT … SELECT in the same statement, the audit row, release of the savepoint
        with acting_for(organization), django_assert_num_queries(6) as captured:
            result = inventory_bulk_change(
                organization=organization,
                operation="set",
                rows=_rows(count, quantity),
                acting_user=owner,
            )
        assert result.applied == count
    statements = [query["sql"] for query in captured.captured_queries]
    assert sum("FOR UPDATE" in sql for sql in statements) == 1
    [write] = [sql for sql in statements if "UPDATE catalog_inventory" in sql]
    assert "INSERT INTO catalog_inventoryledger" in write
    assert _on_hand(organization) == {80}
    with scopes_disabled():
        assert (
            InventoryLedger.objects.filter(sku__organization=organization, note="")
            .filter(on_hand_before=100, on_hand_after=80)
            .count()
            == ROWS - 1
        )


def test_the_api_takes_the_same_statements_for_one_row_or_hundreds(client, maple):
    organization, _owner, key = maple
    headers = {"content_type": "application/json", "HTTP_AUTHORIZATION": key}
    client.post("/api/v1/inventory/set", {"rows": _rows(1, 95)}, **headers)  # warm up
    counts = []
    for count, quantity in ((1, 90), (ROWS, 70)):
        with CaptureQueriesContext(connection) as captured:
            response = client.post(
                "/api/v1/inventory/set", {"rows": _rows(count, quantity)}, **headers
            )
        assert response.status_code == 200
        assert response.json()["applied"] == count
        counts.append(len(captured.captured_queries))
    # the API key with its creator's membership (for the middleware), then the service's six:
    # savepoint, membership (role check), locking read, update with its ledger rows, audit
    # row, release
    assert counts == [7, 7]
    assert _on_hand(organization) == {70}


def test_rows_that_cross_the_low_stock_threshold_add_only_their_alerts(maple):
    organization, owner, _key = maple
    with scopes_disabled():
        Inventory.objects.filter(organization=organization).update(low_stock_threshold=10)
    counts = []
    for crossing in (range(0, 1), range(1, 4)):
        rows = [{"sku": f"BULK-{n}", "delta": -95} for n in crossing]
        rows += [{"sku": f"BULK-{n}", "delta": -1} for n in range(100, 150)]
        with acting_for(organization), CaptureQueriesContext(connection) as captured:
            inventory_bulk_change(
                organization=organization, operation="adjust", rows=rows, acting_user=owner
            )
        counts.append(len(captured.captured_queries))
    # The six statements of any call, then for the crossing rows: their stock rows with SKU,
    # product and merchant, and the merchant's staff, once; per crossing row, for each of the
    # staff (the owner alone here) whether they belong to a buyer (their default time zone)
    # and the notification, then the merchant's inventory.low endpoints.
    assert counts[0] == 6 + 2 + 3
    assert counts[1] == counts[0] + 2 * 3
    with scopes_disabled():
        assert Notification.objects.filter(kind="catalog.low_stock").count() == 1 + 3
