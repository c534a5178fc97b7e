"""Purchase orders per second end to end, and the ratio to the same write transaction run by
pgbench.

Each purchase order has 5 lines across 3 merchants. Client threads (one buyer organisation
each, one connection each) place orders through ``orders.services.purchase_order_place`` for a
fixed time — tier prices, the order and its lines, stock reserved under row locks with ledger
entries, audit, the fan-out task sent to Redis after commit — and a real Celery worker started
here (its own processes, queue "orders") splits each order into merchant orders and queues the
merchants' mail. The end-to-end figure counts an order once its fan-out is done. pgbench then
replays the SQL statements of one placement transaction, captured from a real request, with the
same number of clients: the floor the database alone imposes.

    .venv/bin/python bench/orders.py [--clients 8] [--seconds 10] [--worker-concurrency 4]

A scratch database is created on the development server (and dropped afterwards) and a spare
Redis database number is used as the broker (and flushed afterwards), so development data and
queues are untouched. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import urlparse, urlunparse

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench._common import ROOT, pgbench_tps, scratch_database  # noqa: E402

BENCH_REDIS_DB = 13


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--worker-concurrency", type=int, default=4)
    args = parser.parse_args()

    from network import devservices

    redis = urlparse(devservices.redis_url())
    broker_url = urlunparse(redis._replace(path=f"/{BENCH_REDIS_DB}"))
    scratch = f"bench_orders_{os.getpid()}"
    environ = {
        "REDIS_URL": broker_url,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
    }
    with scratch_database(scratch, environ=environ) as scratch_url:
        worker = None
        try:
            worker = _start_worker(scratch_url, broker_url, args.worker_concurrency)
            return run(args, scratch_url, scratch)
        finally:
            if worker is not None:
                worker.terminate()
                try:
                    worker.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    worker.kill()
            _flush_broker(broker_url)


def _start_worker(database_url: str, broker_url: str, concurrency: int) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": broker_url,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
    }
    env.pop("TEST_DATABASE_NAME", None)
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "network",
        "worker",
        "-Q",
        "orders,notifications,default",
        "-c",
        str(concurrency),
        "--loglevel",
        "WARNING",
        "--without-gossip",
        "--without-mingle",
        "-n",
        f"bench-orders-{os.getpid()}@%h",
    ]
    print(f"Starting a Celery worker ({concurrency} processes) …", flush=True)
    return subprocess.Popen(command, cwd=ROOT, env=env)


def _flush_broker(broker_url: str) -> None:
    import contextlib

    import redis

    with contextlib.suppress(redis.RedisError):
        redis.Redis.from_url(broker_url).flushdb()


def _setup(clients: int):
    """(the SKUs, [(buyer organisation, its user)], the network's operator organisation, which
    reads every order)."""
    from decimal import Decimal

    from catalog.models import SKU, Category, Inventory, PriceTier, Product
    from merchants.models import MerchantApplication
    from network.models import Membership, Organization, User
    from network.tenancy import acting_for

    category = Category.objects.first()
    operator = Organization.objects.create(
        name="Bench Operations", slug="bench-operations", kind="operator", country="US"
    )
    skus = []
    for m, (name, count) in enumerate(
        [("Bench Maple Co.", 2), ("Bench Cheese Makers", 2), ("Bench Botanicals", 1)][:3]
    ):
        merchant = Organization.objects.create(
            name=name, slug=f"bench-merchant-{m}", kind="merchant", country="US"
        )
        with acting_for(merchant):
            MerchantApplication.objects.create(
                organization=merchant, status="approved", legal_name=name
            )
            staff = User.objects.create_user(email=f"merchant{m}@bench.example", password=None)
            Membership.objects.create(user=staff, organization=merchant, role="owner")
            for n in range(count):
                product = Product.objects.create(
                    organization=merchant,
                    reference=f"B-{m}-{n}",
                    category=category,
                    title_en=f"{name} item {n}",
                    description_en="Bench item",
                    hs_code="1702200000",
                    weight_kg=Decimal("1"),
                    length_cm=Decimal("10"),
                    width_cm=Decimal("10"),
                    height_cm=Decimal("10"),
                    lead_time_days=7,
                    state="active",
                )
                sku = SKU.objects.create(
                    organization=merchant, product=product, code=f"B{m}{n}", case_pack=6, moq=12
                )
                PriceTier.objects.create(sku=sku, min_quantity=12, unit_price_usd=Decimal("8.50"))
                PriceTier.objects.create(sku=sku, min_quantity=48, unit_price_usd=Decimal("7.90"))
                Inventory.objects.create(sku=sku, organization=merchant, on_hand=500_000_000)
                skus.append(sku)
    buyers = []
    for b in range(clients + 1):
        store = Organization.objects.create(
            name=f"Bench Store {b}", slug=f"bench-store-{b}", kind="buyer", country="CN"
        )
        user = User.objects.create_user(email=f"buyer{b}@bench.example", password=None)
        Membership.objects.create(user=user, organization=store, role="buyer")
        buyers.append((store, user))
    return skus, buyers, operator


def _place(store, user, skus):
    from django_scopes import scope

    from orders import services

    with scope(organization=store):
        return services.purchase_order_place(
            organization=store,
            items=[(sku.pk, 48) for sku in skus],
            checkout=services.Checkout(delivery_location="Ningbo Meishan bonded warehouse"),
            idempotency_key=uuid.uuid4().hex,
            acting_user=user,
        )


def _wait_fanned_out(operator, ids: list[int], timeout: float) -> float | None:
    """Seconds until every order in ``ids`` is fanned out (None on timeout), as the network's
    operators see the orders."""
    from django.db.models import Max

    from orders.models import PurchaseOrder

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done = PurchaseOrder.objects.visible_to(operator).filter(
            pk__in=ids, fanned_out_at__isnull=False
        )
        if done.count() == len(ids):
            return done.aggregate(last=Max("fanned_out_at"))["last"]
        time.sleep(0.2)
    return None


def run(args, database_url: str, scratch: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from orders.models import MerchantOrder, PurchaseOrder

    skus, buyers, operator = _setup(args.clients)
    warm_store, warm_user = buyers[-1]
    warm = _place(warm_store, warm_user, skus)
    if _wait_fanned_out(operator, [warm.pk], timeout=60) is None:
        print("The worker did not fan out the first order within 60 s; is Redis reachable?")
        return 1
    print("Worker is fanning out.", flush=True)

    # --- The application: placement by client threads, fan-out by the worker ----------------
    stop_at = threading.Event()
    barrier = threading.Barrier(args.clients + 1)
    placed: list[list[int]] = [[] for _ in range(args.clients)]
    errors = [0] * args.clients

    def client(index: int) -> None:
        from django.db import connection as own

        store, user = buyers[index]
        barrier.wait()
        while not stop_at.is_set():
            try:
                placed[index].append(_place(store, user, skus).pk)
            except Exception:  # noqa: BLE001 - a benchmark counts, it does not stop
                errors[index] += 1
        own.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(args.clients)]
    for thread in threads:
        thread.start()
    barrier.wait()
    started_at = timezone.now()
    started = time.perf_counter()
    time.sleep(args.seconds)
    stop_at.set()
    for thread in threads:
        thread.join()
    placing = time.perf_counter() - started
    ids = [pk for chunk in placed for pk in chunk]
    last = _wait_fanned_out(operator, ids, timeout=max(120.0, args.seconds * 20))
    if last is None:
        print("Fan-out did not finish in time.")
        return 1
    end_to_end = (last - started_at).total_seconds()
    merchant_orders = (
        MerchantOrder.objects.visible_to(operator).filter(purchase_order_id__in=ids).count()
    )
    statuses = set(
        PurchaseOrder.objects.visible_to(operator)
        .filter(pk__in=ids)
        .values_list("status", flat=True)
    )
    e2e_rate = len(ids) / end_to_end
    print()
    print(
        f"Application: {args.clients} client threads, 5 lines across 3 merchants per order, "
        f"worker with {args.worker_concurrency} processes"
    )
    print(f"  placed {len(ids)} purchase orders in {placing:.1f} s ({sum(errors)} errors)")
    print(f"  placement alone: {len(ids) / placing:,.1f} purchase orders/s")
    print(
        f"  all fanned out {end_to_end:.1f} s after the start → {merchant_orders} merchant orders "
        f"(statuses: {', '.join(sorted(statuses))})"
    )
    print(f"  end to end: {e2e_rate:,.1f} purchase orders/s")

    # --- The same write transaction in pgbench ----------------------------------------------
    with connection.cursor() as cursor:
        cursor.execute("ALTER SEQUENCE orders_purchaseorder_id_seq RESTART WITH 987654321")
    with CaptureQueriesContext(connection) as captured:
        sample = _place(warm_store, warm_user, skus)
    statements = [q["sql"] for q in captured.captured_queries]
    script = _pgbench_script(statements, sample)
    if os.environ.get("BENCH_SHOW_SQL"):
        print(script)
    measured = pgbench_tps(
        script,
        database_url=database_url,
        database=scratch,
        clients=args.clients,
        seconds=args.seconds,
    )
    if measured is None:
        return 0
    pgbench_rate = measured[0]
    print()
    print(
        f"pgbench: the placement transaction's {len(statements)} statements, "
        f"{args.clients} clients: {pgbench_rate:,.1f} transactions/s"
    )
    print()
    print(f"Ratio end to end / pgbench: {e2e_rate / pgbench_rate:.2f}")
    print(f"Ratio placement alone / pgbench: {len(ids) / placing / pgbench_rate:.2f}")
    return 0


def _pgbench_script(statements: list[str], purchase_order) -> str:
    """The captured statements as a pgbench script: a fresh number and key per transaction,
    and the new order's id carried from its INSERT … RETURNING into later statements."""
    lines = []
    order_id = str(purchase_order.pk)
    for sql in statements:
        if sql in ("BEGIN", "COMMIT") or sql.startswith(("SAVEPOINT", "RELEASE SAVEPOINT")):
            lines.append(sql + ";")
            continue
        sql = sql.replace(f"'{purchase_order.number}'", "substr(md5(random()::text), 1, 10)")
        sql = sql.replace(f"'{purchase_order.idempotency_key}'", "md5(random()::text)")
        if sql.startswith('INSERT INTO "orders_purchaseorder"'):
            sql = sql.replace('RETURNING "orders_purchaseorder"."id"', 'RETURNING "id" AS pid')
            lines.append(sql + " \\gset")
            continue
        sql = re.sub(rf"(?<![\d.]){order_id}(?![\d.])", ":pid", sql)
        lines.append(sql + ";")
    if lines[0] != "BEGIN;":
        lines = ["BEGIN;", *lines, "COMMIT;"]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
