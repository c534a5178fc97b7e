"""Behind PgBouncer in transaction pooling (DATABASE_PGBOUNCER=true), with two server
connections shared by every client: concurrent purchase orders and bookings keep stock and
space exact, an Idempotency-Key replays, the fan-out task runs, ``.iterator()`` reads every
row, and a client's session settings never reach another client. The connections are checked
to have gone through PgBouncer (its admin console) and to have shared its two servers."""

from __future__ import annotations

from decimal import Decimal

import psycopg2
import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError, connection
from django.test import Client
from django_scopes import scopes_disabled

from network.models import Organization
from network.settings import _database_config
from orders.models import MerchantOrder, PurchaseOrder
from shipping.errors import CapacityExhausted
from shipping.models import Booking, Sailing
from tests.factories import OrganizationFactory, member
from tests.orders.factories import buyer, merchant, sku, stock
from tests.shipping.factories import SailingFactory, approve, request_booking

CASE = 6
URL = "/api/v1/orders/purchase-orders/"


def _order(sku_id: int) -> dict:
    return {
        "lines": [{"sku_id": sku_id, "quantity": CASE}],
        "delivery_type": "bonded",
        "delivery_location": "Ningbo Meishan bonded warehouse",
        "incoterm": "FOB",
        "payment_terms": "net30",
        "buyer_reference": "HZ-PGB-1",
    }


def _through_pgbouncer(through_pgbouncer, seen, threads: int) -> None:
    """Every thread's connection was a PgBouncer client, and they shared its two servers."""
    assert len(seen.clients) >= threads
    assert 1 <= len(seen.servers) <= through_pgbouncer.pool_size
    assert 1 <= len(seen.server_pids) <= through_pgbouncer.pool_size


# --- The settings --------------------------------------------------------------------------------


def test_database_pgbouncer_turns_server_side_cursors_off(monkeypatch):
    url = "postgres://network:secret@pgbouncer:5432/network"
    monkeypatch.delenv("DATABASE_PGBOUNCER", raising=False)
    assert not _database_config(url).get("DISABLE_SERVER_SIDE_CURSORS")
    monkeypatch.setenv("DATABASE_PGBOUNCER", "true")
    assert _database_config(url)["DISABLE_SERVER_SIDE_CURSORS"] is True
    monkeypatch.setenv("DATABASE_PGBOUNCER", "pooled")
    with pytest.raises(ImproperlyConfigured, match="DATABASE_PGBOUNCER='pooled' is not a boolean"):
        _database_config(url)


# --- Through a real PgBouncer --------------------------------------------------------------------


@pytest.mark.pgbouncer
@pytest.mark.django_db(transaction=True)
def test_concurrent_purchase_orders_keep_stock_exact_and_replay_their_keys(through_pgbouncer):
    maple, owner = merchant()
    syrup = sku(
        maple,
        owner,
        code="MAPLE-PGB",
        moq=CASE,
        case_pack=CASE,
        tiers=((CASE, "8.50"),),
        on_hand=4 * CASE,
    )
    buyers = [buyer(f"Hangzhou Store {n}") for n in range(5)]
    # Six requests at once: five stores, the first of them twice with the same key (a retry
    # racing the original); four cases in stock.
    requests = [*buyers, buyers[0]]
    transactions_before = through_pgbouncer.transactions()

    def place(n: int):
        _organization, user = requests[n]
        client = Client()
        client.force_login(user)
        response = client.post(
            URL, _order(syrup.pk), content_type="application/json", HTTP_IDEMPOTENCY_KEY="po-1"
        )
        return response.status_code, response.json()

    outcomes, seen = through_pgbouncer.run_in_threads(place, count=len(requests))

    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    statuses = [status for status, _body in outcomes]
    assert set(statuses) <= {201, 409}, outcomes
    refusals = {body["code"] for status, body in outcomes if status == 409}
    assert refusals <= {"insufficient_stock", "idempotency_in_progress"}, outcomes
    inventory = stock(syrup)
    with scopes_disabled():
        placed = PurchaseOrder.objects.count()
        assert (inventory.on_hand, inventory.reserved) == (4 * CASE, placed * CASE)
        # The fan-out task ran after each commit: one merchant order per purchase order.
        assert MerchantOrder.objects.count() == placed
    # Every store that got an order replays it under its key; the race of the first store's
    # two requests placed one order at most.
    numbers = {}
    for organization, user in buyers:
        with scopes_disabled():
            order = PurchaseOrder.objects.filter(organization=organization).first()
        if order is None:
            continue
        client = Client()
        client.force_login(user)
        again = client.post(
            URL, _order(syrup.pk), content_type="application/json", HTTP_IDEMPOTENCY_KEY="po-1"
        )
        assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"
        numbers[organization.pk] = again.json()["number"]
        assert again.json()["number"] == order.number
    assert placed == len(numbers) == 4  # four cases, five stores: one was refused
    first_store = [body["number"] for status, body in (outcomes[0], outcomes[-1]) if status == 201]
    assert set(first_store) <= {numbers.get(buyers[0][0].pk)}

    _through_pgbouncer(through_pgbouncer, seen, threads=len(requests))
    assert through_pgbouncer.transactions() > transactions_before


