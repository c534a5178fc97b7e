"""Booking requests per second through the API under contention, and the ratio to the same
transaction run by pgbench.

A shipper's integration books through the REST API as a client would: ``POST
/api/v1/shipping/bookings/`` with its API key and an ``Idempotency-Key`` unique per request,
against the app under gunicorn with several workers, the load coming from separate client
processes. Every request books one 20' box on the same sailing (ample capacity, so none is
refused), so every booking queues for that sailing's row lock: the worst case of a popular
sailing. The carrier submission each booking sends after commit waits in a spare Redis
database used as the broker (flushed afterwards); no Celery worker runs, so the figure is the
request itself. pgbench then replays the SQL statements of one booking request, captured from a
real request through the same stack, with the same number of clients: the floor the database
alone imposes.

    .venv/bin/python bench/booking.py [--clients 8] [--seconds 10] [--web-workers 2]

A scratch database is created on the development server and dropped afterwards. Prints
figures; asserts nothing. ``BENCH_SHOW_SQL=1`` also prints the statements.
"""

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
    bench_sailing,
    flush_redis,
    pgbench_tps,
    scratch_database,
)
from bench._http import Request, gunicorn, load  # noqa: E402

BENCH_REDIS_DB = 15
BOOKINGS_PATH = "/api/v1/shipping/bookings/"


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
        help="also book N times in this process (no HTTP) under cProfile, and once over HTTP "
        "with one client, and print where a booking's time goes",
    )
    args = parser.parse_args()

    from network import devservices

    redis = urlparse(devservices.redis_url())
    broker_url = urlunparse(redis._replace(path=f"/{BENCH_REDIS_DB}"))
    environ = {
        "REDIS_URL": broker_url,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        # The bench's one key sends far more than an integration may: no throttling refusals.
        "API_KEY_RATE": "100000000/s",
    }
    scratch = f"bench_booking_{os.getpid()}"
    with scratch_database(scratch, environ=environ) as scratch_url:
        try:
            return run(args, scratch_url, scratch, environ)
        finally:
            flush_redis(broker_url)


def _setup_sailing():
    """An approved merchant, its owner's API key, and a sailing with room for every request."""
    from merchants.models import MerchantApplication
    from network import services as network_services
    from network.models import Membership, Organization, User

    organization = Organization.objects.create(
        name="Bench Maple Co.", slug="bench-maple", kind="merchant", country="US"
    )
    MerchantApplication.objects.create(
        organization=organization, status="approved", legal_name="Bench Maple Co."
    )
    user = User.objects.create_user(email="bench@example.com", password=None)
    Membership.objects.create(user=user, organization=organization, role="owner")
    _api_key, raw_key = network_services.api_key_create(
        organization=organization,
        name="Bench ERP",
        scopes=["bookings:read", "bookings:write"],
        acting_user=user,
    )
    return raw_key, bench_sailing(voyage="BENCH")


def _body(sailing_id: int) -> str:
    return json.dumps(
        {
            "sailing": sailing_id,
            "equipment": "22G1",
            "units": 1,
            "commodity_description": "Pure maple syrup in glass bottles",
            "hs_codes": ["170220"],
            "gross_weight_kg": 12_000,
            "shipper_name": "Bench Maple Co.",
            "shipper_address": "1 Main Street\nMarquette, MI",
            "consignee_name": "Hangzhou Westlake Global Trading Co., Ltd.",
            "consignee_address": "88 Wensan Road\nHangzhou",
        }
    )


