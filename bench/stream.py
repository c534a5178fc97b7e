"""A stream of purchase orders at a steady rate, and how far the work behind them lags.

Purchase orders (5 lines across 3 merchants, as in bench/orders.py) are placed through
``orders.services.purchase_order_place`` at ``--rate`` a second for ``--seconds``, by a few
client threads taking turns on a fixed schedule. The Celery workers are started as ``make run``
starts them (``network.run.worker_commands``: one per entry of ``WORKER_QUEUES``, each on its
own queues, in processes of their own), with mail written to files. While the stream runs, the
length of every queue is sampled. Printed:

- the lag from a purchase order's placement (its commit) to its merchant orders existing,
  p50 / p95 / max;
- the longest each queue got (messages waiting; ``unacked`` counts those a worker holds,
  mail batches waiting for their window among them);
- notifications made, mails sent (one file each), and what each mail carried.

    .venv/bin/python bench/stream.py [--rate 10] [--seconds 30] [--window 5]
    .venv/bin/python bench/stream.py --rate 20 --seconds 90         (the load of issue #23)
    .venv/bin/python bench/stream.py --one-worker --window 0        (as it was: see below)

``--window`` is NOTIFICATION_MAIL_WINDOW_SECONDS for the run (30 deployed; shorter here so the
mail is out soon after the stream ends); 0 mails every notification on its own, one message
each. ``--one-worker`` starts a single worker consuming every queue. Both together are how the
network worked before queues had workers of their own and mail was batched: run them side by
side for a comparison on the same machine. A scratch database is created
on the development server and dropped afterwards; Redis database 14 is the broker (flushed
before and after). Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlparse, urlunparse

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench._common import (  # noqa: E402
    bench_merchants,
    celery_workers,
    flush_redis,
    scratch_database,
)

BENCH_REDIS_DB = 14
SAMPLE_SECONDS = 0.5


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=10.0, help="purchase orders a second")
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--clients", type=int, default=4, help="threads placing the orders")
    parser.add_argument("--window", type=int, default=5, help="seconds a mail batch waits")
    parser.add_argument("--one-worker", action="store_true", help="one worker, every queue")
    args = parser.parse_args()

    from network import devservices

    redis = urlparse(devservices.redis_url())
    broker_url = urlunparse(redis._replace(path=f"/{BENCH_REDIS_DB}"))
    flush_redis(broker_url)
    data = Path(tempfile.mkdtemp(prefix="bench-stream-"))
    environ = {
        "REDIS_URL": broker_url,
        "CACHE_KEY_PREFIX": f"bench-stream-{os.getpid()}",
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "NETWORK_DATA_DIR": str(data),
        "NOTIFICATION_MAIL_WINDOW_SECONDS": str(args.window),
        "LOG_LEVEL": "WARNING",
    }
    with scratch_database(f"bench_stream_{os.getpid()}", environ=environ) as scratch_url:
        try:
            with celery_workers(scratch_url, environ, data, one=args.one_worker) as workers:
                return run(args, broker_url, data / "mail", workers)
        finally:
            flush_redis(broker_url)
            shutil.rmtree(data, ignore_errors=True)


class QueueSampler(threading.Thread):
    """The length of every queue of WORKER_QUEUES (and the messages workers hold unacked) every
    SAMPLE_SECONDS; the longest of each."""

    def __init__(self, broker_url: str) -> None:
        super().__init__(daemon=True)
        import redis
        from django.conf import settings

        self.client = redis.Redis.from_url(broker_url)
        self.queues = [queue for queues in settings.WORKER_QUEUES.values() for queue in queues]
        self.longest = dict.fromkeys([*self.queues, "unacked"], 0)
        self.stop = threading.Event()

    def lengths(self) -> dict[str, int]:
        pipe = self.client.pipeline()
        for queue in self.queues:
            pipe.llen(queue)
        pipe.hlen("unacked")
        return dict(zip([*self.queues, "unacked"], pipe.execute(), strict=True))

    def run(self) -> None:
        while not self.stop.is_set():
            for name, length in self.lengths().items():
                self.longest[name] = max(self.longest[name], length)
            self.stop.wait(SAMPLE_SECONDS)


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))] if ordered else 0.0


def _fanned_out_lags(operator, placed: dict[int, float]) -> dict[int, float]:
    """Seconds from each purchase order's commit to its last merchant order, for those fanned
    out already."""
    from django.db.models import Max

    from orders.models import MerchantOrder

    last = (
        MerchantOrder.objects.visible_to(operator)
        .filter(purchase_order_id__in=list(placed))
        .values("purchase_order_id")
        .annotate(last=Max("created_at"))
    )
    return {
        row["purchase_order_id"]: row["last"].timestamp() - placed[row["purchase_order_id"]]
        for row in last
    }


def _setup(clients: int):
    """(the SKUs, [(buyer organisation, its user)], the network's operator organisation, which
    reads every order): three merchants, five SKUs, stock that never runs out."""
    from network.models import Membership, Organization, User

    operator = Organization.objects.create(
        name="Bench Operations", slug="bench-operations", kind="operator", country="US"
    )
    skus = bench_merchants(on_hand=500_000_000)
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
    import uuid

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


def run(args, broker_url: str, mail_dir: Path, workers: list[subprocess.Popen]) -> int:
    skus, buyers, operator = _setup(args.clients)
    warm_store, warm_user = buyers[-1]
    warm = _place(warm_store, warm_user, skus)
    deadline = time.monotonic() + 120
    while not _fanned_out_lags(operator, {warm.pk: time.time()}):
        if time.monotonic() > deadline or any(w.poll() is not None for w in workers):
            print("The workers did not fan out the first order within 120 s; see their logs.")
            return 1
        time.sleep(0.2)
    print("Workers are fanning out.", flush=True)

    total = int(args.rate * args.seconds)
    placed: dict[int, float] = {}
    behind: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    turn = iter(range(total))
    sampler = QueueSampler(broker_url)
    start = time.time() + 0.5

    def client(index: int) -> None:
        from django.db import connection

        store, user = buyers[index]
        while True:
            with lock:
                n = next(turn, None)
            if n is None:
                break
            due = start + n / args.rate
            time.sleep(max(0.0, due - time.time()))
            try:
                pk = _place(store, user, skus).pk
            except Exception as error:  # noqa: BLE001 - a benchmark counts, it does not stop
                errors.append(f"{type(error).__name__}: {error}")
                continue
            done = time.time()
            with lock:
                placed[pk] = done
                behind.append(done - due)
        connection.close()

    sampler.start()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(args.clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    placing = time.time() - start
    print(f"Placed {len(placed)} purchase orders in {placing:.1f} s; waiting for the work …")

    lags: dict[int, float] = {}
    deadline = time.monotonic() + max(120.0, args.seconds * 4)
    while time.monotonic() < deadline:
        lags = _fanned_out_lags(operator, placed)
        if len(lags) == len(placed):
            break
        time.sleep(0.5)
    drained_at = time.time() - start
    # The mail of the last batches is due a window after their first notification.
    mail_deadline = time.monotonic() + args.window + 60
    while (counts := _notification_counts())[0] > counts[1]:
        if time.monotonic() > mail_deadline:
            break
        time.sleep(0.5)
    sampler.stop.set()
    sampler.join()

    notifications, mailed = _notification_counts()
    mail_files = sorted(mail_dir.glob("*.log")) if mail_dir.exists() else []
    mails = len(mail_files)
    values = list(lags.values())
    print()
    print(
        f"Stream: {args.rate:g} purchase orders/s for {args.seconds:g} s, 5 lines across 3 "
        f"merchants each, {args.clients} client threads, mail window {args.window} s"
        + (", ONE worker for every queue" if args.one_worker else ", a worker per kind of work")
    )
    print(
        f"  placed {len(placed)} of {total} in {placing:.1f} s "
        f"({len(placed) / placing:.1f}/s; {len(errors)} errors"
        + (f", first: {errors[0][:200]}" if errors else "")
        + f"), placement behind schedule p95 {_percentile(behind, 0.95):.2f} s"
    )
    print(
        f"  lag placement → merchant orders ({len(values)} fanned out): "
        f"p50 {_percentile(values, 0.5):.2f} s, p95 {_percentile(values, 0.95):.2f} s, "
        f"max {max(values, default=0):.2f} s; all fanned out {drained_at:.1f} s after the start"
    )
    print(
        "  longest queues: "
        + ", ".join(f"{name} {length}" for name, length in sampler.longest.items())
    )
    print(
        f"  notifications {notifications}, mailed {mailed}, in {mails} mails "
        f"({notifications / mails if mails else 0:.1f} notifications a mail)"
    )
    return 0


def _notification_counts() -> tuple[int, int]:
    """(notifications, those mailed), over every organisation: counted in SQL."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*), count(sent_at) FROM network_notification")
        made, mailed = cursor.fetchone()
    return made, mailed


if __name__ == "__main__":
    sys.exit(main())
