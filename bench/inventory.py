"""Bulk stock update of 10,000 SKUs through the API over HTTP, against raw SQL doing the same
work from a client connection on the same database.

The API call is what a client of the deployed app gets: the app under gunicorn, one
``POST /api/v1/inventory/set`` of every row sent with http.client from this process and timed
from the first byte sent to the last byte of the answer read — the socket, URL routing,
middleware, API-key authentication, throttling (Redis), scope and role checks, JSON parsing,
the row checks, the locking read, the update, 10,000 ledger rows, the audit row, the cache
invalidation, the commit and the JSON answer.

The floor is the same work in SQL with no Python in between: one transaction on a psycopg2
connection, the same SKU codes and figures sent as parameters, one statement that updates the
named rows from ``(VALUES …)`` and writes their ledger rows with an ``INSERT … SELECT`` of the
figures before and after, then the commit; and the same statement reading two arrays with
``unnest`` instead of a VALUES list, which the server parses and plans faster (the app sends
arrays). Each round sets every row to a new figure, so every row changes; the medians of the
rounds are reported, with the app's statements and, to say what the ratio is made of, one call
made in this process: its Python CPU time and the time its statements took.

    .venv/bin/python bench/inventory.py [--rows 10000] [--rounds 5] [--profile]

A scratch database is created on the development server (and dropped afterwards) and a spare
Redis database number holds the throttle's counters and the cache (flushed afterwards). Prints
figures; asserts nothing. Target: the API within 1.5x of the raw SQL."""

from __future__ import annotations

import argparse
import http.client
import json
import logging
import os
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlparse, urlunparse

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench._common import flush_redis, scratch_database  # noqa: E402
from bench._http import gunicorn  # noqa: E402

BENCH_REDIS_DB = 12
PATH = "/api/v1/inventory/set"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument(
        "--profile", action="store_true", help="print where one in-process call spends its time"
    )
    args = parser.parse_args()

    from network import devservices

    redis = urlparse(devservices.redis_url())
    cache_url = urlunparse(redis._replace(path=f"/{BENCH_REDIS_DB}"))
    environ = {
        "REDIS_URL": cache_url,
        "CACHE_KEY_PREFIX": "bench-inventory",
        "API_KEY_RATE": "100000/min",
        "CELERY_TASK_ALWAYS_EAGER": "false",
    }
    scratch = f"bench_inventory_{os.getpid()}"
    try:
        with scratch_database(scratch, environ=environ) as scratch_url:
            return run(args, scratch_url, environ)
    finally:
        flush_redis(cache_url)


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
    return merchant, [sku.code for sku in skus], owner, raw


def _body(codes: list[str], figure: int) -> bytes:
    rows = [{"sku": code, "quantity": figure + n % 7} for n, code in enumerate(codes)]
    return json.dumps({"rows": rows}).encode()


# The floor: the rows named by code updated from ``(VALUES …)`` and their ledger rows written
# with the figures before and after, in one statement — the least the database must do for the
# same result. The UPDATE locks the rows it writes; the figures before are read from the
# statement's snapshot (the app locks first, so that a concurrent order's reservation is never
# missed: a cost the floor leaves out). The same statement reads its rows from ``unnest`` of two
# arrays for the tighter floor: a VALUES list of 10,000 rows costs the server more to parse and
# plan than two array constants (the app sends arrays).
FLOOR_WRITE = """
rows AS (
    SELECT i.sku_id, i.on_hand AS on_hand_before, v.on_hand AS on_hand_after, i.reserved
    FROM v JOIN catalog_sku AS s ON s.organization_id = {org} AND s.code = v.code
        JOIN catalog_inventory AS i ON i.sku_id = s.id AND i.organization_id = {org}
),
updated AS (
    UPDATE catalog_inventory AS i SET on_hand = rows.on_hand_after, updated_at = now()
    FROM rows WHERE i.sku_id = rows.sku_id
)
INSERT INTO catalog_inventoryledger (organization_id, sku_id, actor_id, reason, note,
    on_hand_before, on_hand_after, reserved_before, reserved_after, created_at)
SELECT {org}, sku_id, {actor}, 'count', '', on_hand_before, on_hand_after, reserved, reserved,
    now()
FROM rows
"""
FLOOR_VALUES = "WITH v(code, on_hand) AS (VALUES %s)," + FLOOR_WRITE
FLOOR_ARRAYS = (
    "WITH v AS (SELECT * FROM unnest(%s::text[], %s::integer[]) AS v(code, on_hand))," + FLOOR_WRITE
)


def _figures(codes: list[str], figure: int) -> list[tuple[str, int]]:
    return [(code, figure + n % 7) for n, code in enumerate(codes)]


