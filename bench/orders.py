"""Purchase orders placed per second through the API, and the ratio to the same write
transaction run by pgbench.

Each purchase order has 5 lines across 3 merchants, each merchant's minimum order value met.
The app runs under gunicorn with several workers; separate client processes (one buyer
organisation and its API key each) POST orders to ``/api/v1/orders/purchase-orders/`` back to
back, each with its own ``Idempotency-Key``, for a fixed time: authentication, the key's
record, tier prices, the order and its lines, stock reserved under row locks with ledger
entries, audit and webhooks, the fan-out task sent to Redis after commit, the JSON answer.
No Celery worker runs meanwhile (the two cores are the web's and the database's): the fan-out
tasks wait in the broker, which is flushed afterwards; ``bench/stream.py`` measures fan-out
under a stream of orders. pgbench then replays the SQL statements of one placement request,
captured in-process from a real request, with the same number of clients: the floor the
database alone imposes.

    .venv/bin/python bench/orders.py [--clients 8] [--seconds 10] [--web-workers 2]

A scratch database is created on the development server (and dropped afterwards) and a spare
Redis database number is used as the broker and cache (and flushed afterwards), so development
data and queues are untouched. Prints figures; asserts nothing."""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from pathlib import Path
from urllib.parse import urlparse, urlunparse

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench._common import (  # noqa: E402
    add_web_workers_argument,
    bench_merchants,
    flush_redis,
    pgbench_tps,
    scratch_database,
)
from bench._http import Request, gunicorn, load  # noqa: E402

BENCH_REDIS_DB = 13
PATH = "/api/v1/orders/purchase-orders/"
# The key of the captured request: every literal holding it becomes a fresh value in pgbench.
CAPTURED_KEY = "capturedkey7q3x"
ON_HAND = 1_000_000_000  # never runs out, whatever the run's length
QUANTITY = 48  # a case-pack multiple above the MOQ, at the second tier


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=10.0)
    add_web_workers_argument(parser)
    parser.add_argument(
        "--profile",
        type=int,
        default=0,
        metavar="N",
        help="instead: place N orders one after another in-process through the API and print "
        "where the time goes (SQL, the service, the rest of Django and DRF; cProfile's top)",
    )
    args = parser.parse_args()

    from network import devservices

    redis = urlparse(devservices.redis_url())
    broker_url = urlunparse(redis._replace(path=f"/{BENCH_REDIS_DB}"))
    scratch = f"bench_orders_{os.getpid()}"
    environ = {
        "REDIS_URL": broker_url,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        # The per-key limit guards a real integration; the benchmark measures the app.
        "API_KEY_RATE": "1000000/s",
    }
    try:
        with scratch_database(scratch, environ=environ) as scratch_url:
            return run(args, scratch_url, scratch, environ)
    finally:
        flush_redis(broker_url)


def _setup(clients: int) -> tuple[list[int], list[str]]:
    """Three merchants (two SKUs, two SKUs, one) with minimum order values the orders meet, and
    ``clients`` + 1 buyer organisations with an API key each: (the SKU ids, the raw keys)."""
    from network.models import Membership, Organization, User
    from network.services import api_key_create
    from network.tenancy import acting_for

    skus = bench_merchants(on_hand=ON_HAND, minimum_order_usd="300.00")
    keys = []
    for b in range(clients + 1):
        store = Organization.objects.create(
            name=f"Bench Store {b}", slug=f"bench-store-{b}", kind="buyer", country="CN"
        )
        user = User.objects.create_user(email=f"buyer{b}@bench.example", password=None)
        Membership.objects.create(user=user, organization=store, role="owner")
        with acting_for(store):
            _key, raw = api_key_create(
                organization=store,
                name="Bench ERP",
                scopes=["orders:read", "orders:write"],
                acting_user=user,
            )
        keys.append(raw)
    return [sku.pk for sku in skus], keys


def _order_body(sku_ids: list[int]) -> str:
    return json.dumps(
        {
            "lines": [{"sku_id": sku_id, "quantity": QUANTITY} for sku_id in sku_ids],
            "delivery_location": "Ningbo Meishan bonded warehouse",
            "incoterm": "FOB",
        }
    )


