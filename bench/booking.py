"""Booking requests per second under contention, and the ratio to the same transaction run by
pgbench.

Every worker books one 20' box on the same sailing, so every request queues for that sailing's
row lock: the worst case of a popular sailing. The figure is the booking service itself
(validation, hold under the lock, booking row, timeline event, audit row, one transaction); the
Celery message sent after commit is left out, so no broker is needed. pgbench then replays the
SQL statements of that same transaction, captured from one real request, with the same number
of clients, which gives the floor the database alone imposes.

    .venv/bin/python bench/booking.py [--clients 16] [--seconds 10]

A scratch database is created on the development server and dropped afterwards. Prints
figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench._common import pgbench_tps, scratch_database  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()

    scratch = f"bench_booking_{os.getpid()}"
    with scratch_database(scratch) as scratch_url:
        return run(args, scratch_url, scratch)


def _setup_sailing():
    from datetime import timedelta
    from decimal import Decimal

    from django.utils import timezone

    from merchants.models import MerchantApplication
    from network.models import Membership, Organization, User
    from shipping.models import Carrier, Port, Sailing, SailingRate

    organization = Organization.objects.create(
        name="Bench Maple Co.", slug="bench-maple", kind="merchant", country="US"
    )
    MerchantApplication.objects.create(
        organization=organization, status="approved", legal_name="Bench Maple Co."
    )
    user = User.objects.create_user(email="bench@example.com", password=None)
    Membership.objects.create(user=user, organization=organization, role="owner")
    carrier = Carrier.objects.create(scac="MAEU", name="Maersk", service_contract_reference="BENCH")
    los_angeles = Port.objects.create(un_locode="USLAX", name="Los Angeles", country="US")
    ningbo = Port.objects.create(un_locode="CNNGB", name="Ningbo", country="CN")
    etd = timezone.now() + timedelta(days=20)
    sailing = Sailing.objects.create(
        carrier=carrier,
        service_code="TP6",
        vessel_name="Madrid Maersk",
        vessel_imo="9778791",
        voyage_number="BENCH",
        port_of_loading=los_angeles,
        port_of_discharge=ningbo,
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
    return organization, user, sailing


def _book(organization, user, sailing):
    from shipping import services

    return services.booking_request(
        organization=organization,
        sailing=sailing,
        equipment="22G1",
        units=1,
        commodity_description="Pure maple syrup in glass bottles",
        hs_codes=["170220"],
        gross_weight_kg=12_000,
        shipper_name="Bench Maple Co.",
        shipper_address="1 Main Street\nMarquette, MI",
        consignee_name="Hangzhou Westlake Global Trading Co., Ltd.",
        consignee_address="88 Wensan Road\nHangzhou",
        acting_user=user,
    )


def run(args, database_url: str, scratch: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from shipping import services

    services.carrier_sync.enqueue_sync = lambda booking: None  # the transaction, not the broker
    organization, user, sailing = _setup_sailing()
    _book(organization, user, sailing)  # warm caches (content types, prepared plans)
    with connection.cursor() as cursor:
        # An id no other number in the statements can be mistaken for.
        cursor.execute("ALTER SEQUENCE shipping_booking_id_seq RESTART WITH 987654321")
    with CaptureQueriesContext(connection) as captured:
        booking = _book(organization, user, sailing)
    statements = [q["sql"] for q in captured.captured_queries]

    # --- The application under contention ---------------------------------------------------
    stop_at = threading.Event()
    barrier = threading.Barrier(args.clients + 1)
    counts = [0] * args.clients
    refused = [0] * args.clients

    def worker(index: int) -> None:
        from django.db import connection as own

        barrier.wait()
        while not stop_at.is_set():
            try:
                _book(organization, user, sailing)
                counts[index] += 1
            except Exception:  # noqa: BLE001 - a benchmark counts, it does not stop
                refused[index] += 1
        own.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(args.clients)]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    time.sleep(args.seconds)
    stop_at.set()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    app_rate = sum(counts) / elapsed
    sailing.refresh_from_db()

    print()
    print(f"Booking service, {args.clients} threads on one sailing, {elapsed:.1f} s:")
    print(f"  {sum(counts)} bookings, {sum(refused)} errors → {app_rate:,.0f} bookings/s")
    print(f"  booked TEU on the sailing: {sailing.booked_teu} (capacity {sailing.capacity_teu})")
    print(f"  statements per booking: {len(statements)}")
    if os.environ.get("BENCH_SHOW_SQL"):
        print("\n".join(f"    {sql[:150]}" for sql in statements))

    # --- The same transaction in pgbench ------------------------------------------------------
    script = _pgbench_script(statements, booking)
    measured = pgbench_tps(
        script,
        database_url=database_url,
        database=scratch,
        clients=args.clients,
        seconds=args.seconds,
    )
    if measured is None:
        return 0
    pgbench_rate, report = measured
    failed = re.search(r"number of failed transactions: (\d+)", report)
    print()
    print(f"pgbench, same {len(statements)} statements, {args.clients} clients:")
    print(
        f"  {pgbench_rate:,.0f} transactions/s" + (f", {failed.group(1)} failed" if failed else "")
    )
    print()
    print(f"Ratio application / pgbench: {app_rate / pgbench_rate:.2f}")
    return 0


def _pgbench_script(statements: list[str], booking) -> str:
    """The captured statements as a pgbench script: a fresh reference per transaction, and the
    new booking's id carried from its INSERT … RETURNING into the later statements."""
    lines = []
    booking_id = str(booking.pk)
    for sql in statements:
        if sql in ("BEGIN", "COMMIT") or sql.startswith(("SAVEPOINT", "RELEASE SAVEPOINT")):
            lines.append(sql + ";")
            continue
        sql = sql.replace(f"'{booking.reference}'", "substr(md5(random()::text), 1, 12)")
        if sql.startswith('INSERT INTO "shipping_booking"'):
            returning = sql.replace('RETURNING "shipping_booking"."id"', 'RETURNING "id" AS bid')
            lines.append(returning + " \\gset")
            continue
        # The later statements name the new booking by id (as a number or as text).
        sql = re.sub(rf"(?<![\d.]){booking_id}(?![\d.])", ":bid", sql)
        lines.append(sql + ";")
    if lines[0] != "BEGIN;":
        lines = ["BEGIN;", *lines, "COMMIT;"]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