@pytest.mark.pgbouncer
@pytest.mark.django_db(transaction=True)
def test_concurrent_bookings_never_overbook_a_sailing(through_pgbouncer, carrier_server):
    carrier_server.config(delay=3600)  # the carrier answers later
    organization = OrganizationFactory(name="Great Lakes Maple Co.")
    approve(organization)
    user = member(organization)
    sailing = SailingFactory(
        capacity_teu=5, capacity_weight_kg=100_000_000, rates=[("22G1", Decimal("620.00"))]
    )

    def book(n: int) -> str:
        try:
            request_booking(
                organization, sailing, user, equipment="22G1", units=1, gross_weight_kg=10_000
            )
        except CapacityExhausted as error:
            # Refused on the sailing's row as SELECT … FOR UPDATE read it: full.
            return f"refused, {error.details['remaining_teu']} TEU left"
        return "booked"

    outcomes, seen = through_pgbouncer.run_in_threads(book, count=8)

    assert sorted(outcomes, key=str) == ["booked"] * 5 + ["refused, 0 TEU left"] * 3, outcomes
    assert Sailing.objects.get(pk=sailing.pk).booked_teu == 5
    with scopes_disabled():
        assert Booking.objects.filter(sailing=sailing).count() == 5
    _through_pgbouncer(through_pgbouncer, seen, threads=8)


@pytest.mark.pgbouncer
@pytest.mark.django_db(transaction=True)
def test_iterator_reads_every_row_while_other_clients_take_the_servers(through_pgbouncer):
    OrganizationFactory.create_batch(5, kind=Organization.Kind.BUYER)
    expected = set(Organization.objects.values_list("pk", flat=True))
    other = psycopg2.connect(
        host="127.0.0.1",
        port=through_pgbouncer.bouncer.port,
        user=connection.settings_dict["USER"],
        dbname=through_pgbouncer.database,
    )

    def read_while_another_client_holds_a_server() -> set[int]:
        rows = Organization.objects.order_by("pk").values_list("pk", flat=True)
        chunks = rows.iterator(chunk_size=1)
        read = {next(chunks)}
        try:
            with other.cursor() as cursor:  # another client's transaction takes a server now
                cursor.execute("SELECT 1")
            read.update(chunks)
        finally:
            other.rollback()
        return read

    try:
        # What the setting prevents: outside a transaction .iterator() declares a WITH HOLD
        # cursor on one server connection and fetches its next rows on whichever comes next.
        connection.settings_dict["DISABLE_SERVER_SIDE_CURSORS"] = False
        with pytest.raises((DatabaseError, psycopg2.Error), match="does not exist"):
            read_while_another_client_holds_a_server()
        connection.close()
        connection.settings_dict["DISABLE_SERVER_SIDE_CURSORS"] = True
        assert read_while_another_client_holds_a_server() == expected
    finally:
        connection.settings_dict["DISABLE_SERVER_SIDE_CURSORS"] = True
        other.close()


@pytest.mark.pgbouncer
@pytest.mark.django_db(transaction=True)
def test_one_clients_session_setting_never_reaches_another(through_pgbouncer):
    other = psycopg2.connect(
        host="127.0.0.1",
        port=through_pgbouncer.bouncer.port,
        user=connection.settings_dict["USER"],
        dbname=through_pgbouncer.database,
    )
    other.autocommit = True
    try:
        with other.cursor() as cursor:
            cursor.execute("SET TIME ZONE 'Asia/Shanghai'")

        def time_zone(n: int) -> str:
            with connection.cursor() as cursor:
                cursor.execute("SELECT current_setting('TimeZone')")
                return cursor.fetchone()[0]

        outcomes, seen = through_pgbouncer.run_in_threads(time_zone, count=4)
        with other.cursor() as cursor:
            cursor.execute("SELECT current_setting('TimeZone')")
            assert cursor.fetchone()[0] == "Asia/Shanghai"
    finally:
        other.close()
    # Django's connections are in UTC (it sets the zone on connecting; PgBouncer keeps each
    # client's on whichever server connection serves it).
    assert outcomes == ["UTC"] * 4
    _through_pgbouncer(through_pgbouncer, seen, threads=4)
