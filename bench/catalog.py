"""Catalogue benchmark: prints figures, asserts nothing.

    .venv/bin/python bench/catalog.py [--products 100000] [--keep | --reuse] [--clients 4]
                                      [--skip-latency] [--skip-import]

1. creates a database ``bench_catalog`` (``BENCH_DATABASE``) on the development PostgreSQL
   server, migrates it and seeds N products (one SKU, three price tiers, stock and an image
   row each) with bulk statements — the development data is never touched; ``--reuse``
   measures the one an earlier ``--keep`` left instead;
2. latency in this process, p50/p95, counts not cached: the ranked search alone, and the
   browse page's selector (totals, facets, the page, its stock and images) for 20 English and
   Chinese searches and for browsing by category, state, brand and stock; then the statements
   of the slowest browse request and ``EXPLAIN (ANALYZE, BUFFERS)`` of its slowest one;
3. over HTTP from separate client processes (``bench/_http.py``): requests per second of the
   cached browse pages against a trivial view served by the same gunicorn, as a ratio, each
   asked for as a browser does (accepting gzip); then
   the browse pages on a gunicorn whose cache keeps nothing, p50/p95;
4. rows per second of a 5,000-row CSV import, checked and written as the Celery task does it;
5. drops the database (unless ``--keep`` or ``--reuse``).
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import random
import socket
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path
from urllib.parse import quote, urlparse, urlunparse

ROOT = Path(__file__).resolve().parent.parent
BENCH_DB = os.environ.get("BENCH_DATABASE", "bench_catalog")

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


def reuse_database() -> str:
    """The URL of the benchmark database an earlier run kept."""
    sys.path.insert(0, str(ROOT))
    from network import devservices

    base = os.environ.get("DATABASE_URL") or devservices.database_url()
    return urlunparse(urlparse(base)._replace(path=f"/{BENCH_DB}"))


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

    from catalog.facets import facet_counts_rebuild
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
                    "sample_limit_per_buyer",
                    "cn_tariff_code",
                    "created_at",
                ],
                [
                    (row[0], pid, row[1], "", "", 6, 12, 1, "", now)
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
    with transaction.atomic():
        facet_counts_rebuild()  # the services keep it; the bulk statements above do not
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


# Browse requests without a search: the catalogue, a category, a state, a brand, stock only.
BROWSE_CASES: list[dict] = [
    {},
    {"category": "food"},
    {"state": "MI"},
    {"brand": "Brand 7"},
    {"in_stock": True},
    {"category": "food", "state": "WI", "in_stock": True},
    {"query": "organic", "state": "MI"},
    {"query": "cheese", "category": "food", "sort": "price_asc"},
]


def _browse_once(filters) -> float:
    from catalog.selectors import product_browse

    started = time.perf_counter()
    result = product_browse(filters=filters, use_cache=False)
    list(result.page.object_list)
    return (time.perf_counter() - started) * 1000


def _explain_slowest_query(filters) -> None:
    """EXPLAIN (ANALYZE, BUFFERS) of the slowest statement of one browse request."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from catalog.selectors import product_browse

    with CaptureQueriesContext(connection) as captured:
        list(product_browse(filters=filters, use_cache=False).page.object_list)
    print(f"  statements of that request: {len(captured.captured_queries)}")
    for query in captured.captured_queries:
        print(f"    {float(query['time']) * 1000:6.1f} ms  {query['sql'][:110]}")
    slowest = max(captured.captured_queries, key=lambda query: float(query["time"]))
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + slowest["sql"])
        plan = [row[0] for row in cursor.fetchall()]
    print("  EXPLAIN (ANALYZE, BUFFERS) of its slowest statement:")
    print("\n".join(f"    {line}" for line in plan))


def search_latency(rounds: int = 5) -> None:
    from catalog.selectors import BrowseFilters, product_search_ids

    searches = [BrowseFilters(query=query) for query in QUERIES]
    browses = [BrowseFilters(**case) for case in BROWSE_CASES]
    search_ms, timings, hits = [], {}, {}
    for query in QUERIES:  # warm-up: plans and caches
        hits[query] = len(product_search_ids(query, limit=24))
    for filters in searches + browses:
        _browse_once(filters)
    for _round in range(rounds):
        for query in QUERIES:
            started = time.perf_counter()
            product_search_ids(query, limit=24)
            search_ms.append((time.perf_counter() - started) * 1000)
        for filters in searches + browses:
            timings.setdefault(repr(filters), (filters, []))[1].append(_browse_once(filters))
    print(f"  queries: {', '.join(f'{q} ({hits[q]})' for q in QUERIES)}")
    print(
        f"  ranked search (top 24):                 p50 {_percentile(search_ms, 0.5):6.1f} ms   "
        f"p95 {_percentile(search_ms, 0.95):6.1f} ms   ({len(search_ms)} runs)"
    )
    groups = {
        "browse page selector, search + facets": [repr(f) for f in searches],
        "browse page selector, filters only": [repr(f) for f in browses],
    }
    for name, keys in groups.items():
        values = [ms for key in keys for ms in timings[key][1]]
        print(
            f"  {name}: p50 {_percentile(values, 0.5):6.1f} ms   "
            f"p95 {_percentile(values, 0.95):6.1f} ms   ({len(values)} runs, counts not cached)"
        )
    everything = [ms for _filters, values in timings.values() for ms in values]
    print(
        f"  browse page selector, all of them:      p50 {_percentile(everything, 0.5):6.1f} ms   "
        f"p95 {_percentile(everything, 0.95):6.1f} ms"
    )
    slowest, values = max(timings.values(), key=lambda item: _percentile(item[1], 0.5))
    print(f"  slowest browse request (by its median, {_percentile(values, 0.5):.1f} ms): {slowest}")
    _explain_slowest_query(slowest)


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


