"""Catalogue benchmark: prints figures, asserts nothing.

    .venv/bin/python bench/catalog.py [--products 100000] [--keep]

1. creates a database ``bench_catalog`` on the development PostgreSQL server, migrates it and
   seeds N products (one SKU, three price tiers, stock and an image row each) with bulk
   statements — the development data is never touched;
2. search latency, p50/p95, over 20 English and Chinese queries: the ranked search alone and
   the whole browse selector (page, totals and facets);
3. requests per second of the browse page against a trivial view served by the same gunicorn
   server, as a ratio (a loopback load generator in Python threads, bounded in time);
4. rows per second of a 5,000-row CSV import, checked and written as the Celery task does it;
5. drops the database (unless ``--keep``).
"""

from __future__ import annotations

import argparse
import csv
import http.client
import io
import os
import random
import socket
import subprocess
import sys
import threading
import time
from decimal import Decimal
from pathlib import Path
from urllib.parse import quote, urlparse, urlunparse

ROOT = Path(__file__).resolve().parent.parent
BENCH_DB = "bench_catalog"

EN_WORDS = [
    ("Maple Syrup", "枫糖浆"),
    ("Cheddar Cheese", "切达奶酪"),
    ("Vitamin C Tablets", "维生素C片"),
    ("Fish Oil Softgels", "鱼油软胶囊"),
    ("Baby Lotion", "婴儿润肤乳"),
    ("Hiking Socks", "徒步袜"),
    ("Face Serum", "面部精华液"),
    ("Coffee Beans", "咖啡豆"),
    ("Wildflower Honey", "野花蜂蜜"),
    ("Beef Jerky", "牛肉干"),
    ("Cast Iron Skillet", "铸铁煎锅"),
    ("Cotton T-Shirt", "纯棉T恤"),
    ("Dog Treats", "狗狗零食"),
    ("Macadamia Nuts", "夏威夷果"),
    ("Protein Powder", "蛋白粉"),
    ("Green Tea", "绿茶"),
    ("Wool Beanie", "羊毛帽"),
    ("Olive Oil", "橄榄油"),
    ("Probiotic Capsules", "益生菌胶囊"),
    ("Hand Cream", "护手霜"),
]
ADJECTIVES = [
    ("Organic", "有机"),
    ("Premium", "优质"),
    ("Classic", "经典"),
    ("Natural", "天然"),
    ("Family Size", "家庭装"),
    ("Travel", "旅行装"),
    ("Gift", "礼盒"),
    ("Michigan", "密歇根"),
    ("Oregon", "俄勒冈"),
    ("Wisconsin", "威斯康星"),
]
STATES = ["MI", "OR", "WI", "FL", "NC", "UT", "NY", "CA", "VT", "AR", "MD", "CO", "KY", "HI"]
QUERIES = [
    "maple syrup",
    "cheese",
    "vitamin",
    "organic honey",
    "baby lotion",
    "coffee",
    "jerky",
    "skillet",
    "protein powder",
    "wisconsin cheddar",
    "枫糖浆",
    "奶酪",
    "维生素",
    "有机",
    "婴儿",
    "咖啡豆",
    "牛肉干",
    "铸铁",
    "蛋白粉",
    "密歇根 枫糖",
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def prepare_database() -> str:
    """Create (again) the benchmark database and return its URL."""
    sys.path.insert(0, str(ROOT))
    from network import devservices

    base = os.environ.get("DATABASE_URL") or devservices.database_url()
    parsed = urlparse(base)
    import psycopg2

    admin = psycopg2.connect(
        host=parsed.hostname,
        port=parsed.port or 5432,
        user=parsed.username,
        password=parsed.password,
        dbname="postgres",
    )
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{BENCH_DB}"')
    admin.close()
    return urlunparse(parsed._replace(path=f"/{BENCH_DB}"))


def drop_database(url: str) -> None:
    import psycopg2

    parsed = urlparse(url)
    admin = psycopg2.connect(
        host=parsed.hostname,
        port=parsed.port or 5432,
        user=parsed.username,
        password=parsed.password,
        dbname="postgres",
    )
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')
    admin.close()


def seed(count: int) -> None:
    """N products for 40 approved merchants, written with one INSERT per table and batch."""
    from django.db import connection, transaction
    from django.utils import timezone

    from catalog.models import (
        SKU,
        Category,
        Inventory,
        PriceTier,
        Product,
        ProductImage,
    )
    from catalog.search import refresh_search_vectors, search_cjk_for
    from catalog.spreadsheets import _insert_unnest
    from merchants.models import MerchantApplication
    from network.models import Organization

    rng = random.Random(7)
    now = timezone.now()
    # New rows only (organisations, approved applications, then products by bulk statements):
    # nothing is read but the category tree, which is not private.
    with transaction.atomic():
        merchants = []
        for number in range(40):
            organization = Organization.objects.create(
                kind="merchant",
                name=f"Bench Merchant {number}",
                slug=f"bench-{number}",
                country="US",
            )
            MerchantApplication.objects.create(
                organization=organization,
                status="approved",
                legal_name=organization.name,
                state=STATES[number % len(STATES)],
            )
            merchants.append(organization)
        leaves = list(Category.objects.filter(parent__isnull=False).values_list("pk", flat=True))
    batch = 10_000
    started = time.monotonic()
    for offset in range(0, count, batch):
        size = min(batch, count - offset)
        product_rows, prices = [], []
        for n in range(offset, offset + size):
            noun_en, noun_zh = EN_WORDS[n % len(EN_WORDS)]
            adj_en, adj_zh = ADJECTIVES[(n // len(EN_WORDS)) % len(ADJECTIVES)]
            title_zh = f"{adj_zh}{noun_zh} {n}号"
            unit = Decimal(rng.randint(150, 5000)) / 100
            tiers = [
                (12, unit),
                (48, (unit * Decimal("0.93")).quantize(Decimal("0.01"))),
                (144, (unit * Decimal("0.86")).quantize(Decimal("0.01"))),
            ]
            prices.append(tiers)
            organization = merchants[n % len(merchants)]
            product_rows.append(
                (
                    organization.pk,
                    f"B-{n}",
                    leaves[n % len(leaves)],
                    f"{adj_en} {noun_en} no. {n}",
                    title_zh,
                    "Benchmark product.",
                    "",
                    f"Brand {n % 300}",
                    "1702200000",
                    "US",
                    Decimal("0.5"),
                    Decimal("10"),
                    Decimal("10"),
                    Decimal("10"),
                    7,
                    "active",
                    "",
                    search_cjk_for(title_zh_hans=title_zh),
                    tiers[-1][1],
                    tiers[0][1],
                    12,
                    now,
                    now,
                    now,
                )
            )
        with transaction.atomic():
            ids = _insert_unnest(
                Product,
                [
                    "organization_id",
                    "reference",
                    "category_id",
                    "title_en",
                    "title_zh_hans",
                    "description_en",
                    "description_zh_hans",
                    "brand",
                    "hs_code",
                    "country_of_origin",
                    "weight_kg",
                    "length_cm",
                    "width_cm",
                    "height_cm",
                    "lead_time_days",
                    "state",
                    "takedown_reason",
                    "search_cjk",
                    "price_min_usd",
                    "price_max_usd",
                    "moq_min",
                    "created_at",
                    "updated_at",
                    "published_at",
                ],
                product_rows,
                key="reference",
            )
            product_ids = [ids[row[1]] for row in product_rows]
            sku_ids = _insert_unnest(
                SKU,
                [
                    "organization_id",
                    "product_id",
                    "code",
                    "variant_en",
                    "variant_zh_hans",
                    "case_pack",
                    "moq",
                    "created_at",
                ],
                [
                    (row[0], pid, row[1], "", "", 6, 12, now)
                    for row, pid in zip(product_rows, product_ids, strict=True)
                ],
                key="code",
            )
            sku_list = [sku_ids[row[1]] for row in product_rows]
            _insert_unnest(
                PriceTier,
                ["sku_id", "min_quantity", "unit_price_usd"],
                [
                    (sid, q, p)
                    for sid, tiers in zip(sku_list, prices, strict=True)
                    for q, p in tiers
                ],
            )
            _insert_unnest(
                Inventory,
                [
                    "sku_id",
                    "organization_id",
                    "on_hand",
                    "reserved",
                    "low_stock_threshold",
                    "updated_at",
                ],
                [
                    (sid, row[0], rng.choice([0, 100, 500]), 0, 24, now)
                    for sid, row in zip(sku_list, product_rows, strict=True)
                ],
            )
            _insert_unnest(
                ProductImage,
                [
                    "organization_id",
                    "product_id",
                    "image",
                    "thumbnail",
                    "width",
                    "height",
                    "alt_text",
                    "position",
                    "created_at",
                ],
                [
                    (
                        row[0],
                        pid,
                        "products/bench.jpg",
                        "products/bench-thumb.jpg",
                        480,
                        480,
                        "",
                        0,
                        now,
                    )
                    for row, pid in zip(product_rows, product_ids, strict=True)
                ],
            )
            refresh_search_vectors(product_ids)
        print(f"  seeded {offset + size:>7,} products ({time.monotonic() - started:5.1f} s)")
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


def search_latency(rounds: int = 5) -> None:
    from django.db import connection

    from catalog.selectors import BrowseFilters, product_browse, product_search_ids

    search_ms, browse_ms, hits = [], [], {}
    for query in QUERIES:  # warm-up: plans and caches
        hits[query] = len(product_search_ids(query, limit=24))
        product_browse(filters=BrowseFilters(query=query), use_cache=False)
    for _round in range(rounds):
        for query in QUERIES:
            started = time.perf_counter()
            product_search_ids(query, limit=24)
            search_ms.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            result = product_browse(filters=BrowseFilters(query=query), use_cache=False)
            list(result.page.object_list)
            browse_ms.append((time.perf_counter() - started) * 1000)
    connection.close()
    print(f"  queries: {', '.join(f'{q} ({hits[q]})' for q in QUERIES)}")
    print(
        f"  ranked search (top 24):            p50 {_percentile(search_ms, 0.5):6.1f} ms   "
        f"p95 {_percentile(search_ms, 0.95):6.1f} ms   ({len(search_ms)} runs)"
    )
    print(
        f"  browse selector, counts not cached:  p50 {_percentile(browse_ms, 0.5):6.1f} ms   "
        f"p95 {_percentile(browse_ms, 0.95):6.1f} ms"
    )


# --- The benchmark server: the project's URLs plus a trivial view ----------------------------


def trivial(request):
    from django.http import HttpResponse

    return HttpResponse("ok", content_type="text/plain")


def _urlpatterns():
    from django.urls import include, path

    return [path("bench/trivial/", trivial), path("", include("network.urls"))]


def __getattr__(name):  # the URLconf, built lazily once Django is set up
    if name == "urlpatterns":
        return _urlpatterns()
    raise AttributeError(name)


def load(port: int, path: str, *, threads: int, seconds: float) -> float:
    """Requests per second of ``path`` with ``threads`` keep-alive clients for ``seconds``."""
    stop = time.monotonic() + seconds
    counts = [0] * threads
    errors = [0] * threads

    def worker(index: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while time.monotonic() < stop:
            try:
                conn.request("GET", path)
                response = conn.getresponse()
                response.read()
                if response.status == 200:
                    counts[index] += 1
                else:
                    errors[index] += 1
            except (OSError, http.client.HTTPException):
                errors[index] += 1
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.close()

    pool = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    started = time.monotonic()
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    elapsed = time.monotonic() - started
    if sum(errors):
        print(f"    ({sum(errors)} failed requests on {path})")
    return sum(counts) / elapsed


def throughput(database_url: str, *, workers: int, threads: int, seconds: float) -> None:
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DJANGO_DEBUG": "false",
        "PYTHONPATH": str(ROOT),
        "LOG_LEVEL": "WARNING",
    }
    server = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/gunicorn"),
            "bench.catalog:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                time.sleep(0.3)
        paths = {
            "trivial view": "/bench/trivial/",
            "browse page": "/catalog/",
            "browse, search 'maple syrup'": "/catalog/?q=maple+syrup",
            "browse, search 枫糖浆": "/catalog/?q=" + quote("枫糖浆"),
        }
        for path in paths.values():  # warm every worker
            load(port, path, threads=threads, seconds=1.5)
        rates = {
            name: load(port, path, threads=threads, seconds=seconds) for name, path in paths.items()
        }
    finally:
        server.terminate()
        server.wait(timeout=30)
    base = rates["trivial view"]
    for name, rate in rates.items():
        print(f"  {name:<30} {rate:7.1f} req/s   ratio to trivial {rate / base:5.2f}")


def import_speed(rows: int = 5000) -> None:
    from django.core.files.base import ContentFile

    from catalog.models import ImportJob
    from catalog.spreadsheets import COLUMNS, run_import
    from network.models import Organization, User
    from network.tenancy import acting_for

    organization = Organization.objects.get(slug="bench-0")
    # The import runs as its task does, in the merchant's scope.
    with acting_for(organization):
        user = User.objects.create_user(email="bench@example.com", password=None)
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(COLUMNS)
        for n in range(rows):
            writer.writerow(
                [
                    f"IMP-{n}",
                    f"Imported Maple Syrup {n}",
                    f"进口枫糖浆{n}号",
                    "Grade A.",
                    "",
                    "Great Lakes",
                    "maple-syrup",
                    "1702200000",
                    "US",
                    "0.75",
                    "8",
                    "8",
                    "20",
                    "7",
                    "19.99",
                    f"IMP-{n}-500",
                    "500 ml",
                    "500毫升",
                    "6",
                    "12",
                    "12:8.50; 48:7.90; 144:7.25",
                    "100",
                    "24",
                ]
            )
        data = buffer.getvalue().encode()
        for label in ("new products", "the same file again (updates)"):
            job = ImportJob(
                organization=organization,
                created_by=user,
                original_name="bench.csv",
                file_format="csv",
                status=ImportJob.Status.RUNNING,
            )
            job.file.save("bench", ContentFile(data), save=False)
            job.save()
            started = time.perf_counter()
            run_import(job)
            elapsed = time.perf_counter() - started
            print(
                f"  {rows:,} rows, {label}: {elapsed:5.2f} s = {rows / elapsed:7.0f} rows/s "
                f"({job.status}: {job.message})"
            )
            job.file.delete(save=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--threads", type=int, default=8, help="load generator threads")
    parser.add_argument("--seconds", type=float, default=10, help="per measured URL")
    parser.add_argument("--keep", action="store_true", help="keep the bench database")
    args = parser.parse_args()

    url = prepare_database()
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "network.settings")
    subprocess.run(
        [str(ROOT / ".venv/bin/python"), "manage.py", "migrate", "--verbosity", "0"],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": url},
        check=True,
    )
    import django

    django.setup()
    try:
        print(f"Seeding {args.products:,} products into {BENCH_DB}")
        seed(args.products)
        print("Search latency (20 English and Chinese queries, 5 rounds)")
        search_latency()
        print(
            f"Throughput: gunicorn {args.workers} workers, {args.threads} client threads, "
            f"{args.seconds:.0f} s per URL, {os.cpu_count()} CPUs shared by server, "
            "clients and PostgreSQL"
        )
        throughput(url, workers=args.workers, threads=args.threads, seconds=args.seconds)
        print("Import")
        import_speed()
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep:
            drop_database(url)


if __name__ == "__main__":
    main()
else:
    # Imported by gunicorn as the benchmark's WSGI application and URLconf.
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "network.settings")
    if os.environ.get("DATABASE_URL", "").endswith(f"/{BENCH_DB}"):
        from django.conf import settings as _settings
        from django.core.wsgi import get_wsgi_application

        application = get_wsgi_application()
        _settings.ROOT_URLCONF = "bench.catalog"
