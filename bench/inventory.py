"""Bulk stock update of 10,000 SKUs through the API, against a raw SQL
``UPDATE … FROM (VALUES …)`` of the same rows on the same database.

The API call goes through Django's test client in this process: URL routing, middleware,
API-key authentication, throttling (Redis), scope and role checks, JSON parsing, the row
checks, the locking read, the update, 10,000 ledger rows, the audit row and the JSON answer —
everything but the HTTP socket. The raw statement is the floor: one ``UPDATE`` of the same rows
to the same figures in its own transaction, no checks, no ledger. Each round sets every row to
a new figure, so every row changes; the median of the rounds is reported.

    .venv/bin/python bench/inventory.py [--rows 10000] [--rounds 5]

A scratch database is created on the development server (and dropped afterwards) and a spare
Redis database number holds the throttle's counters (flushed afterwards). Prints figures;
asserts nothing. Targets: the API call under 2 s and within 3x of the raw statement.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlparse, urlunparse

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench._common import scratch_database  # noqa: E402

BENCH_REDIS_DB = 12


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    from network import devservices

    redis = urlparse(devservices.redis_url())
    cache_url = urlunparse(redis._replace(path=f"/{BENCH_REDIS_DB}"))
    environ = {
        "REDIS_URL": cache_url,
        "CACHE_KEY_PREFIX": "bench-inventory",
        "API_KEY_RATE": "100000/min",
    }
    scratch = f"bench_inventory_{os.getpid()}"
    try:
        with scratch_database(scratch, environ=environ):
            return run(args)
    finally:
        import contextlib

        import redis as redis_client

        with contextlib.suppress(redis_client.RedisError):
            redis_client.Redis.from_url(cache_url).flushdb()


def _seed(rows: int):
    """A merchant with ``rows`` SKUs in bulk (100 per product), stock 0, and an API key."""
    from decimal import Decimal

    from catalog.models import SKU, Category, Inventory, Product
    from merchants.models import MerchantApplication
    from network import services as network_services
    from network.models import Membership, Organization, User
    from network.tenancy import acting_for

    merchant = Organization.objects.create(
        name="Bench Maple Co.", slug="bench-maple", kind="merchant", country="US"
    )
    # The merchant's catalogue and API key, written as the merchant would.
    with acting_for(merchant):
        MerchantApplication.objects.create(
            organization=merchant, status="approved", legal_name="Bench Maple Co."
        )
        owner = User.objects.create_user(email="owner@bench.example", password=None)
        Membership.objects.create(user=owner, organization=merchant, role="owner")
        category = Category.objects.filter(children__isnull=True).first()
        products = Product.objects.bulk_create(
            [
                Product(
                    organization=merchant,
                    reference=f"P-BENCH{n:05d}",
                    category=category,
                    title_en=f"Bench product {n}",
                    description_en="Benchmark product.",
                    country_of_origin="US",
                    weight_kg=Decimal("1.000"),
                    length_cm=Decimal("10"),
                    width_cm=Decimal("10"),
                    height_cm=Decimal("10"),
                    lead_time_days=5,
                )
                for n in range((rows + 99) // 100)
            ]
        )
        skus = SKU.objects.bulk_create(
            [
                SKU(organization=merchant, product=products[n // 100], code=f"B-{n:06d}", moq=1)
                for n in range(rows)
            ],
            batch_size=2000,
        )
        Inventory.objects.bulk_create(
            [Inventory(sku=sku, organization=merchant, on_hand=0) for sku in skus],
            batch_size=2000,
        )
        _key, raw = network_services.api_key_create(
            organization=merchant, name="bench", scopes=["inventory:write"], acting_user=owner
        )
    return [sku.code for sku in skus], [sku.pk for sku in skus], raw


def run(args) -> int:
    from django.db import connection, transaction
    from django.test import Client

    from catalog.models import Inventory, InventoryLedger
    from network.models import Organization

    # One log line per request would bury the figures.
    logging.getLogger("network.request").setLevel(logging.WARNING)
    print(f"Seeding {args.rows:,} SKUs …", flush=True)
    codes, ids, raw_key = _seed(args.rows)
    client = Client(HTTP_HOST="localhost", HTTP_AUTHORIZATION=f"Bearer {raw_key}")

    def api_call(figure: int) -> float:
        body = json.dumps(
            {"rows": [{"sku": code, "quantity": figure + n % 7} for n, code in enumerate(codes)]}
        )
        started = time.perf_counter()
        response = client.post("/api/v1/inventory/set", body, content_type="application/json")
        elapsed = time.perf_counter() - started
        if response.status_code != 200 or response.json()["applied"] != len(codes):
            raise SystemExit(
                f"The API refused the call: {response.status_code} {response.content[:300]}"
            )
        return elapsed

    def raw_update(figure: int) -> float:
        values = ", ".join(f"({pk}, {figure + n % 7})" for n, pk in enumerate(ids))
        sql = (
            "UPDATE catalog_inventory AS i SET on_hand = v.on_hand "
            f"FROM (VALUES {values}) AS v(sku_id, on_hand) WHERE i.sku_id = v.sku_id"
        )
        started = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql)
            changed = cursor.rowcount
        elapsed = time.perf_counter() - started
        if changed != len(ids):
            raise SystemExit(f"The raw update changed {changed} rows, not {len(ids)}.")
        return elapsed

    api_call(1_000)  # warm up: connections, prepared caches, imports
    raw_update(2_000)
    api_times, raw_times = [], []
    for round_number in range(args.rounds):
        # Alternate, so each statement meets the same table state and every row changes.
        api_times.append(api_call(10_000 + 20 * round_number))
        raw_times.append(raw_update(10_010 + 20 * round_number))
    merchant = Organization.objects.get(slug="bench-maple")
    ledger = InventoryLedger.objects.visible_to(merchant).count()
    on_hand = (
        Inventory.objects.visible_to(merchant)
        .order_by("pk")
        .values_list("on_hand", flat=True)
        .first()
    )

    api, floor = statistics.median(api_times), statistics.median(raw_times)
    print()
    print(f"Rows per call: {len(codes):,}; rounds: {args.rounds}; {os.cpu_count()} CPUs")
    print(
        f"API POST /api/v1/inventory/set (Django test client): median {api:.3f} s "
        f"(min {min(api_times):.3f}, max {max(api_times):.3f})"
    )
    print(
        f"Raw SQL UPDATE … FROM (VALUES …):                   median {floor:.3f} s "
        f"(min {min(raw_times):.3f}, max {max(raw_times):.3f})"
    )
    print(f"Ratio API / raw SQL: {api / floor:.2f}  (targets: API < 2 s, ratio <= 3)")
    print(f"Ledger rows written by the API: {ledger:,}; first row on hand now {on_hand}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