BROWSE_PATHS = {
    "browse page": "/catalog/",
    "browse, search 'maple syrup'": "/catalog/?q=maple+syrup",
    "browse, search 枫糖浆": "/catalog/?q=" + quote("枫糖浆"),
}


def _until_served(port: int, path: str, *, workers: int) -> None:
    """Wait until every worker answers ``path`` (a worker loads Django on its first request)."""
    import http.client

    deadline = time.monotonic() + 180
    served = 0
    while served < 4 * workers and time.monotonic() < deadline:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        try:
            connection.request("GET", path)
            response = connection.getresponse()
            response.read()
            served += response.status == 200
        except (OSError, http.client.HTTPException):
            time.sleep(0.5)
        finally:
            connection.close()


# What every browser says it accepts: the cached page goes out gzipped (4 kB rather than 26 kB).
BROWSER = {"Accept-Encoding": "gzip, deflate, br"}


def throughput(database_url: str, *, workers: int, clients: int, seconds: float) -> None:
    """The cached browse pages against the trivial view on one gunicorn, then the browse pages
    on a gunicorn with no cache (every request counts, ranks and renders), each with
    ``clients`` client processes."""
    from bench._http import LoadResult, Request, gunicorn, load

    # A worker that takes more than gunicorn's 30 s to load Django on a busy machine is killed
    # and started again, for ever: give it longer.
    environ = {"BENCH_DATABASE": BENCH_DB, "GUNICORN_CMD_ARGS": "--timeout 300"}
    with gunicorn(database_url, workers=workers, app="bench.catalog:application",
                  environ=environ) as port:  # fmt: skip
        paths = {"trivial view": "/bench/trivial/", **BROWSE_PATHS}
        _until_served(port, "/bench/trivial/", workers=workers)
        for path in paths.values():  # warm every worker and the cache
            load(port, [Request("GET", path, BROWSER)] * clients, seconds=1.5)
        # In turns, a fifth of the time each: a two-core machine's speed drifts by a tenth and
        # more over a minute, which measured one after the other moved the ratio as much.
        rounds: dict[str, list] = {name: [] for name in paths}
        for _round in range(5):
            for name, path in paths.items():
                requests = [Request("GET", path, BROWSER)] * clients
                rounds[name].append(load(port, requests, seconds=seconds / 5))
        results = {name: LoadResult.combined(runs) for name, runs in rounds.items()}
    base = results["trivial view"].rate or float("nan")
    print("  cached, anonymous visitor (the whole page kept):")
    for name, result in results.items():
        print(f"    {result.line(name)}   ratio to trivial {result.rate / base:4.2f}")
    print("  not cached (a gunicorn whose cache keeps nothing), searches as above:")
    with gunicorn(
        database_url,
        workers=workers,
        app="bench.catalog:application",
        environ={**environ, "BENCH_NO_CACHE": "1"},
    ) as port:
        queries = [Request("GET", "/catalog/?q=" + quote(q)) for q in QUERIES]
        _until_served(port, "/bench/trivial/", workers=workers)
        load(port, queries[:clients], seconds=1.5)
        result = load(port, [queries[i % len(queries)] for i in range(clients)], seconds=seconds)
        print(f"    {result.line('browse page, search + facets')}")
        for name, path in BROWSE_PATHS.items():
            result = load(port, [Request("GET", path)] * clients, seconds=seconds / 2)
            print(f"    {result.line(name)}")


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
    parser.add_argument("--clients", type=int, default=4, help="load generator processes")
    parser.add_argument("--seconds", type=float, default=10, help="per measured URL")
    parser.add_argument("--rounds", type=int, default=5, help="of the latency measurements")
    parser.add_argument("--keep", action="store_true", help="keep the bench database")
    parser.add_argument(
        "--reuse", action="store_true", help="measure the database kept by an earlier --keep"
    )
    parser.add_argument("--skip-import", action="store_true", help="leave out the import")
    parser.add_argument(
        "--skip-latency", action="store_true", help="leave out the in-process latency"
    )
    args = parser.parse_args()

    url = reuse_database() if args.reuse else prepare_database()
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
        if args.reuse:
            from catalog.models import Product

            print(f"Reusing {BENCH_DB}: {Product.objects.public().count():,} public products")
        else:
            print(f"Seeding {args.products:,} products into {BENCH_DB}")
            seed(args.products)
        if not args.skip_latency:
            print(
                f"Latency in this process ({len(QUERIES)} searches and {len(BROWSE_CASES)} "
                f"other browse requests, {args.rounds} rounds, counts not cached)"
            )
            search_latency(args.rounds)
        print(
            f"Throughput: gunicorn {args.workers} workers, {args.clients} client processes, "
            f"{args.seconds:.0f} s per URL, {os.cpu_count()} CPUs shared by server, "
            "clients and PostgreSQL"
        )
        throughput(url, workers=args.workers, clients=args.clients, seconds=args.seconds)
        if not args.skip_import:
            print("Import")
            import_speed()
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep and not args.reuse:
            drop_database(url)


if __name__ == "__main__":
    main()
elif __name__ == "bench.catalog":
    # Imported by gunicorn as the benchmark's WSGI application and URLconf (not by the load
    # generator's client processes, which import this script as __mp_main__).
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "network.settings")
    if os.environ.get("DATABASE_URL", "").endswith(f"/{BENCH_DB}"):
        from django.conf import settings as _settings
        from django.core.wsgi import get_wsgi_application

        if os.environ.get("BENCH_NO_CACHE") == "1":  # every request renders from the database
            _settings.CACHES = {
                "default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}
            }

        application = get_wsgi_application()
        _settings.ROOT_URLCONF = "bench.catalog"