def run(args, scratch_url: str, environ: dict[str, str]) -> int:
    import psycopg2
    from django.db import connection
    from psycopg2.extras import execute_values

    from catalog.models import Inventory, InventoryLedger

    logging.getLogger("network.request").setLevel(logging.WARNING)
    print(f"Seeding {args.rows:,} SKUs …", flush=True)
    merchant, codes, owner, raw_key = _seed(args.rows)
    with connection.cursor() as cursor:
        # A deployed database's autovacuum keeps statistics; tables filled a second ago have
        # none, and the planner would guess a handful of rows for either side's joins.
        cursor.execute("ANALYZE catalog_sku, catalog_product, catalog_inventory")
    statements, in_process, python_cpu, database_ms = _app_statements(codes, raw_key)
    if args.profile:
        _profile(codes, raw_key)

    headers = {
        "Host": "localhost",
        "Authorization": f"Bearer {raw_key}",
        "Content-Type": "application/json",
    }
    parties = {"org": int(merchant.pk), "actor": int(owner.pk)}
    values_sql, arrays_sql = FLOOR_VALUES.format(**parties), FLOOR_ARRAYS.format(**parties)
    database = psycopg2.connect(scratch_url)

    def floor_call(figure: int, *, arrays: bool) -> float:
        figures = _figures(codes, figure)
        started = time.perf_counter()
        with database, database.cursor() as cursor:  # one transaction, committed on exit
            if arrays:
                # Each array as one literal: psycopg2 adapts a list element by element.
                quoted = ",".join(f'"{code}"' for code, _n in figures)
                numbers = ",".join(str(n) for _code, n in figures)
                cursor.execute(arrays_sql, ["{" + quoted + "}", "{" + numbers + "}"])
            else:
                execute_values(cursor, values_sql, figures, page_size=len(figures))
            changed = cursor.rowcount
        elapsed = time.perf_counter() - started
        if changed != len(codes):
            raise SystemExit(f"The raw SQL wrote {changed} ledger rows, not {len(codes)}.")
        return elapsed

    with gunicorn(scratch_url, workers=1, environ=environ) as port:
        client = http.client.HTTPConnection("127.0.0.1", port, timeout=120)

        def api_call(figure: int) -> float:
            body = _body(codes, figure)
            started = time.perf_counter()
            client.request("POST", PATH, body=body, headers=headers)
            response = client.getresponse()
            payload = response.read()
            elapsed = time.perf_counter() - started
            if response.status != 200 or json.loads(payload)["applied"] != len(codes):
                raise SystemExit(f"The API refused the call: {response.status} {payload[:300]!r}")
            return elapsed

        api_call(1_000)  # warm up: the worker's imports, connections, caches
        floor_call(2_000, arrays=False)
        floor_call(3_000, arrays=True)
        api_times, values_times, arrays_times = [], [], []
        for round_number in range(args.rounds):
            # In turn, so each side meets the same table state and every row changes.
            figure = 10_000 + 30 * round_number
            api_times.append(api_call(figure))
            values_times.append(floor_call(figure + 10, arrays=False))
            arrays_times.append(floor_call(figure + 20, arrays=True))
        client.close()
    database.close()

    ledger = InventoryLedger.objects.visible_to(merchant).count()
    on_hand = (
        Inventory.objects.visible_to(merchant)
        .order_by("pk")
        .values_list("on_hand", flat=True)
        .first()
    )
    api = statistics.median(api_times)
    floor, tighter = statistics.median(values_times), statistics.median(arrays_times)
    print()
    print(f"Rows per call: {len(codes):,}; rounds: {args.rounds}; {os.cpu_count()} CPUs")
    print(f"API POST {PATH} over HTTP (gunicorn, 1 worker): {_spread(api_times)}")
    print(
        "Raw SQL, same work in one transaction (psycopg2): UPDATE … FROM (VALUES …) and the "
        f"ledger's INSERT … SELECT: {_spread(values_times)}"
    )
    print(f"  the same statement on unnest(codes, figures) arrays: {_spread(arrays_times)}")
    print(f"Ratio API / raw SQL (VALUES): {api / floor:.2f}  (target <= 1.5)")
    print(f"Ratio API / raw SQL (arrays): {api / tighter:.2f}")
    print(
        f"Ratio of the fastest rounds (the least disturbed by other load): "
        f"{min(api_times) / min(values_times):.2f} (VALUES), "
        f"{min(api_times) / min(arrays_times):.2f} (arrays)"
    )
    print(
        f"One call in this process (Django's test client, no HTTP): {in_process:.3f} s; "
        f"{python_cpu * 1000:.0f} ms of CPU in Python, {database_ms:.0f} ms waiting on its "
        f"{len(statements)} statements (the commit included):"
    )
    for sql in statements:
        print(f"  {' '.join(sql.split())[:110]}")
    print(f"Ledger rows: {ledger:,}; first row on hand now {on_hand}")
    return 0


def _spread(times: list[float]) -> str:
    return f"median {statistics.median(times):.3f} s (min {min(times):.3f}, max {max(times):.3f})"


def _app_statements(codes: list[str], raw_key: str) -> tuple[list[str], float, float, float]:
    """The statements of one API call made in this process through Django's test client (its
    authentication reads included), the call's seconds, the seconds of CPU this process spent
    on it (Python: what the machine's load does not stretch) and the database's milliseconds
    (the statements' round trips, the commit included)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST="localhost", HTTP_AUTHORIZATION=f"Bearer {raw_key}")
    client.post(PATH, _body(codes, 500), content_type="application/json")  # warm up
    body = _body(codes, 600)
    with CaptureQueriesContext(connection) as captured:
        started, cpu = time.perf_counter(), time.process_time()
        response = client.post(PATH, body, content_type="application/json")
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    if response.status_code != 200:
        raise SystemExit(f"The API refused the call: {response.status_code}")
    milliseconds = sum(float(query["time"]) for query in captured.captured_queries) * 1000
    return [query["sql"] for query in captured.captured_queries], elapsed, cpu, milliseconds


def _profile(codes: list[str], raw_key: str) -> None:
    """cProfile of one in-process call: where the Python time goes."""
    import cProfile
    import pstats

    from django.test import Client

    client = Client(HTTP_HOST="localhost", HTTP_AUTHORIZATION=f"Bearer {raw_key}")
    body = _body(codes, 700)
    profiler = cProfile.Profile()
    profiler.enable()
    client.post(PATH, body, content_type="application/json")
    profiler.disable()
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(35)


if __name__ == "__main__":
    sys.exit(main())