def _headers(raw_key: str, idempotency_key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {raw_key}", "Idempotency-Key": idempotency_key}


def run(args, database_url: str, scratch: str, environ: dict[str, str]) -> int:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    sku_ids, keys = _setup(args.clients)
    body = _order_body(sku_ids)
    if args.profile:
        return _profile(keys[-1], body, args.profile)

    # --- One request in-process: its statements, for pgbench ----------------------------------
    client = Client(SERVER_NAME="localhost")

    def post(idempotency_key: str):
        headers = _headers(keys[-1], idempotency_key)
        return client.post(PATH, body, content_type="application/json", headers=headers)

    warm = post("warm-up")
    if warm.status_code != 201:
        print(f"The warm-up order was refused: {warm.status_code} {warm.content[:500]!r}")
        return 1
    with connection.cursor() as cursor:
        cursor.execute("ALTER SEQUENCE orders_purchaseorder_id_seq RESTART WITH 987654321")
    with CaptureQueriesContext(connection) as captured:
        sample = post(CAPTURED_KEY)
    statements = [q["sql"] for q in captured.captured_queries]
    script = _pgbench_script(statements, number=sample.json()["number"], order_id=987654321)
    if os.environ.get("BENCH_SHOW_SQL"):
        print(script)
    connection.close()

    # --- The application over HTTP -------------------------------------------------------------
    requests = [
        Request("POST", PATH, _headers(key, f"bench-{c}-{{n}}"), body)
        for c, key in enumerate(keys[: args.clients])
    ]
    with gunicorn(database_url, workers=args.web_workers, environ=environ) as port:
        print(f"Warming {args.web_workers} gunicorn workers up …", flush=True)
        load(port, [Request("POST", PATH, _headers(keys[-1], "warm-{n}"), body)] * 4, seconds=2)
        print(f"Placing orders for {args.seconds:.0f} s …", flush=True)
        placed = load(port, requests, seconds=args.seconds)

    # --- The same transaction in pgbench -----------------------------------------------------
    measured = pgbench_tps(
        script,
        database_url=database_url,
        database=scratch,
        clients=args.clients,
        seconds=args.seconds,
    )
    print()
    print(
        f"HTTP: {args.clients} client processes, gunicorn with {args.web_workers} workers, "
        f"5 lines across 3 merchants per order"
    )
    print("  " + placed.line("placement"))
    if measured is None:
        return 0
    pgbench_rate = measured[0]
    print(
        f"pgbench: the placement request's {len(statements)} statements, "
        f"{args.clients} clients: {pgbench_rate:,.1f} transactions/s"
    )
    print(f"Ratio HTTP / pgbench: {placed.rate / pgbench_rate:.2f}")
    return 0


def _profile(raw_key: str, body: str, count: int) -> int:
    """Where one placement's time goes, in-process (no HTTP, no other load of its own): the
    whole request through the middleware, the time spent waiting on SQL statements, the time
    in the placing service, then cProfile's heaviest functions."""
    import cProfile
    import pstats
    import time

    from django.db import connection
    from django.test import Client

    from orders import services

    client = Client(SERVER_NAME="localhost")
    sql = {"seconds": 0.0, "statements": 0, "in_service": 0.0}
    in_service = {"seconds": 0.0, "cpu": 0.0, "now": False}

    def timed(execute, statement, params, many, context):
        started = time.perf_counter()
        try:
            return execute(statement, params, many, context)
        finally:
            elapsed = time.perf_counter() - started
            sql["seconds"] += elapsed
            sql["statements"] += 1
            if in_service["now"]:
                sql["in_service"] += elapsed

    place = services.purchase_order_place

    def placing(**kwargs):
        started, cpu_started = time.perf_counter(), time.process_time()
        in_service["now"] = True
        try:
            return place(**kwargs)
        finally:
            in_service["now"] = False
            in_service["seconds"] += time.perf_counter() - started
            in_service["cpu"] += time.process_time() - cpu_started

    def post(n: int):
        response = client.post(
            PATH, body, content_type="application/json", headers=_headers(raw_key, f"p-{n}")
        )
        assert response.status_code == 201, response.content[:300]

    for n in range(20):  # warm up
        post(-n - 1)
    services.purchase_order_place = placing
    try:
        with connection.execute_wrapper(timed):
            started, cpu_started = time.perf_counter(), time.process_time()
            for n in range(count):
                post(n)
            total, cpu = time.perf_counter() - started, time.process_time() - cpu_started
        timed_service, service_cpu = in_service["seconds"], in_service["cpu"]
        profiler = cProfile.Profile()
        profiler.enable()
        for n in range(count):
            post(count + n)
        profiler.disable()
    finally:
        services.purchase_order_place = place
    per = 1000 / count
    service_python = (timed_service - sql["in_service"]) * per
    around_python = (total - timed_service - (sql["seconds"] - sql["in_service"])) * per
    print(f"\nIn-process, {count} placements one after another (ms per request):")
    print(f"  whole request (middleware, DRF, service, SQL): {total * per:6.2f}")
    print(
        f"  SQL statements, waiting on the database:       {sql['seconds'] * per:6.2f} "
        f"({sql['statements'] / count:.0f} statements)"
    )
    print(f"  the placing service without its SQL:           {service_python:6.2f}")
    print(f"  middleware, DRF and the view, without SQL:     {around_python:6.2f}")
    # Wall time above counts waiting for a core too; CPU time does not.
    print(f"  CPU time of this process, whole request:       {cpu * per:6.2f}")
    print(f"  CPU time of this process, placing service:     {service_cpu * per:6.2f}")
    stats = pstats.Stats(profiler)
    stats.sort_stats("cumulative").print_stats(45)
    stats.sort_stats("tottime").print_stats(15)
    return 0


def _pgbench_script(statements: list[str], *, number: str, order_id: int) -> str:
    """The captured statements as one pgbench transaction: a fresh order number and
    idempotency key each time, and the new order's id carried from its INSERT … RETURNING into
    later statements."""
    lines = []
    for sql in statements:
        if sql in ("BEGIN", "COMMIT") or sql.startswith(("SAVEPOINT", "RELEASE SAVEPOINT")):
            lines.append(sql + ";")
            continue
        sql = sql.replace(f"'{number}'", "substr(md5(random()::text), 1, 10)")
        sql = re.sub(
            rf"'([^']*){CAPTURED_KEY}([^']*)'", r"('\1' || md5(random()::text) || '\2')", sql
        )
        if sql.startswith('INSERT INTO "orders_purchaseorder"'):
            sql = re.sub(r'RETURNING .*"id"$', 'RETURNING "id" AS pid', sql)
            lines.append(sql + " \\gset")
            continue
        sql = re.sub(rf"(?<![\d.]){order_id}(?![\d.])", ":pid", sql)
        lines.append(sql + ";")
    if "BEGIN;" not in lines:
        lines = ["BEGIN;", *lines, "COMMIT;"]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
