"""How many SQL statements placing a purchase order costs: 5 lines across 3 merchants, each
merchant's minimum order value met, through the API with an API key and an Idempotency-Key and
through the service. The figure does not grow with the lines or the merchants: stock rows are
locked and written set-based, lines and ledger inserted in bulk, prices read with the SKUs."""

from __future__ import annotations

import json
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_scopes import scopes_disabled

from network import services as network_services
from network.models import Role
from orders.models import MerchantOrderSettings, PurchaseOrder
from tests.orders.factories import buyer, merchant, place, sku, stock

pytestmark = pytest.mark.django_db

URL = "/api/v1/orders/purchase-orders/"


@pytest.fixture
def world():
    skus = []
    for m, count in enumerate([2, 2, 1]):
        organization, owner = merchant(f"Merchant {m}")
        with scopes_disabled():
            MerchantOrderSettings.objects.create(
                organization=organization, minimum_order_value_usd=Decimal("300.00")
            )
        skus += [
            sku(organization, owner, code=f"SKU-{m}-{n}", on_hand=10_000) for n in range(count)
        ]
    store, wang = buyer(role=Role.OWNER)
    _key, raw = network_services.api_key_create(
        organization=store, name="ERP", scopes=["orders:read", "orders:write"], acting_user=wang
    )
    return {"skus": skus, "store": store, "wang": wang, "raw_key": raw}


def _post(client, world, key: str):
    body = {
        "lines": [{"sku_id": s.pk, "quantity": 48} for s in world["skus"]],
        "delivery_location": "Ningbo Meishan bonded warehouse",
    }
    return client.post(
        URL,
        json.dumps(body),
        content_type="application/json",
        headers={"Authorization": f"Bearer {world['raw_key']}", "Idempotency-Key": key},
    )


def _statements(queries) -> list[str]:
    """Each round trip as its statements' verbs and tables (savepoints named alike); the
    statements of one round trip joined by "; "."""
    return [
        "; ".join(_named(sql) for sql in _split(query["sql"])) for query in queries.captured_queries
    ]


def _split(sql: str) -> list[str]:
    # Statements sent together end their lines with ";" (a value may hold one mid-line: a
    # kept answer's "Content-Type: …; charset").
    return [" ".join(part.split()) for part in re.split(r";\s*\n", sql) if part.strip()]


def _named(sql: str) -> str:
    if sql.startswith(("SAVEPOINT", "RELEASE SAVEPOINT")):
        return sql.rsplit(" ", 1)[0]
    table = re.search(r'INSERT INTO "?(\w+)|UPDATE "?(\w+)|"(\w+)"\."', sql)
    if table is None:  # a function: SELECT pg_try_advisory_xact_lock(…)
        return sql.split("(")[0] + "("
    return f"{sql.split()[0]} {next(name for name in table.groups() if name)}"


# What placing writes, whatever the number of lines and merchants.
WRITES = [
    # The order, the audit and the lines (in one insert), before the stock rows are locked:
    # they stay locked until commit, and every order of the same SKUs waits meanwhile ...
    "INSERT orders_purchaseorder",
    "INSERT network_auditevent",
    "INSERT orders_purchaseorderline",
    # ... then, last, every stock row locked in primary-key order, and written in one
    # statement sent with the ledger's insert: one round trip.
    "SELECT catalog_inventory",
    "UPDATE catalog_inventory; INSERT catalog_inventoryledger",
]


def test_placing_through_the_api(client, world):
    """14 round trips (15 statements), and the transaction's BEGIN and COMMIT, not captured."""
    # Warm up: the first request records the key's use and caches the content types.
    assert _post(client, world, "warm-up").status_code == 201
    with CaptureQueriesContext(connection) as queries:
        response = _post(client, world, "order-2")
    assert response.status_code == 201, response.json()
    assert len(response.json()["lines"]) == 5
    assert _statements(queries) == [
        # The API key, with its organisation, its creator and the creator's membership of the
        # key's organisation, the request's role (its use was recorded a moment ago).
        "SELECT network_apikey",
        # BEGIN in production (here the test's transaction holds it): the idempotency
        # middleware's transaction, in which the whole request runs.
        "SAVEPOINT",
        # The key's advisory lock and whether it has a kept answer (none yet), in one.
        "SELECT pg_try_advisory_xact_lock(",
        # The placing transaction, nested: a concurrent submit of the order's key can be told.
        "SAVEPOINT",
        # An order placed before with the key? (The membership is the request's.)
        "SELECT orders_purchaseorder",
        # The SKUs with their products, tiers, price lists in force, merchants' minimums, the
        # CNY rate and whether the buyer listens to webhooks: one query.
        "SELECT catalog_sku",
        *WRITES,
        "RELEASE SAVEPOINT",
        # The key's record with the answer, then COMMIT in production.
        "INSERT network_idempotencyrecord",
        "RELEASE SAVEPOINT",
    ]
    with scopes_disabled():
        assert PurchaseOrder.objects.filter(organization=world["store"]).count() == 2
    assert stock(world["skus"][0]).reserved == 96


def test_the_placing_service(world):
    """On net terms, without a request: the membership read, and the credit checked."""
    place(world["store"], world["wang"], [(s, 48) for s in world["skus"]])  # warm up
    with CaptureQueriesContext(connection) as queries:
        place(world["store"], world["wang"], [(s, 48) for s in world["skus"]])
    assert _statements(queries) == [
        "SAVEPOINT",  # BEGIN when called outside a transaction
        # The person's membership (no request read it), an order placed before with the key.
        "SELECT network_membership",
        "SELECT orders_purchaseorder",
        # SKUs, products, tiers, price lists, minimums, rate, webhook subscription.
        "SELECT catalog_sku",
        # Net-terms credit: the limit row locked, the open plans, the orders not yet split.
        "SELECT payments_buyercredit",
        "SELECT payments_paymentplan",
        "SELECT orders_purchaseorder",
        *WRITES,
        "RELEASE SAVEPOINT",  # COMMIT
    ]