def _captured_request(raw_key: str, body: str) -> tuple[list[str], str, int]:
    """One booking through the whole stack (middleware, DRF, service) in this process, with
    its SQL statements captured: (statements, the booking's reference, its id)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST="127.0.0.1")
    headers = {"HTTP_AUTHORIZATION": f"Bearer {raw_key}"}

    def post(key: str):
        response = client.post(
            BOOKINGS_PATH,
            body,
            content_type="application/json",
            HTTP_IDEMPOTENCY_KEY=key,
            **headers,
        )
        if response.status_code != 201:
            failure = f"{response.status_code} {response.content!r}"
            raise SystemExit(f"The booking request failed: {failure}")
        return response.json()

    post("warm-up")  # content types, prepared state, the key's last use recorded
    with connection.cursor() as cursor:
        # An id no other number in the statements can be mistaken for.
        cursor.execute("ALTER SEQUENCE shipping_booking_id_seq RESTART WITH 987654321")
    with CaptureQueriesContext(connection) as captured:
        booking = post("captured")
    return [q["sql"] for q in captured.captured_queries], booking["reference"], 987654321


def run(args, database_url: str, scratch: str, environ: dict[str, str]) -> int:
    from django.db import connections

    raw_key, sailing = _setup_sailing()
    body = _body(sailing.pk)
    statements, reference, booking_id = _captured_request(raw_key, body)
    if args.profile:
        _profile(raw_key, body, args.profile)
    connections.close_all()  # gunicorn's workers and pgbench have the database to themselves

    # --- The application over HTTP under contention ------------------------------------------
    headers = {"Authorization": f"Bearer {raw_key}", "Idempotency-Key": "bench-{n}"}
    request = Request("POST", BOOKINGS_PATH, headers, body, ok=(201,))
    print(
        f"gunicorn with {args.web_workers} workers, {args.clients} client processes …", flush=True
    )
    with gunicorn(database_url, workers=args.web_workers, environ=environ) as port:
        _wait_until_answering(port)
        warm_up = Request("POST", BOOKINGS_PATH, {**headers, "Idempotency-Key": "warm-{n}"}, body)
        load(port, [warm_up] * args.clients, seconds=3.0)  # every worker warm
        result = load(port, [request] * args.clients, seconds=args.seconds)
        if args.profile:
            alone = Request("POST", BOOKINGS_PATH, {**headers, "Idempotency-Key": "one-{n}"}, body)
            print("  " + load(port, [alone], seconds=3.0).line("one client over HTTP"))
    sailing.refresh_from_db()

    print()
    print(f"Booking requests over HTTP, {args.clients} clients on one sailing:")
    print("  " + result.line("bookings"))
    print(f"  booked TEU on the sailing: {sailing.booked_teu} (capacity {sailing.capacity_teu})")
    print(f"  statements per booking request: {len(statements)}")
    if os.environ.get("BENCH_SHOW_SQL"):
        print("\n".join(f"    {sql[:150]}" for sql in statements))
    connections.close_all()

    # --- The same transaction in pgbench ------------------------------------------------------
    script = _pgbench_script(statements, reference, booking_id)
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
    print(f"Ratio HTTP bookings / pgbench: {result.rate / pgbench_rate:.2f}")
    return 0


def _profile(raw_key: str, body: str, count: int) -> None:
    """Book ``count`` times through the whole stack in this process (Django's test client: no
    socket, no gunicorn) and print where the time goes: the database's round trips (wall time
    of each statement as the driver waits for it), then ``count`` more under cProfile for
    Python's own time by package."""
    import cProfile
    import pstats
    import time

    from django.db import connection
    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1")
    headers = {"HTTP_AUTHORIZATION": f"Bearer {raw_key}"}
    in_database = [0.0]

    def timed(execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            in_database[0] += time.perf_counter() - started

    def book(prefix: str) -> float:
        started = time.perf_counter()
        for n in range(count):
            client.post(
                BOOKINGS_PATH,
                body,
                content_type="application/json",
                HTTP_IDEMPOTENCY_KEY=f"{prefix}-{n}",
                **headers,
            )
        return time.perf_counter() - started

    with connection.execute_wrapper(timed):
        elapsed = book("timed")
    profiler = cProfile.Profile()
    profiler.runcall(book, "profiled")
    stats = pstats.Stats(profiler)
    own: dict[str, float] = {}
    for (filename, _line, name), (_cc, _nc, own_time, _ct, _callers) in stats.stats.items():
        group = _package(filename, name)
        own[group] = own.get(group, 0.0) + own_time
    profiled = sum(own.values())
    per = 1000 / count
    print()
    print(f"One booking in this process, no HTTP ({count} in a row):")
    print(
        f"  {elapsed * per:.2f} ms each, of which {in_database[0] * per:.2f} ms waiting for the "
        "database's answers"
    )
    print("  Own time under cProfile by package (shares; the profiler inflates Python's):")
    for group, seconds in sorted(own.items(), key=lambda item: -item[1]):
        if seconds / profiled >= 0.005:
            print(f"    {group:<40} {seconds / profiled:6.1%}")


def _package(filename: str, name: str) -> str:
    """The group a profiled function belongs to: a package, the driver's wait, or Python."""
    if filename == "~":  # a function written in C
        if "psycopg2" in name:
            return "psycopg2 C (the database round trip)"
        if "socket" in name:
            return "sockets (Redis: throttle, broker)"
        return "Python builtins (C)"
    if "site-packages/" in filename:
        top = filename.split("site-packages/", 1)[1].split("/", 1)[0]
        if top == "django":
            part = filename.split("site-packages/django/", 1)[1].split("/", 1)[0]
            return f"django.{part}"
        return top
    for app in ("network", "shipping", "merchants", "bench"):
        if f"/{app}/" in filename:
            return f"project: {app}"
    return "Python standard library"


def _wait_until_answering(port: int) -> None:
    """gunicorn listens before its workers have loaded the app: wait for an answer."""
    import http.client
    import time

    deadline = time.monotonic() + 300
    while True:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
        try:
            connection.request("GET", "/healthz")
            connection.getresponse().read()
            return
        except (OSError, http.client.HTTPException):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)
        finally:
            connection.close()


def _pgbench_script(statements: list[str], reference: str, booking_id: int) -> str:
    """The captured statements as a pgbench script: a fresh booking reference and idempotency
    key per transaction, and the new booking's id carried from its INSERT … RETURNING into the
    later statements."""
    lines = []
    for sql in statements:
        if sql in ("BEGIN", "COMMIT") or sql.startswith(("SAVEPOINT", "RELEASE SAVEPOINT")):
            lines.append(sql + ";")
            continue
        sql = sql.replace(f"'{reference}'", "substr(md5(random()::text), 1, 12)")
        sql = sql.replace("'captured'", "md5(random()::text)")
        if sql.startswith('INSERT INTO "shipping_booking"'):
            returning = sql.replace('RETURNING "shipping_booking"."id"', 'RETURNING "id" AS bid')
            lines.append(returning + " \\gset")
            continue
        # The later statements name the new booking by id (as a number or as text).
        sql = re.sub(rf"(?<![\d.]){booking_id}(?![\d.])", ":bid", sql)
        lines.append(sql + ";")
    if "BEGIN;" not in lines:
        # Django's BEGIN and COMMIT are not captured: the transaction starts with the
        # idempotency key's lock (or the service's savepoint) and ends with the request.
        begin = next(
            i
            for i, line in enumerate(lines)
            if "pg_try_advisory_xact_lock" in line or line.startswith("SAVEPOINT")
        )
        lines = [*lines[:begin], "BEGIN;", *lines[begin:], "COMMIT;"]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
