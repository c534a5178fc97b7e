"""A web process killed with ``kill -9`` never jams an ``Idempotency-Key``: killed while the
request waits inside its transaction, the work and the key's record are rolled back together,
and a retry against a fresh server runs afresh; killed after the commit, the retry replays.

The request is made to wait on a real lock: the test holds the row lock on the SKU's stock that
placing a purchase order takes."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request

import psycopg2
import pytest
from django.db import connection
from django_scopes import scopes_disabled

from catalog.models import Inventory
from network import services as network_services
from network.models import ApiScope, IdempotencyRecord, Role
from orders.models import PurchaseOrder
from scripts.drills.processes import gunicorn, spare_port, wait_for
from shipping.models import Booking
from tests.catalog.factories import merchant as make_merchant
from tests.orders.factories import buyer as make_buyer
from tests.orders.factories import sku
from tests.shipping.factories import BOOKING_DEFAULTS, SailingFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _call(url: str, *, method: str = "GET", body: dict | None = None, **headers):
    """(status, body, headers); status 0 when the server is not there or went away."""
    data = json.dumps(body).encode() if body is not None else None
    if data is not None:
        headers["Content-Type"] = "application/json"
    request = urllib.request.Request(url, data=data, method=method, headers=headers)  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=120) as response:  # noqa: S310
            return response.status, response.read().decode(), dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(), dict(error.headers)
    except (urllib.error.URLError, OSError):
        return 0, "", {}


class Server:
    """A gunicorn of one worker on a spare port, serving this run's test database."""

    def __init__(self, env: dict, log, api_key: str):
        self.port = spare_port()
        self.api_key = api_key
        self.process = gunicorn(env, log, port=self.port, workers=1)
        try:
            wait_for(
                lambda: _call(f"http://127.0.0.1:{self.port}/healthz")[0],
                seconds=60,
                what="gunicorn to answer",
            )
        except TimeoutError:
            self.process.stop()
            raise

    def call(self, path: str, *, method: str = "GET", body: dict | None = None, **headers):
        headers["Authorization"] = f"Bearer {self.api_key}"
        return _call(f"http://127.0.0.1:{self.port}{path}", method=method, body=body, **headers)


def _api_key(organization, user) -> str:
    _key, raw = network_services.api_key_create(
        organization=organization, name="ERP", scopes=list(ApiScope.values), acting_user=user
    )
    return raw


def _test_database():
    settings = connection.settings_dict
    return psycopg2.connect(
        host=settings["HOST"],
        port=settings["PORT"] or 5432,
        user=settings["USER"],
        password=settings["PASSWORD"] or None,
        dbname=settings["NAME"],
    )


def _backends_waiting_for(database, pid: int) -> list[int]:
    with database.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE %s = ANY(pg_blocking_pids(pid))", [pid]
        )
        return [row[0] for row in cursor.fetchall()]


def _backend_alive(pid: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [pid])
        return cursor.fetchone() is not None


def test_a_request_killed_inside_its_transaction_leaves_its_key_free(drill_env, tmp_path):
    merchant, owner = make_merchant()
    syrup = sku(merchant, owner, code="MAPLE-500")
    store, buyer_owner = make_buyer(role=Role.OWNER)
    api_key = _api_key(store, buyer_owner)
    order = {
        "lines": [{"sku_id": syrup.pk, "quantity": 48}],
        "delivery_type": "bonded",
        "delivery_location": "Ningbo Meishan bonded warehouse",
        "incoterm": "CIF",
        "payment_terms": "net60",
        "buyer_reference": "HZ-CRASH-1",
    }
    key = {"Idempotency-Key": "PO-2026-0042"}
    # The worst case: the orphaned backend does not notice its client is gone until it next
    # talks to it (PostgreSQL's default), so it keeps its locks while it waits.
    env = dict(drill_env, PGOPTIONS="-c client_connection_check_interval=0")

    stock_lock = _test_database()
    first = Server(env, tmp_path / "first.log", api_key)
    fresh = None
    try:
        with stock_lock.cursor() as cursor:
            cursor.execute(
                f"SELECT 1 FROM {Inventory._meta.db_table} WHERE sku_id = %s FOR UPDATE",  # noqa: S608
                [syrup.pk],
            )
            cursor.execute("SELECT pg_backend_pid()")
            holder = cursor.fetchone()[0]
        answers = []
        placing = threading.Thread(
            target=lambda: answers.append(
                first.call("/api/v1/orders/purchase-orders/", method="POST", body=order, **key)
            )
        )
        placing.start()
        (orphan,) = wait_for(
            lambda: _backends_waiting_for(stock_lock, holder),
            seconds=60,
            what="the request to wait for the stock lock",
        )

        first.process.kill9()
        placing.join(30)
        assert answers[0][0] == 0  # the connection died with the server

        fresh = Server(env, tmp_path / "fresh.log", api_key)
        # The dead request's transaction is still open while its backend waits: a retry is
        # told at once that the key is in progress, rather than waiting or running twice.
        status, body, _headers = fresh.call(
            "/api/v1/orders/purchase-orders/", method="POST", body=order, **key
        )
        assert status == 409 and json.loads(body)["code"] == "idempotency_in_progress"

        stock_lock.rollback()
        wait_for(lambda: not _backend_alive(orphan), seconds=60, what="the orphan to end")

        status, body, headers = fresh.call(
            "/api/v1/orders/purchase-orders/", method="POST", body=order, **key
        )
        assert status == 201, body[:500]
        assert "Idempotent-Replayed" not in headers
        again = fresh.call("/api/v1/orders/purchase-orders/", method="POST", body=order, **key)
        assert (again[0], again[1], again[2]["Idempotent-Replayed"]) == (201, body, "true")
    finally:
        stock_lock.close()
        first.process.stop()
        if fresh is not None:
            fresh.process.stop()

    with scopes_disabled():
        assert PurchaseOrder.objects.filter(organization=store).count() == 1
        assert Inventory.objects.get(sku=syrup).reserved == 48
    assert IdempotencyRecord.objects.visible_to(store).count() == 1


def test_a_request_killed_after_its_commit_is_replayed(drill_env, tmp_path):
    merchant, owner = make_merchant()
    api_key = _api_key(merchant, owner)
    sailing = SailingFactory()
    booking = {
        **BOOKING_DEFAULTS,
        "sailing": sailing.pk,
        "equipment": "45G1",
        "units": 2,
        "gross_weight_kg": 36_000,
    }
    key = {"Idempotency-Key": "BK-2026-0007"}

    first = Server(drill_env, tmp_path / "first.log", api_key)
    fresh = None
    try:
        status, body, _headers = first.call(
            "/api/v1/shipping/bookings/", method="POST", body=booking, **key
        )
        assert status == 201, body[:500]
        first.process.kill9()

        fresh = Server(drill_env, tmp_path / "fresh.log", api_key)
        again = fresh.call("/api/v1/shipping/bookings/", method="POST", body=booking, **key)
        assert (again[0], again[1], again[2]["Idempotent-Replayed"]) == (201, body, "true")
    finally:
        first.process.stop()
        if fresh is not None:
            fresh.process.stop()

    with scopes_disabled():
        assert Booking.objects.filter(organization=merchant).count() == 1
