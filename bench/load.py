"""A load test anyone can run: a mix of buyers and merchants against one, then two web process
groups behind a load balancer, with throughput, p95 latency, errors and CPU per request.

The mix (``bench/locustfile.py``, Locust, headless, bounded in time): buyers signed in on their
pages searching the catalogue, opening products and their purchase orders (5 of 13 users);
visitors on the public catalogue (1); buyers' systems searching, placing 5-line purchase orders
across 3 merchants and reading them back over the API (2); a buyer's system tracking its
shipments (1); merchants' systems setting stock, booking container space and listing bookings
(2). Each user sends its next request as soon as the last is answered, so the figures are
what the machine sustains at that concurrency.

A web process group is one gunicorn with ``--web-workers`` workers, as one ``web`` replica of
docker-compose.yml; HAProxy balances over the groups as the compose file's ``lb`` does. The
load comes from a separate Locust process. The Celery workers ``make run`` starts run beside
them, as in production, on a spare Redis database (flushed afterwards), doing the follow-up
work (fan-out, carrier submissions, mail as files) and keeping ``/healthz``, which the balancer
checks, green. The balancer's checks run every 60 s here rather than 5 s, so that they stay out
of the figures.

    .venv/bin/python bench/load.py [--users 13] [--seconds 30] [--web-workers 2] [--groups 1,2]
                                   [--pgbouncer] [--no-workers] [--task-times]

A scratch database is created on the development server, migrated and seeded with the demo,
and dropped afterwards. Prints figures; asserts nothing."""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse, urlunparse

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench._common import (  # noqa: E402
    ROOT,
    bench_merchants,
    bench_sailing,
    celery_workers,
    flush_redis,
    scratch_database,
)
from bench._http import gunicorn  # noqa: E402
from scripts.local_proxies import HAPROXY, LocalHAProxy, LocalPgBouncer  # noqa: E402

BENCH_REDIS_DB = 11
ON_HAND = 1_000_000_000  # never runs out, whatever the run's length
QUANTITY = 48  # a case-pack multiple above the MOQ, at the second tier
BUYER_KEYS = 8


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=13, help="concurrent Locust users")
    parser.add_argument("--seconds", type=int, default=30, help="measured time per topology")
    parser.add_argument("--web-workers", type=int, default=2, help="gunicorn workers per group")
    parser.add_argument("--groups", default="1,2", help="web process groups to measure, in turn")
    parser.add_argument(
        "--no-workers",
        action="store_true",
        help="run no Celery worker: the follow-up work waits in the broker (the web tier alone; "
        "/healthz then fails and the balancer serves through its unchecked backup entries)",
    )
    parser.add_argument(
        "--task-times",
        action="store_true",
        help="also print, per Celery task, how many ran and their time (from the workers' logs)",
    )
    parser.add_argument(
        "--pgbouncer",
        action="store_true",
        help="web and workers reach PostgreSQL through PgBouncer in transaction pooling, as in "
        "docker-compose.yml (deploy/pgbouncer/pgbouncer.ini)",
    )
    args = parser.parse_args()
    groups = [int(n) for n in args.groups.split(",") if n.strip()]
    if not os.access(HAPROXY, os.X_OK):
        print("HAProxy is missing: apt-get install haproxy (make test installs it).")
        return 1

    from network import devservices

    redis = urlparse(devservices.redis_url())
    broker_url = urlunparse(redis._replace(path=f"/{BENCH_REDIS_DB}"))
    folder = tempfile.mkdtemp(prefix="bench-load-")
    environ = {
        "REDIS_URL": broker_url,
        "CACHE_KEY_PREFIX": f"bench-load-{os.getpid()}",
        "CELERY_TASK_ALWAYS_EAGER": "false",
        # Mail as files in the run's own folder (NETWORK_DATA_DIR/mail).
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "NETWORK_DATA_DIR": folder,
        "LOG_LEVEL": "WARNING",
        # The per-key limit guards a real integration; the load test measures the app.
        "API_KEY_RATE": "1000000/s",
    }
    scratch = f"bench_load_{os.getpid()}"
    try:
        with scratch_database(scratch, environ=environ) as database_url:
            data_file = Path(folder) / "data.json"
            data_file.write_text(json.dumps(_setup()))
            from django.db import connections

            connections.close_all()
            app_url, environ = database_url, dict(environ)
            stack = contextlib.ExitStack()
            if args.pgbouncer:
                server = urlparse(database_url)
                bouncer = stack.enter_context(
                    LocalPgBouncer(
                        server_host=server.hostname or "127.0.0.1",
                        server_port=server.port or 5432,
                        user=server.username or "postgres",
                    )
                )
                app_url = bouncer.url(scratch)
                environ["DATABASE_PGBOUNCER"] = "true"
            if not args.no_workers:
                # At INFO the workers log every task's run time, which --task-times sums.
                level = {"LOG_LEVEL": "INFO"} if args.task_times else {}
                stack.enter_context(celery_workers(app_url, {**environ, **level}, Path(folder)))
            with stack:
                results = [
                    _measure(
                        n,
                        args=args,
                        database_url=app_url,
                        scratch=scratch,
                        environ=environ,
                        data_file=data_file,
                        folder=Path(folder),
                    )
                    for n in groups
                ]
        if args.task_times:
            _print_task_times(Path(folder))
    finally:
        flush_redis(broker_url)
        shutil.rmtree(folder, ignore_errors=True)
    if len(results) > 1:
        base = results[0]
        for other in results[1:]:
            print(
                f"{other.groups} groups vs {base.groups}: throughput ×"
                f"{other.rate / base.rate:.2f}, p95 {base.p95:.0f} → {other.p95:.0f} ms"
            )
    return 0


# --- The data the users act on ----------------------------------------------------------------


def _setup() -> dict:
    """Seed the demo, then add what the systems' users need: buyer organisations with API keys,
    three merchants whose minimum order values a 5-line order meets, a merchant key for stock and
    bookings, a sailing with room for every booking, and signed-in sessions of the demo buyers."""
    from django.core.management import call_command
    from django.test import Client

    from catalog.selectors import public_products
    from network.demo import DEMO_BUYER_SLUG
    from network.models import Membership, Organization, User
    from network.services import api_key_create
    from network.tenancy import acting_for

    print("Seeding the demo …", flush=True)
    call_command("seed_demo", verbosity=0)
    skus = bench_merchants(on_hand=ON_HAND, minimum_order_usd="300.00")

    def key(organization: Organization, user: User, scopes: list[str]) -> str:
        with acting_for(organization):
            return api_key_create(
                organization=organization, name="Load test", scopes=scopes, acting_user=user
            )[1]

    buyer_keys = []
    for b in range(BUYER_KEYS):
        store = Organization.objects.create(
            name=f"Load Store {b}", slug=f"load-store-{b}", kind="buyer", country="CN"
        )
        user = User.objects.create_user(email=f"buyer{b}@load.example", password=None)
        Membership.objects.create(user=user, organization=store, role="owner")
        buyer_keys.append(key(store, user, ["catalog:read", "orders:read", "orders:write"]))

    merchant = skus[0].organization
    merchant_owner = Membership.objects.get(organization=merchant, role="owner").user
    merchant_key = key(
        merchant, merchant_owner, ["inventory:write", "bookings:read", "bookings:write"]
    )
    demo_buyer = Organization.objects.get(slug=DEMO_BUYER_SLUG)
    demo_buyers = Membership.objects.filter(organization=demo_buyer).select_related("user")
    tracking_key = key(demo_buyer, demo_buyers[0].user, ["orders:read"])

    sessions = []
    for membership in demo_buyers:
        client = Client()
        client.force_login(membership.user)
        sessions.append(client.cookies["network_session"].value)

    # What the demo buyer's system sees, asked the way it asks.
    shipments = Client(SERVER_NAME="localhost").get(
        "/api/v1/shipping/shipments/", headers={"Authorization": f"Bearer {tracking_key}"}
    )
    references = [row["reference"] for row in shipments.json()["results"]]
    if not references:
        raise SystemExit("The demo buyer has no shipment to track.")

    products = public_products().exclude(organization=merchant).order_by("pk")
    titles = list(products.values_list("title_en", flat=True)[:200])
    words = sorted({w.lower() for t in titles for w in t.split() if w.isalpha() and len(w) > 4})
    return {
        "session_cookie": "network_session",
        "buyer_sessions": sessions,
        "search_terms": words[:: max(1, len(words) // 40)] or ["maple"],
        "product_ids": list(products.values_list("pk", flat=True)[:200]),
        "buyer_keys": buyer_keys,
        "order_body": json.dumps(
            {
                "lines": [{"sku_id": sku.pk, "quantity": QUANTITY} for sku in skus],
                "delivery_location": "Ningbo Meishan bonded warehouse",
                "incoterm": "FOB",
            }
        ),
        "tracking_key": tracking_key,
        "shipment_references": references,
        "merchant_key": merchant_key,
        "stock_skus": [sku.code for sku in skus if sku.organization_id == merchant.pk],
        "on_hand": ON_HAND,
        "booking_body": _booking_body(merchant),
    }


def _booking_body(merchant) -> str:
    """A 20' box on a sailing with room for every request of the run."""
    sailing = bench_sailing(voyage="LOAD1")
    return json.dumps(
        {
            "sailing": sailing.pk,
            "equipment": "22G1",
            "units": 1,
            "commodity_description": "Pure maple syrup in glass bottles",
            "hs_codes": ["170220"],
            "gross_weight_kg": 12_000,
            "shipper_name": merchant.name,
            "shipper_address": "1 Main Street\nMarquette, MI",
            "consignee_name": "Hangzhou Westlake Global Trading Co., Ltd.",
            "consignee_address": "88 Wensan Road\nHangzhou",
        }
    )


# --- One topology -------------------------------------------------------------------------------


@dataclass
class Result:
    groups: int
    rate: float
    p95: float


def _measure(
    groups: int,
    *,
    args,
    database_url: str,
    scratch: str,
    environ: dict[str, str],
    data_file: Path,
    folder: Path,
) -> Result:
    with contextlib.ExitStack() as stack:
        ports = [
            stack.enter_context(gunicorn(database_url, workers=args.web_workers, environ=environ))
            for _ in range(groups)
        ]
        if not args.no_workers:
            # Healthy before the balancer's first check, which would otherwise take a group out
            # until the next one, a minute later.
            for port in ports:
                _wait_healthy(f"http://127.0.0.1:{port}")
        balancer = stack.enter_context(
            LocalHAProxy(servers=[("127.0.0.1", p) for p in ports], check_interval="60s")
        )
        prefix = folder / f"groups{groups}"
        command = [
            str(ROOT / ".venv/bin/locust"),
            "-f",
            str(ROOT / "bench/locustfile.py"),
            "--headless",
            "--only-summary",
            "--loglevel",
            "ERROR",
            "--host",
            balancer.url,
            "--csv",
            str(prefix),
        ]
        env = {**os.environ, "LOAD_TEST_DATA": str(data_file)}
        print(f"Warming {groups} group(s) up …", flush=True)
        warm = [*command[:-2], "--users", str(args.users), "--spawn-rate", str(args.users)]
        subprocess.run([*warm, "--run-time", "5s"], env=env, capture_output=True, check=False)
        print(
            f"Measuring {groups} web group(s) × {args.web_workers} gunicorn workers, "
            f"{args.users} users, {args.seconds} s …",
            flush=True,
        )
        before = _cpu(ports)
        started = time.monotonic()
        run = [*command, "--users", str(args.users), "--spawn-rate", str(args.users)]
        subprocess.run(
            [*run, "--run-time", f"{args.seconds}s"], env=env, capture_output=True, check=False
        )
        elapsed = time.monotonic() - started
        backends = _backends(scratch)
        spent = {name: _cpu(ports)[name] - before[name] for name in before}
        # Requests each group answered, warm-up included (from the balancer's statistics).
        spread = {
            name: int(row["stot"])
            for name, row in balancer.server_stats().items()
            if int(row["stot"] or 0)
        }
    return _report(groups, args, prefix, spent, elapsed, spread, backends)


def _print_task_times(folder: Path) -> None:
    """Tasks the workers ran during the whole test (warm-ups included), slowest in all first."""
    import re
    from collections import Counter

    ran: Counter[str] = Counter()
    seconds: Counter[str] = Counter()
    pattern = re.compile(r"Task ([\w.]+)\[[^\]]*\] succeeded in ([\d.]+)s")
    for log in folder.glob("worker*.log"):
        for name, took in pattern.findall(log.read_text(errors="replace")):
            ran[name] += 1
            seconds[name] += float(took)
    print()
    print("Tasks run (all topologies, warm-ups included): count, time in all, time each")
    for name, total in seconds.most_common():
        print(f"  {name:<45} {ran[name]:>6} {total:>8.2f} s {1000 * total / ran[name]:>7.1f} ms")


def _backends(database: str) -> int:
    """Server processes PostgreSQL runs for the database (the app's open connections)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            [database],
        )
        count = cursor.fetchone()[0]
    connection.close()
    return count


def _wait_healthy(url: str) -> None:
    """Until /healthz answers 200: the database, the broker and the workers up (their start-up
    stays out of the figures)."""
    import urllib.error
    import urllib.request

    deadline = time.monotonic() + 120
    while True:
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=5) as response:  # noqa: S310
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        if time.monotonic() > deadline:
            raise RuntimeError("/healthz did not turn green within 2 minutes")
        time.sleep(0.5)


def _cpu(ports: list[int]) -> dict[str, float]:
    """CPU seconds used so far by the web processes, PostgreSQL, the load generator and the
    whole machine (all cores)."""
    import psutil

    spent = {"web": 0.0, "workers": 0.0, "database": 0.0, "load": 0.0, "machine": 0.0}
    binds = {f"127.0.0.1:{p}" for p in ports}
    for process in psutil.process_iter(["name", "cmdline", "cpu_times"]):
        times = process.info["cpu_times"]
        if times is None:
            continue
        line = " ".join(process.info["cmdline"] or [])
        used = times.user + times.system
        if "gunicorn" in line and any(bind in line for bind in binds):
            spent["web"] += used
        elif "celery" in line:
            spent["workers"] += used
        elif (process.info["name"] or "").startswith("postgres"):
            spent["database"] += used
    # The load generator has ended and been waited for when this is read after a run.
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    spent["load"] = children.ru_utime + children.ru_stime
    machine = psutil.cpu_times()
    spent["machine"] = machine.user + machine.system + getattr(machine, "steal", 0.0)
    return spent


def _report(
    groups: int,
    args,
    prefix: Path,
    spent: dict[str, float],
    elapsed: float,
    spread: dict,
    backends: int,
) -> Result:
    rows = list(csv.DictReader(open(f"{prefix}_stats.csv")))  # noqa: SIM115
    total = next(row for row in rows if row["Name"] == "Aggregated")
    print()
    print(
        f"{groups} web group(s) behind HAProxy, {args.web_workers} gunicorn workers each, "
        f"{args.users} users, {args.seconds} s"
    )
    print(f"  {'request':<30} {'count':>7} {'per s':>7} {'p50 ms':>7} {'p95 ms':>7} {'errors':>7}")
    for row in sorted((r for r in rows if r["Name"] != "Aggregated"), key=lambda r: r["Name"]):
        print(
            f"  {row['Name']:<30} {row['Request Count']:>7} {float(row['Requests/s']):>7.1f} "
            f"{row['50%']:>7} {row['95%']:>7} {row['Failure Count']:>7}"
        )
    count = int(total["Request Count"])
    rate = float(total["Requests/s"])
    print(
        f"  {'all':<30} {count:>7} {rate:>7.1f} {total['50%']:>7} {total['95%']:>7} "
        f"{total['Failure Count']:>7}"
    )
    if count:
        per = {name: 1000 * seconds / count for name, seconds in spent.items()}
        cores = os.cpu_count() or 1
        print(
            f"  CPU per request: web {per['web']:.1f} ms, Celery workers {per['workers']:.1f} ms, "
            f"database {per['database']:.1f} ms, load generator {per['load']:.1f} ms; "
            f"the machine's {cores} cores "
            f"{100 * spent['machine'] / (elapsed * cores):.0f}% busy"
        )
    print("  answered by: " + ", ".join(f"{name} {n}" for name, n in sorted(spread.items())))
    via = "through PgBouncer" if args.pgbouncer else "direct"
    print(f"  PostgreSQL backends serving the app at the end ({via}): {backends}")
    failures = Path(f"{prefix}_failures.csv")
    if failures.exists():
        for row in list(csv.DictReader(open(failures)))[:5]:  # noqa: SIM115
            print(f"  failed: {row['Method']} {row['Name']}: {row['Error'][:160]}")
    return Result(groups=groups, rate=rate, p95=float(total["95%"] or 0))


if __name__ == "__main__":
    sys.exit(main())
